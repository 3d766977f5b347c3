"""`audit report` and `audit verify` on the real Fabric network (``pytest -m fabric``, network up).

The tiny scenario is simulated on Fabric and on the embedded ledger (same node secrets, so the same
keys), and each backend renders its audit document from its own chain. Block numbers and transaction
ids cannot agree: Fabric's chain starts with the channel's configuration and the chaincode's
lifecycle transactions, and its transaction ids hash random nonces. So the test pairs every source
the Fabric figures cite with the embedded one in the same place, checks the pairing is one to one
and keeps the order of the writes, and then requires every file, its sources translated, to be
byte for byte the embedded document. Every cited (block, transaction) is looked up with Fabric's
own peer CLI querying ``qscc``. Takes about a minute, two purge+up included.
"""

import json
import re
import subprocess

import pytest
from click.testing import CliRunner

from admin.cli import main
from admin.client import Connection
from admin.fabric.client import FabricClient
from chaincode.contracts.history import MAX_KEYS
from fabric_network import ROOT, fresh_network
from fabric_support import profile
from fabric_protos.common import common_pb2
from scenario_files import write_scenario
from test_fabric_month import run, seed_secrets

pytestmark = pytest.mark.fabric

MONTH = "2026-10"
BASE = f"audit-{MONTH}"
TEXT_FILES = (f"{BASE}.json", f"{BASE}.csv", f"{BASE}.md", f"{BASE}.html")
# A cited source in any rendering: the block number, then its transaction id past the rendering's
# separator (CSV, CSV of a JSON value, Markdown, HTML, JSON), in the HTML in two halves.
_SOURCE = re.compile(r'(?<![\w.])(?P<block>\d+)(?P<gap>,|,""txid"":""|, tx `|<br/><span class="h">|,\n *"txid": ")'
                     r"(?P<head>[0-9a-f]{32})(?P<cut>(?:<br/>)?)(?P<tail>[0-9a-f]{32})")
_AS_OF = re.compile(r'(as of block |"as_of_block": )(\d+)')

Source = tuple[int, str]


@pytest.fixture(scope="module")
def audits(tmp_path_factory):
    """The tiny scenario settled and audited on both backends; afterwards the network is fresh again."""
    profile = fresh_network()
    root = tmp_path_factory.mktemp("fabric-audit")
    scenario = write_scenario(root / "scenario")
    fabric_out, embedded_out = root / "fabric", root / "embedded"
    run("--gateway", profile, "simulate", scenario, "--out", fabric_out)
    seed_secrets(fabric_out, embedded_out)
    run("simulate", scenario, "--out", embedded_out)
    outputs = {}
    for name, out, gateway in (("fabric", fabric_out, ("--gateway", profile)), ("embedded", embedded_out, ())):
        outputs[name] = run("--ledger", out / "ledger", *gateway, "audit", "report", MONTH,
                            "--out", root / name / "audit")
    yield {"root": root, "profile": profile, "fabric": fabric_out, "embedded": embedded_out, "outputs": outputs}
    fresh_network()


def paired_sources(embedded, fabric, pairs: dict[Source, Source]) -> None:
    """Asserts two figure models are equal but for their sources and ``as_of_block``; records
    each Fabric source with the embedded source in the same place."""
    if isinstance(embedded, dict) and set(embedded) == {"block", "txid"}:
        assert set(fabric) == {"block", "txid"}
        found = (fabric["block"], fabric["txid"])
        assert pairs.setdefault(found, (embedded["block"], embedded["txid"])) == (embedded["block"], embedded["txid"])
    elif isinstance(embedded, dict):
        assert sorted(embedded) == sorted(fabric)
        for name in embedded:
            if name != "as_of_block":
                paired_sources(embedded[name], fabric[name], pairs)
    elif isinstance(embedded, list):
        assert len(embedded) == len(fabric)
        for mine, theirs in zip(embedded, fabric):
            paired_sources(mine, theirs, pairs)
    else:
        assert embedded == fabric


def as_embedded(text: str, pairs: dict[Source, Source], as_of: tuple[int, int]) -> str:
    """A Fabric rendering with every cited source (and the as-of block) replaced by the embedded one."""
    def source(match: re.Match) -> str:
        block, txid = pairs[(int(match["block"]), match["head"] + match["tail"])]
        return f"{block}{match['gap']}{txid[:32]}{match['cut']}{txid[32:]}"

    def as_of_block(match: re.Match) -> str:
        assert int(match[2]) == as_of[0]
        return f"{match[1]}{as_of[1]}"

    return _AS_OF.sub(as_of_block, _SOURCE.sub(source, text))


def cited(model) -> set[Source]:
    """Every (block, transaction id) a figure model cites."""
    if isinstance(model, dict) and set(model) == {"block", "txid"}:
        return {(model["block"], model["txid"])}
    items = model.values() if isinstance(model, dict) else model if isinstance(model, list) else ()
    return set().union(*map(cited, items))


