#!/usr/bin/env bash
# sysbench-vs-mariadb.sh: sysbench through gondb's SQL node next to
# MariaDB with InnoDB, same machine, same threads, same run (issue 9's
# performance acceptance; the figures are in docs/sqlnode.md).
#
#   bench/scripts/sysbench-vs-mariadb.sh [--data-nodes N] [--replicas R]
#
# It starts a private mariadbd (its own --datadir under a temporary
# directory, TCP on 127.0.0.1, --skip-grant-tables; the system service is
# not touched) and a `gondb demo` with N data nodes and NoOfReplicas=R
# (default 1 and 1) and its SQL node, prepares the same sysbench tables on
# both, then runs each test on MariaDB and on gondb one after the other,
# ROUNDS times, and prints each run, then a table of the median QPS, p95
# latency and server CPU per query of each test on each server, the
# ratio gondb/MariaDB of the medians and the ratio of each round (the
# two runs of a round are back to back). Both servers are stopped at the
# end (a trap, also on Ctrl-C or an error).
#
# Environment (defaults in brackets):
#   BIN        gondb binary [/tmp/gondb-sql/gondb; built from this tree
#              with -tags=gms_pure_go when missing or BUILD=1]
#   THREADS    sysbench --threads [4]
#   TIME       seconds per run [20]
#   TABLES     sysbench --tables [1]
#   TABLE_SIZE sysbench --table-size [10000]
#   ROUNDS     rounds of every test on both servers [1]
#   TESTS      tests, each "name:ps-mode" [oltp_point_select:auto
#              oltp_point_select:disable oltp_read_write:auto]
#   PIN        "server-cpus:client-cpus" for taskset, e.g. "0:1": both
#              servers on the first set, sysbench on the second [none:
#              everything shares every CPU]
#   THREADCONFIG  the data nodes' ThreadConfig [ldm={count=1}: one
#              execution thread per data node, TC on the LDM thread];
#              "default" keeps the demo's MaxNoOfExecutionThreads=2 (an
#              LDM thread and a TC thread)
#   PROFILE    file: a CPU profile of the gondb process (SQL node, data
#              nodes, management server: the demo runs them in one
#              process) taken through its /debug/pprof during the first
#              oltp_point_select run, with its top functions printed
#   KEEP       directory to keep logs and results in [removed at exit]
#   GONDB_PASSWORD  root's password on the gondb SQL node, given to the
#              demo as --root-password and to sysbench [sysbench-root]
#              (MariaDB runs with --skip-grant-tables: no password)
#   MARIADB_OPTS extra mariadbd options
#
# Besides QPS and p95 it prints each server's CPU time per query (its
# process's utime+stime over the run, divided by the queries): work per
# query, next to QPS, which on a shared machine also moves with the
# other tenants' load.
#
# On a 2-CPU machine the data node's default layout (an LDM and a TC
# thread) costs two more thread wake-ups per key read than TC on the LDM
# thread, so the script sets THREADCONFIG (written into the demo's
# config.ini, then the demo is restarted on its datadir).
#
# MariaDB runs with innodb_flush_log_at_trx_commit=2 (the log written at
# commit, flushed to disk once a second): gondb's commits are durable in
# memory on every replica and on disk at the next global checkpoint
# (TimeBetweenGlobalCheckpoints, about 2 s), which is closer to that
# setting than to an fsync per commit. Point selects do not depend on it.
set -euo pipefail

DATA_NODES=1
REPLICAS=1
while [ $# -gt 0 ]; do
	case "$1" in
	--data-nodes) DATA_NODES=$2; shift 2 ;;
	--replicas) REPLICAS=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done

BIN=${BIN:-/tmp/gondb-sql/gondb}
THREADS=${THREADS:-4}
TIME=${TIME:-20}
TABLES=${TABLES:-1}
TABLE_SIZE=${TABLE_SIZE:-10000}
ROUNDS=${ROUNDS:-1}
TESTS=${TESTS:-oltp_point_select:auto oltp_point_select:disable oltp_read_write:auto}
PIN=${PIN:-}
PROFILE=${PROFILE:-}
THREADCONFIG=${THREADCONFIG:-'ldm={count=1}'}
MARIADB_OPTS=${MARIADB_OPTS:-}
MARIADBD=${MARIADBD:-$(command -v mariadbd || echo /usr/sbin/mariadbd)}
GONDB_PASSWORD=${GONDB_PASSWORD:-sysbench-root}

for p in sysbench mariadb mariadb-install-db "$MARIADBD"; do
	command -v "$p" >/dev/null || { echo "$p not found (apt-get install sysbench mariadb-server mariadb-client)" >&2; exit 1; }
