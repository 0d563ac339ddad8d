#!/bin/sh
# sink - smtpdbg's sink and Postfix's smtp-sink under the same load from
# Postfix's smtp-source on loopback, interleaved in one run.  Prints
# messages per second and the sink process's CPU time per message, with
# ratios.  smtpdbg writes its full transcript to a file meanwhile.
# Not a test.   bench/sink.sh [MESSAGES]   (default 2000 per case)
set -eu
cd "$(dirname "$0")/.."
total=${1:-2000}
SMTPDBG=${SMTPDBG:-build/smtpdbg}
SRC=/usr/sbin/smtp-source
SNK=/usr/sbin/smtp-sink
T=$(mktemp -d)
trap 'kill $p1 $p2 2>/dev/null; rm -rf "$T"' EXIT
hz=$(getconf CLK_TCK)

p1port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
p2port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# O_APPEND, so the file can be emptied between cases: each case pays for
# writing its own transcript, not for the page cache of all before it
: > "$T/transcript"
"$SMTPDBG" sink --max-connections 2000 127.0.0.1:$p1port >> "$T/transcript" 2> "$T/sink.err" &
p1=$!
"$SNK" -u nobody -m 1000 127.0.0.1:$p2port 1024 > /dev/null 2>&1 &
p2=$!
sleep 0.5

cpu() { awk -v hz="$hz" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
lines=0
# rotate - count the transcript so far, then empty it (in this shell)
rotate() {
	lines=$((lines + $(wc -l < "$T/transcript")))
	: > "$T/transcript"
}
# run PID PORT SESSIONS SIZE PERCONN: prints "seconds cpu-seconds"
run() {
	c0=$(cpu "$1")
	s=$(date +%s%N)
	# -d: one connection per session for all its messages
	if [ "$5" = many ]; then d=-d; else d=; fi
	"$SRC" -s "$3" -m "$total" -l "$4" $d -c "127.0.0.1:$2" > /dev/null 2>&1
	e=$(date +%s%N)
	c1=$(cpu "$1")
	echo "$(( (e - s) / 1000 )) $c0 $c1"
}
printf '%-34s %12s %12s %10s %12s %12s %10s\n' "case ($total messages)" "smtpdbg/s" "smtp-sink/s" "speed" \
	"dbg cpu/msg" "sink cpu/msg" "cpu ratio"
for per in one many; do
for size in 300 102400; do
for sess in 1 10 100; do
	rotate
	set -- $(run $p1 $p1port $sess $size $per); us1=$1; a1=$2; b1=$3
	set -- $(run $p2 $p2port $sess $size $per); us2=$1; a2=$2; b2=$3
	awk -v c="$sess sessions, $size B, $per/conn" -v t="$total" -v u1="$us1" -v u2="$us2" \
	    -v a1="$a1" -v b1="$b1" -v a2="$a2" -v b2="$b2" 'BEGIN {
		r1 = t / (u1 / 1e6); r2 = t / (u2 / 1e6)
		c1 = (b1 - a1) / t * 1e6; c2 = (b2 - a2) / t * 1e6
		printf "%-34s %12.0f %12.0f %9.2fx %10.1fus %10.1fus %9.2fx\n", c, r1, r2, r1 / r2, c1, c2, (c2 > 0 ? c1 / c2 : 0)
	}'
done
done
done
echo "smtpdbg transcript written meanwhile: $((lines + $(wc -l < "$T/transcript"))) lines"
kill $p1 $p2 2>/dev/null; wait $p1 $p2 2>/dev/null || true

# Storage and aiosmtpd: 300-byte messages, 10 sessions, one per connection.
echo
printf '%-46s %10s %12s %14s\n' "server (300 B, 10 sessions, $total msgs)" "msg/s" "vs discard" "cpu/msg"
base=
server() {	# server NAME 'COMMAND with PORT': start it, measure, stop it
	name=$1
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cmd=$(printf '%s' "$2" | sed "s/PORT/$port/g")
	sh -c "exec $cmd" > /dev/null 2>&1 &
	p1=$!
	sleep 0.8
	set -- $(run $p1 $port 10 300 one)
	kill $p1 2>/dev/null; wait $p1 2>/dev/null || true
	awk -v n="$name" -v t="$total" -v u="$1" -v a="$2" -v b="$3" -v base="${base:-0}" 'BEGIN {
		r = t / (u / 1e6); printf "%-46s %10.0f %11.2fx %12.1fus\n", n, r, base ? r / base : 1,
		    (b - a) / t * 1e6 }'
	[ -n "$base" ] || base=$(awk -v t="$total" -v u="$1" 'BEGIN { printf "%.3f", t / (u / 1e6) }')
}
server "smtpdbg sink, discard" "$SMTPDBG sink 127.0.0.1:PORT"
server "smtpdbg sink --maildir (fsync before 250)" "$SMTPDBG sink --maildir $T/md 127.0.0.1:PORT"
server "smtpdbg sink --maildir --no-fsync" "$SMTPDBG sink --maildir $T/md2 --no-fsync 127.0.0.1:PORT"
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	server "aiosmtpd (Sink handler)" "/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Sink"
fi
