#!/bin/sh
# load - smtpdbg send --sessions against Postfix's smtp-source, in one run,
# on the same sink (Postfix's smtp-sink), at 1, 10 and 100 sessions:
# messages per second and the client's CPU time per message, all messages
# on each session's connection (smtp-source -d) and one message per
# connection (smtp-source's default).  smtp-source has no pipelining, so
# smtpdbg runs with --no-pipeline (the same conversation) and as it does by
# default (pipelined).  Then smtpdbg alone against its own sink: STARTTLS
# against plain, since smtp-source has no TLS.  Medians of REPEAT runs.
# Not a test.   [REPEAT=3] bench/load.sh [MESSAGES]   (default 10000 per run)
set -eu
cd "$(dirname "$0")/.."
total=${1:-10000}
reps=${REPEAT:-3}
. bench/lib.sh
SRC=/usr/sbin/smtp-source
SNK=/usr/sbin/smtp-sink
[ -x "$SRC" ] && [ -x "$SNK" ] || { echo "needs Postfix's smtp-source and smtp-sink"; exit 1; }
ps= pd=
trap 'kill $ps $pd 2>/dev/null; rm -rf "$T"' EXIT

# the sink on one CPU, the client on another, when there are two
if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
	ON_SINK="taskset -c 1" ON_LOAD="taskset -c 0"
else
	ON_SINK= ON_LOAD=
fi
sport=$(free_port)
sh -c "ulimit -n 4096; exec $ON_SINK $SNK -u nobody 127.0.0.1:$sport 1024" >/dev/null 2>&1 &
ps=$!
dport=$(free_port)
$ON_SINK "$SMTPDBG" sink -q --max-connections 2000 127.0.0.1:$dport >/dev/null 2>&1 &
pd=$!
sleep 0.5

# run N CMD...: "wall_s cpu_s" of one client run of N messages (getrusage
# of the child: microseconds, not GNU time's hundredths)
run() {
	n=$1; shift
	$ON_LOAD /usr/bin/python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
e = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
if r.returncode:
    sys.exit("failed: %s\n%s" % (" ".join(sys.argv[1:]), r.stderr.decode()))
print(e, u.ru_utime + u.ru_stime)' "$@"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure LABEL N CMD...: median msgs/s and CPU us/msg over REPEAT runs
measure() {
	label=$1; n=$2; shift 2
	: > "$T/w"; : > "$T/c"
	r=0
	while [ $r -lt "$reps" ]; do
		run "$n" "$@" > "$T/r"
		awk -v n="$n" '{ print n / $1 }' "$T/r" >> "$T/w"
		awk -v n="$n" '{ print $2 / n * 1e6 }' "$T/r" >> "$T/c"
		r=$((r + 1))
	done
	w=$(median < "$T/w"); c=$(median < "$T/c")
	eval "rate_$key=$w"
	printf '  %-50s %10.0f %12.1f us\n' "$label" "$w" "$c"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

dbg() {	# dbg SESSIONS PER-CONN(0: all) PORT [OPTIONS...]: smtpdbg's command
	s=$1; k=$2; p=$3; shift 3
	set -- "$SMTPDBG" send -q --sessions "$s" --count "$N" --size 1000 --from a@example.org \
	    --to b@example.org "$@"
	[ "$k" = 0 ] || set -- "$@" --per-connection "$k"
	echo "$@" "127.0.0.1:$p"
}

echo "smtpdbg send --sessions against smtp-source; sink: Postfix's smtp-sink; 1000-byte messages;"
echo "medians of $reps runs; msgs/s of the whole run; client CPU (user + system) per message"
for mode in all one; do
	if [ $mode = all ]; then
		N=$total; D=-d; K=0
		echo; echo "all messages on each session's connection ($N messages):"
	else
		N=$((total / 2)); D=; K=1
		echo; echo "one message per connection ($N messages):"
	fi
	printf '  %-50s %10s %15s\n' "" "msgs/s" "CPU/msg"
	for s in 1 10 100; do
		key=src; measure "smtp-source, $s session(s)" $N $SRC -s $s -m $N -l 1000 $D 127.0.0.1:$sport
		key=nop; measure "smtpdbg --no-pipeline, $s session(s)" $N $(dbg $s $K $sport --no-pipeline)
		key=dbg; measure "smtpdbg (pipelined), $s session(s)" $N $(dbg $s $K $sport)
		echo "    smtpdbg / smtp-source: --no-pipeline $(ratio "$rate_nop" "$rate_src"), pipelined $(ratio "$rate_dbg" "$rate_src")"
	done
done

echo; echo "smtpdbg alone against its own sink: STARTTLS against plain (1000-byte messages):"
printf '  %-50s %10s %15s\n' "" "msgs/s" "CPU/msg"
for mode in all one; do
	if [ $mode = all ]; then N=$total; K=0; how="all on one connection"; else N=$((total / 10)); K=1; how="one per connection"; fi
	for s in 1 10 100; do
		key=plain; measure "plain, $s session(s), $how" $N $(dbg $s $K $dport)
		key=tls; measure "STARTTLS, $s session(s), $how" $N $(dbg $s $K $dport --starttls --no-verify)
		echo "    STARTTLS / plain: $(ratio "$rate_tls" "$rate_plain")"
	done
done
