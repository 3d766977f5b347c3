"""Every record the chaincode keeps in world state: its key and its value, documented once.

A record lives under a composite key: U+0000, the record kind, U+0000, then each key attribute
followed by U+0000 (Fabric's ``CreateCompositeKey``). Values are canonical JSON
(:mod:`chaincode.canonical_json`); amounts are integer micro-units. The kinds below are the whole
schema: contracts read and write records only through them (:mod:`chaincode.state`), and clients
build keys with them (for key histories) without restating the format.
"""

from dataclasses import dataclass
from typing import Generic, NotRequired, TypeVar, TypedDict

from . import canonical_json

R = TypeVar("R")

#: Separates a composite key's parts; also its first character (Fabric's namespace marker).
SEPARATOR = "\x00"


def composite_key(kind: str, attributes: tuple[str, ...] | list[str]) -> str:
    """The world-state key of a record of ``kind`` with key ``attributes``, as Fabric builds it
    (each part non-empty and free of U+0000)."""
    if any(not part or SEPARATOR in part for part in (kind, *attributes)):
        raise ValueError(f"composite key parts must be non-empty and free of U+0000: {kind!r} {attributes!r}")
    return SEPARATOR + kind + SEPARATOR + "".join(str(a) + SEPARATOR for a in attributes)


@dataclass(frozen=True)
class Kind(Generic[R]):
    """A record kind: its name in the composite key and the names of its key attributes."""

    name: str
    attributes: tuple[str, ...]

    def key(self, *values: str) -> str:
        """The composite key of the record with these attribute values (all of them, in order)."""
        return composite_key(self.name, values)


# -- registry ------------------------------------------------------------------------------------

class ConsortiumSummary(TypedDict):
    """Written once by Registry:Bootstrap; a second bootstrap must match it."""

    artists: int
    clusters: list[str]
    nodes: list[str]
    policy: str


class Cluster(TypedDict):
    id: str


class Node(TypedDict):
    """A node (organisation): ``status`` "active" or "revoked"; ``duties`` ⊆ {"arbitrator", "reviewer"};
    ``definition_sha256`` (admitted by a proposal that named it) the SHA-256 of the organisation's
    channel definition."""

    cluster: str
    definition_sha256: NotRequired[str]
    duties: list[str]
    id: str
    msp_id: str
    status: str
    wallet: str


class Artist(TypedDict):
    """A registered artist; ``isni`` is "" when unknown; ``mbids`` its MusicBrainz artist ids and
    ``aliases`` its other exact spellings (:mod:`chaincode.artist_ids`), both sorted. ``proposal``
    is the consortium proposal that approved its current wallet ("" for an artist of the bootstrap
    document); ``previous_wallets`` [{"proposal", "wallet"}, ...] every wallet it had before,
    oldest first."""

    aliases: list[str]
    id: str
    isni: str
    mbids: list[str]
    name: str
    previous_wallets: list[dict]
    proposal: str
    wallet: str


class Proposal(TypedDict):
    """A consortium change (:mod:`chaincode.governance`) applied when a majority of active nodes
    approve; ``id`` is the first 16 hex of SHA-256(canonical {"kind", "payload"}), with
    ``"round": n`` added to the hashed object from the second time the same change is proposed
    (``round`` 0, 1, ...); ``status`` "open" or "applied"; ``note`` what the proposer was told
    (for an artist, the money held for it)."""

    approvals: list[str]
    id: str
    kind: str
    note: str
    payload: dict
    proposer: str
    round: int
    status: str


CONSORTIUM: Kind[ConsortiumSummary] = Kind("consortium", ())
CLUSTER: Kind[Cluster] = Kind("cluster", ("cluster",))
NODE: Kind[Node] = Kind("node", ("node",))
#: The node id of an organisation (MSP id), so the caller's node is found by its MSP id.
NODE_OF_MSP: Kind[str] = Kind("nodemsp", ("msp_id",))
ARTIST: Kind[Artist] = Kind("artist", ("artist",))
#: The artist a MusicBrainz artist id names (one artist at most).
ARTIST_MBID: Kind[str] = Kind("artistmbid", ("mbid",))
#: The ids of the artists whose name or an alias derives an unregistered id
#: (:func:`chaincode.artist_ids.unregistered_id`), sorted: money held under that id is released to
#: the artist when there is exactly one.
ARTIST_NAMED: Kind[list[str]] = Kind("artistnamed", ("unregistered_id",))
#: A policy version (see :class:`chaincode.rules.Policy` for its fields), keyed by the month it
#: takes effect from.
POLICY: Kind[dict] = Kind("policy", ("effective_from",))
PROPOSAL: Kind[Proposal] = Kind("proposal", ("proposal",))


