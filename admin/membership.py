"""The registry decides who is in the channel: a node the consortium admitted is an organisation of
the channel, a revoked node is not. What a channel update may do is what the registry decided, and
what differs between the two is reported (``nineten consortium check``).

Pure functions over the registry's records (``Registry:ListNodes``, ``Registry:ListProposals``) and
the channel's organisations (MSP id -> the definition its config group carries, and whether the
group is exactly that definition's).
"""

from dataclasses import dataclass
from typing import Any

from .errors import ConflictRejected

#: The function name a refused channel update is reported under.
CHANNEL_UPDATE = "channel update"


@dataclass(frozen=True)
class ChannelOrg:
    """An organisation of the channel's Application group."""

    msp_id: str
    definition_sha256: str
    standard: bool          # its group is exactly its definition's (nobody changed it since)


def node_of(nodes: list[dict[str, Any]], msp_id: str) -> dict[str, Any] | None:
    """The registry's node of organisation ``msp_id``."""
    return next((n for n in nodes if n["msp_id"] == msp_id), None)


def _applied(proposals: list[dict[str, Any]], kind: str, matches) -> dict[str, Any] | None:
    """The last applied proposal of ``kind`` whose payload ``matches``."""
    found = [p for p in proposals if p["kind"] == kind and p["status"] == "applied" and matches(p["payload"])]
    return max(found, key=lambda p: p.get("round", 0)) if found else None


def admission(nodes: list[dict[str, Any]], proposals: list[dict[str, Any]], msp_id: str,
              definition_sha256: str) -> dict[str, Any]:
    """The applied admit_node proposal that lets the organisation ``msp_id`` with this definition
    join the channel; ConflictRejected saying why not."""
    node = node_of(nodes, msp_id)
    proposal = _applied(proposals, "admit_node", lambda payload: payload.get("msp_id") == msp_id)
    if node is None or proposal is None:
        raise ConflictRejected(CHANNEL_UPDATE, f"the registry has no applied admit_node proposal for {msp_id}; "
                                               "the consortium admits an organisation before the channel does.")
    if node["status"] != "active":
        raise ConflictRejected(CHANNEL_UPDATE, f"node {node['id']} of {msp_id} is {node['status']}; "
                                               "its organisation may not join the channel.")
    approved = proposal["payload"].get("definition_sha256")
    if not approved:
        raise ConflictRejected(CHANNEL_UPDATE, f"admit_node proposal {proposal['id']} names no definition_sha256, "
                                               f"so nothing says which {msp_id} the consortium admitted; "
                                               "admit it with the SHA-256 `nineten channel define` prints.")
    if approved != definition_sha256:
        raise ConflictRejected(CHANNEL_UPDATE, f"the consortium admitted {msp_id} with the definition "
                                               f"{approved}, not this one ({definition_sha256}).")
    return proposal


def removal(nodes: list[dict[str, Any]], proposals: list[dict[str, Any]], msp_id: str) -> dict[str, Any] | None:
    """The applied revoke_node proposal that takes the organisation ``msp_id`` out of the channel
    (None for an organisation no node has: nothing keeps it in); ConflictRejected saying why not."""
    node = node_of(nodes, msp_id)
    if node is None:
        return None
    proposal = _applied(proposals, "revoke_node", lambda payload: payload.get("node_id") == node["id"])
    if node["status"] != "revoked" or proposal is None:
        raise ConflictRejected(CHANNEL_UPDATE, f"node {node['id']} of {msp_id} is {node['status']}: the registry "
                                               "has no applied revoke_node proposal for it.")
    return proposal


def mismatches(nodes: list[dict[str, Any]], channel: dict[str, ChannelOrg], orderers: set[str],
               channel_name: str) -> list[str]:
    """Every way the registry and the channel's organisations (``channel``; ``orderers``: those of
    its ordering service) disagree, one sentence each."""
    found = []
    for node in sorted(nodes, key=lambda n: n["msp_id"]):
        msp_id, org = node["msp_id"], channel.get(node["msp_id"])
        if node["status"] == "active" and org is None:
            found.append(f"{msp_id}: node {node['id']} is active in the registry but not an organisation "
                         f"of channel {channel_name}.")
        elif node["status"] != "active" and org is not None:
            found.append(f"{msp_id}: node {node['id']} is {node['status']} in the registry but still an "
                         f"organisation of channel {channel_name}.")
        if node["status"] != "active" and msp_id in orderers:
            found.append(f"{msp_id}: node {node['id']} is {node['status']} in the registry but still runs a "
                         f"consenter of channel {channel_name}'s ordering service.")
        approved = node.get("definition_sha256")
        if node["status"] == "active" and org is not None and approved and (
                org.definition_sha256 != approved or not org.standard):
            found.append(f"{msp_id}: the channel's definition of the organisation ({org.definition_sha256}"
                         f"{'' if org.standard else ', changed since it was added'}) is not the one the "
                         f"consortium admitted ({approved}).")
    known = {n["msp_id"] for n in nodes}
    found += [f"{msp_id}: an organisation of channel {channel_name} that no node of the registry has."
              for msp_id in sorted(set(channel) - known)]
    return found
