#!/usr/bin/env bash
# Benchmark one node's month: synthetic Parquet day files, then nineten's reconcile
# (read + validate + canonical hash per day + aggregation + top-N + Merkle root) beside two DuckDB
# references: the aggregation alone as one query, and DuckDB doing what the pipeline also does.
# With --month-ledger OUT, build instead a settled embedded ledger of that month in OUT (every
# nineten command timed, with its peak memory; see bench/README.md); with --audit OUT, that ledger
# (built if OUT has none yet), then its audit document rendered twice on a copy of it (audit_bench.py).
# With --gateway PROFILE, that ledger is built on (and the document read from) the Fabric network of
# that connection profile, freshly purged and up.
# Usage: bench/run.sh [--plays N] [--dir FOLDER] [--month-ledger OUT | --audit OUT] [--gateway PROFILE]
#
# Start-up: bench/run.sh startup [--rounds N]: `nineten --help` and `nineten payouts MONTH` on the
# demo ledger beside `python -c pass` (bench/startup_bench.py).
#
# Optional Fabric part: bench/run.sh fabric [--per-client N] [--in-flight N] [--rounds N]
# daily anchors per second from 4 concurrent clients against the Python chaincode and the Go
# reference chaincode (bench/anchor-go, deployed beside it) on the network that NINETEN_NETWORK_DIR
# names (network/network.sh up first), and the embedded ledger; see bench/fabric_tps.py.
# bench/run.sh chaincode [--transactions N] [--in-flight N]: CPU per transaction of the Python and
# the Go chaincode server alone, each driven by a simulated peer (no network); see bench/chaincode_cpu.py.
# bench/run.sh faults [--steady S] [--faults LIST] [--up-times]: anchors per second before,
# during and after each fault, the Raft leader's fail-over; see bench/fault_bench.py.
# bench/run.sh membership [--rounds N]: wall time of admitting an organisation to the running
# network end to end and of revoking it, step by step (purges the network); see bench/membership_bench.py.
# bench/run.sh year [OUT [--months N]]: the year demo beside the one-month demo (bench/year_bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    fabric) shift; exec uv run python bench/fabric_tps.py "$@" ;;
    faults) shift; exec uv run python bench/fault_bench.py "$@" ;;
    membership) shift; exec uv run python bench/membership_bench.py "$@" ;;
    chaincode) shift; exec uv run python bench/chaincode_cpu.py "$@" ;;
    startup) shift; exec uv run python bench/startup_bench.py "$@" ;;
    year) shift; exec uv run python bench/year_bench.py "${1:-${XDG_CACHE_HOME:-$HOME/.cache}/nineten-bench/year}" "${@:2}" ;;
esac
plays=10000000
dir=""
ledger=""
audit=""
gateway=()
while [ $# -gt 0 ]; do
    case "$1" in
        --plays) plays="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --month-ledger) ledger="$2"; shift 2 ;;
        --audit) ledger="$2"; audit=1; shift 2 ;;
        --gateway) gateway=(--gateway "$2"); shift 2 ;;
        *) echo "usage: bench/run.sh [--plays N] [--dir FOLDER] [--month-ledger OUT | --audit OUT] [--gateway PROFILE]" >&2; exit 2 ;;
    esac
done
dir="${dir:-${XDG_CACHE_HOME:-$HOME/.cache}/nineten-bench/plays-$plays}"
uv run python bench/generate.py --plays "$plays" --out "$dir"
if [ -n "$ledger" ]; then
    echo "== a settled month ledger in $ledger"
    uv run python bench/month_ledger.py --plays "$dir" --out "$ledger" "${gateway[@]}"
    if [ -n "$audit" ]; then
        echo "== the audit document of that month (rendered twice on a copy of the ledger)"
        uv run python bench/audit_bench.py "$ledger"
    fi
    exit 0
fi
echo "== nineten reconcile"
uv run python bench/reconcile_bench.py "$dir"
echo "== duckdb: the aggregation alone (bench-only dependency)"
uv run --group bench python bench/duckdb_bench.py "$dir" alone
echo "== duckdb: the aggregation with what the pipeline must also do"
uv run --group bench python bench/duckdb_bench.py "$dir" with_extras
echo "== nineten month-end reconcile, from the canonical days listens submit kept"
uv run python bench/reconcile_bench.py "$dir" --kept "$dir-kept"   # writes $dir-kept first, untimed
echo "== nineten month-end floor: the kept days read, hashed and parsed, nothing summed"
uv run python bench/reconcile_bench.py "$dir" --kept "$dir-kept" --floor
echo "== duckdb: the aggregation alone, over those kept days"
uv run --group bench python bench/duckdb_bench.py "$dir-kept" alone_kept
echo "== nineten month-end reconcile, from kept days in the columnar day format (policy day_format: columnar)"
uv run python bench/reconcile_bench.py "$dir" --kept "$dir-kept-columnar" --day-format columnar   # written first, untimed
echo "== nineten month-end floor, columnar kept days: read, hashed and parsed, nothing summed"
uv run python bench/reconcile_bench.py "$dir" --kept "$dir-kept-columnar" --day-format columnar --floor