# -- subscriptions -------------------------------------------------------------------------------

class Subscription(TypedDict):
    """A listener's month at a node; ``status`` "paid", "renewed" or "expired"; ``payment_hash`` is
    the keyed hash of the payment reference (:func:`admin.pseudonym.payment_hash`: HMAC-SHA256
    under the consortium's payment key), never the reference itself."""

    amount_micro: int
    listener: str
    month: str
    node: str
    payment_hash: str
    status: str


class PaymentUse(TypedDict):
    """Which subscription a payment paid: a payment (its keyed hash) pays once in the whole ledger."""

    listener: str
    month: str
    node: str


SUBSCRIPTION: Kind[Subscription] = Kind("sub", ("month", "node", "listener"))
PAYMENT_REF: Kind[PaymentUse] = Kind("payref", ("payment_hash",))


# -- listening -----------------------------------------------------------------------------------

class Anchor(TypedDict):
    """A node's day: the SHA-256 of its canonical day file and its counts; a correction keeps each
    replaced {sha256, counts..., reason} under ``superseded``, oldest first."""

    date: str
    listeners: int
    node: str
    plays: int
    rows: int
    seconds: int
    sha256: str
    superseded: list[dict]


ANCHOR: Kind[Anchor] = Kind("anchor", ("node", "date"))


# -- allocations ---------------------------------------------------------------------------------

class Allocation(TypedDict):
    """One subscribed listener's month: [[artist_id, weight, amount_micro], ...] by (-weight, artist)."""

    artists: list[list]
    batch: int


class AllocationBatch(TypedDict):
    """A batch of allocations with its per-artist totals (settlement sums batches: no hot key);
    ``sha256`` is of the batch's normalised entries."""

    artists: dict[str, int]
    batch: int
    listeners: int
    month: str
    node: str
    sha256: str
    total_micro: int


class NodeMonth(TypedDict):
    """A node's month: ``status`` "sealed" (its batches 1..N and the Merkle root of its
    allocations) or "unsealed" (withdrawn to be corrected: batches 0, merkle_root ""). ``version``
    counts the seals (1 for the first); reviews are of one version. ``superseded`` keeps every
    withdrawn seal {"batches", "listeners", "merkle_root", "reason", "total_micro", "version"},
    oldest first."""

    batches: int
    listeners: int
    merkle_root: str
    month: str
    node: str
    status: str
    superseded: list[dict]
    total_micro: int
    version: int


class Reviewers(TypedDict):
    """The reviewers assigned to a node's month when it is first sealed (:mod:`chaincode.three_eyes`):
    ``peer`` (same cluster) and ``external`` (another cluster), "" when no node was eligible;
    ``replaced`` [{"proposal", "reviewer", "role"}] each reviewer a proposal replaced, oldest first."""

    external: str
    month: str
    node: str
    peer: str
    replaced: list[dict]


ALLOCATION: Kind[Allocation] = Kind("alloc", ("month", "node", "listener"))
#: ``batch`` is the batch number zero-padded to 6 digits, so batches scan in order.
ALLOCATION_BATCH: Kind[AllocationBatch] = Kind("allocbatch", ("month", "node", "batch"))
NODE_MONTH: Kind[NodeMonth] = Kind("nodemonth", ("month", "node"))
REVIEWERS: Kind[Reviewers] = Kind("reviewers", ("month", "node"))


def batch_attribute(number: int) -> str:
    """The key attribute of batch ``number``."""
    return f"{number:06d}"


def batch_sha256(entries: list[list]) -> str:
    """The ``sha256`` of a batch: SHA-256 of the canonical JSON of its entries
    [[listener, [[artist_id, weight], ...]], ...], sorted by listener, each listener's artists by
    (-weight, artist_id)."""
    normalised = sorted([[listener, sorted(([a, w] for a, w in pairs), key=lambda p: (-p[1], p[0]))]
                         for listener, pairs in entries], key=lambda e: e[0])
    return canonical_json.sha256(normalised)


# -- reviews and disputes ------------------------------------------------------------------------

