#!/usr/bin/env bash
# logging-cost.sh: flexasync throughput of one data node with its redo log
# and local checkpoints running (compressed, and with CompressedLCP=false),
# next to the same node with Diskless=1 (nothing on disk): what durability
# costs (issue 7).
#
#   bench/scripts/logging-cost.sh [ROUNDS]      (default 2, modes alternating)
#
# The data node runs on CPU 0 and the client on CPU 1 (taskset), as in
# docs/performance.md. FLEX overrides the flexasync arguments. Needs
# ./bin/gondb (make build).
set -euo pipefail
ROUNDS=${1:-2}
BIN=${BIN:-./bin/gondb}
FLEX=${FLEX:--t 2 -p 512 --transactions 150000 -a 25}
# MODES: logged (redo log and compressed LCPs), uncompressed (CompressedLCP=false),
# diskless (Diskless=1).
MODES=${MODES:-logged uncompressed diskless}
DIR=$(mktemp -d /tmp/gondb-logging.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; wait; rm -rf "$DIR"' EXIT

ready() {
	for _ in $(seq 1 600); do
		if grep -q '^ready:' "$1"; then grep -m1 '^ready:' "$1" | sed 's/.*mgm=\([^ ]*\).*/\1/'; return; fi
		sleep 0.5
	done
	echo "no ready line in $1" >&2; tail -20 "$1" >&2; exit 1
}

# run MODE: one flexasync run against a fresh start with MODE (logged or
# diskless) in config.ini; prints its phases tagged with MODE.
run() {
	sed -i '/^Diskless=1$/d; /^CompressedLCP=false$/d' "$DIR/config.ini"
	case "$1" in
	diskless) sed -i 's/^\[ndbd default\]$/[ndbd default]\nDiskless=1/' "$DIR/config.ini" ;;
	uncompressed) sed -i 's/^\[ndbd default\]$/[ndbd default]\nCompressedLCP=false/' "$DIR/config.ini" ;;
	esac
	rm -rf "$DIR"/ndb_1_fs
	taskset -c 0 $BIN demo --datadir "$DIR" >"$DIR/$1.log" 2>&1 &
	local pid=$!
	local mgm
	mgm=$(ready "$DIR/$1.log")
	taskset -c 1 $BIN bench flexasync -c "$mgm" $FLEX --json | sed "s/^{/{\"mode\":\"$1\",/"
	kill -INT $pid; wait $pid || true
}

$BIN demo --datadir "$DIR" --data-nodes 1 --replicas 1 --data-memory 512M >"$DIR/first.log" 2>&1 &
PID=$!
ready "$DIR/first.log" >/dev/null
kill -INT $PID; wait $PID || true
for r in $(seq 1 "$ROUNDS"); do
	for m in $MODES; do run "$m"; done
done | tee "$DIR/results.jsonl"
python3 - "$DIR/results.jsonl" <<'PY'
import json, sys, collections
best = collections.defaultdict(float)
for line in open(sys.argv[1]):
    r = json.loads(line)
    k = (r["mode"], r["phase"])
    best[k] = max(best[k], r["ops_per_sec"])
modes = [m for m in ["logged", "uncompressed", "diskless"] if any(k[0] == m for k in best)]
print(f'{"phase":<12}' + "".join(f"{m + ' ops/s':>20}" for m in modes) + "".join(f"{m + ' cost':>20}" for m in modes if m != "diskless"))
for ph in ["insert", "read", "update", "read-again", "delete"]:
    d = best[("diskless", ph)]
    row = f"{ph:<12}" + "".join(f"{best[(m, ph)]:>20.0f}" for m in modes)
    if d:
        row += "".join(f"{(1 - best[(m, ph)] / d) * 100:>19.1f}%" for m in modes if m != "diskless")
    print(row)
PY
