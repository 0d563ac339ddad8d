#!/bin/sh
# idle - resident memory per idle, greeted connection: smtpdbg's sink,
# Postfix's smtp-sink and aiosmtpd, each holding N connections (default
# 10000) opened by bench/idle.py.  Not a test.   bench/idle.sh [N]
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
. bench/lib.sh
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
# measure NAME: the server is $pid on $p
measure() {
	sleep 1
	set -- $(python3 bench/idle.py "$p" "$n" "$pid" 60)
	awk -v name="$name" -v g="$1" -v b="$2" -v a="$3" -v r="$4" -v n="$n" 'BEGIN {
		printf "%-28s %6d of %d greeted (%d refused), RSS %7.1f MiB -> %7.1f MiB: %6.2f KiB per connection\n",
		    name, g, n, r, b / 1024, a / 1024, (g ? (a - b) / g : 0) }'
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=
}
each_sink "$n"
