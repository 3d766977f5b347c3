"""The payout rule, in one place: the policy, what counts, the top-N, the split, and where money goes.

The default payout rule (a policy version on chain sets its values; the rule itself is exact):

1. A play counts when it lasted at least ``min_seconds`` (and more than 0 seconds).
2. For each listener with a paid or renewed subscription for the month at a node
   (:data:`COUNTED`), an artist's weight is the sum of that listener's counted seconds for the
   artist that month at that node.
3. The listener's top ``top_n`` artists by weight, ties by artist id ascending (:func:`top_n`).
4. The artist share (price − node share, :attr:`Policy.artist_share_micro`) is split among them in
   proportion to weight: floor each part, then one micro-unit each by largest remainder, ties by
   artist id ascending (:func:`split`); :func:`allocate` applies 3 and 4 to one listener.
5. A subscribed listener with no counted play: the whole artist share is unallocated.
6. Each counted subscription gives the node operator the node share.
7. Plays of listeners without a counted subscription count for nothing.
8. and 9. Where a node's allocated money goes at settlement is :func:`destination`: unallocated
   when a rejected dispute's scope covers it, held when an open dispute's scope does, held for an
   artist not (yet) registered, else paid (:mod:`chaincode.scope` says what a scope covers); what
   a resolution later releases goes where :func:`release_destination` says.

The month's arithmetic and its invariant are :mod:`chaincode.settle`.
"""

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from . import validate
from .errors import InvalidArgument

#: Subscription statuses that pay: they bring income, a node share and an artist share.
COUNTED = ("paid", "renewed")
#: Every subscription status; an expired subscription (a chargeback) counts for nothing.
SUBSCRIPTION_STATUSES = (*COUNTED, "expired")

#: The longest a play can last: a play reported as longer than a day is refused where it is read,
#: and a day's anchored seconds cannot exceed its rows times this.
MAX_PLAY_SECONDS = 86_400

#: Anomaly-check thresholds a policy may carry, with their defaults.
ANOMALY_DEFAULTS = {
    "max_daily_seconds": 86_400,
    "max_track_loops": 50,
    "day_total_factor_pct": 300,
    "farm_min_accounts": 20,
    "farm_max_artists": 3,
    "min_listeners_per_artist": 3,
}


#: How a listen that says no time played counts (``admin/readers/playtime.py`` applies it):
#: "track_length" the track's length, at most ``ceiling_seconds`` (0: no ceiling), and
#: ``default_seconds`` without a length; "default" always ``default_seconds``; "refuse" a bad row.
PLAYED_TIME_RULES = ("track_length", "default", "refuse")
PLAYED_TIME_DEFAULTS = {"ceiling_seconds": 0, "default_seconds": 30, "rule": "track_length"}


#: The forms of a canonical day file a node anchors (the policy's ``day_format``, default the first):
#: "csv", one text line per play; "columnar", the same rows column by column (admin.dayfile).
DAY_FORMATS = ("csv", "columnar")


