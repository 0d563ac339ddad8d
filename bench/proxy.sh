#!/bin/sh
# proxy - what smtpdbg proxy costs on loopback, in one run: Postfix's
# smtp-source sends to Postfix's smtp-sink directly and through the proxy
# (which writes its full transcript to a file), interleaved, at 1 and 10
# sessions; and a client's round trip per command (NOOP) directly and
# through the proxy.  Prints messages per second, the proxy's CPU time per
# message, the latency it adds per command, and ratios.
# Not a test.   [REPEAT=3] bench/proxy.sh [MESSAGES]   (default 2000 per run)
set -eu
cd "$(dirname "$0")/.."
total=${1:-2000}
reps=${REPEAT:-3}
. bench/lib.sh
SRC=/usr/sbin/smtp-source
SNK=/usr/sbin/smtp-sink
[ -x "$SRC" ] && [ -x "$SNK" ] || { echo "needs Postfix's smtp-source and smtp-sink"; exit 1; }
ps= pp= pr=
trap 'kill $ps $pp $pr 2>/dev/null; rm -rf "$T"' EXIT

if [ "$(nproc)" -ge 3 ] && command -v taskset > /dev/null; then
	ON_SINK="taskset -c 2" ON_PROXY="taskset -c 1" ON_LOAD="taskset -c 0"
else
	ON_SINK= ON_PROXY= ON_LOAD=
fi
sport=$(free_port)
pport=$(free_port)
$ON_SINK "$SNK" -u nobody -m 1000 127.0.0.1:$sport 1024 >/dev/null 2>&1 &
ps=$!
: > "$T/transcript"
$ON_PROXY "$SMTPDBG" proxy --max-connections 2000 --upstream-tls none 127.0.0.1:$pport \
    127.0.0.1:$sport >> "$T/transcript" 2> "$T/proxy.err" &
pp=$!
# The floor (bench/relay.c): a relay that copies bytes and nothing else.
rport=$(free_port)
cc -O2 -o "$T/relay" bench/relay.c
$ON_PROXY "$T/relay" $rport $sport &
pr=$!
sleep 0.5

cpu() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.6f\n", t / 1e9 }'; }
# run PORT SESSIONS [PID]: microseconds for $total messages of 1000 bytes,
# and the CPU seconds of PID (the proxy) during them
run() {
	c0=$(cpu ${3:-$pp})
	s=$(date +%s%N)
	$ON_LOAD "$SRC" -s "$2" -m "$total" -l 1000 -c "127.0.0.1:$1" > /dev/null 2>&1
	e=$(date +%s%N)
	c1=$(cpu ${3:-$pp})
	: > "$T/transcript"
	echo "$(( (e - s) / 1000 )) $c0 $c1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-40s %12s %14s %8s\n' "$total messages of 1000 bytes" "msgs/s" "proxy CPU/msg" "ratio"
for sess in 1 10; do
	: > "$T/d" ; : > "$T/p" ; : > "$T/c" ; : > "$T/f" ; : > "$T/fc"
	r=0
	while [ $r -lt "$reps" ]; do
		set -- $(run $sport $sess); echo "$1" >> "$T/d"
		set -- $(run $rport $sess $pr); echo "$1" >> "$T/f"
		awk -v a="$2" -v b="$3" -v n="$total" 'BEGIN { print (b - a) / n * 1e6 }' >> "$T/fc"
		set -- $(run $pport $sess); echo "$1" >> "$T/p"
		awk -v a="$2" -v b="$3" -v n="$total" 'BEGIN { print (b - a) / n * 1e6 }' >> "$T/c"
		r=$((r + 1))
	done
	d=$(median < "$T/d"); p=$(median < "$T/p"); c=$(median < "$T/c")
	f=$(median < "$T/f"); fc=$(median < "$T/fc")
	awk -v d="$d" -v p="$p" -v c="$c" -v f="$f" -v fc="$fc" -v n="$total" -v s="$sess" 'BEGIN {
		ss = s " session" (s > 1 ? "s" : "")
		printf "%-40s %12.0f %14s %8s\n", "direct to smtp-sink, " ss, n / (d / 1e6), "-", "1.00"
		printf "%-40s %12.0f %11.1f us %7.2fx\n", "byte relay floor (bench/relay.c), " ss, n / (f / 1e6), fc, f / d
		printf "%-40s %12.0f %11.1f us %7.2fx\n", "through smtpdbg proxy, " ss, n / (p / 1e6), c, p / d
	}'
done

# Round trips: NOOP after NOOP on one connection, direct and through the proxy.
cat > "$T/rtt.py" <<'PYEOF'
import socket, sys, time
def rtt(port, n):
    s = socket.create_connection(('127.0.0.1', port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile('rb')
    def reply():
        while True:
            l = f.readline()
            if l[3:4] != b'-':
                return l
    reply()
    s.sendall(b'EHLO bench\r\n'); reply()
    t = []
    for _ in range(n):
        a = time.perf_counter_ns()
        s.sendall(b'NOOP\r\n'); reply()
        t.append(time.perf_counter_ns() - a)
    s.sendall(b'QUIT\r\n'); reply()
    s.close()
    t.sort()
    return t[len(t) // 2], t[int(len(t) * 0.99)]
d50, d99 = rtt(int(sys.argv[1]), 3000)
f50, f99 = rtt(int(sys.argv[3]), 3000)
p50, p99 = rtt(int(sys.argv[2]), 3000)
print('%-40s %10s %10s' % ('NOOP round trip (3000, one session)', 'median', 'p99'))
print('%-40s %7.1f us %7.1f us' % ('direct to smtp-sink', d50 / 1e3, d99 / 1e3))
print('%-40s %7.1f us %7.1f us' % ('byte relay floor (bench/relay.c)', f50 / 1e3, f99 / 1e3))
print('%-40s %7.1f us %7.1f us' % ('through smtpdbg proxy', p50 / 1e3, p99 / 1e3))
print('%-40s %7.1f us %7.1f us' % ('added by the proxy', (p50 - d50) / 1e3, (p99 - d99) / 1e3))
print('%-40s %7.1f us %7.1f us' % ('added by the proxy over the floor', (p50 - f50) / 1e3, (p99 - f99) / 1e3))
PYEOF
$ON_LOAD python3 "$T/rtt.py" $sport $pport $rport
