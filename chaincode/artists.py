"""Artists on chain: their records (id, name, wallet, ISNI, MusicBrainz ids, aliases), the indexes
that keep an MBID to one artist and say which artists have a name, and the consortium proposals
that register or extend them (:mod:`chaincode.governance` applies them by majority):

- ``register_artist`` {id, name, wallet, isni?, mbids?, aliases?};
- ``extend_artist`` {id, mbids?, aliases?, isni?}: identifiers added, none removed; an ISNI once
  set stays;
- ``import_artists`` {register: [...], extend: [...]}: both at once, for at most
  :data:`MAX_IMPORT` artists, so a catalogue takes a few proposals, not one per artist.

Each proposal's ``note`` says how much money is held for a new artist's id, and under the
unregistered ids its new names derive (:mod:`chaincode.artist_ids`), and where it goes once the
proposal applies: to the one artist with that name (:func:`chaincode.held.payee`).
"""

from typing import Any

from . import artist_ids, records, rules, state, validate
from .errors import Conflict, InvalidArgument
from .money import format_micro
from .records import Artist, Proposal
from .state import LedgerContext

#: The most artists one import_artists proposal registers or extends.
MAX_IMPORT = 500


def check_artist(raw: Any, proposal: str = "") -> Artist:
    """An artist of a consortium document or a register_artist payload, registered by ``proposal``:
    its MBIDs and aliases normalised, an ``unreg:`` id only for a name that derives it."""
    if not isinstance(raw, dict):
        raise InvalidArgument("an artist must be a JSON object.")
    artist_id = validate.ident("artist id", raw.get("id"))
    name = validate.text("artist name", raw.get("name"), 300)
    artist = {
        "aliases": [],
        "id": artist_id,
        "isni": check_isni(raw),
        "mbids": [],
        "name": name,
        "previous_wallets": [],
        "proposal": proposal,
        "wallet": validate.ident("artist wallet", raw.get("wallet")),
    }
    if not name:
        raise InvalidArgument(f"artist {artist_id} has no name.")
    artist["aliases"] = artist_ids.aliases(raw.get("aliases"), artist_id, name)
    artist["mbids"] = artist_ids.mbids(raw.get("mbids"), artist_id)
    artist_ids.check_reserved(artist_id, artist_ids.names(artist))
    return artist


def check_isni(raw: dict[str, Any]) -> str:
    """The ISNI of an artist payload, compact ("" when it has none)."""
    return validate.isni(validate.text("artist isni", raw["isni"], 40)) if raw.get("isni") else ""


async def put_artists(ctx: LedgerContext, changes: list[tuple[Artist, Artist | None]]) -> None:
    """Write artists (each with its record before, None when new) and index their new MBIDs and
    names. Each index key is read and written once: a transaction does not read its own writes."""
    named: dict[str, set[str]] = {}
    for artist, before in changes:
        await state.put(ctx, artist, records.ARTIST, artist["id"])
        for mbid in sorted(set(artist["mbids"]) - set(before["mbids"] if before else ())):
            await state.put(ctx, artist["id"], records.ARTIST_MBID, mbid)
        for derived in _derived(artist) - (_derived(before) if before else set()):
            named.setdefault(derived, set()).add(artist["id"])
    for derived, ids in sorted(named.items()):
        known = await state.get(ctx, records.ARTIST_NAMED, derived) or []
        await state.put(ctx, sorted(set(known) | ids), records.ARTIST_NAMED, derived)


def _derived(artist: Artist) -> set[str]:
    return {artist_ids.unregistered_id(name) for name in artist_ids.names(artist)}


async def unregistered_holds(ctx: LedgerContext) -> dict[str, list[tuple[str, int]]]:
    """(month, amount) of every settled month holding money for an artist id as unregistered, by id."""
    found: dict[str, list[tuple[str, int]]] = {}
    for settlement in await state.records(ctx, records.SETTLEMENT):
        for held in await state.records(ctx, records.HELD, settlement["month"], rules.HELD_UNREGISTERED):
            if held["status"] == "held":
                found.setdefault(held["artist"], []).append((settlement["month"], held["amount_micro"]))
    return found


async def _claim_mbids(ctx: LedgerContext, artist_id: str, mbids: list[str], taken: dict[str, str]) -> None:
    """Refuse an MBID that names another artist (on chain, or earlier in ``taken``); record it in ``taken``."""
    for mbid in mbids:
        owner = taken.get(mbid) or await state.get(ctx, records.ARTIST_MBID, mbid)
        if owner is not None and owner != artist_id:
            raise Conflict(f"MusicBrainz id {mbid} already names artist {owner}.")
        taken[mbid] = artist_id


