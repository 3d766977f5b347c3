"""Registry: clusters, nodes, artists, node duties, policy versions and consortium proposals.

The consortium is bootstrapped once; afterwards every change — a node admitted or revoked, a
duty, a policy, an artist registered or its wallet changed, a reviewer replaced, a month settled
without a node, a dispute decided — is a proposal that a majority of active nodes approve
(:mod:`chaincode.governance`).
"""

from typing import Any

from .. import artists as artist_records
from .. import canonical_json, governance, guards, lookups, records, state, validate
from ..errors import Conflict, InvalidArgument
from ..rules import Policy
from ..state import LedgerContext
from .base import LedgerContract

PROPOSAL_STATUSES = ("open", "applied")


class Registry(LedgerContract):
    """Clusters, nodes, artists, duties, policy versions, and the proposals that change them."""

    Name = "Registry"
    EVALUATE = ("GetNode", "ListNodes", "ListClusters", "GetArtist", "ListArtists",
                "GetPolicy", "ListPolicies", "GetProposal", "ListProposals", "ListSplits")

    async def Bootstrap(self, ctx: LedgerContext, consortium: str) -> str:
        """Create the consortium once: clusters, nodes, artists and the first policy (admin)."""
        guards.require_role(ctx, "admin")
        data = validate.json_arg("consortium", consortium)
        if not isinstance(data, dict):
            raise InvalidArgument("consortium must be a JSON object.")
        clusters = sorted({validate.ident("cluster id", validate.json_object("a cluster", c).get("id"))
                           for c in validate.json_list("clusters", data.get("clusters", []))})
        nodes = [governance.check_node(n, set(clusters)) for n in validate.json_list("nodes", data.get("nodes", []))]
        artists = [artist_records.check_artist(a) for a in validate.json_list("artists", data.get("artists", []))]
        first_policy = Policy.parse(data.get("policy")).record()
        if "until" in first_policy:
            raise InvalidArgument("the first policy has no until: every month from its effective_from needs a policy.")
        if not nodes:
            raise InvalidArgument("consortium has no nodes.")
        _refuse_duplicates("node id", [n["id"] for n in nodes])
        _refuse_duplicates("node msp_id", [n["msp_id"] for n in nodes])
        _refuse_duplicates("artist id", [a["id"] for a in artists])
        _refuse_duplicates("artist mbid", [m for a in artists for m in a["mbids"]])
        if ctx.caller.msp_id not in {n["msp_id"] for n in nodes}:
            raise InvalidArgument(f"the bootstrapping organisation {ctx.caller.msp_id} is not among the nodes.")
        summary = {"clusters": clusters, "nodes": [n["id"] for n in nodes],
                   "artists": len(artists), "policy": first_policy["effective_from"]}
        existing = await state.get(ctx, records.CONSORTIUM)
        if existing == summary:
            return canonical_json.dumps({"bootstrapped": False, **summary})
        if existing is not None:
            raise Conflict("the consortium is already bootstrapped with other content; use proposals to change it.")
        await state.put(ctx, summary, records.CONSORTIUM)
        for cluster in clusters:
            await state.put(ctx, {"id": cluster}, records.CLUSTER, cluster)
        for node in nodes:
            await governance.put_node(ctx, node)
        await artist_records.put_artists(ctx, [(artist, None) for artist in artists])
        await state.put(ctx, first_policy, records.POLICY, first_policy["effective_from"])
        state.emit(ctx, "Registry.Bootstrap", summary)
        return canonical_json.dumps({"bootstrapped": True, **summary})

    async def Propose(self, ctx: LedgerContext, kind: str, payload: str) -> str:
        """Propose a consortium change (one of :data:`chaincode.governance.KINDS`) with the
        proposer's approval; the same open proposal again is a no-op (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        proposal, _ = await governance.propose(ctx, node["id"], kind, validate.json_arg("payload", payload))
        return canonical_json.dumps(proposal)

    async def Approve(self, ctx: LedgerContext, proposal_id: str) -> str:
        """Approve an open proposal; a majority of active nodes applies it; approving again is a
        no-op (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        proposal = await _must_get(ctx, records.PROPOSAL, proposal_id)
        if proposal["status"] != "open" or node["id"] in proposal["approvals"]:
            return canonical_json.dumps(proposal)
        return canonical_json.dumps(await governance.approve(ctx, proposal, node["id"]))

    async def GetNode(self, ctx: LedgerContext, node_id: str) -> str:
        """One node."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_get(ctx, records.NODE, node_id))

    async def ListNodes(self, ctx: LedgerContext) -> str:
        """Every node, by id."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.NODE))

    async def ListClusters(self, ctx: LedgerContext) -> str:
        """Every cluster, by id."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.CLUSTER))

    async def GetArtist(self, ctx: LedgerContext, artist_id: str) -> str:
        """One artist."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_get(ctx, records.ARTIST, artist_id))

    async def ListArtists(self, ctx: LedgerContext) -> str:
        """Every registered artist, by id."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.ARTIST))

    async def GetPolicy(self, ctx: LedgerContext, month: str) -> str:
        """The policy in force for a month."""
        await guards.require_member(ctx)
        return canonical_json.dumps((await lookups.policy_for(ctx, validate.month(month))).record())

    async def ListPolicies(self, ctx: LedgerContext) -> str:
        """Every policy version, oldest first."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.POLICY))

    async def ListSplits(self, ctx: LedgerContext) -> str:
        """Every split sheet, by artist then month it takes effect from."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.SPLIT))

    async def GetProposal(self, ctx: LedgerContext, proposal_id: str) -> str:
        """One proposal with its approvals."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_get(ctx, records.PROPOSAL, proposal_id))

    async def ListProposals(self, ctx: LedgerContext, status: str) -> str:
        """Every proposal with ``status`` (open or applied; "" for all), by id."""
        await guards.require_member(ctx)
        if status:
            validate.choice("status", status, PROPOSAL_STATUSES)
        return canonical_json.dumps([p for p in await state.records(ctx, records.PROPOSAL)
                                     if not status or p["status"] == status])


def _refuse_duplicates(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidArgument(f"{what} {value} appears twice.")
        seen.add(value)


async def _must_get(ctx: LedgerContext, kind: records.Kind, ident: str) -> Any:
    return await state.must_get(ctx, f"{kind.name} {ident} does not exist.", kind,
                                validate.ident(f"{kind.name} id", ident))
