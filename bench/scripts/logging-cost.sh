#!/usr/bin/env bash
# logging-cost.sh: flexasync throughput of one data node with its redo log
# and local checkpoints running, next to the same node with Diskless=1
# (nothing on disk): what durability costs (issue 7).
#
#   bench/scripts/logging-cost.sh [ROUNDS]      (default 2, alternating)
#
# The data node runs on CPU 0 and the client on CPU 1 (taskset), as in
# docs/performance.md. FLEX overrides the flexasync arguments. Needs
# ./bin/gondb (make build).
set -euo pipefail
ROUNDS=${1:-2}
BIN=${BIN:-./bin/gondb}
FLEX=${FLEX:--t 2 -p 512 --transactions 150000 -a 25}
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
	if [ "$1" = diskless ]; then
		grep -q '^Diskless=1' "$DIR/config.ini" || sed -i 's/^\[ndbd default\]$/[ndbd default]\nDiskless=1/' "$DIR/config.ini"
	else
		sed -i '/^Diskless=1$/d' "$DIR/config.ini"
	fi
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
	run logged
	run diskless
done | tee "$DIR/results.jsonl"
python3 - "$DIR/results.jsonl" <<'PY'
import json, sys, collections
best = collections.defaultdict(float)
for line in open(sys.argv[1]):
    r = json.loads(line)
    k = (r["mode"], r["phase"])
    best[k] = max(best[k], r["ops_per_sec"])
print(f'{"phase":<12}{"logged ops/s":>14}{"diskless ops/s":>16}{"cost":>8}')
for ph in ["insert", "read", "update", "read-again", "delete"]:
    l, d = best[("logged", ph)], best[("diskless", ph)]
    if d:
        print(f"{ph:<12}{l:>14.0f}{d:>16.0f}{(1 - l / d) * 100:>7.1f}%")
PY
