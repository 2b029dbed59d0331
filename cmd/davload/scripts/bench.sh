#!/bin/sh
# Runs davload against a fresh pgdav (release build, embedded PostgreSQL,
# throwaway data directory) once per size and run.
#
#   cmd/davload/scripts/bench.sh 10000:5000 [100000:50000 ...]
#
# Environment: RUNS (default 3), OUT (results directory, default
# bench-results), DAVLOAD_FLAGS (extra davload flags), PPROF=1 to start
# pgdav with --pprof-listen 127.0.0.1:6060.
set -eu
RUNS=${RUNS:-3}
OUT=${OUT:-bench-results}
GO=${GO:-go}
mkdir -p "$OUT"
BIN=$(mktemp -d /tmp/davbench-bin.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
$GO build -trimpath -ldflags '-s -w' -o "$BIN/pgdav" ./cmd/pgdav
$GO build -trimpath -o "$BIN/davload" ./cmd/davload

for size in "$@"; do
	n=${size%%:*}
	m=${size##*:}
	files=""
	for run in $(seq 1 "$RUNS"); do
		dir=$(mktemp -d /tmp/davbench-data.XXXXXX)
		chmod 755 "$dir"
		port=$((18100 + run))
		extra=""
		: >"$dir/stdout"
		[ "${PPROF:-}" = 1 ] && extra="--pprof-listen 127.0.0.1:6060"
		"$BIN/pgdav" serve --demo --listen 127.0.0.1:$port --data "$dir/data" --log-level warn $extra \
			>"$dir/stdout" 2>"$dir/stderr" &
		pid=$!
		pw=""
		for _ in $(seq 1 300); do
			kill -0 $pid 2>/dev/null || { cat "$dir/stderr"; echo "pgdav exited"; exit 1; }
			pw=$(sed -n 's/^ *password: *//p' "$dir/stdout")
			[ -n "$pw" ] && curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
			sleep 0.2
		done
		json="$OUT/pgdav-n$n-m$m-run$run.json"
		echo "== pgdav N=$n M=$m run $run/$RUNS -> $json"
		rc=0
		DAVLOAD_PASSWORD=$pw "$BIN/davload" -url "http://127.0.0.1:$port/" -user demo -n "$n" -m "$m" \
			-pid $pid -label "pgdav N=$n" -json "$json" ${DAVLOAD_FLAGS:-} | tee "$OUT/pgdav-n$n-m$m-run$run.txt" || rc=$?
		kill -TERM $pid
		wait $pid || true
		rm -rf "$dir"
		[ $rc = 0 ] || { echo "davload reported wrong or failed answers (exit $rc)"; exit $rc; }
		files="$files $json"
	done
	echo "== pgdav N=$n M=$m: median of $RUNS runs"
	"$BIN/davload" -median $files | tee "$OUT/pgdav-n$n-m$m-median.txt"
done
