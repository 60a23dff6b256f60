#!/usr/bin/env bash
# The README's test command, N times in a row (default 20), on a machine kept busy: one
# busy loop per core runs beside each test run, so timing races that only show under
# load get their chance. Prints "run k: passed/failed" and a summary; exits 1 if any
# run failed. The failed runs' output is kept in $LOG_DIR.
#
#   benchmarks/loaded_test_runs.sh [N]
#   PYTHON=/path/to/python LOADERS=2 LOAD_SECONDS=900 benchmarks/loaded_test_runs.sh 5
#
# Each busy loop is started under `timeout LOAD_SECONDS`, so it ends by itself even if this
# script is killed with SIGKILL; normally it is stopped as soon as its run ends.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-20}"
python="${PYTHON:-.venv/bin/python}"
loaders="${LOADERS:-$(nproc)}"
load_seconds="${LOAD_SECONDS:-900}"
log_dir="${LOG_DIR:-$(mktemp -d -t loaded-test-runs.XXXXXX)}"
mkdir -p "$log_dir"

loader_pids=()
stop_load() {
    for pid in "${loader_pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${loader_pids[@]}"; do wait "$pid" 2>/dev/null; done
    loader_pids=()
}
trap stop_load EXIT
trap 'stop_load; exit 130' INT TERM

passed=0
failed=0
started=$(date +%s)
for k in $(seq 1 "$runs"); do
    for _ in $(seq 1 "$loaders"); do
        timeout "$load_seconds" "$python" -c 'while True: pass' &
        loader_pids+=("$!")
    done
    run_started=$(date +%s)
    if "$python" -m pytest -p no:cacheprovider >"$log_dir/run-$k.log" 2>&1; then
        result=passed
        passed=$((passed + 1))
        rm -f "$log_dir/run-$k.log"
    else
        result="failed (log: $log_dir/run-$k.log)"
        failed=$((failed + 1))
    fi
    load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
    stop_load
    echo "run $k: $result in $(($(date +%s) - run_started)) s, load average $load"
done
echo "summary: $passed passed, $failed failed of $runs runs with $loaders busy loops," \
    "in $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]
