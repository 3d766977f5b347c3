"""Fuzzing every input file the tool reads: random bytes and structured mutations of valid day files
(CSV, Parquet, JSON lines), subscription files, consortium YAML, wallet identities and receipts.

Whatever the bytes, the tool answers with one of its errors (never a traceback), and a refused
input writes nothing: the world state, the block height and the kept day files are unchanged.
Cases per format: ``NINETEN_FUZZ_CASES`` (see :mod:`fuzzing`).
"""

import datetime as dt
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from admin import dayfile
from admin.bootstrap import load_consortium
from admin.errors import NinetenError
from admin.inputs import read_consortium, read_subscriptions
from admin.listens import submit_day
from admin.receipt import check_receipt, listener_receipt, read_receipt
from admin.session import Session
from admin.subscriptions import import_subscriptions
from fuzzing import FUZZ, TEXT, json_text, mutated_json, mutated_text
from scenario_files import CONSORTIUM, run, write_scenario

DAY_CSV = ("played_at,listener_id,artist_id,track_id,seconds\n"
           "2026-11-05T08:00:00Z,L1,a1,t1,100\n2026-11-05T09:00:00Z,L2,a2,t2,40\n")
SUBSCRIPTIONS = ("month,node_id,listener_id,payment_ref,amount\n"
                 "2026-11,n1,L1,nov-1,10.00\n2026-11,n2,M1,nov-2,10\n")
