"""A tiny scenario whose payouts are worked out by hand (see test_cli_scenarios), and running the
CLI on it."""

from pathlib import Path

from click.testing import CliRunner

from admin.cli import main
from admin.embedded.ledger import EmbeddedLedger

CONSORTIUM = """\
policy: {price: "10.00", node_share: "1.00", top_n: 9, min_seconds: 30, currency: USDP}
clusters: [{id: A}, {id: B}]
nodes:
  - {id: n1, cluster: A, wallet: w-n1}
  - {id: n2, cluster: A, wallet: w-n2}
  - {id: n3, cluster: B, wallet: w-n3}
artists:
  - {id: a1, name: Ann, wallet: w-a1}
  - {id: a2, name: Bob, wallet: w-a2}
  - {id: a3, name: Cy, wallet: w-a3}
"""

SUBSCRIPTIONS = """\
month,node_id,listener_id,payment_ref,amount
2026-10,n1,L1,pay-1,10.00
2026-10,n1,L2,pay-2,10.00
2026-10,n1,L3,pay-3,10
2026-10,n2,M1,pay-4,10.000000
"""

PLAYS = {
    ("n1", "2026-10-01"): ["2026-10-01T08:00:00Z,L1,a1,t1,100", "2026-10-01T09:00:00Z,L1,a2,t2,50",
                           "2026-10-01T10:00:00Z,L1,a3,t3,20", "2026-10-01T11:00:00Z,U1,a1,t1,200"],
    ("n1", "2026-10-02"): ["2026-10-02T08:00:00Z,L2,a1,t1,30"],
    ("n2", "2026-10-01"): ["2026-10-01T08:00:00Z,M1,a3,t3,60", "2026-10-01T08:05:00Z,M1,a2,t2,60"],
}
HEADER = "played_at,listener_id,artist_id,track_id,seconds"


def write_scenario(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "consortium.yaml").write_text(CONSORTIUM)
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS)
    for (node, day), rows in PLAYS.items():
        (folder / "plays" / node).mkdir(parents=True, exist_ok=True)
        (folder / "plays" / node / f"{day}.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    (folder / "plays" / "n3").mkdir(parents=True, exist_ok=True)
    return folder


def run(*args, expect=0):
    """``nineten ARGS`` as a user runs it; its output (stdout and stderr) once the exit code is checked."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == expect, result.output
    return result.output


def fingerprint(ledger_folder):
    """(world state hash, block height) of an embedded ledger folder."""
    ledger = EmbeddedLedger(ledger_folder)
    try:
        return ledger.state_hash(), ledger.height()
    finally:
        ledger.close()