async def _registration(ctx: LedgerContext, raw: Any, taken: dict[str, str]) -> Artist:
    """A new artist of a payload, its MBIDs free."""
    artist = check_artist(raw)
    if await state.get(ctx, records.ARTIST, artist["id"]) is not None:
        raise Conflict(f"artist {artist['id']} is already registered; change its wallet with a "
                       "set_artist_wallet proposal.")
    named = artist_ids.is_unregistered(artist["id"]) and await state.get(ctx, records.ARTIST_NAMED, artist["id"])
    if named:
        raise Conflict(f"artist id {artist['id']} is derived from a name artist {', '.join(named)} already has; the "
                       "money held under it goes to that artist.")
    await _claim_mbids(ctx, artist["id"], artist["mbids"], taken)
    return artist


async def _extension(ctx: LedgerContext, raw: Any, taken: dict[str, str]) -> tuple[dict, Artist]:
    """What an extend_artist payload adds to a registered artist ({aliases, id, isni, mbids}, only
    what is new), and the artist."""
    if not isinstance(raw, dict):
        raise InvalidArgument("an artist extension must be a JSON object.")
    artist_id = validate.ident("artist id", raw.get("id"))
    artist = await state.must_get(ctx, f"artist {artist_id} is not registered; register it with a "
                                  "register_artist proposal.", records.ARTIST, artist_id)
    isni = check_isni(raw)
    if isni and artist["isni"] and isni != artist["isni"]:
        raise Conflict(f"artist {artist_id}'s ISNI is {artist['isni']}, not {isni}.")
    change = {"aliases": sorted(set(artist_ids.aliases(raw.get("aliases"), artist_id, artist["name"]))
                                - set(artist["aliases"])),
              "id": artist_id, "isni": "" if isni == artist["isni"] else isni,
              "mbids": sorted(set(artist_ids.mbids(raw.get("mbids"), artist_id)) - set(artist["mbids"]))}
    if not (change["aliases"] or change["isni"] or change["mbids"]):
        raise Conflict(f"artist {artist_id} already has every identifier given.")
    _extended(artist, change)
    await _claim_mbids(ctx, artist_id, change["mbids"], taken)
    return change, artist


def _extended(artist: Artist, change: dict[str, Any]) -> Artist:
    """The artist with an extension's identifiers added (at most the limits of each)."""
    artist_id = artist["id"]
    return {**artist, "aliases": artist_ids.aliases(artist["aliases"] + change["aliases"], artist_id, artist["name"]),
            "isni": change["isni"] or artist["isni"],
            "mbids": artist_ids.mbids(artist["mbids"] + change["mbids"], artist_id)}


def _registered_body(artist: Artist) -> dict[str, Any]:
    return {k: artist[k] for k in ("aliases", "id", "isni", "mbids", "name", "wallet")}


async def _named(ctx: LedgerContext, entries: list[tuple[str, list[str]]]) -> dict[str, set[str]]:
    """For each name of the entries (artist id, names), the artists whose name or alias derives its
    unregistered id once the entries apply."""
    named: dict[str, set[str]] = {}
    for artist_id, artist_names in entries:
        for name in artist_names:
            derived = artist_ids.unregistered_id(name)
            if derived not in named:
                named[derived] = set(await state.get(ctx, records.ARTIST_NAMED, derived) or [])
            named[derived].add(artist_id)
    return named


def _held(held: list[tuple[str, int]]) -> str:
    months = ", ".join(f"{month} {format_micro(amount)}" for month, amount in held)
    return f"{format_micro(sum(a for _, a in held))} held for it while unregistered ({months})"


def _artist_notes(artist_id: str, wallet: str, new_names: list[str], holds: dict[str, list[tuple[str, int]]],
                named: dict[str, set[str]], own: bool) -> list[str]:
    """What is held for an artist's id (``own``), and what each of its new names brings."""
    notes = []
    if own and artist_id in holds:
        notes.append(f"artist {artist_id} has {_held(holds[artist_id])}; once registered, it is released "
                     f"to wallet {wallet}.")
    return notes + [note for name in new_names if (note := _name_note(artist_id, wallet, name, holds, named))]