LISTENS = [
    {"listened_at": int(dt.datetime(2026, 11, 6, 8, tzinfo=dt.timezone.utc).timestamp()), "user_name": "L1",
     "track_metadata": {"artist_name": "Ann", "track_name": "One",
                        "additional_info": {"duration_ms": 200000, "recording_mbid": "r1"}}},
    {"type": "Listen", "actor": "https://node/users/L2", "published": "2026-11-06T09:00:00Z",
     "object": {"type": "Audio", "id": "https://node/tracks/1", "attributedTo": "https://node/artists/a1",
                "duration": "PT3M"}},
]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The tiny month simulated (October settled, November open), a session on it, and a folder for
    the fuzzed files."""
    root = tmp_path_factory.mktemp("fuzz")
    run("simulate", write_scenario(root / "s"), "--out", root / "out")
    session = Session(folder=root / "out" / "ledger")
    work = root / "work"
    work.mkdir()
    yield session, work
    session.close()


def fingerprint(session):
    return session.client.state_hash(), session.client.height()


def refused_cleanly(session, action, kept=()):
    """Run ``action``; a refusal must be one of the tool's errors and leave the ledger and the
    ``kept`` files as they were."""
    before = fingerprint(session), [path.read_bytes() if path.exists() else None for path in kept]
    try:
        action()
    except NinetenError:
        assert (fingerprint(session), [p.read_bytes() if p.exists() else None for p in kept]) == before
        return True
    return False


def raw_or(mutation):
    """Random bytes, or a structured mutation of a valid file."""
    return st.one_of(st.binary(max_size=600), mutation)


@st.composite
def csv_days(draw):
    return mutated_text(draw, DAY_CSV).encode()


@st.composite
def jsonl_days(draw):
    lines = [json_text(mutated_json(draw, item)) if draw(st.booleans()) else json.dumps(item) for item in LISTENS]
    if draw(st.booleans()):
        lines.append(draw(TEXT))
    return ("\n".join(lines) + "\n").encode()


TYPES = [pa.int64(), pa.uint64(), pa.int8(), pa.float64(), pa.string(), pa.large_string(), pa.bool_(), pa.binary(),
         pa.timestamp("ms", tz="UTC"), pa.timestamp("ns"), pa.timestamp("s"), pa.date32(), pa.null()]
COLUMNS = ["played_at", "listener_id", "artist_id", "track_id", "seconds"]
GOOD = {"played_at": (pa.string(), ["2026-11-07T08:00:00Z", "2026-11-07T09:00:00Z"]),
        "listener_id": (pa.string(), ["L1", "L2"]), "artist_id": (pa.string(), ["a1", "a2"]),
        "track_id": (pa.string(), ["t1", "t2"]), "seconds": (pa.int64(), [100, 40])}


def _value(draw, kind):
    if pa.types.is_integer(kind):
        info = {8: 2 ** 7, 64: 2 ** 63}[kind.bit_width]
        low = 0 if pa.types.is_unsigned_integer(kind) else -info
        return draw(st.integers(low, (2 * info if low == 0 else info) - 1))
    if pa.types.is_floating(kind):
        return draw(st.floats(allow_nan=True, allow_infinity=True))
    if pa.types.is_timestamp(kind):
        return draw(st.integers(-(2 ** 63) + 1, 2 ** 63 - 1))
    if pa.types.is_date(kind):
        return draw(st.integers(-(2 ** 31) + 1, 2 ** 31 - 1))
    if pa.types.is_boolean(kind):
        return draw(st.booleans())
    if pa.types.is_binary(kind):
        return draw(st.binary(max_size=10))
    if pa.types.is_null(kind):
        return None
    return draw(TEXT)


@st.composite
def parquet_days(draw):
    names = draw(st.sampled_from([COLUMNS, COLUMNS, COLUMNS[:-1], COLUMNS + ["extra"], COLUMNS[::-1]]))
    columns = {}
    for name in names:
        if name in GOOD and draw(st.integers(0, 2)):
            kind, values = GOOD[name]
            values = [draw(st.one_of(st.just(v), st.none())) if draw(st.booleans()) else v for v in values]
        else:
            kind = draw(st.sampled_from(TYPES))
            values = [None if draw(st.integers(0, 5)) == 0 else _value(draw, kind) for _ in range(2)]
        if pa.types.is_timestamp(kind):
            values = [None if v is None or isinstance(v, str) else v for v in values]
        columns[name] = pa.array(values, kind if not pa.types.is_null(kind) else pa.null(), from_pandas=True) \
            if not all(v is None for v in values) or not pa.types.is_null(kind) else pa.nulls(2)
    buffer = io.BytesIO()
    try:
        pq.write_table(pa.table(columns), buffer, coerce_timestamps="us", allow_truncated_timestamps=True)
    except (pa.ArrowException, OverflowError, ValueError, TypeError):
        return b"PAR1 not a parquet file"
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content"), [
    ("2026-11-05.csv", raw_or(csv_days())),
    ("2026-11-06.jsonl", raw_or(jsonl_days())),
    ("2026-11-07.parquet", raw_or(parquet_days())),
])
def test_a_day_file_of_any_bytes_is_anchored_or_refused_cleanly(chain, name, content):
    session, work = chain
    path = work / name
    kept = dayfile.kept_path(session.folder, "n1", name[:10])

    @FUZZ
    @given(content)
    def check(data):
        path.write_bytes(data)
        refused_cleanly(session, lambda: submit_day(session, "n1", path), [kept])

    check()


@st.composite
def subscription_files(draw):
    return mutated_text(draw, SUBSCRIPTIONS).encode()


def test_a_subscription_file_of_any_bytes_is_recorded_whole_or_refused_cleanly(chain):
    session, work = chain
    path = work / "subscriptions.csv"
    nodes = set(session.config.nodes)

    @FUZZ
    @given(raw_or(subscription_files()))
    def check(data):
        path.write_bytes(data)
        refused_cleanly(session, lambda: import_subscriptions(session, read_subscriptions(path, nodes), str(path)))

    check()


@st.composite
def consortium_files(draw):
    import yaml

    if draw(st.booleans()):
        return mutated_text(draw, CONSORTIUM, separator=" ").encode()
    document = mutated_json(draw, yaml.safe_load(CONSORTIUM))
    return yaml.safe_dump(document, allow_unicode=True).encode()


def test_a_consortium_file_of_any_bytes_is_loaded_or_refused_cleanly(tmp_path_factory):
    root = tmp_path_factory.mktemp("consortium")
    run("--ledger", root / "ledger", "init", "--consortium", write_scenario(root / "s") / "consortium.yaml")
    session = Session(folder=root / "ledger")
    path = root / "consortium.yaml"

    @FUZZ
    @given(raw_or(consortium_files()))
    def check(data):
        path.write_bytes(data)
        refused_cleanly(session, lambda: load_consortium(session, read_consortium(path, "2026-10")))

    try:
        check()
    finally:
        session.close()


@st.composite
def wallet_files(draw, genuine: bytes, other: bytes):
    body = json.loads(genuine)
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return json_text(mutated_json(draw, body)).encode()
    if choice == 1:
        pem = body["credentials"][draw(st.sampled_from(["certificate", "privateKey"]))]
        at = draw(st.integers(30, len(pem) - 30))
        flipped = pem[:at] + draw(st.sampled_from("AQgz+/=\n-")) + pem[at + 1:]
        field = "certificate" if pem == body["credentials"]["certificate"] else "privateKey"
        return json.dumps({**body, "credentials": {**body["credentials"], field: flipped}}).encode()
    if choice == 2:
        foreign = json.loads(other)["credentials"]["certificate"]
        return json.dumps({**body, "credentials": {**body["credentials"], "certificate": foreign}}).encode()
    return mutated_text(draw, genuine.decode(), separator='"').encode()


def test_a_wallet_identity_of_any_bytes_signs_or_is_refused_cleanly(chain):
    session, _ = chain
    wallet = session.folder / "wallet"
    genuine, other = (wallet / "n1.admin.id").read_bytes(), (wallet / "n2.admin.id").read_bytes()
    counts = {"listeners": 1, "plays": 1, "rows": 1, "seconds": 60}

    @FUZZ
    @given(raw_or(wallet_files(genuine, other)))
    def check(data):
        (wallet / "fuzz.id").write_bytes(data)
        refused_cleanly(session, lambda: session.acting("fuzz").submit("Listening:Anchor", "n1", "2026-11-09",
                                                                       "a" * 64, counts))

    try:
        check()
    finally:
        (wallet / "fuzz.id").unlink(missing_ok=True)


def test_a_receipt_of_any_bytes_is_checked_or_refused_cleanly(chain):
    session, work = chain
    receipt = listener_receipt(session, "L1", "2026-10", "n1")
    path = work / "receipt.json"

    @st.composite
    def receipts(draw):
        return json_text(mutated_json(draw, receipt)).encode()

    @FUZZ
    @given(raw_or(receipts()))
    def check(data):
        path.write_bytes(data)
        refused_cleanly(session, lambda: check_receipt(session, read_receipt(path)))

    check()