@dataclass(frozen=True)
class Policy:
    """A policy version: the payout rule's values from the month ``effective_from`` on, up to
    (not including) the month ``until`` when it has one ("" when it has none)."""

    effective_from: str
    price_micro: int
    node_share_micro: int
    top_n: int
    min_seconds: int
    currency: str
    anomalies: dict[str, int] = field(default_factory=lambda: dict(ANOMALY_DEFAULTS))
    played_time: dict[str, Any] = field(default_factory=lambda: dict(PLAYED_TIME_DEFAULTS))
    payouts: dict[str, Any] = field(default_factory=lambda: dict(PAYOUT_DEFAULTS))
    until: str = ""
    day_format: str = DAY_FORMATS[0]

    def covers(self, month: str) -> bool:
        """Whether ``month`` is in the version's months (from ``effective_from``, before ``until``)."""
        return self.effective_from <= month and (not self.until or month < self.until)

    @property
    def artist_share_micro(self) -> int:
        """What one counted subscription gives its listener's artists: price − node share."""
        return self.price_micro - self.node_share_micro

    @property
    def min_payout_micro(self) -> int:
        """The smallest artist balance instructed (a smaller one is carried)."""
        return self.payouts["min_payout_micro"]

    @classmethod
    def parse(cls, raw: Any) -> "Policy":
        """A complete, validated policy from its JSON object (InvalidArgument when it is not one)."""
        if not isinstance(raw, dict):
            raise InvalidArgument("policy must be a JSON object.")
        price = validate.count("policy price_micro", raw.get("price_micro"), 1)
        share = validate.count("policy node_share_micro", raw.get("node_share_micro"))
        if share > price:
            raise InvalidArgument(f"policy node_share_micro {share} exceeds price_micro {price}.")
        anomalies = dict(ANOMALY_DEFAULTS)
        for name, value in (raw.get("anomalies") or {}).items():
            if name not in ANOMALY_DEFAULTS:
                raise InvalidArgument(f"policy anomaly threshold {name!r} is unknown.")
            anomalies[name] = validate.count(f"policy anomaly threshold {name}", value)
        effective_from = validate.month(raw.get("effective_from"))
        return cls(effective_from=effective_from, price_micro=price,
                   node_share_micro=share, top_n=validate.count("policy top_n", raw.get("top_n"), 1),
                   min_seconds=validate.count("policy min_seconds", raw.get("min_seconds")),
                   currency=validate.ident("policy currency", raw.get("currency")), anomalies=anomalies,
                   played_time=played_time(raw.get("played_time")), payouts=_payouts(raw.get("payouts")),
                   until=_until(raw.get("until"), effective_from),
                   day_format=validate.choice("policy day_format", raw.get("day_format", DAY_FORMATS[0]), DAY_FORMATS))

    @classmethod
    def of(cls, record: dict[str, Any]) -> "Policy":
        """The policy of a record read from the ledger (already validated when it was written)."""
        return cls(**{**record, "payouts": {**PAYOUT_DEFAULTS, **record.get("payouts", {})}})

    def record(self) -> dict[str, Any]:
        """The policy as its on-chain record (``played_time``, ``payouts``, ``until`` and ``day_format``
        only when not the defaults, so a policy at the defaults is the record it was before the settings
        existed)."""
        record = asdict(self)
        for name, defaults in (("played_time", PLAYED_TIME_DEFAULTS), ("payouts", PAYOUT_DEFAULTS), ("until", ""),
                               ("day_format", DAY_FORMATS[0])):
            if record[name] == defaults:
                del record[name]
        return record


def _until(raw: Any, effective_from: str) -> str:
    """A policy's optional last month bound ``until`` ("" when it has none), after ``effective_from``."""
    if raw is None or raw == "":
        return ""
    until = validate.month(raw)
    if until <= effective_from:
        raise InvalidArgument(f"policy until {until} is not after its effective_from {effective_from}.")
    return until


def _settings(name: str, raw: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """A policy's optional settings object ``name``: the defaults with what ``raw`` gives over them
    (InvalidArgument for anything but an object of known settings)."""
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, dict):
        raise InvalidArgument(f"policy {name} must be a JSON object.")
    for setting in sorted(raw):
        if setting not in defaults:
            raise InvalidArgument(f"policy {name} setting {setting!r} is unknown.")
    return {**defaults, **raw}


def played_time(raw: Any) -> dict[str, Any]:
    """A policy's ``played_time`` setting, the defaults filling what it omits."""
    merged = _settings("played_time", raw, PLAYED_TIME_DEFAULTS)
    return {"ceiling_seconds": validate.count("policy played_time.ceiling_seconds", merged["ceiling_seconds"]),
            "default_seconds": validate.count("policy played_time.default_seconds", merged["default_seconds"]),
            "rule": validate.choice("policy played_time.rule", merged["rule"], PLAYED_TIME_RULES)}


# -- across months: balances, minimum payouts, where the money no artist takes goes --------------

#: Where money no artist takes goes: "next_pool", the same node's artist pool at its next
#: settlement (split among the artists that node pays then, in proportion to what it pays them);
#: "wallet", the consortium wallet the policy names (instructed at that settlement).
DESTINATIONS = ("next_pool", "wallet")
#: A policy's ``payouts`` settings and their defaults: ``min_payout_micro`` the smallest balance
#: instructed; ``unallocated_to`` where unallocated money goes (silent subscribers, rejected
#: scopes, fraud recovered); ``unclaimed_months`` how many months money is held for an
#: unregistered artist before it is unclaimed, and ``unclaimed_to`` where it then goes;
#: ``consortium_wallet`` the wallet a "wallet" destination pays.
PAYOUT_DEFAULTS = {"consortium_wallet": "", "min_payout_micro": 0, "unallocated_to": "next_pool",
                   "unclaimed_months": 12, "unclaimed_to": "next_pool"}


