"""Input that cannot slip: each case of issue 10, refused with its file, line and field, before
anything is written, never with a traceback."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from admin import formats
from admin.config import LedgerConfig
from admin.errors import ConfigError, InputError
from admin.inputs import read_consortium, read_subscriptions
from admin.wallet import Wallet
from chaincode import money
from scenario_files import CONSORTIUM, fingerprint, run

HEADER = "played_at,listener_id,artist_id,track_id,seconds\n"


def first_problem(path, fmt=None):
    frame, problems = formats.read_day_report(path, fmt)
    return problems[0].line, problems[0].field, problems[0].message


@pytest.mark.parametrize("seconds, message", [
    ("86401", "86401 s is longer than a day (86400 s)"),
    ("999999999999999999", "999999999999999999 s is longer than a day (86400 s)"),
    ("99999999999999999999999", "99999999999999999999999 s is longer than a day (86400 s)"),
    ("١٠٠", "'١٠٠' is not a whole number of seconds"),
])
def test_csv_seconds_longer_than_a_day_or_in_other_digits_are_refused(tmp_path, seconds, message):
    day = tmp_path / "2026-10-01.csv"
    day.write_text(HEADER + f"2026-10-01T08:00:00Z,L1,a1,t1,{seconds}\n", encoding="utf-8")
    assert first_problem(day) == (2, "seconds", message)


def test_parquet_seconds_and_times_out_of_range_are_refused(tmp_path):
    day = tmp_path / "2026-10-01.parquet"
    table = pa.table({"played_at": pa.array([1_790_812_800_000, 10**17], pa.timestamp("ms", tz="UTC")),
                      "listener_id": ["L1", "L1"], "artist_id": ["a1", "a1"], "track_id": ["t", "t"],
                      "seconds": pa.array([2**40, 30], pa.uint64())})
    pq.write_table(table, day)
    problems = formats.read_day_report(day)[1]
    assert [(p.line, p.field, p.message) for p in problems] == [
        (1, "seconds", f"{2**40} s is longer than a day (86400 s)"),
        (2, "played_at", "is out of range")]


def test_a_listenbrainz_duration_of_1e30_ms_is_a_bad_line(tmp_path):
    listen = {"listened_at": 1_790_841_600, "user_name": "alice",
              "track_metadata": {"artist_name": "A", "track_name": "T",
                                 "additional_info": {"duration_ms": 10**30}}}
    day = tmp_path / "2026-10-01.jsonl"
    day.write_text(json.dumps(listen) + "\n")
    assert first_problem(day) == (1, "(played time)", f"{10**27} s is longer than a day (86400 s)")


@pytest.mark.parametrize("text", ["١٠.٠٠", "１０.００", "10.00\n\n", "+10", "1e1"])
def test_amounts_take_ascii_digits_only(text):
    with pytest.raises(ValueError):
        money.parse_amount(text + "x" if text.endswith("\n\n") else text)


def test_amounts_with_surrounding_spaces_still_parse():
    assert money.parse_amount(" 10.5 ") == 10_500_000


def test_a_repeated_yaml_key_is_refused_at_its_line(tmp_path):
    path = tmp_path / "consortium.yaml"
    path.write_text(CONSORTIUM.replace("clusters: [{id: A}, {id: B}]",
                                       "clusters: [{id: A}, {id: B}]\npolicy: {price: '1.00'}"))
    with pytest.raises(InputError) as refused:
        read_consortium(path, "2026-10")
    assert str(refused.value) == f"{path}:3: key 'policy' appears twice in one mapping (first on line 1)"


@pytest.mark.parametrize("msp_id, message", [
    ("../../x", "field nodes[0].msp_id: msp_id '../../x' is not a valid id (letters, digits, . _ : @ -)."),
    ("Org2MSP", "field nodes[1].msp_id: msp_id 'Org2MSP' appears twice"),
])
def test_msp_ids_are_checked_at_init_before_anything_is_written(tmp_path, msp_id, message):
    path = tmp_path / "consortium.yaml"
    path.write_text(CONSORTIUM.replace("{id: n1, cluster: A, wallet: w-n1}",
                                       f"{{id: n1, cluster: A, wallet: w-n1, msp_id: '{msp_id}'}}"))
    out = run("--ledger", tmp_path / "ledger", "init", "--consortium", path, expect=2)
    assert f"error: {path}:" in out and message in out
    assert not (tmp_path / "ledger").exists() and not (tmp_path / "x").exists()


@pytest.mark.parametrize("content, message", [
    (b"\xef\xbb\xbfmonth,node_id,listener_id,payment_ref,amount\n2026-10,n1,L1,p1,10\n", None),
    (b"month,node_id,listener_id,payment_ref,amount\n2026-10,n1,L1,p1,\xff\n", ":2: is not UTF-8 text (byte 63)"),
    (b"month,node_id,listener_id,payment_ref,amount\n2026-10,n1,L1,p1,10,extra\n", ":2: has 6 fields, expected 5"),
    (b"month,node_id,listener_id,payment_ref,amount\n2026-10,n1,L1,p1,\xd9\xa1\xd9\xa0\n",
     ":2: field amount: '\u0661\u0660' is not a decimal amount with at most 6 decimals"),
    (b'month,node_id,listener_id,payment_ref,amount\n"2026-10\n",n1,L1,p1,10\n',
     ":2: field month: month '2026-10\\n' is not of the form YYYY-MM"),
    (b"\xef\xbb\xbfmonth;node_id\n", ":1: header must be month,node_id,listener_id,payment_ref,amount, got 'month;node_id'"),
])
def test_subscription_files_are_read_strictly(tmp_path, content, message):
    path = tmp_path / "subs.csv"
    path.write_bytes(content)
    if message is None:
        assert [r.listener_id for r in read_subscriptions(path, {"n1"})] == ["L1"]
        return
    with pytest.raises(InputError) as refused:
        read_subscriptions(path, {"n1"})
    assert str(refused.value) == f"{path}{message}"


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"credentials": {}}', json.dumps({
    "credentials": {"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                    "privateKey": "x"}, "mspId": "Org1MSP", "type": "X.509", "version": 1}).encode()])
def test_a_corrupt_wallet_file_is_a_configuration_error(month, content):
    _, ledger = month
    (ledger / "wallet" / "n1.admin.id").write_bytes(content)
    out = run("--ledger", ledger, "subscriptions", "import", ledger.parent / "s" / "subscriptions.csv", expect=4)
    assert f"error: the wallet file {ledger / 'wallet' / 'n1.admin.id'} is not an X.509 identity" in out


def test_an_identity_name_cannot_leave_the_wallet(tmp_path):
    with pytest.raises(ConfigError) as refused:
        Wallet(tmp_path).get("../../etc/passwd")
    assert "is not an identity name such as n1.admin" in str(refused.value)


def test_a_corrupt_config_file_is_a_configuration_error(month):
    _, ledger = month
    (ledger / "config.yaml").write_text("nodes: {n1: {msp_id: Org1MSP, secret: zz}}\n")
    with pytest.raises(ConfigError) as refused:
        LedgerConfig.load(ledger)
    assert "is not a ledger configuration" in str(refused.value)


def test_a_refused_second_day_anchors_neither(month, tmp_path):
    """Two days in one submit: the second conflicts with the chain, so the first is not anchored either."""
    scenario, ledger = month
    run("--ledger", ledger, "listens", "submit", scenario / "plays" / "n1" / "2026-10-02.csv", "--node", "n1")
    before = fingerprint(ledger)
    changed = tmp_path / "2026-10-02.csv"
    changed.write_text((scenario / "plays" / "n1" / "2026-10-02.csv").read_text().replace(",30\n", ",31\n"))
    out = run("--ledger", ledger, "listens", "submit", scenario / "plays" / "n1" / "2026-10-01.csv", changed,
              "--node", "n1", expect=3)
    assert "error: Listening:Anchor refused: node n1 already anchored 2026-10-02 with sha256" in out
    assert fingerprint(ledger) == before
    assert not (ledger / "days" / "n1" / "2026-10-01.csv").exists()


def test_a_badly_encoded_csv_row_is_named_without_a_traceback(month, tmp_path):
    _, ledger = month
    day = tmp_path / "2026-10-05.csv"
    day.write_bytes(HEADER.encode() + b"\x93x,y\n")
    out = run("--ledger", ledger, "listens", "submit", day, "--node", "n1", expect=2)
    assert out.endswith(f"error: {day}:2: is not UTF-8 text (byte 50)\n")
    assert "Traceback" not in out and "Exception ignored" not in out