def _name_note(artist_id: str, wallet: str, name: str, holds: dict[str, list[tuple[str, int]]],
               named: dict[str, set[str]]) -> str:
    """The money held under the unregistered id a new name derives and where it goes once the
    proposal applies, or that other artists have the name (plays under it then map to none of
    them); "" when neither."""
    derived = artist_ids.unregistered_id(name)
    others = sorted(named[derived] - {artist_id})
    if derived == artist_id or not (others or derived in holds):
        return ""
    shared = f"artist {others[0]} also has" if len(others) == 1 else f"artists {', '.join(others)} also have"
    if derived not in holds:
        return f"{name!r}: {shared} that name, so plays under it map to none of them."
    where = (f"it is artist {derived}'s own" if derived in others else
             f"{shared} that name, so it is released to none of them" if others else
             f"Settlement:ReleaseArtist releases it to artist {artist_id}, wallet {wallet}")
    return f"{name!r} derives {derived}, which has {_held(holds[derived])}; {where}."


async def check_register(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    artist = await _registration(ctx, payload, {})
    names, holds = artist_ids.names(artist), await unregistered_holds(ctx)
    notes = _artist_notes(artist["id"], artist["wallet"], names, holds,
                        await _named(ctx, [(artist["id"], names)]), own=True)
    if artist["id"] not in holds:
        notes.insert(0, f"artist {artist['id']} has no money held for it.")
    return _registered_body(artist), " ".join(notes)


async def apply_register(ctx: LedgerContext, proposal: Proposal) -> None:
    await put_artists(ctx, [(check_artist(proposal["payload"], proposal["id"]), None)])


async def check_extend(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    change, artist = await _extension(ctx, payload, {})
    gains = [f"{len(change['mbids'])} MusicBrainz id(s)" if change["mbids"] else "",
             f"{len(change['aliases'])} alias(es)" if change["aliases"] else "",
             f"ISNI {change['isni']}" if change["isni"] else ""]
    notes = _artist_notes(artist["id"], artist["wallet"], change["aliases"], await unregistered_holds(ctx),
                        await _named(ctx, [(artist["id"], change["aliases"])]), own=False)
    return change, " ".join([f"artist {artist['id']} gains {', '.join(g for g in gains if g)}.", *notes])


async def apply_extend(ctx: LedgerContext, proposal: Proposal) -> None:
    before = await state.get(ctx, records.ARTIST, proposal["payload"]["id"])
    await put_artists(ctx, [(_extended(before, proposal["payload"]), before)])


async def check_import(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    register, extend = payload.get("register") or [], payload.get("extend") or []
    if not isinstance(register, list) or not isinstance(extend, list):
        raise InvalidArgument("an import's register and extend must be lists of artists.")
    if not 0 < len(register) + len(extend) <= MAX_IMPORT:
        raise InvalidArgument(f"an import registers or extends 1 to {MAX_IMPORT} artists, not "
                              f"{len(register) + len(extend)}.")
    taken: dict[str, str] = {}
    new = [await _registration(ctx, raw, taken) for raw in register]
    changes = [await _extension(ctx, raw, taken) for raw in extend]
    seen: set[str] = set()
    for artist_id in [a["id"] for a in new] + [c["id"] for c, _ in changes]:
        if artist_id in seen:
            raise InvalidArgument(f"artist {artist_id} appears twice in the import.")
        seen.add(artist_id)
    entries = sorted([(a["id"], a["wallet"], artist_ids.names(a), True) for a in new]
                     + [(c["id"], artist["wallet"], c["aliases"], False) for c, artist in changes])
    holds = await unregistered_holds(ctx)
    named = await _named(ctx, [(artist_id, names) for artist_id, _, names, _ in entries])
    notes = [note for artist_id, wallet, names, own in entries
             for note in _artist_notes(artist_id, wallet, names, holds, named, own)]
    ids = sorted(seen)
    head = (f"imports {len(ids)} artists ({ids[0]} to {ids[-1]}): registers {len(new)}, extends {len(changes)}; "
            + (" ".join(notes) if notes else "no money is held for their ids or names."))
    return ({"extend": sorted((c for c, _ in changes), key=lambda c: c["id"]),
             "register": sorted((_registered_body(a) for a in new), key=lambda a: a["id"])}, head)


async def apply_import(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    changes = [(check_artist(raw, proposal["id"]), None) for raw in payload["register"]]
    for change in payload["extend"]:
        before = await state.get(ctx, records.ARTIST, change["id"])
        changes.append((_extended(before, change), before))
    await put_artists(ctx, changes)
