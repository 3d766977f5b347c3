"""``nineten receipt``: a listener's allocation and its Merkle proof, from the chain, on real files."""

import hashlib
import json
import sqlite3

import pytest

from admin.config import LedgerConfig
from admin.embedded.ledger import EmbeddedLedger
from admin.pseudonym import pseudonym
from chaincode import canonical_json, merkle
from scenario_files import fingerprint, run




def alias(ledger, listener: str) -> str:
    return pseudonym(LedgerConfig.load(ledger).secret("n1"), "2026-10", listener)


def sealed_root(ledger) -> str:
    chain = EmbeddedLedger(ledger)
    try:
        return json.loads(chain.evaluate("n1.auditor", "Allocations:GetNodeMonth", "2026-10", "n1"))["merkle_root"]
    finally:
        chain.close()


def save_receipt(ledger, tmp_path, listener="L1"):
    path = tmp_path / f"{listener}.json"
    path.write_text(run("--ledger", ledger, "--format", "json", "receipt", listener, "--month", "2026-10",
                        "--node", "n1"))
    return path, json.loads(path.read_text())


def test_receipt_shows_each_artist_and_a_verified_proof(sealed, tmp_path):
    _, receipt = save_receipt(sealed, tmp_path)
    root = sealed_root(sealed)
    out = run("--ledger", sealed, "receipt", "L1", "--month", "2026-10", "--node", "n1")
    # L1: a1 100 s, a2 50 s (a3's 20 s do not count) -> 6 + 3 USDP.
    assert out.splitlines() == [
        f"listener L1 at n1 in 2026-10 (pseudonym {alias(sealed, 'L1')}): 9.000000 to 2 artists",
        "artist_id  seconds  amount    status",
        "---------  -------  --------  ---------------",
        "a1         100      6.000000  not settled yet",
        "a2         50       3.000000  not settled yet",
        f"Merkle proof: leaf {receipt['index'] + 1} of 2, 1 step, root {root} sealed by n1: verified",
        "settlement: 9.000000 not settled yet"]
    assert '"L1"' not in json.dumps(receipt)
    assert receipt["listener"] == alias(sealed, "L1") and receipt["merkle_root"] == root
    assert [(a["artist_id"], a["seconds"], a["amount_micro"], a["amount"]) for a in receipt["artists"]] == [
        ("a1", 100, 6_000_000, "6.000000"), ("a2", 50, 3_000_000, "3.000000")]
    assert receipt["artist_share_micro"] == 9_000_000 and receipt["verified"] is True
    # A third party recomputes the leaf by the stated rule and walks the path to the sealed root.
    body = {"artists": [[a["artist_id"], a["seconds"]] for a in receipt["artists"]], "listener": receipt["listener"]}
    leaf = hashlib.sha256(b"\x00" + canonical_json.dumpb(body)).digest()
    assert leaf.hex() == receipt["leaf"]
    assert merkle.verify(leaf, receipt["proof"], root)


def test_a_saved_receipt_verifies_against_the_chain(sealed, tmp_path):
    path, receipt = save_receipt(sealed, tmp_path)
    before = fingerprint(sealed)
    assert run("--ledger", sealed, "receipt", "--verify", path) == (
        f"receipt verified: listener {receipt['listener']}'s allocation at n1 in 2026-10 is in the sealed "
        f"root {receipt['merkle_root']}\n")
    assert fingerprint(sealed) == before


def test_a_tampered_proof_does_not_verify(sealed, tmp_path):
    path, receipt = save_receipt(sealed, tmp_path)
    side, sibling = receipt["proof"][0]
    receipt["proof"][0] = [side, sibling[:-1] + ("0" if sibling[-1] != "0" else "1")]
    path.write_text(json.dumps(receipt))
    out = run("--ledger", sealed, "receipt", "--verify", path, expect=1)
    assert out == f"MISMATCH the proof does not lead from the leaf to the root {receipt['merkle_root']}\n"


def test_a_receipt_with_other_amounts_does_not_verify(sealed, tmp_path):
    path, receipt = save_receipt(sealed, tmp_path)
    receipt["artists"][0]["amount_micro"] = 7_000_000
    path.write_text(json.dumps(receipt))
    out = run("--ledger", sealed, "receipt", "--verify", path, expect=1)
    assert out == ("MISMATCH the chain allocates a1 100 s 6.000000, a2 50 s 3.000000, "
                   "the receipt says a1 100 s 7.000000, a2 50 s 3.000000\n")


def test_a_receipt_from_altered_world_state_is_not_verified(sealed):
    """Another listener's allocation altered in the state database: L1's proof no longer reaches the
    sealed root."""
    other = alias(sealed, "L2")
    db = sqlite3.connect(sealed / "ledger.sqlite")
    key = next(k for (k,) in db.execute("SELECT key FROM state") if k.startswith("\x00alloc\x00") and other in k)
    record = json.loads(db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()[0])
    record["artists"][0][1] += 1
    db.execute("UPDATE state SET value = ? WHERE key = ?", (canonical_json.dumpb(record), key))
    db.commit()
    db.close()
    out = run("--ledger", sealed, "receipt", "L1", "--month", "2026-10", "--node", "n1", expect=1)
    assert out.splitlines()[-2].endswith(f"root {sealed_root(sealed)} sealed by n1: NOT verified")


@pytest.mark.parametrize("args, code, message", [
    (["L9", "--month", "2026-10", "--node", "n1"], 2,
     "error: listener L9 (pseudonym {L9}) has no subscription for 2026-10 at node n1; check the id, month and node."),
    (["L3", "--month", "2026-10", "--node", "n1"], 2,
     "error: listener L3 (pseudonym {L3}) has a paid subscription for 2026-10 at node n1 but no counted play: "
     "the artist share went to unallocated, so there is no allocation to prove."),
    (["M1", "--month", "2026-10", "--node", "n2"], 3,
     "error: Allocations:GetProof refused: node n2 has not sealed 2026-10; there is no root to prove against."),
    (["L1", "--month", "2026-13", "--node", "n1"], 2, "error: field --month: month '2026-13' is not YYYY-MM"),
    (["L1", "--month", "2026-10"], 2, "error: give LISTENER, --month and --node (or --verify FILE)"),
    (["L1", "--month", "2026-10", "--node", "n9"], 4,
     "error: node 'n9' has no secret in {ledger}/config.yaml; this machine does not act for it."),
])
def test_receipt_errors_say_what_is_wrong(sealed, args, code, message):
    before = fingerprint(sealed)
    out = run("--ledger", sealed, "receipt", *args, expect=code)
    expected = message.format(L9=alias(sealed, "L9"), L3=alias(sealed, "L3"), ledger=sealed)
    assert out == expected + "\n"
    assert fingerprint(sealed) == before


def test_a_broken_receipt_file_names_its_field(sealed, tmp_path):
    path, receipt = save_receipt(sealed, tmp_path)
    receipt["proof"][0] = ["up", receipt["proof"][0][1]]
    path.write_text(json.dumps(receipt))
    out = run("--ledger", sealed, "receipt", "--verify", path, expect=2)
    assert out == f'error: {path}: field proof[1]: is not ["left"|"right", 64 hex digits]\n'
