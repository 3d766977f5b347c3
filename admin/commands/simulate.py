"""``nineten simulate`` and ``nineten demo``."""

from pathlib import Path

import click

from . import pass_session, progress


@click.command()
@click.argument("scenario_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder (new or empty).")
@click.option("--month", metavar="YYYY-MM", help="Month to run (default: the only month in subscriptions.csv).")
@pass_session
def simulate(session, scenario_dir: Path, out: Path, month: str | None) -> None:
    """Run a whole month of SCENARIO_DIR on a fresh embedded ledger, every node honest.

    With --gateway PROFILE it runs on that Fabric network instead: the identities are enrolled at
    the organisations' CAs (nodes map to organisations by msp_id) and the network must not hold
    a consortium yet (a freshly purged network). The ledger folder is OUT/ledger either way.

    \b
    SCENARIO_DIR holds:
      consortium.yaml     policy {price, node_share, top_n, min_seconds, currency},
                          clusters [{id}], nodes [{id, cluster, wallet}], artists [{id, name, wallet}]
      subscriptions.csv   month,node_id,listener_id,payment_ref,amount
      plays/<node>/<YYYY-MM-DD>.csv   played_at,listener_id,artist_id,track_id,seconds
    \b
    Writes into OUT: payouts.csv, node_payouts.csv, settlement.json, summary.txt and the ledger.
    """
    from ..simulate import Scenario, simulate as run_simulation

    scenario = Scenario.open(scenario_dir, month)
    summary = run_simulation(scenario, out, click.echo, progress, session.gateway_profile)
    click.echo(f"summary: {summary}")


@click.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True,
              help="Folder for the generated scenario, the ledger and the outputs (must not hold a ledger).")
@pass_session
def demo(session, out: Path) -> None:
    """Generate a realistic month (4 nodes in 2 clusters, ~2,000 listeners, 200 artists, planted
    anomalies) and run it through every role: node admins anchor and reconcile, reviewers
    recompute, one flagged report goes to a three-eyes vote, the month is settled with the
    disputed money held and then released, and the auditor reads the world state's hash from the
    chain (and, embedded, re-walks the ledger).

    With --gateway PROFILE it runs on that Fabric network: nodes n1..n4 are Org1MSP..Org4MSP, whose
    CAs enroll their identities; the network must not hold a consortium yet (freshly purged)."""
    from ..bootstrap import holds_ledger
    from ..demo import run_demo

    if holds_ledger(out / "ledger"):
        raise click.UsageError(f"{out} already holds a demo ledger; remove it or pass another --out.")
    run_demo(out, click.echo, progress, session.gateway_profile)


COMMANDS = [simulate, demo]
