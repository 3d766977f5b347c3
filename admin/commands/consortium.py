"""``nineten init`` and ``nineten consortium``: the ledger folder and the consortium on chain."""

from pathlib import Path

import click

from . import json_argument, pass_session, progress, show

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
@click.argument("what", type=click.Choice(["nodes", "artists", "clusters", "policies", "splits"]))
@pass_session
def consortium_show(session, what: str) -> None:
    """List the nodes, artists, clusters, policy versions or split sheets on chain."""
    from chaincode.contracts.registry import Registry

    function, columns = {
        "nodes": (Registry.ListNodes, ["id", "cluster", "msp_id", "wallet", "status", "duties"]),
        "artists": (Registry.ListArtists, ["id", "name", "wallet", "isni", "mbids", "aliases", "proposal"]),
        "clusters": (Registry.ListClusters, ["id"]),
        "policies": (Registry.ListPolicies, ["effective_from", "price_micro", "node_share_micro", "top_n",
                                             "min_seconds", "currency", "payouts"]),
        "splits": (Registry.ListSplits, ["artist", "effective_from", "payees", "proposal"]),
    }[what]
    show(session.reader().evaluate(function), columns)


PROPOSAL_COLUMNS = ["id", "kind", "status", "approvals", "proposer", "note"]
KINDS_HELP = """
    \b
    KIND and its JSON payload:
      register_artist    {"id", "name", "wallet", "isni"?, "mbids"?, "aliases"?}  (says how much is held
                         for the id and under the unregistered ids its names derive)
      extend_artist      {"id", "mbids"?, "aliases"?, "isni"?}  (adds identifiers; removes none)
      import_artists     {"register": [artists], "extend": [extensions]}  (at most 500; see
                         `consortium artists import`)
      set_artist_wallet  {"artist_id", "wallet"}
      admit_node         {"id", "cluster", "msp_id", "wallet", "duties"?, "definition_sha256"?}
                         (the organisation's channel definition: `nineten channel define`)
      revoke_node        {"node_id"}
      grant_duty, revoke_duty  {"node_id", "duty": "reviewer" | "arbitrator"}
      set_policy         {"effective_from", "price_micro", "node_share_micro", "top_n", "min_seconds",
                          "currency", "anomalies"?, "until"?}  (only for months with nothing
                          recorded yet: "until" YYYY-MM ends it before a month that has started)
      replace_reviewer   {"month", "node", "role": "peer" | "external", "reviewer"}
      settle_without     {"month", "node"}  (settle the month; hold that node's part until it is reviewed)
      decide_dispute     {"dispute", "decision": "approve" | "reject", "reason"}
      set_split          {"artist_id", "effective_from", "payees": [{"payee": WALLET, "bp": BASIS_POINTS}]}
                         (basis points sum to 10000; from a month not settled yet)
      adjust             {"kind": "chargeback" | "fraud", "month", "node", "listener" | "scope", "reason",
                          "evidence_sha256"}  (see `nineten adjustments --help`)
    A set_policy payload may carry "payouts": {"min_payout_micro", "unclaimed_months",
    "unallocated_to", "unclaimed_to": "next_pool" | "wallet", "consortium_wallet"}.
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


def show_proposal(proposal: dict) -> None:
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
    show_proposal(session.admin(_proposer(session, node)).submit(Registry.Propose, kind, body).json())


@consortium.command("approve")
@click.argument("proposal_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--node", help="Your node (you act as <node>.admin unless --as; default: the first node of "
              "this ledger folder).")
@pass_session
def consortium_approve(session, proposal_ids: tuple[str, ...], node: str | None) -> None:
    """Approve each proposal ID for your node, in order (the proposals of an artist import, for
    example); the approval that makes a majority of the active nodes applies a proposal (refused,
    with the reason, when the ledger no longer allows the change: the proposals after it are not
    approved). Approving again changes nothing."""
    from chaincode.contracts.registry import Registry

    admin = session.admin(_proposer(session, node))
    approved = [admin.submit(Registry.Approve, proposal_id).json() for proposal_id in proposal_ids]
    if len(approved) == 1:
        show_proposal(approved[0])
    else:
        _show_proposals(approved)


@consortium.command("proposals")
@click.option("--status", type=click.Choice(["open", "applied"]), help="Only the proposals with this status.")
@pass_session
def consortium_proposals(session, status: str | None) -> None:
    """The consortium's proposals, by id, with their approvals and status."""
    from chaincode.contracts.registry import Registry

    _show_proposals(session.reader().evaluate(Registry.ListProposals, status or ""))