class Review(TypedDict):
    """An assigned reviewer's verdict ("approve" or "flag") on ``version`` of a node's sealed month;
    a flag's ``scope`` (:mod:`chaincode.scope`) says what it disputes (None for an approval).
    ``superseded`` keeps the reviewer's verdicts on earlier versions, oldest first."""

    evidence_sha256: str
    month: str
    node: str
    reason: str
    reviewer: str
    scope: dict | None
    superseded: list[dict]
    verdict: str
    version: int


class Dispute(TypedDict):
    """A flag on ``version`` of a node's month, over its ``scope`` (:mod:`chaincode.scope`), decided
    by three eyes: ``local`` (the subject), ``peer`` (same cluster), ``external`` (another cluster)
    vote; an ``arbitrator`` decides when they do not agree, or a majority of the consortium
    (``decided_by`` "consortium"). ``votes``: {node: {"reason", "vote"}}; ``status`` "open" or
    "resolved"; ``resolution`` "approve" (the report stands) or "reject" (the scope is wrong);
    ``decided_by`` "majority", "arbitration" or "consortium". ``id`` is the first 16 hex of
    SHA-256(canonical {"month", "node", "opened_by"}), with ``"version"`` added for a version after
    the first."""

    arbitration_reason: str
    arbitrator: str
    decided_by: str
    evidence: list[str]
    external: str
    id: str
    local: str
    month: str
    node: str
    opened_by: str
    peer: str
    reason: str
    resolution: str
    scope: dict
    status: str
    version: int
    votes: dict[str, dict]


REVIEW: Kind[Review] = Kind("review", ("month", "node", "reviewer"))
DISPUTE: Kind[Dispute] = Kind("dispute", ("dispute",))
#: The id of the dispute open on a node's month (deleted on resolution): at most one at a time.
OPEN_DISPUTE: Kind[str] = Kind("disputeopen", ("month", "node"))
#: Every dispute ever opened on a node's month (its id), so settlement finds them without a scan
#: of every dispute.
MONTH_DISPUTE: Kind[str] = Kind("monthdispute", ("month", "node", "dispute"))


# -- settlement ----------------------------------------------------------------------------------

class Payout(TypedDict):
    """A payout instruction; ``by_node`` is what each collecting node owes of it, ``paid_by`` each
    node's receipt reference; ``status`` "instructed", then "paid" once every owing node confirmed.
    ``kind`` "artist", "node" or "consortium" (payee "unallocated" or "unclaimed", paid to the
    policy's consortium wallet).

    An artist's record is its month: ``account`` {"carried_in", "earned", "pool", "recovered",
    "carried_out"}, each {node: amount} (:mod:`chaincode.books`), ``listeners`` {node: listeners
    whose top artists it was}; ``status`` "carried" (``amount_micro`` 0) when its balance stays below
    the minimum payout; ``splits`` [{"amount_micro", "bp", "by_node", "payee"}] when a split sheet
    divides it, else []."""

    account: dict[str, dict[str, int]]
    amount_micro: int
    by_node: dict[str, int]
    kind: str
    listeners: dict[str, int]
    month: str
    paid_by: dict[str, str]
    payee: str
    splits: list[dict]
    status: str
    wallet: str


class Release(TypedDict):
    """Held money of a settled month released after settlement and credited to the artist's
    balance (:data:`BALANCE`), instructed at the next settlement that finds it payable; ``source``
    is the dispute id, "unregistered", the ``unreg:`` id whose money went to the artist with that
    name, or "node:<node>" (a node's part settled late)."""

    amount_micro: int
    artist: str
    by_node: dict[str, int]
    month: str
    source: str


class Held(TypedDict):
    """Money of a settled month held for an artist: under an open dispute (``reason`` "dispute") or
    for an artist not registered (``reason`` "unregistered"); ``released_to`` says where it went
    (``status`` "released", or "unclaimed" once its holding period ran out).
    A node's part held whole (``reason`` "node", :data:`NODE_HELD`) has ``artist`` "" and
    ``node``, the node it waits for."""

    amount_micro: int
    artist: str
    by_node: dict[str, int]
    dispute: str
    month: str
    reason: str
    released_to: str
    status: str


