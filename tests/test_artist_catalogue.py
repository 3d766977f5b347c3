"""The artist catalogue on chain: MusicBrainz ids and aliases on artist records, extensions and
batch imports by majority, the reserved ``unreg:`` ids, and money held under a name's id released
to the one artist with that name — each attack by a single node admin refused with its exact
sentence and no write (``conftest.refused``)."""

import json
import unicodedata

import pytest

from chaincode import artists, records
from chaincode.artist_ids import unregistered_id
from conftest import consortium, refused
from settlement_script import MONTH, allocate_and_seal, approve, majority, settlement, subscribe

GF = unregistered_id("Glass Flowers")
NOVA = unregistered_id("Nova")
M1, M2 = "0d3f5a39-7e1c-4c2b-9a51-2f6e8b1c4d70", "7b2e9c14-0a55-4f3d-8e61-c9d2a7b3f018"


def propose(ledger, node, kind, payload) -> dict:
    return ledger.submit(f"{node}.admin", "Registry:Propose", kind, json.dumps(payload)).json()


def artist(ledger, artist_id) -> dict:
    return json.loads(ledger.evaluate("n1.auditor", "Registry:GetArtist", artist_id))


def state(ledger, kind, *attributes):
    """A world-state record read straight from the ledger's store."""
    value = ledger.store.get(kind.key(*attributes))
    return None if value is None else json.loads(value)


@pytest.fixture
def held(ledger):
    """2026-10 settled with money held under the unregistered ids of "Glass Flowers" (5 USDP at n1,
    6 at n3) and "Nova" (3 at n3)."""
    subscribe(ledger, "n1", ["L1"])
    subscribe(ledger, "n3", ["M1"])
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 40, GF: 50}}])
    allocate_and_seal(ledger, "n3", [{"M1": {GF: 60, NOVA: 30}}])
    approve(ledger, "n1")
    approve(ledger, "n3")
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    assert settlement(ledger)["held_micro"] == 5_000_000 + 6_000_000 + 3_000_000
    return ledger


def test_an_artist_registers_with_its_mbids_and_aliases_normalised_and_indexed(ledger):
    nfd = unicodedata.normalize("NFD", "Les Étoiles")
    payload = {"id": "a9", "name": "Les Étoiles", "wallet": "w9", "mbids": [M1.upper(), M1],
               "aliases": [nfd, "Les Etoiles", "https://pod.example/federation/actors/etoiles"]}
    proposal = majority(ledger, "register_artist", payload)
    assert proposal["payload"] == {"aliases": ["Les Etoiles", "https://pod.example/federation/actors/etoiles"],
                                   "id": "a9", "isni": "", "mbids": [M1], "name": "Les Étoiles", "wallet": "w9"}
    assert artist(ledger, "a9") == {**proposal["payload"], "previous_wallets": [], "proposal": proposal["id"]}
    assert state(ledger, records.ARTIST_MBID, M1) == "a9"
    for name in ("Les Étoiles", "Les Etoiles", "https://pod.example/federation/actors/etoiles"):
        assert state(ledger, records.ARTIST_NAMED, unregistered_id(name)) == ["a9"]


@pytest.mark.parametrize("kind, payload, message", [
    ("register_artist", {"id": "a9", "name": "A", "wallet": "w", "mbids": ["not-a-uuid"]},
     "artist a9 mbid 'not-a-uuid' is not a MusicBrainz id (a UUID, 8-4-4-4-12 hex digits)."),
    ("register_artist", {"id": "a9", "name": "A", "wallet": "w", "mbids": M1},
     "artist a9 mbids must be a list of at most 20 MusicBrainz ids."),
    ("register_artist", {"id": "a9", "name": "A", "wallet": "w", "aliases": [" A"]},
     "artist a9 alias ' A' has spaces around it or a control character."),
    ("register_artist", {"id": "a9", "name": "A", "wallet": "w", "aliases": ["x"] * 51},
     "artist a9 aliases must be a list of at most 50 texts."),
    ("register_artist", {"id": "a9", "name": "A", "wallet": "w", "isni": 1234},
     "artist isni must be text of at most 40 characters."),
    ("extend_artist", {"id": "a1", "aliases": ["Artist a1"]}, "artist a1 already has every identifier given."),
    ("extend_artist", {"id": "a9", "aliases": ["A"]},
     "artist a9 is not registered; register it with a register_artist proposal."),
    ("import_artists", {"register": [], "extend": []}, "an import registers or extends 1 to 500 artists, not 0."),
    ("import_artists", {"register": [{"id": f"b{i}", "name": "B", "wallet": "w"} for i in range(501)]},
     "an import registers or extends 1 to 500 artists, not 501."),
    ("import_artists", {"register": [{"id": "b1", "name": "B", "wallet": "w"}], "extend": [{"id": "b1"}]},
     "artist b1 is not registered; register it with a register_artist proposal."),
    ("import_artists", {"register": [{"id": "b1", "name": "B", "wallet": "w"}] * 2},
     "artist b1 appears twice in the import."),
    ("import_artists", {"register": [{"id": "b1", "name": "B", "wallet": "w", "mbids": [M1]},
                                     {"id": "b2", "name": "C", "wallet": "w", "mbids": [M1]}]},
     f"MusicBrainz id {M1} already names artist b1."),
])
def test_malformed_or_empty_identifier_changes_are_refused(ledger, kind, payload, message):
    assert refused(ledger, "n1.admin", "Registry:Propose", kind, json.dumps(payload)) == message


