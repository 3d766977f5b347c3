"""Making an embedded ledger folder: one CA per organisation and a wallet of role identities."""

from pathlib import Path
from typing import Iterable

from chaincode.identity import ROLES

from ..errors import ConfigError
from ..wallet import Wallet, identity_name
from .ledger import LEDGER_FILE, EmbeddedLedger
from .msp import OrgCA


def init_ledger(folder: Path, nodes: Iterable[tuple[str, str]]) -> EmbeddedLedger:
    """Create a ledger at ``folder`` for (node_id, msp_id) pairs, each with one identity per role."""
    folder = Path(folder)
    if (folder / LEDGER_FILE).exists():
        raise ConfigError(f"a ledger already exists at {folder}; choose another --ledger or remove it.")
    wallet = Wallet(folder / "wallet")
    roots = {}
    for node_id, msp_id in nodes:
        ca = OrgCA(folder / "msp" / msp_id, msp_id)
        ca.create()
        roots[msp_id] = ca.cert_path.read_bytes()
        for role in ROLES:
            wallet.put(ca.issue(identity_name(node_id, role), role))
    return EmbeddedLedger.create(folder, roots)
