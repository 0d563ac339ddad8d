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
p=$(free_port); name="smtpdbg sink"
"$SMTPDBG" sink -q "127.0.0.1:$p" >/dev/null 2>&1 & pid=$!
measure
if [ -x /usr/sbin/smtp-sink ]; then
	p=$(free_port); name="postfix smtp-sink"
	sh -c "ulimit -n $((n + 100)); exec /usr/sbin/smtp-sink -u nobody 127.0.0.1:$p 4096" >/dev/null 2>&1 &
	pid=$!
	measure
fi
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	p=$(free_port); name="aiosmtpd"
	sh -c "ulimit -n $((n + 100)); exec /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$p -c aiosmtpd.handlers.Sink" \
	    >/dev/null 2>&1 & pid=$!
	measure
fi
