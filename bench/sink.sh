#!/bin/sh
# sink - smtpdbg's sink and Postfix's smtp-sink under the same load from
# Postfix's smtp-source on loopback, interleaved in one run.  Prints
# messages per second and the sink process's CPU time per message, with
# ratios.  smtpdbg writes its full transcript to a file meanwhile.
# Not a test.   [REPEAT=3] bench/sink.sh [MESSAGES]   (default 2000 per run;
# each case is run REPEAT times, interleaved, and the medians printed)
set -eu
cd "$(dirname "$0")/.."
total=${1:-2000}
reps=${REPEAT:-3}
. bench/lib.sh
SRC=/usr/sbin/smtp-source
SNK=/usr/sbin/smtp-sink
p1= p2= p3= p4=
trap 'kill $p1 $p2 $p3 $p4 2>/dev/null; rm -rf "$T"' EXIT

p1port=$(free_port)
p2port=$(free_port)
p3port=$(free_port)
# O_APPEND, so the file can be emptied between cases: each case pays for
# writing its own transcript, not for the page cache of all before it
: > "$T/transcript"
# Servers on the second CPU, the load on the first: each has a core of its
# own, and runs do not differ by where the scheduler put them.
if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
	ON_SERVER="taskset -c 1" ON_LOAD="taskset -c 0"
else
	ON_SERVER= ON_LOAD=
fi
$ON_SERVER "$SMTPDBG" sink --max-connections 2000 127.0.0.1:$p1port >> "$T/transcript" 2> "$T/sink.err" &
p1=$!
$ON_SERVER "$SNK" -u nobody -m 1000 127.0.0.1:$p2port 1024 > /dev/null 2>&1 &
p2=$!
# The floor (bench/floor.c): what the kernel and an epoll loop cost per
# message with no SMTP work at all -- no sink can go below it.
cc -O2 -o "$T/floor" bench/floor.c
$ON_SERVER "$T/floor" $p3port &
p3=$!
sleep 0.5

# cpu PID - seconds on a CPU so far, all threads, in nanoseconds' precision
cpu() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.6f\n", t / 1e9 }'; }
lines=0
# rotate - count the transcript so far, then empty it (in this shell)
rotate() {
	lines=$((lines + $(wc -l < "$T/transcript")))
	: > "$T/transcript"
}
# run PID PORT SESSIONS SIZE PERCONN [MESSAGES]: prints "microseconds cpu0 cpu1"
run() {
	c0=$(cpu "$1")
	s=$(date +%s%N)
	# -d: one connection per session for all its messages
	if [ "$5" = many ]; then d=-d; else d=; fi
	$ON_LOAD "$SRC" -s "$3" -m "${6:-$total}" -l "$4" $d -c "127.0.0.1:$2" > /dev/null 2>&1
	e=$(date +%s%N)
	c1=$(cpu "$1")
	echo "$(( (e - s) / 1000 )) $c0 $c1"
}
# median of the words on stdin
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# rate N MICROSECONDS, per N T0 T1: messages per second, CPU microseconds per message
rate() { awk -v t="$1" -v u="$2" 'BEGIN { print t / (u / 1e6) }'; }
per() { awk -v t="$1" -v a="$2" -v b="$3" 'BEGIN { print (b - a) / t * 1e6 }'; }
# matrix NAME PID PORT MESSAGES: smtpdbg against the server NAME and the
# floor in the twelve cases, each the median of $reps interleaved runs
matrix() {
	name=$1 pid=$2 port=$3 n=$4
	echo
	echo "smtpdbg and $name: msg/s, and the server's CPU time per message; each the median"
	echo "of $reps interleaved runs of $n messages.  'floor' is bench/floor.c: the kernel's and an"
	echo "epoll loop's cost with no SMTP work at all: the most any sink could show against $name"
	echo "is the floor's speed-up and CPU ratio ('fl' columns)."
	printf '%-28s %8s %8s %8s %7s %7s %9s %9s %9s %6s %6s\n' "case" "dbg/s" "other/s" "floor/s" \
		"speed" "fl spd" "dbg cpu" "other cpu" "floor cpu" "ratio" "fl rat"
	for per in one many; do
	for size in 300 102400; do
	for sess in 1 10 100; do
		r1= r2= r3= c1= c2= c3=
		i=0
		while [ $i -lt "$reps" ]; do
			i=$((i + 1))
			rotate
			set -- $(run $p1 $p1port $sess $size $per $n)
			r1="$r1 $(rate $n $1)" c1="$c1 $(per $n $2 $3)"
			set -- $(run $pid $port $sess $size $per $n)
			r2="$r2 $(rate $n $1)" c2="$c2 $(per $n $2 $3)"
			set -- $(run $p3 $p3port $sess $size $per $n)
			r3="$r3 $(rate $n $1)" c3="$c3 $(per $n $2 $3)"
		done
		awk -v c="$sess sess, $size B, $per/conn" -v r1="$(echo $r1 | median)" \
		    -v r2="$(echo $r2 | median)" -v r3="$(echo $r3 | median)" -v c1="$(echo $c1 | median)" \
		    -v c2="$(echo $c2 | median)" -v c3="$(echo $c3 | median)" 'BEGIN {
			printf "%-28s %8.0f %8.0f %8.0f %6.2fx %6.2fx %7.1fus %7.1fus %7.1fus %5.2fx %5.2fx\n", c,
			    r1, r2, r3, r1 / r2, r3 / r2, c1, c2, c3, c1 / c2, c3 / c2
		}'
	done
	done
	done
}
matrix smtp-sink $p2 $p2port "$total"
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	p4port=$(free_port)
	$ON_SERVER /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$p4port -c aiosmtpd.handlers.Sink > /dev/null 2>&1 &
	p4=$!
	sleep 1
	# aiosmtpd is slow: a quarter of the messages
	matrix aiosmtpd $p4 $p4port $(( total / 4 < 200 ? 200 : total / 4 ))
	kill $p4
fi
echo "smtpdbg transcript written meanwhile: $((lines + $(wc -l < "$T/transcript"))) lines"
kill $p1 $p2 $p3 2>/dev/null; wait $p1 $p2 $p3 2>/dev/null || true
p2= p3=

# Storage: 300-byte messages, 10 sessions, one per connection.
echo
printf '%-46s %10s %12s %14s\n' "server (300 B, 10 sessions, $total msgs)" "msg/s" "vs discard" "cpu/msg"
base=
server() {	# server NAME 'COMMAND with PORT': start it, measure, stop it
	name=$1
	port=$(free_port)
	cmd=$(printf '%s' "$2" | sed "s/PORT/$port/g")
	$ON_SERVER sh -c "exec $cmd" > /dev/null 2>&1 &
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
server "smtpdbg sink --mbox" "$SMTPDBG sink --mbox $T/mbox 127.0.0.1:PORT"