def _show_proposals(rows: list[dict]) -> None:
    fmt = click.get_current_context().find_root().meta["format"]
    show(rows if fmt == "json" else [{**p, "approvals": ",".join(p["approvals"])} for p in rows],
         PROPOSAL_COLUMNS)


def _import_proposal(session, admin, payload: dict, dry_run: bool) -> dict:
    """The import_artists proposal of ``payload``: as the chain would record it (``dry_run``), as
    it is already open (nothing is written), or as just proposed."""
    from chaincode.contracts.registry import Registry

    from ..errors import NotFoundRejected

    simulated = admin.evaluate(Registry.Propose, "import_artists", payload)
    try:
        existing = session.reader().evaluate(Registry.GetProposal, simulated["id"])
    except NotFoundRejected:
        existing = None
    if dry_run or existing is not None and existing["status"] == "open":
        return existing or simulated
    return admin.submit(Registry.Propose, "import_artists", payload).json()


@consortium.group("artists")
def consortium_artists() -> None:
    """The artist catalogue on chain: artists with their MusicBrainz ids, ISNI and aliases, which
    every node maps its listeners' plays through (MBID first, then exact name or alias)."""


@consortium_artists.command("import")
@click.argument("file", type=FILE)
@click.option("--node", help="Your node, which proposes (you act as <node>.admin unless --as; default: the first "
              "node of this ledger folder).")
@click.option("--dry-run", is_flag=True, help="Check FILE and show the proposals it would make (their ids and "
              "notes, as the chain computes them) without proposing anything.")
@pass_session
def consortium_artists_import(session, file: Path, node: str | None, dry_run: bool) -> None:
    """Propose the artists of FILE: new artists registered, identifiers added to registered ones,
    through the same consortium approval as any artist change (`consortium approve`).

    \b
    FILE is CSV with a header, or JSON lines (.jsonl), with the columns
      id       the ledger artist id (letters, digits, . _ : @ -)
      name     the artist's name (a registered artist keeps its own)
      wallet   the wallet of a new artist (a registered artist's changes by set_artist_wallet)
      mbids    MusicBrainz artist ids (CSV: separated by |; JSON: a list)
      isni     the ISNI (15 digits and a check character)
      aliases  other exact spellings or actor URLs (CSV: separated by |; JSON: a list)
    e.g.  id,name,wallet,mbids,isni,aliases
          ar200,Glass Flowers,usdp:gf,0d3f5a39-7e1c-4c2b-9a51-2f6e8b1c4d70,,Glass Flowers (band)|GF

    \b
    Every row is checked first; a bad row is named by file, line and field, and nothing is
    proposed. The rows, sorted by id, go in import_artists proposals of at most 500 artists each,
    with only what the chain does not hold yet: importing the same file again proposes nothing
    new. Each proposal's note says what money is held for the artists' ids, and under the
    unregistered ids their names derive (plays kept with `listens submit --unmapped keep`), and
    where it goes once applied. Each node approves them: `consortium approve ID... --node N`.
    """
    from chaincode.contracts.registry import Registry

    from ..artist_import import plan, read_rows
    from ..errors import InputError

    proposer = _proposer(session, node)
    result, problems = plan(file, read_rows(file), session.reader().evaluate(Registry.ListArtists))
    if problems:
        for problem in problems:
            click.echo(str(problem.error()), err=True)
        rows = len({p.line for p in problems})
        raise InputError(f"{rows} bad row{'s' if rows != 1 else ''}; nothing was proposed", str(file))
    pending = [p for p in result.payloads if p is not None]
    summary = (f"artists new: {result.registers}, with new identifiers: {result.extends}, already on chain as "
               f"given: {result.unchanged}")
    if not pending:
        click.echo(f"{file}: {summary}; nothing to propose")
        return
    admin, proposals = session.admin(proposer), []
    with progress(len(pending), "checking" if dry_run else "proposing") as bar:
        for payload in pending:
            proposals.append(_import_proposal(session, admin, payload, dry_run))
            bar.update(1)
    _show_proposals(proposals)
    click.echo(f"{file}: {summary}; {len(proposals)} import_artists proposal{'s' if len(proposals) != 1 else ''} "
               + ("would be open (nothing was proposed)" if dry_run else "open"))
    if not dry_run:
        click.echo("each node approves them: nineten consortium approve " + " ".join(p["id"] for p in proposals)
                   + " --node NODE")


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
