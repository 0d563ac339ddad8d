#!/bin/sh
# burst - N connections opened at once (default 1000): how many each
# server greets within 5 seconds, and when the last greeting came.  A short
# listen backlog or an accept loop that takes one connection per wake-up
# loses most of a burst to SYN retries.  Not a test.   bench/burst.sh [N]
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
. bench/lib.sh
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
echo "listen backlog limit (net.core.somaxconn): $(cat /proc/sys/net/core/somaxconn)"
measure() {
	sleep 1
	set -- $(python3 bench/idle.py "$p" "$n" "$pid" 5)
	printf '%-28s %5d of %d greeted within 5 s; last greeting after %6.3f s\n' "$name" "$1" "$n" "$5"
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=
}
each_sink "$n"
