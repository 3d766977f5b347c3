"""A CLI session: the ledger folder, the ledger client (picked once), and who acts."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .client import Connection, LedgerClient
from .errors import ConfigError

if TYPE_CHECKING:
    from chaincode.rules import Policy

    from .config import LedgerConfig


@dataclass
class Session:
    """What every command works with; ``as_identity`` (``--as``) overrides the identity a command
    would pick."""

    folder: Path
    gateway_profile: Path | None = None
    as_identity: str | None = None
    _client: LedgerClient | None = field(default=None, repr=False)

    @property
    def client(self) -> LedgerClient:
        """The ledger: a Fabric network with a connection profile, else the embedded ledger."""
        if self._client is None:
            if self.gateway_profile is not None:
                from .fabric.client import FabricClient

                self._client = FabricClient.from_profile(self.gateway_profile, self.folder)
            else:
                from .embedded.ledger import EmbeddedLedger

                self._client = EmbeddedLedger(self.folder)
        return self._client

    @property
    def config(self) -> "LedgerConfig":
        from .config import LedgerConfig

        return LedgerConfig.load(self.folder)

    def identity(self, node: str, role: str = "admin") -> str:
        """The wallet identity to act with: ``--as`` if given, else ``<node>.<role>``."""
        from .wallet import identity_name

        return self.as_identity or identity_name(node, role)

    def acting(self, identity: str) -> Connection:
        """The ledger as the wallet identity ``identity``."""
        return Connection(self.client, identity)

    def admin(self, node: str) -> Connection:
        """The ledger as ``node``'s admin (or ``--as``)."""
        return self.acting(self.identity(node, "admin"))

    def reviewer(self, node: str) -> Connection:
        """The ledger as ``node``'s reviewer (or ``--as``)."""
        return self.acting(self.identity(node, "reviewer"))

    def arbitrator(self, node: str) -> Connection:
        """The ledger as ``node``'s arbitrator (or ``--as``)."""
        return self.acting(self.identity(node, "arbitrator"))

    def reader(self) -> Connection:
        """The ledger for read-only queries: as ``--as``, else as the first auditor in the wallet."""
        from .wallet import Wallet

        if self.as_identity:
            return self.acting(self.as_identity)
        auditors = [n for n in Wallet(self.folder / "wallet").names() if n.endswith(".auditor")]
        if not auditors:
            raise ConfigError(f"no auditor identity in {self.folder / 'wallet'}; pass --as IDENTITY.")
        return self.acting(auditors[0])

    def policy(self, month: str) -> "Policy":
        """The policy in force for ``month``, read from the chain."""
        from chaincode.contracts.registry import Registry
        from chaincode.rules import Policy

        return Policy.of(self.reader().evaluate(Registry.GetPolicy, month))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