def test_an_mbid_names_one_artist_and_an_isni_once_set_stays(ledger):
    majority(ledger, "extend_artist", {"id": "a1", "mbids": [M1], "isni": "0000000121032683"})
    assert (artist(ledger, "a1")["mbids"], artist(ledger, "a1")["isni"]) == ([M1], "0000000121032683")
    taken = f"MusicBrainz id {M1} already names artist a1."
    assert refused(ledger, "n2.admin", "Registry:Propose", "register_artist",
                   json.dumps({"id": "a9", "name": "A", "wallet": "w", "mbids": [M1]})) == taken
    assert refused(ledger, "n2.admin", "Registry:Propose", "extend_artist", json.dumps({"id": "a2", "mbids": [M1]})) \
        == taken
    assert refused(ledger, "n2.admin", "Registry:Propose", "extend_artist",
                   json.dumps({"id": "a1", "isni": "000000029534656X"})) == (
        "artist a1's ISNI is 0000000121032683, not 000000029534656X.")
    # the same identifiers again add nothing; a new one is all the extension holds
    extension = propose(ledger, "n1", "extend_artist", {"id": "a1", "mbids": [M1, M2], "aliases": ["A. One"]})
    assert extension["payload"] == {"aliases": ["A. One"], "id": "a1", "isni": "", "mbids": [M2]}
    assert extension["note"] == "artist a1 gains 1 MusicBrainz id(s), 1 alias(es)."


def test_an_import_applies_by_majority_and_a_stale_one_cannot(ledger):
    batch = {"register": [{"id": "b2", "name": "Bee", "wallet": "w-b2"}, {"id": "b1", "name": "Ay", "wallet": "w-b1",
                                                                          "mbids": [M1]}],
             "extend": [{"id": "a1", "aliases": ["Uno"]}]}
    proposal = propose(ledger, "n1", "import_artists", batch)
    assert [a["id"] for a in proposal["payload"]["register"]] == ["b1", "b2"]
    assert proposal["note"] == ("imports 3 artists (a1 to b2): registers 2, extends 1; no money is held for their ids "
                                "or names.")
    stale = propose(ledger, "n2", "import_artists", {"register": [{"id": "b1", "name": "Ay", "wallet": "w-x"}]})
    assert ledger.submit("n2.admin", "Registry:Approve", proposal["id"]).json()["status"] == "open"
    assert ledger.submit("n3.admin", "Registry:Approve", proposal["id"]).json()["status"] == "applied"
    assert artist(ledger, "b1")["proposal"] == proposal["id"] and artist(ledger, "a1")["aliases"] == ["Uno"]
    ledger.submit("n3.admin", "Registry:Approve", stale["id"])
    assert refused(ledger, "n4.admin", "Registry:Approve", stale["id"]) == (
        f"proposal {stale['id']} can no longer apply: artist b1 is already registered; change its wallet with a "
        "set_artist_wallet proposal.")


def test_artists_sharing_a_name_in_one_import_are_both_indexed_and_the_note_says_so(ledger):
    proposal = majority(ledger, "import_artists", {"register": [{"id": "b1", "name": "Nova", "wallet": "w1"},
                                                                {"id": "b2", "name": "Nova", "wallet": "w2"}]})
    assert proposal["note"] == ("imports 2 artists (b1 to b2): registers 2, extends 0; 'Nova': artist b2 also has that "
                                "name, so plays under it map to none of them. 'Nova': artist b1 also has that name, so "
                                "plays under it map to none of them.")
    assert state(ledger, records.ARTIST_NAMED, NOVA) == ["b1", "b2"]
    # an alias that is another artist's name: the approvers are told what it does to plays
    extension = propose(ledger, "n2", "extend_artist", {"id": "a1", "aliases": ["Nova"]})
    assert extension["note"] == ("artist a1 gains 1 alias(es). 'Nova': artists b1, b2 also have that name, so plays "
                                 "under it map to none of them.")


def test_a_bootstrap_document_refuses_an_mbid_given_twice(bare_ledger):
    document = consortium()
    document["artists"][0]["mbids"] = [M1]
    document["artists"][1]["mbids"] = [M1.upper()]
    assert refused(bare_ledger, "n1.admin", "Registry:Bootstrap", json.dumps(document)) == (
        f"artist mbid {M1} appears twice.")


