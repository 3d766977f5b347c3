"""The registry decides who is in the channel (admin.membership) and the admit_node proposal names
the organisation's definition (chaincode.governance)."""

import json

import pytest

from admin.errors import ConflictRejected
from admin.membership import ChannelOrg, admission, mismatches, removal
from conftest import refused

SHA = "d" * 64
OTHER = "e" * 64


def node(node_id: str, msp_id: str, status: str = "active", **extra) -> dict:
    return {"id": node_id, "msp_id": msp_id, "status": status, **extra}


def proposal(kind: str, payload: dict, status: str = "applied", round_: int = 0) -> dict:
    return {"id": f"{kind[:4]}{round_}", "kind": kind, "payload": payload, "status": status, "round": round_,
            "approvals": ["n1", "n2", "n3"]}


ADMIT = proposal("admit_node", {"id": "n5", "msp_id": "Org5MSP", "definition_sha256": SHA})
REVOKE = proposal("revoke_node", {"node_id": "n5"})


def test_admission_needs_the_applied_proposal_with_this_definition():
    nodes = [node("n1", "Org1MSP"), node("n5", "Org5MSP", definition_sha256=SHA)]
    assert admission(nodes, [ADMIT], "Org5MSP", SHA) == ADMIT
    cases = [
        (nodes[:1], [], "the registry has no applied admit_node proposal for Org5MSP; the consortium admits an "
                        "organisation before the channel does."),
        (nodes, [{**ADMIT, "status": "open"}], "the registry has no applied admit_node proposal for Org5MSP; the "
                                               "consortium admits an organisation before the channel does."),
        ([nodes[0], node("n5", "Org5MSP", "revoked")], [ADMIT],
         "node n5 of Org5MSP is revoked; its organisation may not join the channel."),
        (nodes, [proposal("admit_node", {"id": "n5", "msp_id": "Org5MSP"})],
         "admit_node proposal admi0 names no definition_sha256, so nothing says which Org5MSP the consortium "
         "admitted; admit it with the SHA-256 `nineten channel define` prints."),
    ]
    for registry, proposals, sentence in cases:
        with pytest.raises(ConflictRejected) as caught:
            admission(registry, proposals, "Org5MSP", SHA)
        assert caught.value.message == sentence
    with pytest.raises(ConflictRejected) as caught:
        admission(nodes, [ADMIT], "Org5MSP", OTHER)
    assert caught.value.message == f"the consortium admitted Org5MSP with the definition {SHA}, not this one ({OTHER})."


def test_removal_needs_the_node_revoked_by_an_applied_proposal():
    revoked = [node("n5", "Org5MSP", "revoked")]
    assert removal(revoked, [ADMIT, REVOKE], "Org5MSP") == REVOKE
    assert removal(revoked, [], "Org9MSP") is None   # no node has it: nothing keeps it in
    for registry, proposals in (([node("n5", "Org5MSP")], [REVOKE]), (revoked, [ADMIT])):
        with pytest.raises(ConflictRejected) as caught:
            removal(registry, proposals, "Org5MSP")
        assert caught.value.message == (f"node n5 of Org5MSP is {registry[0]['status']}: the registry has no "
                                        "applied revoke_node proposal for it.")


def test_every_disagreement_is_one_line():
    nodes = [node("n1", "Org1MSP"), node("n2", "Org2MSP", definition_sha256=SHA), node("n3", "Org3MSP", "revoked"),
             node("n4", "Org4MSP"), node("n6", "Org6MSP", definition_sha256=SHA)]
    channel = {"Org1MSP": ChannelOrg("Org1MSP", OTHER, True), "Org2MSP": ChannelOrg("Org2MSP", SHA, False),
               "Org3MSP": ChannelOrg("Org3MSP", OTHER, True), "Org6MSP": ChannelOrg("Org6MSP", OTHER, True),
               "Org9MSP": ChannelOrg("Org9MSP", OTHER, True)}
    assert mismatches(nodes, channel, {"Org1MSP", "Org3MSP"}, "nineten") == [
        f"Org2MSP: the channel's definition of the organisation ({SHA}, changed since it was added) is not the "
        f"one the consortium admitted ({SHA}).",
        "Org3MSP: node n3 is revoked in the registry but still an organisation of channel nineten.",
        "Org3MSP: node n3 is revoked in the registry but still runs a consenter of channel nineten's ordering service.",
        "Org4MSP: node n4 is active in the registry but not an organisation of channel nineten.",
        f"Org6MSP: the channel's definition of the organisation ({OTHER}) is not the one the consortium "
        f"admitted ({SHA}).",
        "Org9MSP: an organisation of channel nineten that no node of the registry has.",
    ]
    agreeing = {m: ChannelOrg(m, SHA, True) for m in ("Org1MSP", "Org2MSP")}
    assert mismatches(nodes[:2] + [nodes[2]], agreeing, set(), "nineten") == []


def test_admit_node_records_the_definition_it_names(ledger):
    payload = {"id": "n5", "cluster": "B", "msp_id": "Org5MSP", "wallet": "w5", "definition_sha256": SHA}
    proposed = json.loads(ledger.submit("n1.admin", "Registry:Propose", "admit_node", json.dumps(payload)).payload)
    for approver in ("n2", "n3"):
        ledger.submit(f"{approver}.admin", "Registry:Approve", proposed["id"])
    assert json.loads(ledger.evaluate("n1.admin", "Registry:GetNode", "n5"))["definition_sha256"] == SHA
    bad = {**payload, "id": "n6", "msp_id": "Org6MSP", "definition_sha256": "D" * 64}
    assert refused(ledger, "n1.admin", "Registry:Propose", "admit_node", json.dumps(bad)) == (
        f"node definition_sha256 '{'D' * 64}' is not a lower-case hex SHA-256.")
