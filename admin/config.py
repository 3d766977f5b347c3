"""The ledger folder's configuration: which backend, and each node's pseudonymisation secret."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError

CONFIG_FILE = "config.yaml"


@dataclass
class LedgerConfig:
    """``<ledger>/config.yaml``: node id → MSP id and secret (hex), kept only on the node's machine."""

    folder: Path
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> "LedgerConfig":
        path = Path(folder) / CONFIG_FILE
        if not path.exists():
            raise ConfigError(f"no ledger configuration at {path}; run `nineten init` first.")
        try:
            data = yaml.safe_load(path.read_bytes()) or {}
            nodes = data.get("nodes") or {}
            for node_id, entry in nodes.items():
                if len(bytes.fromhex(entry["secret"])) < 16 or not isinstance(entry["msp_id"], str):
                    raise ValueError(f"node {node_id}'s secret is shorter than 16 bytes")
        except (yaml.YAMLError, AttributeError, TypeError, KeyError, ValueError) as exc:
            raise ConfigError(f"{path} is not a ledger configuration (nodes: {{node: {{msp_id, secret}}}}): "
                              f"{type(exc).__name__}: {exc}") from None
        return cls(Path(folder), nodes)

    def save(self) -> None:
        path = self.folder / CONFIG_FILE
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"nodes": self.nodes}, sort_keys=True))
        path.chmod(0o600)

    def add_node(self, node_id: str, msp_id: str) -> None:
        """Register a node with a fresh 32-byte secret (created once, never overwritten)."""
        if node_id not in self.nodes:
            self.nodes[node_id] = {"msp_id": msp_id, "secret": os.urandom(32).hex()}

    def secret(self, node_id: str) -> bytes:
        if node_id not in self.nodes:
            raise ConfigError(f"node {node_id!r} has no secret in {self.folder / CONFIG_FILE}; "
                              f"this machine does not act for it.")
        return bytes.fromhex(self.nodes[node_id]["secret"])
