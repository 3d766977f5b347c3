"""Org1's chaincode server killed and restarted during a run: its peer reconnects to it and the
gateway client's retries land every daily anchor exactly once."""

import threading
import time

import pytest

from chaincode import canonical_json
from fabric_support import PROFILE, anchor_args, bootstrap, fill_wallet, fresh_month, network

pytestmark = pytest.mark.fabric

DAYS, OUTAGE = 10, 3.0
SERVER = "chaincode.org1"  # n1.admin's organisation: its peer endorses first


@pytest.fixture
def fabric(tmp_path):
    from admin.fabric.client import FabricClient

    fill_wallet(tmp_path, ["n1.admin"])
    gateway = FabricClient.from_profile(PROFILE, tmp_path / "ledger")
    bootstrap(gateway)
    yield gateway
    gateway.close()
    network("start", SERVER, check=False)  # leave the server running whatever happened in the test


def test_every_anchor_lands_once_across_a_restart(fabric):
    month = fresh_month()
    reports = [anchor_args("n1", f"{month}-{day:02d}") for day in range(1, DAYS + 1)]
    results, durations, errors = [], [], []
    started = threading.Event()

    def submit_all():
        try:
            for number, args in enumerate(reports):
                if number == 3:
                    started.set()
                begun = time.monotonic()
                results.append(fabric.submit("n1.admin", "Listening:Anchor", *args))
                durations.append(time.monotonic() - begun)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            started.set()

    worker = threading.Thread(target=submit_all)
    worker.start()
    assert started.wait(120)
    network("stop", SERVER, "KILL")  # a crash: no chance to close its streams
    killed_at = len(results)
    time.sleep(OUTAGE)
    network("start", SERVER)
    worker.join(300)

    assert not errors, errors
    assert killed_at < DAYS, "the server went down only after the run"
    assert max(durations) >= OUTAGE, "no submit waited through the outage"
    assert [r.json()["anchored"] for r in results] == [True] * DAYS
    assert len({r.txid for r in results}) == len({r.block for r in results}) == DAYS
    on_chain = fabric.evaluate("n1.admin", "Listening:ListAnchors", "n1", month)
    assert on_chain == canonical_json.dumps([r.json()["anchor"] for r in results])