class Settlement(TypedDict):
    """A settled month: its totals (``income = node_operators + artists + unallocated + held +
    unclaimed``), the same per node under ``nodes`` (with each node's ``disputes`` {id: "open" |
    "approve" | "reject"} and ``pending``: why its part is held whole, "" once it is settled), the
    policy version it used (its ``effective_from``), ``inputs_sha256`` over what it was computed
    from, and ``books``: the stocks before and after the settlement and what it moved
    (:func:`chaincode.books.close`), per node under ``books.nodes``, and ``books.sequence``: its
    place among the ledger's settlements, 1 for the first (balances carry in that order)."""

    artists_micro: int
    books: dict
    held_count: int
    held_micro: int
    income_micro: int
    inputs_sha256: str
    month: str
    node_operators_micro: int
    nodes: dict[str, dict]
    payout_count: int
    policy: str
    rejected_micro: int
    release_count: int
    released_micro: int
    settled_by: str
    unallocated_micro: int
    unclaimed_micro: int


SETTLEMENT: Kind[Settlement] = Kind("settlement", ("month",))
PAYOUT: Kind[Payout] = Kind("payout", ("month", "kind", "payee"))
#: ``reason_key`` is the dispute id, or "unregistered".
HELD: Kind[Held] = Kind("held", ("month", "reason_key", "artist"))
#: A node's part of a settled month held whole: the artist share of its counted subscriptions,
#: until its month is sealed and reviewed (``Settlement:SettleNode``).
NODE_HELD: Kind[Held] = Kind("nodeheld", ("month", "node"))
RELEASE: Kind[Release] = Kind("release", ("month", "artist", "source"))


class Excused(TypedDict):
    """The consortium settles ``month`` without waiting for ``node`` (proposal settle_without)."""

    month: str
    node: str
    proposal: str


EXCUSED: Kind[Excused] = Kind("excused", ("month", "node"))


# -- across months -------------------------------------------------------------------------------

class Balance(TypedDict):
    """An artist's balance carried to its next settlement: ``by_node`` what each collecting node
    owes of it (credited by settlements and releases, zeroed when instructed)."""

    amount_micro: int
    artist: str
    by_node: dict[str, int]


class Waiting(TypedDict):
    """A node's waiting money: unallocated and unclaimed money the node holds until a settlement
    sends it where the policy says (:mod:`chaincode.books`)."""

    node: str
    unallocated_micro: int
    unclaimed_micro: int


class SplitSheet(TypedDict):
    """An artist's split sheet from ``effective_from`` on: ``payees`` [[payee wallet, basis
    points], ...] by payee, summing to 10,000; ``proposal`` the consortium proposal that set it."""

    artist: str
    effective_from: str
    payees: list[list]
    proposal: str


class Adjustment(TypedDict):
    """A consortium's adjustment of node ``node``'s settled ``month`` (proposal ``adjust``):
    ``kind`` "chargeback" (``listener``'s subscription refunded after settlement) or "fraud" (what
    ``scope`` covers, :mod:`chaincode.scope`), with its ``reason`` and ``evidence_sha256``.
    ``claims`` {"artists": {artist: amount}, "node_share_micro", "waiting_micro"} is what it claims
    back; ``status`` "due", then "applied" by the settlement of ``applied_in``, with what it
    ``recovered`` (same shape) and its ``losses_micro`` (claimed, not recovered)."""

    applied_in: str
    claimed_micro: int
    claims: dict
    evidence_sha256: str
    id: str
    kind: str
    listener: str
    losses_micro: int
    month: str
    node: str
    reason: str
    recovered: dict
    recovered_micro: int
    scope: dict
    status: str


BALANCE: Kind[Balance] = Kind("balance", ("artist",))
WAITING: Kind[Waiting] = Kind("waiting", ("node",))
SPLIT: Kind[SplitSheet] = Kind("split", ("artist", "effective_from"))
#: ``adjustment`` is the id of the proposal that approved it.
ADJUSTMENT: Kind[Adjustment] = Kind("adjustment", ("month", "node", "adjustment"))
#: An adjustment not yet applied: [month, node] of its record; the next settlement applies it.
ADJUSTMENT_DUE: Kind[list] = Kind("adjustmentdue", ("adjustment",))


# -- audit ---------------------------------------------------------------------------------------

class AuditDocument(TypedDict):
    """The anchor of a month's audit document: the SHA-256 of its manifest and its files."""

    anchored_by: str
    as_of_block: int
    files: dict[str, str]
    month: str
    sha256: str


AUDIT_DOCUMENT: Kind[AuditDocument] = Kind("auditdoc", ("month", "sha256", "node"))
