"""``nineten ledger``: integrity of the embedded ledger, and the world state of either backend."""

import click

from . import pass_session


@click.group()
def ledger() -> None:
    """The embedded ledger's block log; the world state's hash on either backend."""


@ledger.command("verify")
@pass_session
def ledger_verify(session) -> None:
    """Re-walk the hash chain: block links and hashes, every signature, and the world state and key
    history replayed from the blocks. Exits 1 if anything does not match."""
    from ..errors import CheckFailed, ConfigError

    chain = session.client.local_chain()
    if chain is None:
        raise ConfigError("ledger verify checks the embedded ledger; on Fabric the peers validate blocks.")
    checked, problems = chain.verify()
    for problem in problems:
        click.echo(f"MISMATCH {problem}")
    if problems:
        raise CheckFailed()
    click.echo(f"ledger verified: {checked} blocks, hash chain intact, world state {session.client.state_hash()}")


@ledger.command("state-hash")
@pass_session
def ledger_state_hash(session) -> None:
    """Print the SHA-256 of the whole world state (every key and value in key order), read through
    the chaincode's WorldState:Page query, so the embedded ledger and a Fabric network compare."""
    from ..client import state_digest

    click.echo(state_digest(session.reader().world_state()))


COMMANDS = [ledger]