def _payouts(raw: Any) -> dict[str, Any]:
    """A policy's ``payouts`` settings, the defaults filling what it omits."""
    merged = _settings("payouts", raw, PAYOUT_DEFAULTS)
    settings = {
        "consortium_wallet": (validate.ident("policy payouts.consortium_wallet", merged["consortium_wallet"])
                              if merged["consortium_wallet"] != "" else ""),
        "min_payout_micro": validate.count("policy payouts.min_payout_micro", merged["min_payout_micro"]),
        "unallocated_to": validate.choice("policy payouts.unallocated_to", merged["unallocated_to"], DESTINATIONS),
        "unclaimed_months": validate.count("policy payouts.unclaimed_months", merged["unclaimed_months"], 1),
        "unclaimed_to": validate.choice("policy payouts.unclaimed_to", merged["unclaimed_to"], DESTINATIONS),
    }
    if "wallet" in (settings["unallocated_to"], settings["unclaimed_to"]) and not settings["consortium_wallet"]:
        raise InvalidArgument("policy payouts send money to the consortium wallet but name none "
                              "(payouts.consortium_wallet).")
    return settings


def payable(balance_micro: int, min_payout_micro: int) -> bool:
    """Whether a balance is instructed whole (else it is carried): positive and at least the minimum."""
    return balance_micro > 0 and balance_micro >= min_payout_micro


def month_index(month: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` month, so that months subtract."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def unclaimed(held_month: str, month: str, unclaimed_months: int) -> bool:
    """Whether money held since ``held_month`` for an unregistered artist is unclaimed at the
    settlement of ``month``: it has waited ``unclaimed_months`` months."""
    return month_index(month) - month_index(held_month) >= unclaimed_months


def counts(seconds: int, min_seconds: int) -> bool:
    """Whether a play of ``seconds`` counts (rule 1)."""
    return seconds >= min_seconds and seconds > 0


def top_n(weights: Iterable[tuple[str, int]], n: int) -> list[tuple[str, int]]:
    """The ``n`` heaviest (id, weight) pairs, ties broken by id ascending (rule 3)."""
    return sorted(weights, key=lambda pair: (-pair[1], pair[0]))[:n]


def split(total: int, weights: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Split ``total`` in proportion to positive integer weights, summing exactly to ``total``.

    Each part is floored; the micro-units left over go one each to the largest remainders, ties
    broken by id ascending (rule 4).
    """
    pairs = list(weights)
    whole = sum(weight for _, weight in pairs)
    if total < 0 or whole <= 0 or any(weight <= 0 for _, weight in pairs):
        raise ValueError("split needs a non-negative total and positive weights")
    parts: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for ident, weight in pairs:
        parts[ident], remainder = divmod(total * weight, whole)
        remainders.append((-remainder, ident))
    left = total - sum(parts.values())
    for _, ident in sorted(remainders)[:left]:
        parts[ident] += 1
    return parts


def allocate(pairs: list[list] | list[tuple[str, int]], n: int, share: int) -> list[list]:
    """One listener's allocation: [[artist_id, weight, amount_micro], ...] of the top ``n`` artists
    by (-weight, artist_id), sharing ``share`` by :func:`split` (rules 3 and 4)."""
    top = top_n([(a, w) for a, w in pairs], n)
    amounts = split(share, top)
    return [[artist, weight, amounts[artist]] for artist, weight in top]


# -- where money goes ----------------------------------------------------------------------------

#: Why money of a settled month is held.
HELD_FOR_DISPUTE, HELD_UNREGISTERED = "dispute", "unregistered"
#: Where a node's allocated amount for an artist goes at settlement (:func:`destination`).
PAID, HELD_DISPUTE, REJECTED, HELD_ARTIST = "paid", "held_dispute", "rejected", "held_artist"
#: Where held money goes when released (:func:`release_destination`).
TO_ARTIST, TO_UNALLOCATED, TO_UNREGISTERED = "artist", "unallocated", "unregistered"


def dispute_state(states: Iterable[str]) -> str:
    """The state that decides an allocation's fate from the states ("open", "approve", "reject") of
    every dispute whose scope covers it: a rejection first (the scope is wrong, its money is never
    paid), then an open dispute (held under it), else "" (approvals hold nothing)."""
    states = set(states)
    return "reject" if "reject" in states else "open" if "open" in states else ""


def destination(dispute: str, registered: bool) -> str:
    """Where an allocated amount goes at settlement, from :func:`dispute_state` of the disputes
    covering it: rejected → unallocated (reported as rejected); open → held under the dispute;
    otherwise paid to the artist, or held for it while it is not registered."""
    if dispute == "reject":
        return REJECTED
    if dispute == "open":
        return HELD_DISPUTE
    return PAID if registered else HELD_ARTIST


def release_destination(resolution: str, registered: bool) -> str:
    """Where money held under a dispute goes when the dispute resolves: "reject" → unallocated;
    "approve" → the artist, or held for the artist while it is not registered."""
    if resolution == "reject":
        return TO_UNALLOCATED
    return TO_ARTIST if registered else TO_UNREGISTERED
