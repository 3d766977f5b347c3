"""``nineten invoke`` and ``nineten query``: ad hoc chaincode calls, as Fabric's ``peer chaincode``."""

import json

import click

from . import pass_session

_HELP_TAIL = """
    \b
    The answer is printed as the chaincode returns it (canonical JSON), indented with
    --format json. A refusal prints the chaincode's sentence and exits 3; every contract
    and function, with its arguments, is listed by `nineten query org.hyperledger.fabric:GetMetadata`.
"""


def _call(session, function: str, args: tuple[str, ...], submit: bool) -> None:
    from ..errors import InputError

    contract, sep, name = function.partition(":")
    if not (sep and contract and name):
        raise InputError(f"{function!r} is not CONTRACT:FUNCTION (for example Settlement:GetSettlement).")
    if submit:
        payload = session.acting(session.as_identity or _first_admin(session)).submit(function, *args).payload
    else:
        reader = session.reader()
        payload = reader.client.evaluate(reader.identity, function, *args)
    click.echo(_shown(payload, click.get_current_context().find_root().meta["format"]))


def _first_admin(session) -> str:
    from ..errors import ConfigError

    nodes = sorted(session.config.nodes)
    if not nodes:
        raise ConfigError(f"no node in {session.folder}; pass --as IDENTITY.")
    return session.identity(nodes[0], "admin")


def _shown(payload: str, fmt: str) -> str:
    """The payload as is, or indented JSON with --format json (a payload that is not JSON as is)."""
    if fmt != "json" or not payload:
        return payload
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        return payload


@click.command(help="""Submit FUNCTION (CONTRACT:FUNCTION) with ARGS as a transaction: endorsed,
    ordered and committed, as `peer chaincode invoke` does. Acts as --as, by default the admin of
    the first node of this ledger folder.

    \b
    Example:
      nineten --as n2.admin invoke Registry:Approve 3f1c9a0b2d4e6f80
""" + _HELP_TAIL)
@click.argument("function", metavar="CONTRACT:FUNCTION")
@click.argument("args", nargs=-1)
@pass_session
def invoke(session, function: str, args: tuple[str, ...]) -> None:
    _call(session, function, args, submit=True)


@click.command(help="""Evaluate FUNCTION (CONTRACT:FUNCTION) with ARGS: run on one peer, nothing
    written, as `peer chaincode query` does. Acts as --as, by default the first auditor of the wallet.

    \b
    Example:
      nineten query Settlement:ListPayouts 2026-10
""" + _HELP_TAIL)
@click.argument("function", metavar="CONTRACT:FUNCTION")
@click.argument("args", nargs=-1)
@pass_session
def query(session, function: str, args: tuple[str, ...]) -> None:
    _call(session, function, args, submit=False)


COMMANDS = [invoke, query]