done
if [ ! -x "$BIN" ] || [ "${BUILD:-0}" = 1 ]; then
	mkdir -p "$(dirname "$BIN")"
	go build -tags=gms_pure_go -o "$BIN" ./cmd/gondb
fi

DIR=${KEEP:-$(mktemp -d /tmp/sysbench-vs-mariadb.XXXXXX)}
mkdir -p "$DIR"
cleanup() {
	# Only the processes this script started.
	for p in ${GONDB_PID:-} ${MARIA_PID:-}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${GONDB_PID:-} ${MARIA_PID:-}; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SERVER_CPUS=""
CLIENT_CPUS=""
if [ -n "$PIN" ]; then
	SERVER_CPUS="taskset -c ${PIN%%:*}"
	CLIENT_CPUS="taskset -c ${PIN##*:}"
fi

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- MariaDB: a private instance ----
MARIA_PORT=$(freeport)
mkdir -p "$DIR/maria"
mariadb-install-db --no-defaults --datadir="$DIR/maria/data" --auth-root-authentication-method=normal \
	--skip-test-db --user="$(id -un)" >"$DIR/maria/install.log" 2>&1
# shellcheck disable=SC2086
$SERVER_CPUS "$MARIADBD" --no-defaults --datadir="$DIR/maria/data" --socket="$DIR/maria/sock" \
	--port="$MARIA_PORT" --bind-address=127.0.0.1 --skip-grant-tables --user="$(id -un)" \
	--pid-file="$DIR/maria/pid" --log-error="$DIR/maria/error.log" \
	--innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
	--skip-log-bin --max-connections=200 --max-prepared-stmt-count=100000 $MARIADB_OPTS &
MARIA_PID=$!

# ---- gondb demo with its SQL node ----
GONDB_PORT=$(freeport)
gondb_ready() {
	for _ in $(seq 1 240); do
		grep -q '^ready:' "$DIR/gondb.log" && return 0
		kill -0 "$GONDB_PID" 2>/dev/null || { echo "gondb demo stopped:" >&2; tail -20 "$DIR/gondb.log" >&2; exit 1; }
		sleep 0.5
	done
	echo "gondb demo not ready" >&2; tail -20 "$DIR/gondb.log" >&2; exit 1
}
# shellcheck disable=SC2086
$SERVER_CPUS "$BIN" demo --datadir "$DIR/gondb" --data-nodes "$DATA_NODES" --replicas "$REPLICAS" \
	--sql-port "$GONDB_PORT" --data-memory 256M --root-password "$GONDB_PASSWORD" >"$DIR/gondb.log" 2>&1 &
GONDB_PID=$!
if [ "$THREADCONFIG" != default ]; then
	# The first start wrote config.ini; set the thread layout and start
	# the cluster again from it.
	gondb_ready
	kill -INT "$GONDB_PID"
	wait "$GONDB_PID" || true
	sed -i "s/^MaxNoOfExecutionThreads=.*/ThreadConfig=$THREADCONFIG/" "$DIR/gondb/config.ini"
	# shellcheck disable=SC2086
	# (A root the first start made but had not on disk yet is made again
	# with the same password.)
	$SERVER_CPUS "$BIN" demo --datadir "$DIR/gondb" --sql-port "$GONDB_PORT" --root-password "$GONDB_PASSWORD" >"$DIR/gondb.log" 2>&1 &
	GONDB_PID=$!
fi

for _ in $(seq 1 120); do
	mariadb -h 127.0.0.1 -P "$MARIA_PORT" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
	kill -0 "$MARIA_PID" 2>/dev/null || { echo "mariadbd stopped:" >&2; tail -20 "$DIR/maria/error.log" >&2; exit 1; }
	sleep 0.5
done
gondb_ready
# The demo is one process: any of its HTTP ports profiles all of it.
PPROF=$(grep -m1 '^ready:' "$DIR/gondb.log" | sed 's/.*metrics=\(http:\/\/[^/]*\)\/metrics.*/\1/')

sb() { # sb TARGET TEST PSMODE ACTION [extra...]
	local port=$MARIA_PORT pw=
	[ "$1" = gondb ] && port=$GONDB_PORT && pw=$GONDB_PASSWORD
	local test=$2 ps=$3 action=$4
	shift 4
	# shellcheck disable=SC2086
	$CLIENT_CPUS sysbench "$test" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
		--mysql-user=root --mysql-password="$pw" --mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE" \
		--db-ps-mode="$ps" --threads="$THREADS" --time="$TIME" --percentile=95 "$@" "$action"
}

for target in mariadb gondb; do
	port=$MARIA_PORT pw=
	[ "$target" = gondb ] && port=$GONDB_PORT && pw=$GONDB_PASSWORD
	mariadb -h 127.0.0.1 -P "$port" -u root --password="$pw" -e 'CREATE DATABASE sbtest' 
	sb "$target" oltp_read_write auto prepare --threads=1 >"$DIR/$target-prepare.log" 2>&1 ||
		{ echo "prepare on $target failed:" >&2; tail -20 "$DIR/$target-prepare.log" >&2; exit 1; }
done

echo "# sysbench $(sysbench --version | awk '{print $2}'), $("$MARIADBD" --version | awk '{print $3}'), gondb demo --data-nodes $DATA_NODES --replicas $REPLICAS"
echo "# threads=$THREADS time=${TIME}s tables=$TABLES table_size=$TABLE_SIZE rounds=$ROUNDS pin=${PIN:-none} cpus=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
HZ=$(getconf CLK_TCK)
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of process $1
RESULTS="$DIR/results.tsv"
: >"$RESULTS"
profiled=""
for round in $(seq 1 "$ROUNDS"); do
	for t in $TESTS; do
		test=${t%%:*}
		ps=${t##*:}
		for target in mariadb gondb; do
			log="$DIR/$target-$test-$ps-$round.log"
			prof_pid=""
			if [ -n "$PROFILE" ] && [ "$target" = gondb ] && [ "$test" = oltp_point_select ] && [ -z "$profiled" ]; then
				secs=$((TIME > 6 ? TIME - 4 : 1))
				(sleep 2; curl -sf -o "$PROFILE" "$PPROF/debug/pprof/profile?seconds=$secs") &
				prof_pid=$!
				profiled=1
			fi
			pid=$MARIA_PID
			[ "$target" = gondb ] && pid=$GONDB_PID
			cpu0=$(cputicks "$pid")
			sb "$target" "$test" "$ps" run >"$log" 2>&1 || { echo "$target $test failed:" >&2; tail -20 "$log" >&2; exit 1; }
			cpu1=$(cputicks "$pid")
			[ -z "$prof_pid" ] || wait "$prof_pid" || echo "profile failed" >&2
			queries=$(sed -n 's/^ *queries: *\([0-9]*\) *(.*/\1/p' "$log")
			qps=$(sed -n 's/^ *queries: *[0-9]* *(\([0-9.]*\) per sec.)/\1/p' "$log")
			tps=$(sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec.)/\1/p' "$log")
			p95=$(sed -n 's/^ *95th percentile: *\([0-9.]*\)/\1/p' "$log")
			errs=$(sed -n 's/^ *ignored errors: *\([0-9]*\).*/\1/p' "$log")
			cpuq=$(awk -v t=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$queries" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$test" "$ps" "$target" "$qps" "$tps" "$p95" "$cpuq" >>"$RESULTS"
			printf '# round %s %-18s ps=%-7s %-7s qps=%-9s tps=%-9s p95=%-6s ms server_cpu=%-6s us/query errors=%s\n' \
				"$round" "$test" "$ps" "$target" "$qps" "$tps" "$p95" "$cpuq" "${errs:-0}"
		done
	done
done

python3 - "$RESULTS" "$TESTS" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    rnd, test, ps, target, qps, tps, p95, cpu = line.rstrip("\n").split("\t")
    runs.setdefault((test, ps, target), []).append((float(qps), float(p95), float(cpu)))
def med(k, i):
    return statistics.median(r[i] for r in runs[k])
print()
print("Median of the rounds (QPS, p95 latency, server CPU per query):")
print()
print("| test | ps-mode | MariaDB QPS | p95 ms | CPU us/q | gondb QPS | p95 ms | CPU us/q | QPS gondb/MariaDB | per-round ratios |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for t in sys.argv[2].split():
    test, ps = t.split(":")
    m, g = (test, ps, "mariadb"), (test, ps, "gondb")
    if m not in runs or g not in runs:
        continue
    ratios = " ".join(f"{b[0]/a[0]:.2f}" for a, b in zip(runs[m], runs[g]))
    print(f"| {test} | {ps} | {med(m,0):,.0f} | {med(m,1):.2f} | {med(m,2):.0f} | {med(g,0):,.0f} | {med(g,1):.2f} | {med(g,2):.0f} | {med(g,0)/med(m,0):.2f} | {ratios} |")
PY
if [ -n "$PROFILE" ] && [ -s "$PROFILE" ]; then
	echo
	echo "# CPU profile of the gondb process during oltp_point_select: $PROFILE"
	go tool pprof -top -nodecount=25 "$BIN" "$PROFILE" 2>/dev/null | sed -n '1,35p'
fi