# --- the reserved unreg: ids -------------------------------------------------------------------

def test_a_node_cannot_register_an_unregistered_id_under_another_name(held):
    hijack = {"id": GF, "name": "Evil Corp", "wallet": "wallet-of-n1", "aliases": ["Glass Flower"]}
    message = (f"artist id {GF} is reserved for the money held for an unregistered artist's name, and neither the "
               "name 'Evil Corp' nor an alias derives it.")
    assert refused(held, "n1.admin", "Registry:Propose", "register_artist", json.dumps(hijack)) == message
    batch = json.dumps({"register": [hijack]})
    assert refused(held, "n1.admin", "Registry:Propose", "import_artists", batch) == message
    assert refused(held, "n1.admin", "Settlement:ReleaseArtist", MONTH, GF) == (
        f"artist {GF} is not registered; register the artist (or add the name it is derived from to a registered "
        f"artist) before releasing {MONTH}.")
    assert settlement(held)["held_micro"] == 14_000_000


def test_the_artist_whose_name_derives_the_id_may_register_under_it_and_is_paid(held):
    proposal = majority(held, "register_artist", {"id": GF, "name": "Glass Flowers", "wallet": "w-gf"})
    assert proposal["note"] == (f"artist {GF} has 11.000000 held for it while unregistered (2026-10 11.000000); "
                                "once registered, it is released to wallet w-gf.")
    release = held.submit("n4.admin", "Settlement:ReleaseArtist", MONTH, GF).json()["release"]
    assert (release["payee"], release["wallet"], release["source"], release["by_node"]) == (
        GF, "w-gf", "unregistered", {"n1": 5_000_000, "n3": 6_000_000})


def test_money_held_under_a_name_goes_to_the_artist_that_registers_with_it(held):
    proposal = majority(held, "register_artist", {"id": "ar200", "name": "Glass Flowers", "wallet": "w-ar200"})
    assert proposal["note"] == (
        f"artist ar200 has no money held for it. 'Glass Flowers' derives {GF}, which has 11.000000 held for it while "
        f"unregistered (2026-10 11.000000); Settlement:ReleaseArtist releases it to artist ar200, wallet w-ar200.")
    answer = held.submit("n4.admin", "Settlement:ReleaseArtist", MONTH, GF).json()
    release = answer["release"]
    assert (release["payee"], release["wallet"], release["source"], release["amount_micro"]) == (
        "ar200", "w-ar200", GF, 11_000_000)
    assert held.submit("n1.admin", "Settlement:ReleaseArtist", MONTH, GF).json() == {
        "released": False, "release": release, "settlement": answer["settlement"]}
    assert held.submit("n1.admin", "Settlement:ConfirmPayout", MONTH, "release", f"ar200@{GF}", "tx-1").json()[
        "confirmed"]
    assert (settlement(held)["held_micro"], settlement(held)["released_micro"]) == (3_000_000, 11_000_000)
    # the id itself cannot be registered now: what is held under it goes to ar200
    late = {"id": GF, "name": "Glass Flowers", "wallet": "wallet-of-n3"}
    assert refused(held, "n3.admin", "Registry:Propose", "register_artist", json.dumps(late)) == (
        f"artist id {GF} is derived from a name artist ar200 already has; the money held under it goes to that "
        "artist.")


def test_an_alias_shared_by_two_artists_releases_to_neither(held):
    majority(held, "register_artist", {"id": "b1", "name": "Nova", "wallet": "w-b1"})
    proposal = majority(held, "extend_artist", {"id": "a2", "aliases": ["Nova"]})
    assert proposal["note"] == (f"artist a2 gains 1 alias(es). 'Nova' derives {NOVA}, which has 3.000000 held for it "
                                "while unregistered (2026-10 3.000000); artist b1 also has that name, so it is "
                                "released to none of them.")
    assert refused(held, "n1.admin", "Settlement:ReleaseArtist", MONTH, NOVA) == (
        f"artists a2, b1 all have the name {NOVA} is derived from; what {MONTH} holds for it is released to none "
        "of them.")


def test_an_import_says_what_is_held_under_each_name_it_brings(held):
    proposal = propose(held, "n1", "import_artists", {
        "register": [{"id": "ar200", "name": "GF", "wallet": "w-gf", "aliases": ["Glass Flowers"]},
                     {"id": "ar201", "name": "Nova", "wallet": "w-nova"}]})
    assert proposal["note"] == (
        f"imports 2 artists (ar200 to ar201): registers 2, extends 0; 'Glass Flowers' derives {GF}, which has "
        f"11.000000 held for it while unregistered (2026-10 11.000000); Settlement:ReleaseArtist releases it to "
        f"artist ar200, wallet w-gf. 'Nova' derives {NOVA}, which has 3.000000 held for it while unregistered "
        f"(2026-10 3.000000); Settlement:ReleaseArtist releases it to artist ar201, wallet w-nova.")
    assert artists.MAX_IMPORT == 500
