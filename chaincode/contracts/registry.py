"""Registry: clusters, nodes, artists, node duties and policy versions.

The consortium is bootstrapped once; afterwards nodes are admitted or revoked, duties granted
and policies set by proposals that a majority of active nodes approve.
"""

from typing import Any

from .. import canonical_json, guards, lookups, records, state, validate
from ..errors import Conflict, InvalidArgument, NotFound
from ..records import Artist, Node
from ..rules import Policy
from ..state import LedgerContext
from .base import LedgerContract

DUTIES = ("reviewer", "arbitrator")
PROPOSAL_KINDS = ("admit_node", "revoke_node", "set_policy", "grant_duty", "revoke_duty")


def _check_node(raw: Any, clusters: set[str]) -> Node:
    if not isinstance(raw, dict):
        raise InvalidArgument("a node must be a JSON object.")
    node = {
        "id": validate.ident("node id", raw.get("id")),
        "cluster": validate.ident("node cluster", raw.get("cluster")),
        "msp_id": validate.ident("node msp_id", raw.get("msp_id")),
        "wallet": validate.ident("node wallet", raw.get("wallet")),
        "status": "active",
        "duties": sorted({validate.choice("node duty", duty, DUTIES)
                          for duty in validate.json_list("node duties", raw.get("duties") or list(DUTIES))}),
    }
    if node["cluster"] not in clusters:
        raise NotFound(f"node {node['id']} names cluster {node['cluster']}, which is not registered.")
    return node


def _check_artist(raw: Any) -> Artist:
    if not isinstance(raw, dict):
        raise InvalidArgument("an artist must be a JSON object.")
    artist = {
        "id": validate.ident("artist id", raw.get("id")),
        "name": validate.text("artist name", raw.get("name"), 300),
        "wallet": validate.ident("artist wallet", raw.get("wallet")),
        "isni": validate.isni(raw["isni"]) if raw.get("isni") else "",
    }
    if not artist["name"]:
        raise InvalidArgument(f"artist {artist['id']} has no name.")
    return artist


async def _put_node(ctx: LedgerContext, node: Node) -> None:
    await state.put(ctx, node, records.NODE, node["id"])
    await state.put(ctx, node["id"], records.NODE_OF_MSP, node["msp_id"])


async def _put_once(ctx: LedgerContext, record: dict, what: str, kind: records.Kind, ident: str) -> bool:
    """Write a record that may not change; True if written, False if already identical."""
    existing = await state.get(ctx, kind, ident)
    if existing == record:
        return False
    if existing is not None:
        raise Conflict(f"{what} {ident} is already registered with other details.")
    await state.put(ctx, record, kind, ident)
    return True


