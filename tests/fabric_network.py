"""The local Fabric network for integration tests: where it is, and a fresh world state on demand.

Tests use the network of ``NINETEN_NETWORK_DIR`` (default ``~/.cache/nineten/network``) with the
ports of ``NINETEN_PORT_OFFSET``, exactly as ``network/network.sh`` does.
"""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NETWORK = Path(os.environ.get("NINETEN_NETWORK_DIR", Path.home() / ".cache/nineten/network"))
PROFILE = NETWORK / "connection.yaml"


def require_network() -> Path:
    """The connection profile; the test is skipped when the network was never brought up."""
    if not PROFILE.exists():
        pytest.skip(f"no network profile at {PROFILE}; run network/network.sh up")
    return PROFILE


def fresh_network() -> Path:
    """Purge the network and bring it up again (about 12 s): an empty world state and fresh CAs,
    for a test that bootstraps its own consortium. Returns the connection profile."""
    require_network()
    for command in ("purge", "up"):
        done = subprocess.run([str(ROOT / "network" / "network.sh"), command], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"network.sh {command} failed:\n{done.stdout}\n{done.stderr}"
    return PROFILE
