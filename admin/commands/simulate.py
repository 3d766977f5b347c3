"""``nineten simulate`` and ``nineten demo``."""

from pathlib import Path

import click

from . import pass_session, progress


@click.command()
@click.argument("scenario_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder (new or empty).")
@click.option("--month", metavar="YYYY-MM", help="Run this month alone (default: every month of subscriptions.csv, in order).")
@pass_session
def simulate(session, scenario_dir: Path, out: Path, month: str | None) -> None:
    """Run SCENARIO_DIR's months in order on a fresh embedded ledger, every node honest.

    With --gateway PROFILE it runs on that Fabric network instead: the identities are enrolled at
    the organisations' CAs (nodes map to organisations by msp_id) and the network must not hold
    a consortium yet (a freshly purged network). The ledger folder is OUT/ledger either way.

    \b
    SCENARIO_DIR holds:
      consortium.yaml     policy {price, node_share, top_n, min_seconds, currency, and optional
                          min_payout, unclaimed_months, unallocated_to / unclaimed_to (next_pool |
                          wallet), consortium_wallet}; policies: further versions, each
                          {effective_from: YYYY-MM, any field of policy} (a field left out keeps
                          the version before's); clusters [{id}], nodes [{id, cluster, wallet}],
                          artists [{id, name, wallet}]
      subscriptions.csv   month,node_id,listener_id,payment_ref,amount  (one or several months)
      plays/<node>/<YYYY-MM-DD>.csv   played_at,listener_id,artist_id,track_id,seconds
    \b
    One month (the only one of subscriptions.csv, or --month): writes into OUT payouts.csv,
    node_payouts.csv, settlement.json, summary.txt and the ledger.
    Several months: runs them in order on one ledger, writes OUT/<YYYY-MM>/payouts.csv (the
    payouts instructed that month), node_payouts.csv and settlement.json, OUT/balances.csv
    (artist_id,balance_micro,balance: every artist with a positive balance after the last month)
    and OUT/summary.txt with the books of the whole run.
    """
    from ..simulate import Scenario, simulate as run_simulation

    scenario = Scenario.open(scenario_dir, month)
    summary = run_simulation(scenario, out, click.echo, progress, session.gateway_profile)
    click.echo(f"summary: {summary}")


@click.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True,
              help="Folder for the generated scenario, the ledger and the outputs (must not hold a ledger).")
@click.option("--months", type=click.IntRange(1, 12), metavar="N",
              help="Run a year of the consortium instead (its first N months, 12 for all).")
@pass_session
def demo(session, out: Path, months: int | None) -> None:
    """Generate a realistic month (4 nodes in 2 clusters, ~2,000 listeners, 200 artists, planted
    anomalies) and run it through every role: node admins anchor and reconcile, reviewers
    recompute, one flagged report goes to a three-eyes vote, the month is settled with the
    disputed money held and then released, and the auditor reads the world state's hash from the
    chain (and, embedded, re-walks the ledger).

    
    With --months N, a year of the consortium instead (1,200 listeners at four nodes, 150 artists),
    month after month on one ledger: a node admitted and one revoked, a policy change at the
    seventh month (minimum payout, how long money waits for an unregistered artist, where
    unallocated money goes), balances carried under the minimum payout, an account farm flagged
    and rejected, chargebacks before and after settlement, a fraud found after settlement and
    clawed back, split sheets, unclaimed money, payment confirmations; it prints each month's
    books and the year's, and writes OUT/<month>/ (payouts, node payouts, settlement),
    OUT/balances.csv and OUT/summary.txt.

    With --gateway PROFILE it runs on that Fabric network: nodes n1..n4 are Org1MSP..Org4MSP, whose
    CAs enroll their identities; the network must not hold a consortium yet (freshly purged)."""
    from ..bootstrap import holds_ledger
    from ..demo import run_demo
    from ..demo_year import run_year

    if holds_ledger(out / "ledger"):
        raise click.UsageError(f"{out} already holds a demo ledger; remove it or pass another --out.")
    if months is None:
        run_demo(out, click.echo, progress, session.gateway_profile)
    else:
        run_year(out, months, click.echo, progress, session.gateway_profile)


COMMANDS = [simulate, demo]