class Registry(LedgerContract):
    """Clusters, nodes, artists, duties and policy versions."""

    Name = "Registry"
    EVALUATE = ("GetNode", "ListNodes", "ListClusters", "GetArtist", "ListArtists",
                "GetPolicy", "ListPolicies", "GetProposal")

    async def Bootstrap(self, ctx: LedgerContext, consortium: str) -> str:
        """Create the consortium once: clusters, nodes, artists and the first policy (admin)."""
        guards.require_role(ctx, "admin")
        data = validate.json_arg("consortium", consortium)
        if not isinstance(data, dict):
            raise InvalidArgument("consortium must be a JSON object.")
        clusters = sorted({validate.ident("cluster id", validate.json_object("a cluster", c).get("id"))
                           for c in validate.json_list("clusters", data.get("clusters", []))})
        nodes = [_check_node(n, set(clusters)) for n in validate.json_list("nodes", data.get("nodes", []))]
        artists = [_check_artist(a) for a in validate.json_list("artists", data.get("artists", []))]
        first_policy = Policy.parse(data.get("policy")).record()
        if not nodes:
            raise InvalidArgument("consortium has no nodes.")
        _refuse_duplicates("node id", [n["id"] for n in nodes])
        _refuse_duplicates("node msp_id", [n["msp_id"] for n in nodes])
        _refuse_duplicates("artist id", [a["id"] for a in artists])
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
            await _put_node(ctx, node)
        for artist in artists:
            await state.put(ctx, artist, records.ARTIST, artist["id"])
        await state.put(ctx, first_policy, records.POLICY, first_policy["effective_from"])
        state.emit(ctx, "Registry.Bootstrap", summary)
        return canonical_json.dumps({"bootstrapped": True, **summary})

    async def RegisterArtist(self, ctx: LedgerContext, artist: str) -> str:
        """Register an artist (id, name, wallet, optional ISNI); repeating it is a no-op (node admin)."""
        await guards.caller_node(ctx, "admin")
        record = _check_artist(validate.json_arg("artist", artist))
        written = await _put_once(ctx, record, "artist", records.ARTIST, record["id"])
        if written:
            state.emit(ctx, "Registry.RegisterArtist", {"artist": record["id"]})
        return canonical_json.dumps({"registered": written, "artist": record})

    async def Propose(self, ctx: LedgerContext, kind: str, payload: str) -> str:
        """Propose a change (admit_node, revoke_node, set_policy, grant_duty, revoke_duty) (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        validate.choice("proposal kind", kind, PROPOSAL_KINDS)
        body = await _check_proposal(ctx, kind, validate.json_arg("payload", payload))
        proposal_id = canonical_json.sha256({"kind": kind, "payload": body})[:16]
        existing = await state.get(ctx, records.PROPOSAL, proposal_id)
        if existing is not None:
            return canonical_json.dumps(existing)
        proposal = {"id": proposal_id, "kind": kind, "payload": body, "proposer": node["id"],
                    "approvals": [], "status": "open"}
        return await _approve(ctx, proposal, node["id"])

    async def Approve(self, ctx: LedgerContext, proposal_id: str) -> str:
        """Approve an open proposal; a majority of active nodes applies it (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        proposal = await _must_get(ctx, records.PROPOSAL, proposal_id)
        if proposal["status"] != "open" or node["id"] in proposal["approvals"]:
            return canonical_json.dumps(proposal)
        return await _approve(ctx, proposal, node["id"])

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

    async def GetProposal(self, ctx: LedgerContext, proposal_id: str) -> str:
        """One proposal with its approvals."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_get(ctx, records.PROPOSAL, proposal_id))


def _refuse_duplicates(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidArgument(f"{what} {value} appears twice.")
        seen.add(value)


async def _must_get(ctx: LedgerContext, kind: records.Kind, ident: str) -> Any:
    return await state.must_get(ctx, f"{kind.name} {ident} does not exist.", kind,
                                validate.ident(f"{kind.name} id", ident))


async def _check_proposal(ctx: LedgerContext, kind: str, payload: Any) -> dict[str, Any]:
    """Validate a proposal's payload against the current registry."""
    if not isinstance(payload, dict):
        raise InvalidArgument("payload must be a JSON object.")
    if kind == "set_policy":
        return Policy.parse(payload).record()
    if kind == "admit_node":
        clusters = {c["id"] for c in await state.records(ctx, records.CLUSTER)} | {payload.get("cluster")}
        node = _check_node(payload, clusters)
        if await state.get(ctx, records.NODE, node["id"]) is not None:
            raise Conflict(f"node {node['id']} already exists.")
        if await state.get(ctx, records.NODE_OF_MSP, node["msp_id"]) is not None:
            raise Conflict(f"organisation {node['msp_id']} is already a node.")
        return node
    node_id = validate.ident("node_id", payload.get("node_id"))
    await _must_get(ctx, records.NODE, node_id)
    if kind == "revoke_node":
        return {"node_id": node_id}
    return {"node_id": node_id, "duty": validate.choice("duty", payload.get("duty"), DUTIES)}


async def _approve(ctx: LedgerContext, proposal: dict[str, Any], node_id: str) -> str:
    """Record an approval and apply the proposal once a majority of active nodes approve."""
    proposal["approvals"] = sorted(set(proposal["approvals"]) | {node_id})
    active = {n["id"] for n in await lookups.active_nodes(ctx)}
    if 2 * len(active & set(proposal["approvals"])) > len(active):
        await _apply(ctx, proposal["kind"], proposal["payload"])
        proposal["status"] = "applied"
    await state.put(ctx, proposal, records.PROPOSAL, proposal["id"])
    state.emit(ctx, "Registry.Proposal", {"id": proposal["id"], "status": proposal["status"],
                                          "approvals": proposal["approvals"]})
    return canonical_json.dumps(proposal)


async def _apply(ctx: LedgerContext, kind: str, payload: dict[str, Any]) -> None:
    if kind == "set_policy":
        await state.put(ctx, payload, records.POLICY, payload["effective_from"])
    elif kind == "admit_node":
        if await state.get(ctx, records.CLUSTER, payload["cluster"]) is None:
            await state.put(ctx, {"id": payload["cluster"]}, records.CLUSTER, payload["cluster"])
        await _put_node(ctx, payload)
    else:
        node = await state.get(ctx, records.NODE, payload["node_id"])
        if kind == "revoke_node":
            node["status"] = "revoked"
        elif kind == "grant_duty":
            node["duties"] = sorted(set(node["duties"]) | {payload["duty"]})
        else:
            node["duties"] = sorted(set(node["duties"]) - {payload["duty"]})
        await _put_node(ctx, node)
