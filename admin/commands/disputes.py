"""``nineten disputes``: three-eyes votes and arbitration."""

import click

from . import pass_session, show

COLUMNS = ["id", "month", "node", "version", "status", "resolution", "decided_by", "local", "peer", "external",
           "arbitrator", "scope"]


@click.group()
def disputes() -> None:
    """Disputed monthly reports: the local, peer and external nodes vote; two agreeing votes decide.
    Once the peer and external voted without agreeing, the arbitrator decides (a node of another
    cluster, never the one that opened the dispute), without waiting for the accused; when no node
    is eligible, a majority of the consortium decides (proposal decide_dispute)."""


@disputes.command("list")
@click.argument("month")
@pass_session
def disputes_list(session, month: str) -> None:
    """The disputes of MONTH."""
    from chaincode.contracts.reviews import Reviews

    show(session.reader().evaluate(Reviews.ListDisputes, month), COLUMNS)


@disputes.command("show")
@click.argument("dispute_id")
@pass_session
def disputes_show(session, dispute_id: str) -> None:
    """One dispute with its evidence, every vote and reason, and its resolution."""
    from chaincode.contracts.reviews import Reviews

    show(session.reader().evaluate(Reviews.GetDispute, dispute_id))


@disputes.command("vote")
@click.argument("dispute_id")
@click.argument("vote", type=click.Choice(["approve", "reject", "abstain"]))
@click.option("--node", required=True, help="Your node (you act as <node>.reviewer unless --as).")
@click.option("--reason", required=True, help="Why: kept on chain with the vote.")
@pass_session
def disputes_vote(session, dispute_id: str, vote: str, node: str, reason: str) -> None:
    """Vote on DISPUTE_ID: approve (the report stands), reject (it is wrong) or abstain."""
    from chaincode.contracts.reviews import Reviews

    result = session.reviewer(node).submit(Reviews.Vote, dispute_id, vote, reason).json()["dispute"]
    click.echo(f"vote recorded; dispute {dispute_id} is {result['status']}"
               + (f", resolved {result['resolution']} by {result['decided_by']}" if result["resolution"] else ""))


@disputes.command("arbitrate")
@click.argument("dispute_id")
@click.argument("decision", type=click.Choice(["approve", "reject"]))
@click.option("--node", required=True, help="Your node (you act as <node>.arbitrator unless --as).")
@click.option("--reason", required=True, help="Why: kept on chain with the decision.")
@pass_session
def disputes_arbitrate(session, dispute_id: str, decision: str, node: str, reason: str) -> None:
    """Decide DISPUTE_ID as its assigned arbitrator."""
    from chaincode.contracts.reviews import Reviews

    session.arbitrator(node).submit(Reviews.Arbitrate, dispute_id, decision, reason)
    click.echo(f"dispute {dispute_id} resolved: {decision}")


COMMANDS = [disputes]
