"""``nineten init`` and ``nineten consortium``: the ledger folder and the consortium on chain."""

from pathlib import Path

import click

from . import json_argument, pass_session, show

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
    """The consortium on chain: clusters, nodes, artists, policy, and the proposals that change them.

    \b
    No node changes the consortium alone: one node proposes, a majority of the active nodes
    approves (`consortium propose`, `consortium approve`), and the change applies with the
    approval that makes the majority.
    """


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
        "artists": (Registry.ListArtists, ["id", "name", "wallet", "isni", "proposal"]),
        "clusters": (Registry.ListClusters, ["id"]),
        "policies": (Registry.ListPolicies, ["effective_from", "price_micro", "node_share_micro", "top_n",
                                             "min_seconds", "currency"]),
    }[what]
    show(session.reader().evaluate(function), columns)


PROPOSAL_COLUMNS = ["id", "kind", "status", "approvals", "proposer", "note"]
KINDS_HELP = """
    \b
    KIND and its JSON payload:
      register_artist    {"id", "name", "wallet", "isni"?}  (says how much is held for the id)
      set_artist_wallet  {"artist_id", "wallet"}
      admit_node         {"id", "cluster", "msp_id", "wallet", "duties"?, "definition_sha256"?}
                         (the organisation's channel definition: `nineten channel define`)
      revoke_node        {"node_id"}
      grant_duty, revoke_duty  {"node_id", "duty": "reviewer" | "arbitrator"}
      set_policy         {"effective_from", "price_micro", "node_share_micro", "top_n", "min_seconds",
                          "currency", "anomalies"?}  (only from a month with nothing recorded yet)
      replace_reviewer   {"month", "node", "role": "peer" | "external", "reviewer"}
      settle_without     {"month", "node"}  (settle the month; hold that node's part until it is reviewed)
      decide_dispute     {"dispute", "decision": "approve" | "reject", "reason"}
"""


def _proposer(session, node: str | None) -> str:
    """The node acting: --node, else the first node of this ledger folder."""
    from ..errors import ConfigError

    if node is not None:
        return node
    nodes = sorted(session.config.nodes)
    if not nodes:
        raise ConfigError(f"no node in {session.folder}; pass --node NODE.")
    return nodes[0]


def _show_proposal(proposal: dict) -> None:
    fmt = click.get_current_context().find_root().meta["format"]
    if fmt == "json":
        show(proposal)
        return
    show([{**proposal, "approvals": ",".join(proposal["approvals"])}], PROPOSAL_COLUMNS)


@consortium.command("propose", help="""Propose a consortium change of KIND with the JSON PAYLOAD (inline or
    @FILE), approved by your node; it applies once a majority of the active nodes approve it. The
    proposal is printed with its id (`--format json` for the whole record); proposing the same
    open change again changes nothing.
""" + KINDS_HELP)
@click.argument("kind")
@click.argument("payload", metavar="JSON|@FILE")
@click.option("--node", help="Your node (you act as <node>.admin unless --as; default: the first node of "
              "this ledger folder).")
@pass_session
def consortium_propose(session, kind: str, payload: str, node: str | None) -> None:
    from chaincode.contracts.registry import Registry

    body = json_argument(payload, "PAYLOAD")
    _show_proposal(session.admin(_proposer(session, node)).submit(Registry.Propose, kind, body).json())


@consortium.command("approve")
@click.argument("proposal_id", metavar="ID")
@click.option("--node", help="Your node (you act as <node>.admin unless --as; default: the first node of "
              "this ledger folder).")
@pass_session
def consortium_approve(session, proposal_id: str, node: str | None) -> None:
    """Approve proposal ID for your node; the approval that makes a majority of the active nodes
    applies it (refused, with the reason, when the ledger no longer allows the change).
    Approving again changes nothing."""
    from chaincode.contracts.registry import Registry

    _show_proposal(session.admin(_proposer(session, node)).submit(Registry.Approve, proposal_id).json())


@consortium.command("proposals")
@click.option("--status", type=click.Choice(["open", "applied"]), help="Only the proposals with this status.")
@pass_session
def consortium_proposals(session, status: str | None) -> None:
    """The consortium's proposals, by id, with their approvals and status."""
    from chaincode.contracts.registry import Registry

    rows = session.reader().evaluate(Registry.ListProposals, status or "")
    fmt = click.get_current_context().find_root().meta["format"]
    show(rows if fmt == "json" else [{**p, "approvals": ",".join(p["approvals"])} for p in rows],
         PROPOSAL_COLUMNS)


@consortium.command("check")
@pass_session
def consortium_check(session) -> None:
    """Check that the registry and the Fabric channel's configuration agree: every active node's
    organisation is in the channel (with the definition its admission named), no revoked node's
    organisation is, and every organisation of the channel is a node's. Each mismatch is one line;
    exits 1 when there is one."""
    from ..errors import CheckFailed
    from ..fabric import channel, configtx
    from ..membership import mismatches

    reader = session.reader()
    config = channel.read_config(reader)
    nodes, _ = channel.registry(reader)
    orgs = channel.organisations(config)
    name = channel.fabric_client(reader).channel
    found = mismatches(nodes, orgs, set(configtx.orderer_orgs(config.channel_group)), name)
    for line in found:
        click.echo(line)
    if found:
        raise CheckFailed()
    active = sum(n["status"] == "active" for n in nodes)
    click.echo(f"the registry and channel {name} agree: {len(orgs)} organisations, the {active} active nodes' "
               f"(configuration {config.sequence})")


COMMANDS = [init, consortium]
