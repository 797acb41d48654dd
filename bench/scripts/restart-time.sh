#!/usr/bin/env bash
# restart-time.sh: how long a system restart takes with N bytes of table
# data (issue 7's restart benchmark).
#
#   bench/scripts/restart-time.sh [GB]        (default 1)
#
# It starts a one-node cluster (gondb demo --data-nodes 1 --replicas 1)
# with a redo log big enough for the load, fills a flexasync table with GB
# x 1,000,000 rows of 1,000 bytes (25 attributes of 10 words), waits for a
# global checkpoint save, kills the whole demo with SIGKILL, starts it
# again and reports the time from start to ready and the data node's own
# split: LCP restore, redo replay, and the checkpoint written after the
# restore. Then it reads every row back (flexasync's read phase checks
# every value). Needs ./bin/gondb (make build) and about 2.5 x GB of RAM
# and 20 GB of disk; the datadir is removed at the end.
set -euo pipefail
GB=${1:-1}
BIN=${BIN:-./bin/gondb}
ROWS=$((GB * 1000000))
MEM=$((GB * 1250 + 200))M
DIR=$(mktemp -d /tmp/gondb-restart.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; wait; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT

ready() { # ready LOG: wait for the demo's ready line, print its mgm address
	for _ in $(seq 1 600); do
		if grep -q '^ready:' "$1"; then grep -m1 '^ready:' "$1" | sed 's/.*mgm=\([^ ]*\).*/\1/'; return; fi
		sleep 0.5
	done
	echo "no ready line in $1" >&2; tail -20 "$1" >&2; exit 1
}

# 1. A new demo writes its config.ini; stop it and give it a bigger redo
#    log (4 parts x 16 x 256M: 16G of disk; the redo log must hold what is written faster than LCPs release it) and the DataMemory the rows need.
$BIN demo --datadir "$DIR" --data-nodes 1 --replicas 1 --data-memory "$MEM" >"$DIR/first.log" 2>&1 &
PID=$!
ready "$DIR/first.log" >/dev/null
kill -INT $PID; wait $PID || true
sed -i "s/^NoOfFragmentLogFiles=.*/NoOfFragmentLogFiles=16/; s/^FragmentLogFileSize=.*/FragmentLogFileSize=${REDO_FILE_SIZE:-256M}/" "$DIR/config.ini"

# 2. Load.
$BIN demo --datadir "$DIR" --log-level info >"$DIR/load.log" 2>&1 &
PID=$!
MGM=$(ready "$DIR/load.log")
echo "loading $ROWS rows of 1000 bytes ($GB GB) through $MGM"
$BIN bench flexasync -c "$MGM" -t 2 -p 256 -a 25 -s 10 --transactions $((ROWS / 2)) --phases insert
sleep 5 # a GCP save (TimeBetweenGlobalCheckPoints, 2 s) covers the last insert
du -sh "$DIR"/ndb_1_fs/lcp "$DIR"/ndb_1_fs/redo 2>/dev/null || true
kill -9 $PID; wait $PID 2>/dev/null || true

# 3. Restart and time it.
start=$(date +%s.%N)
$BIN demo --datadir "$DIR" --log-level info >"$DIR/restart.log" 2>&1 &
PID=$!
MGM=$(ready "$DIR/restart.log")
end=$(date +%s.%N)
echo "restart: $(echo "$end - $start" | bc) s from process start to ready"
grep -h 'system restart: restored' "$DIR/restart.log" | tr ' ' '\n' | grep -E '^(gci|fragments|lcp_rows|lcp_time|redo_records|redo_skipped|redo_time|checkpoint_rows|checkpoint_time)='
$BIN bench flexasync -c "$MGM" -t 2 -p 256 -a 25 -s 10 --transactions $((ROWS / 2)) --phases read
kill -INT $PID; wait $PID || true
