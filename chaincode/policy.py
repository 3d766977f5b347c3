"""Policy versions: the payout rule's values, each effective from a month."""

from typing import Any

from . import state, validate
from .errors import InvalidArgument, NotFound
from .state import LedgerContext

#: Anomaly-check thresholds a policy may carry, with their defaults.
ANOMALY_DEFAULTS = {
    "max_daily_seconds": 86_400,
    "max_track_loops": 50,
    "day_total_factor_pct": 300,
    "farm_min_accounts": 20,
    "farm_max_artists": 3,
    "min_listeners_per_artist": 3,
}


def check(raw: Any) -> dict[str, Any]:
    """A complete, validated policy record from its JSON object."""
    if not isinstance(raw, dict):
        raise InvalidArgument("policy must be a JSON object.")
    price = validate.count("policy price_micro", raw.get("price_micro"), 1)
    share = validate.count("policy node_share_micro", raw.get("node_share_micro"))
    if share > price:
        raise InvalidArgument(f"policy node_share_micro {share} exceeds price_micro {price}.")
    anomalies = dict(ANOMALY_DEFAULTS)
    for name, value in (raw.get("anomalies") or {}).items():
        if name not in ANOMALY_DEFAULTS:
            raise InvalidArgument(f"policy anomaly threshold {name!r} is unknown.")
        anomalies[name] = validate.count(f"policy anomaly threshold {name}", value)
    return {
        "effective_from": validate.month(raw.get("effective_from")),
        "price_micro": price,
        "node_share_micro": share,
        "top_n": validate.count("policy top_n", raw.get("top_n"), 1),
        "min_seconds": validate.count("policy min_seconds", raw.get("min_seconds")),
        "currency": validate.ident("policy currency", raw.get("currency")),
        "anomalies": anomalies,
    }


async def for_month(ctx: LedgerContext, month: str) -> dict[str, Any]:
    """The policy in force for ``month``: the latest effective on or before it."""
    versions = [record for _, record in await state.scan(ctx, "policy")]
    applicable = [p for p in versions if p["effective_from"] <= month]
    if not applicable:
        raise NotFound(f"no policy is in force for {month}.")
    return max(applicable, key=lambda p: p["effective_from"])
