"""``nineten ledger``: integrity of the embedded ledger, and the world state of either backend."""

import click

from . import pass_session


@click.group()
def ledger() -> None:
    """The embedded ledger's block log; the world state's hash on either backend."""


@ledger.command("verify")
@pass_session
def ledger_verify(session) -> None:
    """Re-execute the embedded ledger: every block's signed proposal is run again against the state
    replayed from the blocks before it, and its reads, writes, response and event compared with the
    block's; block links and hashes, signatures and certificates, transaction ids and timestamps are
    checked, then the world state and key history against the replay. Each problem is a MISMATCH
    line; exits 1 if there is one.

    
    It prints the head (height and hash of the last block): a copy whose last blocks were removed
    with their writes re-executes clean, so compare the head with another copy (another node's, a
    backup, an audit document's block) to catch a truncated tail.
    """
    from ..errors import CheckFailed, ConfigError

    chain = session.client.local_chain()
    if chain is None:
        raise ConfigError("ledger verify checks the embedded ledger; on Fabric the peers validate blocks.")
    check = chain.verify()
    for problem in check.problems:
        click.echo(f"MISMATCH {problem}")
    click.echo(f"head: height {check.height}, hash {check.head}")
    if check.problems:
        raise CheckFailed(f"the ledger does not re-execute to what it holds: {len(check.problems)} problem(s).")
    click.echo(f"ledger verified: {check.height} blocks re-executed, hash chain intact, "
               f"world state {session.client.state_hash()}")


@ledger.command("state-hash")
@pass_session
def ledger_state_hash(session) -> None:
    """Print the SHA-256 of the whole world state (every key and value in key order), read through
    the chaincode's WorldState:Page query, so the embedded ledger and a Fabric network compare."""
    from ..client import state_digest

    click.echo(state_digest(session.reader().world_state()))


COMMANDS = [ledger]
