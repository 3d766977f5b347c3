"""The local Fabric network for integration tests: where it is, and a fresh world state on demand.

Tests use the network of ``NINETEN_NETWORK_DIR`` (default ``~/.cache/nineten/network``) with the
ports of ``NINETEN_PORT_OFFSET``, exactly as ``network/network.sh`` does.
"""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NETWORK = Path(os.environ.get("NINETEN_NETWORK_DIR", Path.home() / ".cache/nineten/network"))
PROFILE = NETWORK / "connection.yaml"


def require_network() -> Path:
    """The connection profile; the test is skipped when the network was never brought up."""
    if not PROFILE.exists():
        pytest.skip(f"no network profile at {PROFILE}; run network/network.sh up")
    return PROFILE


def network(*args: str, check: bool = True, hosts: str | None = None) -> str:
    """``network/network.sh ARGS`` on the tests' network (with ``NINETEN_HOSTS=hosts`` if given); its
    output (stdout), failing the test on a non-zero exit when ``check``."""
    env = {**os.environ, "NINETEN_HOSTS": hosts} if hosts else None
    done = subprocess.run([str(ROOT / "network" / "network.sh"), *args], cwd=ROOT, capture_output=True,
                          text=True, env=env)
    if check:
        assert done.returncode == 0, f"network.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def fresh_network() -> Path:
    """Purge the network and bring it up again (about 10 s): an empty world state and fresh CAs,
    for a test that bootstraps its own consortium, on hosts of the same kind (loopback or netns).
    Returns the connection profile."""
    hosts = yaml.safe_load(require_network().read_text()).get("hosts", "loopback")
    network("purge")
    network("up", hosts=hosts)
    return PROFILE
