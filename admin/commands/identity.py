"""``nineten identity``: identities of a Fabric network's organisations, from their Fabric CAs."""

import click

from ..errors import ConfigError, InputError
from . import pass_session, show


def _node_and_role(name: str) -> tuple[str, str]:
    from chaincode.identity import ROLES

    node, _, role = name.rpartition(".")
    if not node or role not in ROLES:
        raise InputError(f"identity {name!r} is not <node>.<role> with a role among {', '.join(ROLES)}.")
    return node, role


def _ca(session, node: str):
    """The Fabric CA of ``node``'s organisation (its msp_id in the ledger folder's config)."""
    if session.gateway_profile is None:
        raise ConfigError("identities are registered at a Fabric network's CAs: pass --gateway PROFILE "
                          "(the embedded ledger's identities are made by `nineten init`).")
    from ..fabric.setup import node_cas

    nodes = session.config.nodes
    if node not in nodes:
        raise ConfigError(f"node {node!r} is not in the ledger folder {session.folder} "
                          f"(it has: {', '.join(sorted(nodes)) or 'none'}); run `nineten init` first.")
    return node_cas([{"id": node, "msp_id": nodes[node]["msp_id"]}], session.gateway_profile)[node]


@click.group()
def identity() -> None:
    """Identities <node>.<role> (role: admin, reviewer, arbitrator, auditor) on a Fabric network.

    \b
    Each is registered at the Fabric CA of the node's organisation (from the connection profile,
    matched by the node's msp_id) with the attribute nineten.role=<role> in its enrollment
    certificate, then enrolled into <ledger>/wallet under the same name, so `--as n1.reviewer`
    works as on the embedded ledger. `nineten init --gateway PROFILE` does both for every node:
      nineten --gateway P identity register n1.reviewer      (prints the enrollment secret)
      nineten --gateway P identity enroll n1.reviewer --secret SECRET
    """


@identity.command("register")
@click.argument("name", metavar="NODE.ROLE")
@click.option("--secret", help="Enrollment secret to set (default: the CA makes one up and it is printed).")
@pass_session
def identity_register(session, name: str, secret: str | None) -> None:
    """Register NODE.ROLE at its organisation's CA as the profile's registrar. Registering it again
    with the same role changes nothing; with another role it is refused."""
    node, role = _node_and_role(name)
    ca = _ca(session, node)
    issued = ca.register(name, role, secret)
    if issued is None:
        click.echo(f"{name} is already registered at {ca.name} ({ca.msp_id}) with nineten.role={role}; "
                   "nothing changed.")
        return
    click.echo(f"registered {name} at {ca.name} ({ca.msp_id}) with nineten.role={role}")
    click.echo(f"enrollment secret: {issued}")
    click.echo(f"next: nineten --gateway {session.gateway_profile} --ledger {session.folder} "
               f"identity enroll {name} --secret {issued}")


@identity.command("enroll")
@click.argument("name", metavar="NODE.ROLE")
@click.option("--secret", required=True, help="The enrollment secret given at registration.")
@pass_session
def identity_enroll(session, name: str, secret: str) -> None:
    """Enroll NODE.ROLE at its organisation's CA: a new key made here and a certificate, stored in
    the wallet as NODE.ROLE (replacing an older one of that name)."""
    from ..wallet import Wallet

    node, _ = _node_and_role(name)
    ca = _ca(session, node)
    enrolled = ca.enroll(name, name, secret)
    Wallet(session.folder / "wallet").put(enrolled)
    click.echo(f"enrolled {name} at {ca.name}: {enrolled.msp_id} certificate with "
               f"nineten.role={enrolled.caller.role}, in {session.folder / 'wallet'}")


@identity.command("list")
@pass_session
def identity_list(session) -> None:
    """The wallet's identities with their organisation and role (either backend)."""
    from ..wallet import Wallet

    wallet = Wallet(session.folder / "wallet")
    rows = [{"name": n, "msp_id": i.msp_id, "role": i.caller.role} for n in wallet.names()
            for i in [wallet.get(n)]]
    show(rows, ["name", "msp_id", "role"])


COMMANDS = [identity]
