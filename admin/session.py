"""A CLI session: the ledger folder, the gateway to the ledger, and who acts."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaincode import canonical_json

from .config import LedgerConfig
from .errors import ConfigError
from .embedded.ledger import EmbeddedLedger
from .gateway import Committed, Gateway
from .wallet import Wallet, identity_name


@dataclass
class Session:
    """What every command works with; ``as_identity`` overrides the identity a command would pick."""

    folder: Path
    gateway_profile: Path | None = None
    as_identity: str | None = None
    _gateway: Gateway | None = field(default=None, repr=False)

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            if self.gateway_profile is not None:
                from .fabric.gateway import FabricGateway

                self._gateway = FabricGateway.from_profile(self.gateway_profile, self.folder)
            else:
                self._gateway = EmbeddedLedger(self.folder)
        return self._gateway

    @property
    def config(self) -> LedgerConfig:
        return LedgerConfig.load(self.folder)

    def identity(self, node: str, role: str = "admin") -> str:
        """The wallet identity to act with: ``--as`` if given, else ``<node>.<role>``."""
        return self.as_identity or identity_name(node, role)

    def reader(self) -> str:
        """The identity for read-only queries: ``--as``, else the first auditor in the wallet."""
        if self.as_identity:
            return self.as_identity
        auditors = [n for n in Wallet(self.folder / "wallet").names() if n.endswith(".auditor")]
        if not auditors:
            raise ConfigError(f"no auditor identity in {self.folder / 'wallet'}; pass --as IDENTITY.")
        return auditors[0]

    def submit(self, identity: str, function: str, *args: Any) -> Committed:
        return self.gateway.submit(identity, function, *[_arg(a) for a in args])

    def query(self, identity: str, function: str, *args: Any) -> Any:
        """Evaluate a query and parse its JSON answer."""
        return canonical_json.loads(self.gateway.evaluate(identity, function, *[_arg(a) for a in args]))

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()


def _arg(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json.dumps(value)

