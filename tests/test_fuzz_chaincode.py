"""Fuzzing every chaincode function's arguments, as every identity, on a ledger with a month under way.

Whatever the arguments, a function either runs or is refused with a kind (400, 403, 404, 409) and a
sentence; never an internal failure (500: an exception the contract did not turn into a refusal),
and a refusal writes nothing. Cases: ``NINETEN_FUZZ_CASES`` (see :mod:`fuzzing`).
"""

import hashlib
import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from admin.embedded.setup import init_ledger
from admin.errors import LedgerRejected
from chaincode.dispatch import CONTRACTS, build_chaincode
from conftest import NODES, consortium
from fuzzing import FUZZ, HOSTILE, TEXT, json_text, mutated_json
from settlement_script import EVIDENCE, script, standard_month

TRANSACTIONS = sorted(build_chaincode().transactions.items())
EVALUATE = {(c.Name, name) for c in CONTRACTS for name in getattr(c, "EVALUATE", ())}
IDENTITIES = [f"{node}.{role}" for node, _, _ in NODES for role in ("admin", "reviewer", "arbitrator", "auditor")]
#: The identities that act in the month, drawn as often as all the others.
ACTIVE = ["n1.admin", "n3.admin", "n2.reviewer", "n3.reviewer", "n4.arbitrator"]

HASH = hashlib.sha256(b"pay").hexdigest()
#: Arguments that reach past the first checks: the ids, months, hashes and documents of the ledger.
PLAUSIBLE = ["2026-10", "2026-11", "2026-10-03", "n1", "n2", "n3", "n4", "a1", "a2", "a9", "L1", "L2", "L3", "M1",
             "A", "B", "Org1MSP", "artist", "node", "release", "paid", "renewed", "expired", "approve", "flag",
             "reject", "abstain", "1", "2", "0", "10000000", "500", EVIDENCE, "f" * 64, HASH, "a reason", "unregistered",
             "peer", "external", "admit_node", "revoke_node", "grant_duty", "revoke_duty", "set_policy",
             "register_artist", "set_artist_wallet", "replace_reviewer", "settle_without", "decide_dispute"]
DOCUMENTS = [consortium(), {"rows": 3, "listeners": 2, "plays": 3, "seconds": 600},
             [["P1", HASH, 10_000_000, "paid"]], [["L1", [["a1", 100], ["a2", 50]]]],
             {"id": "a7", "name": "Seven", "wallet": "w-7"}, {"audit-2026-10.json": EVIDENCE},
             {"effective_from": "2026-12", "price_micro": 10_000_000, "node_share_micro": 1_000_000, "top_n": 9,
              "min_seconds": 30, "currency": "USDP"},
             {"id": "n5", "cluster": "B", "msp_id": "Org5MSP", "wallet": "w-n5"}, {"month": True},
             {"listeners": ["L1"]}, {"artists": ["a1"]}, {"days": ["2026-10-03"]}, {"node_id": "n2", "duty": "reviewer"},
             {"artist_id": "a1", "wallet": "w-new"}, {"month": "2026-10", "node": "n1"},
             {"month": "2026-10", "node": "n1", "role": "peer", "reviewer": "n4"},
             {"dispute": "0" * 16, "decision": "approve", "reason": "agreed"}]


@st.composite
def documents(draw):
    document = draw(st.sampled_from(DOCUMENTS))
    return json_text(mutated_json(draw, document) if draw(st.booleans()) else document)


ARGUMENT = st.one_of(st.sampled_from(PLAUSIBLE), st.sampled_from(PLAUSIBLE), documents(), TEXT,
                     st.sampled_from(HOSTILE))


@pytest.fixture(scope="module", params=["open month", "settled month"])
def chain(request, tmp_path_factory):
    """The test consortium with 2026-10 subscribed, allocated and sealed by n1 and n3 (open), or also
    disputed, settled, arbitrated, released and partly paid (settled)."""
    ledger = init_ledger(tmp_path_factory.mktemp("fuzz-chaincode") / "ledger", [(n, m) for n, _, m in NODES])
    ledger.submit("n1.admin", "Registry:Bootstrap", json.dumps(consortium()))
    (standard_month if request.param == "open month" else script)(ledger)
    yield ledger
    ledger.close()


@FUZZ
@given(st.data())
def test_any_arguments_to_any_function_run_or_are_refused_in_one_sentence(chain, data):
    (contract, function), (_, parameters) = data.draw(st.sampled_from(TRANSACTIONS))
    count = len(parameters) if data.draw(st.integers(0, 9)) else data.draw(st.integers(0, len(parameters) + 2))
    args = [data.draw(ARGUMENT) for _ in range(count)]
    identity = data.draw(st.one_of(st.sampled_from(ACTIVE), st.sampled_from(IDENTITIES)))
    name = f"{contract}:{function}"
    before = chain.state_hash(), chain.height()
    try:
        if (contract, function) in EVALUATE:
            chain.evaluate(identity, name, *args)
        else:
            chain.submit(identity, name, *args)
    except LedgerRejected as refused:
        event(f"refused {refused.status}")
        assert refused.status in (400, 403, 404, 409), f"{name}{tuple(args)!r} as {identity}: {refused.message}"
        assert refused.message.strip(), f"{name}{tuple(args)!r}: a refusal without a reason"
        assert (chain.state_hash(), chain.height()) == before
        return
    event("ran")
    if (contract, function) in EVALUATE:
        assert (chain.state_hash(), chain.height()) == before
