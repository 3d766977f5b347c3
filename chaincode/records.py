"""Every record the chaincode keeps in world state: its key and its value, documented once.

A record lives under a composite key: U+0000, the record kind, U+0000, then each key attribute
followed by U+0000 (Fabric's ``CreateCompositeKey``). Values are canonical JSON
(:mod:`chaincode.canonical_json`); amounts are integer micro-units. The kinds below are the whole
schema: contracts read and write records only through them (:mod:`chaincode.state`), and clients
build keys with them (for key histories) without restating the format.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar, TypedDict

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
    """A node (organisation): ``status`` "active" or "revoked"; ``duties`` ⊆ {"arbitrator", "reviewer"}."""

    cluster: str
    duties: list[str]
    id: str
    msp_id: str
    status: str
    wallet: str


class Artist(TypedDict):
    """A registered artist; ``isni`` is "" when unknown."""

    id: str
    isni: str
    name: str
    wallet: str


class Proposal(TypedDict):
    """A consortium change applied when a majority of active nodes approve; ``id`` is the first 16
    hex of SHA-256(canonical {"kind", "payload"}); ``status`` "open" or "applied"."""

    approvals: list[str]
    id: str
    kind: str
    payload: dict
    proposer: str
    status: str


CONSORTIUM: Kind[ConsortiumSummary] = Kind("consortium", ())
CLUSTER: Kind[Cluster] = Kind("cluster", ("cluster",))
NODE: Kind[Node] = Kind("node", ("node",))
#: The node id of an organisation (MSP id), so the caller's node is found by its MSP id.
NODE_OF_MSP: Kind[str] = Kind("nodemsp", ("msp_id",))
ARTIST: Kind[Artist] = Kind("artist", ("artist",))
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
    """A node's sealed month: its batches 1..N and the Merkle root of its allocations."""

    batches: int
    listeners: int
    merkle_root: str
    month: str
    node: str
    status: str
    total_micro: int


ALLOCATION: Kind[Allocation] = Kind("alloc", ("month", "node", "listener"))
#: ``batch`` is the batch number zero-padded to 6 digits, so batches scan in order.
ALLOCATION_BATCH: Kind[AllocationBatch] = Kind("allocbatch", ("month", "node", "batch"))
NODE_MONTH: Kind[NodeMonth] = Kind("nodemonth", ("month", "node"))


def batch_attribute(number: int) -> str:
    """The key attribute of batch ``number``."""
    return f"{number:06d}"


# -- reviews and disputes ------------------------------------------------------------------------

class Review(TypedDict):
    """A reviewer node's verdict ("approve" or "flag") on a node's sealed month."""

    evidence_sha256: str
    month: str
    node: str
    reason: str
    reviewer: str
    verdict: str


class Dispute(TypedDict):
    """A flagged month decided by three eyes: ``local`` (the subject), ``peer`` (same cluster),
    ``external`` (another cluster) vote; an ``arbitrator`` decides when they do not agree.
    ``votes``: {node: {"reason", "vote"}}; ``status`` "open" or "resolved"; ``resolution``
    "approve" (the report stands) or "reject"; ``decided_by`` "majority" or "arbitration".
    ``id`` is the first 16 hex of SHA-256(canonical {"month", "node", "opened_by"})."""

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
    status: str
    votes: dict[str, dict]


REVIEW: Kind[Review] = Kind("review", ("month", "node", "reviewer"))
DISPUTE: Kind[Dispute] = Kind("dispute", ("dispute",))
#: The id of the dispute open on a node's month (deleted on resolution).
OPEN_DISPUTE: Kind[str] = Kind("disputeopen", ("month", "node"))
#: Every dispute ever opened on a node's month (its id), so settlement finds them without a scan
#: of every dispute.
MONTH_DISPUTE: Kind[str] = Kind("monthdispute", ("month", "node", "dispute"))


# -- settlement ----------------------------------------------------------------------------------

class Payout(TypedDict):
    """A payout instruction; ``by_node`` is what each collecting node owes of it, ``paid_by`` each
    node's receipt reference; ``status`` "instructed", then "paid" once every owing node confirmed.
    ``kind`` "artist", "node" or "release" (a release also has ``source``: a dispute id or
    "unregistered")."""

    amount_micro: int
    by_node: dict[str, int]
    kind: str
    month: str
    paid_by: dict[str, str]
    payee: str
    status: str
    wallet: str


class Held(TypedDict):
    """Money of a settled month held for an artist: under an open dispute (``reason`` "dispute") or
    for an artist not registered (``reason`` "unregistered"); ``released_to`` says where it went."""

    amount_micro: int
    artist: str
    by_node: dict[str, int]
    dispute: str
    month: str
    reason: str
    released_to: str
    status: str


class Settlement(TypedDict):
    """A settled month: its totals (``income = node_operators + artists + unallocated + held``),
    the same per node under ``nodes`` (with each node's ``dispute`` and ``dispute_state``), the
    policy version it used, and ``inputs_sha256`` over what it was computed from."""

    artists_micro: int
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


SETTLEMENT: Kind[Settlement] = Kind("settlement", ("month",))
PAYOUT: Kind[Payout] = Kind("payout", ("month", "kind", "payee"))
#: ``reason_key`` is the dispute id, or "unregistered".
HELD: Kind[Held] = Kind("held", ("month", "reason_key", "artist"))
#: A release of held money after settlement; ``source`` is the dispute id or "unregistered".
RELEASE: Kind[Payout] = Kind("release", ("month", "artist", "source"))


# -- audit ---------------------------------------------------------------------------------------

class AuditDocument(TypedDict):
    """The anchor of a month's audit document: the SHA-256 of its manifest and its files."""

    anchored_by: str
    as_of_block: int
    files: dict[str, str]
    month: str
    sha256: str


AUDIT_DOCUMENT: Kind[AuditDocument] = Kind("auditdoc", ("month", "sha256", "node"))
