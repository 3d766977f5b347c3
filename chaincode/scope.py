"""What a flag disputes in a node's month: its scope (pure functions).

A scope is ``{"artists": [...], "days": [...], "listeners": [...], "month": bool}`` with each list
sorted and without repeats. ``month`` true is the whole month (the lists are then empty);
otherwise at least one list names something: listener pseudonyms, artist ids, or days
(``YYYY-MM-DD`` of the month).

An allocation (one listener's amount for one artist) is *covered* when the scope is the whole
month, names its listener, or names its artist. A scope over days covers no allocation by itself:
every allocation of the month may draw on a day's report, so a dispute over days holds the
node's whole part of the month until it is resolved, and a rejection of days is undone only by
a corrected month (see :mod:`chaincode.readiness`); a node that can no longer correct (revoked)
has its whole month rejected (:func:`in_force`).

On the wire (``Reviews:Review``) a scope is a JSON object ``{"month": true}`` or with any of the
keys ``listeners``, ``artists``, ``days``.
"""

from typing import Any, Iterable, Mapping, Sequence

from . import validate
from .errors import InvalidArgument

#: At most this many items in one scope.
MAX_ITEMS = 5000
KINDS = ("listeners", "artists", "days")
NONE: dict[str, Any] = {"artists": [], "days": [], "listeners": [], "month": False}
WHOLE_MONTH: dict[str, Any] = {**NONE, "month": True}


def parse(raw: Any, month: str) -> dict[str, Any]:
    """The canonical scope of a flag on ``month`` from its JSON object (InvalidArgument if it is
    not one); the items are not yet checked against the ledger."""
    if not isinstance(raw, dict) or not raw:
        raise InvalidArgument('scope must be a JSON object: {"month": true}, or listeners, artists or days.')
    unknown = sorted(set(raw) - {"month", *KINDS})
    if unknown:
        raise InvalidArgument(f"scope key {unknown[0]!r} is not one of month, {', '.join(KINDS)}.")
    if "month" in raw:
        if raw["month"] is not True or len(raw) != 1:
            raise InvalidArgument('a scope over the whole month is exactly {"month": true}.')
        return dict(WHOLE_MONTH)
    scope = dict(NONE)
    for kind in KINDS:
        if kind not in raw:
            continue
        items = raw[kind]
        if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
            raise InvalidArgument(f"scope {kind} must be a JSON list of 1 to {MAX_ITEMS} items.")
        if kind == "days":
            scope[kind] = sorted({validate.date(item) for item in items})
        else:
            scope[kind] = sorted({validate.ident(kind[:-1], item) for item in items})
    for day in scope["days"]:
        if day[:7] != month:
            raise InvalidArgument(f"scope day {day} is not in {month}.")
    if sum(len(scope[kind]) for kind in KINDS) > MAX_ITEMS:
        raise InvalidArgument(f"scope names more than {MAX_ITEMS} items.")
    return scope


def wire(raw: Any) -> Any:
    """A scope as it travels (:func:`parse` takes it) from its canonical form, which names every
    kind and ``"month"``; anything else as it is."""
    if raw == WHOLE_MONTH:
        return {"month": True}
    if isinstance(raw, dict) and raw.get("month") is False and set(raw) == {"month", *KINDS}:
        return {kind: raw[kind] for kind in KINDS if raw[kind]}
    return raw


def union(*scopes: Mapping[str, Any]) -> dict[str, Any]:
    """One scope covering whatever any of ``scopes`` covers."""
    if any(s["month"] for s in scopes):
        return dict(WHOLE_MONTH)
    return {**NONE, **{kind: sorted({i for s in scopes for i in s[kind]}) for kind in KINDS}}


def within(inner: Mapping[str, Any], outer: Mapping[str, Any]) -> bool:
    """Whether ``inner`` names nothing that ``outer`` does not."""
    return bool(outer["month"]) or (not inner["month"] and all(set(inner[k]) <= set(outer[k]) for k in KINDS))


def in_force(scope: Mapping[str, Any], rejected: bool, version: int, current: int) -> dict[str, Any]:
    """What a dispute over ``version`` of a node's month covers in its ``current`` version: a
    rejection of days of the current version covers the whole month (its reports are wrong and
    not corrected; while the node can still correct them its part waits instead); otherwise the
    scope as it is (days alone cover no allocation)."""
    if rejected and scope["days"] and version == current:
        return dict(WHOLE_MONTH)
    return dict(scope)


def covers(scope: Mapping[str, Any], listener: str, artist: str) -> bool:
    """Whether ``scope`` covers ``listener``'s allocation to ``artist``."""
    return bool(scope["month"]) or listener in scope["listeners"] or artist in scope["artists"]


def covered(scope: Mapping[str, Any], totals: Mapping[str, int],
            parts: Mapping[str, Sequence[Sequence]]) -> dict[str, int]:
    """Per artist, what a node's allocations covered by ``scope`` amount to: ``totals`` is every
    allocation summed per artist, ``parts`` each named listener's [[artist, weight, amount], ...]."""
    if scope["month"]:
        return {a: v for a, v in totals.items() if v}
    artists = set(scope["artists"])
    found = {a: totals[a] for a in sorted(artists) if totals.get(a)}
    for listener in scope["listeners"]:
        for artist, _, amount in parts.get(listener, ()):
            if artist not in artists and amount:
                found[artist] = found.get(artist, 0) + amount
    return found


def describe(scope: Mapping[str, Any]) -> str:
    """The scope in words, for sentences: "the whole month", "2 listeners and 1 day"."""
    if scope["month"]:
        return "the whole month"
    parts = [f"{len(scope[k])} {k if len(scope[k]) != 1 else k[:-1]}" for k in KINDS if scope[k]]
    return " and ".join(parts)


def listed(items: Iterable[str], limit: int = 3) -> str:
    """Up to ``limit`` items, then how many more."""
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
