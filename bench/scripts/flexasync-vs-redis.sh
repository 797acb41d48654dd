#!/usr/bin/env bash
# flexasync-vs-redis.sh: issue 6's single data node measurement, next to
# redis on the same CPUs.
#
# One data node (NoOfReplicas=1, one LDM thread that runs TC too) as its
# own process bound to CPU 0, the management server on CPU 1, and
# `gondb bench flexasync` bound to CPU 1 over loopback TCP; then Debian's
# redis-server bound to CPU 0 with redis-benchmark -P 64 on CPU 1 doing
# SET, GET and DEL on as many keys. Each gondb phase line is followed by
# the CPU time per operation (utime+stime from /proc) of the data node and
# of the flexasync process, whatever the machine's other tenants do.
#
# Usage: bench/scripts/flexasync-vs-redis.sh [flexasync flags...]
#   default flags: -t 4 -p 512 --transactions 75000 -a 25
# Environment:
#   BENCH    hlr runs `gondb bench hlr` against the same data node instead
#            (default flags --subscribers 1000000 --duration 5s
#            --half-peak); REDIS=0 skips redis then
#   ROUNDS   flexasync runs, one after the other (default 3)
#   GONDB    the gondb binary (default: bin/gondb, built if missing)
#   REDIS    0 to skip redis (default 1)
#   DIR      working directory (default: a new one under /tmp)
#   PORT     the management server's port; the data node uses PORT+1
#            and PORT+4 for HTTP (default 21186)
#   PROFILE  seconds of data node CPU profile, taken from DELAY seconds
#            into each run (default: none); written to DIR/dn-ROUND.prof
#   DNENV    environment for the data node, e.g. GOMAXPROCS=1
#   KEEP     1 keeps each round's data node and management server files
#            (by default only the logs and profiles stay in DIR)
set -euo pipefail

cd "$(dirname "$0")/../.."
GONDB=${GONDB:-bin/gondb}
[ -x "$GONDB" ] || make build >/dev/null
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-21186}
DIR=${DIR:-$(mktemp -d /tmp/gondb-flexasync.XXXXXX)}
BENCH=${BENCH:-flexasync}
ARGS=("$@")
if [ ${#ARGS[@]} -eq 0 ]; then
	case "$BENCH" in
	hlr) ARGS=(--subscribers 1000000 --duration 5s --half-peak) ;;
	*) ARGS=(-t 4 -p 512 --transactions 75000 -a 25) ;;
	esac
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

write_config() {
	cat >"$DIR/config.ini" <<EOF
[ndbd default]
NoOfReplicas=1
DataMemory=2G
ThreadConfig=ldm={count=1}

[ndb_mgmd]
NodeId=49
HostName=127.0.0.1
PortNumber=$PORT
DataDir=$DIR/mgm

[ndbd]
NodeId=1
HostName=127.0.0.1
ServerPort=$((PORT + 1))
DataDir=$DIR/dn1

[api]
[api]
EOF
}

# gondb_round N: a fresh cluster, one flexasync run, the cluster stopped.
gondb_round() {
	rm -rf "$DIR/mgm" "$DIR/dn1"
	mkdir -p "$DIR/mgm" "$DIR/dn1"
	write_config
	taskset -c 1 "$GONDB" mgmd -f "$DIR/config.ini" --initial >"$DIR/mgmd.log" 2>&1 &
	local mg=$!
	pids+=("$mg")
	sleep 1.5
	env ${DNENV:-} taskset -c 0 "$GONDB" datanode -c "127.0.0.1:$PORT" --ndb-nodeid 1 --initial \
		--http-port $((PORT + 4)) >"$DIR/datanode.log" 2>&1 &
	local dn=$!
	pids+=("$dn")
	for _ in $(seq 1 120); do grep -q "ready" "$DIR/datanode.log" && break; sleep 0.5; done
	local prof=
	if [ -n "${PROFILE:-}" ]; then
		(sleep "${DELAY:-1}"; curl -s -o "$DIR/dn-$1.prof" \
			"http://127.0.0.1:$((PORT + 4))/debug/pprof/profile?seconds=$PROFILE") &
		prof=$!
	fi
	local c0 c1 f0=0 f1 fl=
	cpu() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
	c0=$(cpu "$dn")
	taskset -c 1 "$GONDB" bench "$BENCH" -c "127.0.0.1:$PORT" "${ARGS[@]}" | while IFS= read -r line; do
		c1=$(cpu "$dn")
		[ -n "$fl" ] || { fl=$(pgrep -n -f "bench $BENCH -c 127.0.0.1:$PORT" || true); f0=$(cpu "${fl:-0}"); }
		f1=$(cpu "${fl:-0}")
		echo "$line"
		set -- $line
		case "${1:-}" in insert | read | update | read-again | delete)
			awk -v c=$((c1 - c0)) -v f=$((f1 - f0)) -v n="$3" -v p="$1" \
				'BEGIN { printf "  %s: data node CPU %.2f us/op, client ", p, c * 1e6 / 100 / n; if (f >= 0) printf "%.2f us/op\n", f * 1e6 / 100 / n; else print "n/a" }'
			;;
		esac
		c0=$c1
		f0=$f1
	done
	[ -n "$prof" ] && wait "$prof"
	kill "$dn" "$mg" 2>/dev/null || true
	wait "$dn" "$mg" 2>/dev/null || true
	# The data node's files (redo logs, checkpoints) are over a gigabyte.
	[ "${KEEP:-0}" = 1 ] || rm -rf "$DIR/mgm" "$DIR/dn1"
}

for r in $(seq 1 "$ROUNDS"); do
	echo "== gondb round $r: $BENCH ${ARGS[*]}"
	gondb_round "$r"
done

if [ "${REDIS:-1}" != 0 ]; then
	command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install redis-server redis-tools" >&2; exit 1; }
	rport=$((PORT + 10))
	taskset -c 0 redis-server --port "$rport" --save '' --appendonly no >"$DIR/redis.log" 2>&1 &
	pids+=("$!")
	sleep 1
	echo "== redis: redis-benchmark -P 64 on CPU 1, 300,000 keys"
	taskset -c 1 redis-benchmark -p "$rport" -P 64 -c 50 -n 3000000 -r 300000 -d 100 -t set,get --csv
	taskset -c 1 redis-benchmark -p "$rport" -P 64 -c 50 -n 3000000 -r 300000 --csv DEL 'key:__rand_int__'
fi
echo "files in $DIR"
