"""``nineten init`` and ``nineten consortium``: the ledger folder and the consortium on chain."""

from pathlib import Path

import click

from . import pass_session, show

FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.command()
@click.option("--consortium", "consortium_file", type=FILE, required=True,
              help="consortium.yaml naming the clusters, nodes and artists.")
@pass_session
def init(session, consortium_file: Path) -> None:
    """Create the ledger folder: each node's pseudonymisation secret (config.yaml) and a wallet with
    <node>.admin, <node>.reviewer, <node>.arbitrator and <node>.auditor identities, each carrying its
    role in the certificate attribute nineten.role. Nothing is written on chain until `consortium load`.

    
    Embedded (default): an embedded ledger and one local CA per node's organisation.
    With --gateway PROFILE: no local CA; each identity is registered and enrolled at the Fabric CA
    of the network organisation whose msp_id the node has in CONSORTIUM (see `identity --help`).
    Node secrets already in <ledger>/config.yaml are kept, so pseudonyms stay the same.
    """
    from ..bootstrap import init_folder
    from ..inputs import read_consortium

    consortium = read_consortium(consortium_file, "2000-01")
    names = init_folder(session.folder, consortium, session.gateway_profile)
    click.echo(f"ledger folder {session.folder} created with {len(names)} identities: {', '.join(names)}")
    gateway = f" --gateway {session.gateway_profile}" if session.gateway_profile else ""
    click.echo(f"next: nineten --ledger {session.folder}{gateway} consortium load {consortium_file}")


@click.group()
def consortium() -> None:
    """The consortium on chain: clusters, nodes, artists and policy."""


@consortium.command("load")
@click.argument("consortium_file", type=FILE)
@click.option("--effective-from", default="2000-01", show_default=True, metavar="YYYY-MM",
              help="First month the file's policy applies to.")
@pass_session
def consortium_load(session, consortium_file: Path, effective_from: str) -> None:
    """Bootstrap the consortium from CONSORTIUM_FILE (once; loading the same file again is a no-op)."""
    from ..bootstrap import load_consortium
    from ..inputs import read_consortium

    result = load_consortium(session, read_consortium(consortium_file, effective_from))
    verb = "bootstrapped" if result["bootstrapped"] else "already bootstrapped with this content (nothing written)"
    click.echo(f"consortium {verb}: {len(result['clusters'])} clusters, {len(result['nodes'])} nodes, "
               f"{result['artists']} artists, policy from {result['policy']}")


@consortium.command("show")
@click.argument("what", type=click.Choice(["nodes", "artists", "clusters", "policies"]))
@pass_session
def consortium_show(session, what: str) -> None:
    """List the nodes, artists, clusters or policy versions on chain."""
    from chaincode.contracts.registry import Registry

    function, columns = {
        "nodes": (Registry.ListNodes, ["id", "cluster", "msp_id", "wallet", "status", "duties"]),
        "artists": (Registry.ListArtists, ["id", "name", "wallet", "isni"]),
        "clusters": (Registry.ListClusters, ["id"]),
        "policies": (Registry.ListPolicies, ["effective_from", "price_micro", "node_share_micro", "top_n",
                                             "min_seconds", "currency"]),
    }[what]
    show(session.reader().evaluate(function), columns)


COMMANDS = [init, consortium]