def block_txids(numbers: list[int]) -> dict[int, list[str]]:
    """The transaction ids of blocks, read by Fabric's peer CLI from org1's peer through ``qscc``."""
    script = ('eval "$(network/network.sh env org1)"; channel=$1; shift; for n in "$@"; do '
              'peer chaincode query -C "$channel" -n qscc --hex '
              '-c "{\\"Args\\":[\\"GetBlockByNumber\\",\\"$channel\\",\\"$n\\"]}" || exit 1; done')
    done = subprocess.run(["bash", "-c", script, "qscc", profile()["channel"], *map(str, numbers)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = {}
    for number, line in zip(numbers, done.stdout.split(), strict=True):
        block = common_pb2.Block.FromString(bytes.fromhex(line))
        assert block.header.number == number
        found[number] = [common_pb2.ChannelHeader.FromString(common_pb2.Payload.FromString(
            common_pb2.Envelope.FromString(data).payload).header.channel_header).tx_id for data in block.data.data]
    return found


def test_the_fabric_document_is_the_embedded_one_but_for_blocks_and_transactions(audits):
    documents = {name: audits["root"] / name / "audit" for name in ("fabric", "embedded")}
    figures = {name: json.loads((folder / f"{BASE}.json").read_text()) for name, folder in documents.items()}
    pairs: dict[Source, Source] = {}
    paired_sources(figures["embedded"], figures["fabric"], pairs)
    assert len(pairs) >= 10
    embedded_txids = [txid for _, txid in pairs.values()]
    assert len(set(embedded_txids)) == len(pairs)                 # one to one
    in_fabric_order = [pairs[source] for source in sorted(pairs)]
    assert in_fabric_order == sorted(in_fabric_order)            # the writes in the same order
    assert figures["fabric"]["as_of_block"] == max(block for block, _ in pairs)
    assert figures["embedded"]["as_of_block"] == max(block for block, _ in pairs.values())
    as_of = (figures["fabric"]["as_of_block"], figures["embedded"]["as_of_block"])
    for name in TEXT_FILES:
        fabric_text = (documents["fabric"] / name).read_text()
        assert as_embedded(fabric_text, pairs, as_of) == (documents["embedded"] / name).read_text(), name
        assert len(_SOURCE.findall(fabric_text)) >= len(pairs)
    for png in sorted(documents["embedded"].glob("*.png")):
        assert png.read_bytes() == (documents["fabric"] / png.name).read_bytes(), png.name
    assert "the money invariant holds" in audits["outputs"]["fabric"]


def test_every_cited_transaction_is_in_its_block_on_fabric(audits):
    figures = json.loads((audits["root"] / "fabric" / "audit" / f"{BASE}.json").read_text())
    sources = cited(figures)
    blocks = block_txids(sorted({block for block, _ in sources}))
    for block, txid in sources:
        assert txid in blocks[block], (block, txid)


def test_audit_verify_on_fabric(audits):
    fabric, profile = audits["fabric"], audits["profile"]
    on_fabric = ("--ledger", fabric / "ledger", "--gateway", profile, "audit", "verify")
    document = audits["root"] / "fabric" / "audit"
    for name in (f"{BASE}.pdf", f"{BASE}.csv"):
        assert "matches" in run(*on_fabric, document / name)
    day = fabric / "ledger" / "days" / "n1" / "2026-10-01.csv"
    assert "matches" in run(*on_fabric, day)
    # an altered copy is rendered again from Fabric's chain and compared line by line
    altered = audits["root"] / "altered" / f"{BASE}.csv"
    altered.parent.mkdir()
    altered.write_text((document / f"{BASE}.csv").read_text().replace(",27000000,27.000000,", ",28000000,28.000000,"))
    result = CliRunner().invoke(main, [str(a) for a in (*on_fabric, altered)])
    assert result.exit_code == 1, result.output
    assert "MISMATCH" in result.output and "28000000" in result.output
    # the embedded ledger's document is not Fabric's: its sources differ
    embedded_csv = audits["root"] / "embedded" / "audit" / f"{BASE}.csv"
    other = CliRunner().invoke(main, [str(a) for a in (*on_fabric, embedded_csv)])
    assert other.exit_code == 1, other.output


def test_the_document_is_anchored_on_fabric(audits):
    figures = json.loads((audits["root"] / "fabric" / "audit" / f"{BASE}.json").read_text())
    verified = run("--ledger", audits["fabric"] / "ledger", "--gateway", audits["profile"], "audit", "verify",
                   audits["root"] / "fabric" / "audit" / f"{BASE}.manifest.json")
    assert f"(figures as of block {figures['as_of_block']})" in verified
    block, txid = re.search(r"in block (\d+) \(transaction ([0-9a-f]{64})\)", verified).groups()
    assert f"anchored in block {block} (transaction {txid})" in audits["outputs"]["fabric"]
    assert txid in block_txids([int(block)])[int(block)]


def test_key_histories_read_from_the_blocks_are_the_peers_history_database(audits):
    """The client reads key histories from the channel's blocks; History:ForKeys asks the peer's
    history database for the same keys: the same writes, newest first, of every key in world state."""
    client = FabricClient.from_profile(audits["profile"], audits["fabric"] / "ledger")
    try:
        keys = [key for key, _ in Connection(client, "n1.auditor").world_state()]
        from_blocks = client.key_histories("n1.auditor", keys)
        assert len(keys) > 40 and all(from_blocks[key] for key in keys)
        for start in range(0, len(keys), MAX_KEYS):
            batch = keys[start:start + MAX_KEYS]
            answer = json.loads(client.evaluate("n1.auditor", "History:ForKeys", json.dumps(batch)))
            assert answer == {key: [{k: v for k, v in write.items() if k != "block"} for write in from_blocks[key]]
                              for key in batch}
    finally:
        client.close()
