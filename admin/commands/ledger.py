"""``nineten ledger``: integrity of the embedded ledger, and the world state of either backend."""

import click

from ..errors import ConfigError
from . import pass_session


@click.group()
def ledger() -> None:
    """The embedded ledger's block log; the world state's hash on either backend."""


@ledger.command("verify")
@pass_session
def ledger_verify(session) -> None:
    """Re-walk the hash chain: block links and hashes, every signature, and the world state and key
    history replayed from the blocks. Exits 1 if anything does not match."""
    ledger = _embedded(session)
    checked, problems = ledger.verify()
    for problem in problems:
        click.echo(f"MISMATCH {problem}")
    if problems:
        raise SystemExit(1)
    click.echo(f"ledger verified: {checked} blocks, hash chain intact, world state {ledger.state_hash()}")


@ledger.command("state-hash")
@pass_session
def ledger_state_hash(session) -> None:
    """Print the SHA-256 of the whole world state (every key and value in key order), read through
    the chaincode's WorldState:Page query, so the embedded ledger and a Fabric network compare."""
    from ..embedded.store import state_digest
    from ..worldstate import world_state

    click.echo(state_digest(world_state(session)))


def _embedded(session):
    from ..embedded.ledger import EmbeddedLedger

    if not isinstance(session.gateway, EmbeddedLedger):
        raise ConfigError("ledger verify checks the embedded ledger; on Fabric the peers validate blocks.")
    return session.gateway


COMMANDS = [ledger]
