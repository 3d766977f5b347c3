"""Creating a ledger folder and bootstrapping the consortium on chain."""

from pathlib import Path
from typing import Any

from .config import LedgerConfig
from .embedded.setup import init_ledger
from .scenario import Consortium
from .session import Session


def init_folder(folder: Path, consortium: Consortium, embedded: bool = True) -> list[str]:
    """Make the ledger folder: node secrets, and (embedded) the ledger and its wallet. Returns identities."""
    config = LedgerConfig(Path(folder))
    for node in consortium.nodes:
        config.add_node(node["id"], node["msp_id"])
    names: list[str] = []
    if embedded:
        ledger = init_ledger(folder, [(n["id"], n["msp_id"]) for n in consortium.nodes])
        names = ledger.wallet.names()
        ledger.close()
    config.save()
    return names


def load_consortium(session: Session, consortium: Consortium) -> dict[str, Any]:
    """Registry:Bootstrap as the first node's admin (or --as); repeating it is a no-op."""
    identity = session.identity(consortium.nodes[0]["id"])
    return session.submit(identity, "Registry:Bootstrap", consortium.document).json()
