#!/bin/sh
# pgdav, Radicale and Xandikos side by side: the same davload data set and
# scenarios against each, one server at a time on loopback with throwaway
# storage, then a ratio table (peer p50 / pgdav p50).
#
# Environment: N and M (default 1000 and 1000: both peers upload at
# ~25 objects/s and slow down as a collection grows, see
# docs/benchmarks.md), OUT (default bench-results),
# DAVLOAD_FLAGS (default "-ops 40 -duration 8s").
set -eu
N=${N:-1000}
M=${M:-1000}
OUT=${OUT:-bench-results}
GO=${GO:-go}
FLAGS=${DAVLOAD_FLAGS:--ops 40 -duration 8s}
mkdir -p "$OUT"
if ! command -v xandikos >/dev/null || ! command -v radicale >/dev/null; then
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y radicale xandikos
fi
BIN=$(mktemp -d /tmp/davcompare-bin.XXXXXX)
WORK=$(mktemp -d /tmp/davcompare.XXXXXX)
chmod 755 "$WORK"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	rm -rf "$BIN" "$WORK"
}
trap cleanup EXIT
$GO build -trimpath -ldflags '-s -w' -o "$BIN/pgdav" ./cmd/pgdav
$GO build -trimpath -o "$BIN/davload" ./cmd/davload

waitport() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; return 1; }
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

# pgdav
: >"$WORK/pgdav.out"
"$BIN/pgdav" serve --demo --listen 127.0.0.1:18201 --data "$WORK/pgdav" --log-level warn >"$WORK/pgdav.out" 2>"$WORK/pgdav.err" &
pid=$!
PIDS="$PIDS $pid"
pw=""
for _ in $(seq 1 300); do
	pw=$(sed -n 's/^ *password: *//p' "$WORK/pgdav.out")
	[ -n "$pw" ] && curl -sf http://127.0.0.1:18201/readyz >/dev/null 2>&1 && break
	sleep 0.2
done
DAVLOAD_PASSWORD=$pw "$BIN/davload" -url http://127.0.0.1:18201/ -user demo -n "$N" -m "$M" -pid $pid \
	-label pgdav -json "$OUT/compare-pgdav.json" $FLAGS | tee "$OUT/compare-pgdav.txt" || true
stop $pid

# Radicale: htpasswd (plain) auth, owner_only rights, its own config file.
mkdir -p "$WORK/radicale"
echo "bench:bench" >"$WORK/radicale/users"
cat >"$WORK/radicale/config" <<CFG
[server]
hosts = 127.0.0.1:18202
[auth]
type = htpasswd
htpasswd_filename = $WORK/radicale/users
htpasswd_encryption = plain
[rights]
type = owner_only
[storage]
filesystem_folder = $WORK/radicale/collections
[logging]
level = warning
CFG
radicale --config "$WORK/radicale/config" >"$WORK/radicale.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
waitport http://127.0.0.1:18202/
DAVLOAD_PASSWORD=bench "$BIN/davload" -url http://127.0.0.1:18202/ -user bench -n "$N" -m "$M" -pid $pid \
	-label radicale -json "$OUT/compare-radicale.json" $FLAGS | tee "$OUT/compare-radicale.txt" || true
stop $pid

# Xandikos: no authentication; current-user-principal /user/.
xandikos -d "$WORK/xandikos" --defaults -l 127.0.0.1 -p 18203 >"$WORK/xandikos.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
waitport http://127.0.0.1:18203/
"$BIN/davload" -url http://127.0.0.1:18203/ -n "$N" -m "$M" -pid $pid \
	-label xandikos -json "$OUT/compare-xandikos.json" $FLAGS | tee "$OUT/compare-xandikos.txt" || true
stop $pid

echo "== side by side (N=$N, M=$M)"
"$BIN/davload" -compare "$OUT/compare-pgdav.json" "$OUT/compare-radicale.json" "$OUT/compare-xandikos.json" | tee "$OUT/compare.txt"
