"""Creating a ledger folder and bootstrapping the consortium on chain."""

from pathlib import Path
from typing import Any

from .config import CONFIG_FILE, LedgerConfig
from .embedded.ledger import LEDGER_FILE
from .embedded.setup import init_ledger
from .errors import ConfigError
from .inputs import Consortium
from .session import Session
from .wallet import Wallet


def holds_ledger(folder: Path) -> bool:
    """Whether ``folder`` already holds a ledger: an embedded ledger or a wallet of identities."""
    return (Path(folder) / LEDGER_FILE).exists() or bool(Wallet(Path(folder) / "wallet").names())


def init_folder(folder: Path, consortium: Consortium, gateway_profile: Path | None = None) -> list[str]:
    """Make the ledger folder: node secrets, and the identities (enrolled at the network's CAs with
    ``gateway_profile``, else an embedded ledger with a CA per node). Returns the identities.

    Node secrets and the payment key already in ``<folder>/config.yaml`` are kept: pseudonyms and
    payment hashes must not change.
    """
    folder = Path(folder)
    if holds_ledger(folder):
        raise ConfigError(f"a ledger already exists at {folder}; choose another --ledger or remove it.")
    config = LedgerConfig.load(folder) if (folder / CONFIG_FILE).exists() else LedgerConfig(folder)
    for node in consortium.nodes:
        config.add_node(node["id"], node["msp_id"])
    config.add_payment_key()
    if gateway_profile is not None:
        from .fabric.setup import enroll_identities

        names = enroll_identities(folder, consortium.nodes, gateway_profile)
    else:
        ledger = init_ledger(folder, [(n["id"], n["msp_id"]) for n in consortium.nodes])
        names = ledger.wallet.names()
        ledger.close()
    config.save()
    return names


def load_consortium(session: Session, consortium: Consortium) -> dict[str, Any]:
    """Registry:Bootstrap as the first node's admin (or --as); repeating it is a no-op."""
    from chaincode.contracts.registry import Registry

    return session.admin(consortium.nodes[0]["id"]).submit(Registry.Bootstrap, consortium.document).json()
