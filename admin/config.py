"""The ledger folder's configuration: each node's pseudonymisation secret, and the consortium's
payment key (the key of the payment references' keyed hash, :func:`admin.pseudonym.payment_hash`)."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError

CONFIG_FILE = "config.yaml"


@dataclass
class LedgerConfig:
    """``<ledger>/config.yaml``: node id → MSP id and secret (hex), kept only on the node's machine;
    ``payment_key`` (hex), one key shared by every node of the consortium and by no one else."""

    folder: Path
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    payment_key: str | None = None

    @classmethod
    def load(cls, folder: Path) -> "LedgerConfig":
        path = Path(folder) / CONFIG_FILE
        if not path.exists():
            raise ConfigError(f"no ledger configuration at {path}; run `nineten init` first.")
        try:
            data = yaml.safe_load(path.read_bytes()) or {}
            nodes, payment_key = data.get("nodes") or {}, data.get("payment_key")
            for node_id, entry in nodes.items():
                if len(bytes.fromhex(entry["secret"])) < 16 or not isinstance(entry["msp_id"], str):
                    raise ValueError(f"node {node_id}'s secret is shorter than 16 bytes")
            if payment_key is not None and len(bytes.fromhex(payment_key)) < 16:
                raise ValueError("the payment key is shorter than 16 bytes")
        except (yaml.YAMLError, AttributeError, TypeError, KeyError, ValueError) as exc:
            raise ConfigError(f"{path} is not a ledger configuration (nodes: {{node: {{msp_id, secret}}}}, "
                              f"payment_key): {type(exc).__name__}: {exc}") from None
        return cls(Path(folder), nodes, payment_key)

    def save(self) -> None:
        path = self.folder / CONFIG_FILE
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"nodes": self.nodes, **({"payment_key": self.payment_key} if self.payment_key else {})}
        path.write_text(yaml.safe_dump(data, sort_keys=True))
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

    def add_payment_key(self) -> None:
        """A fresh 32-byte consortium payment key, unless the file already has one (copied from
        another node's machine: every node must hash payment references with the same key)."""
        if self.payment_key is None:
            self.payment_key = os.urandom(32).hex()

    def payment_key_bytes(self) -> bytes:
        if self.payment_key is None:
            raise ConfigError(f"{self.folder / CONFIG_FILE} has no payment_key; copy the consortium's payment "
                              f"key there from another node's configuration (every node hashes payment "
                              f"references with the same key).")
        return bytes.fromhex(self.payment_key)
