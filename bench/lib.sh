# lib.sh - shared preamble for the benchmarks (sourced from the top of the
# tree): SMTPDBG, a temporary folder T removed on exit, now (ns), a free
# loopback port, and a quiet smtpdbg sink on $port whose pid is $sink.
SMTPDBG=${SMTPDBG:-build/smtpdbg}
T=$(mktemp -d)
sink=
trap '[ -n "$sink" ] && kill $sink 2>/dev/null; rm -rf "$T"' EXIT
now() { date +%s%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_quiet_sink() {
	"$SMTPDBG" sink -q 127.0.0.1:0 > /dev/null 2> "$T/sink.err" &
	sink=$!
	sleep 0.3
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sink.err")
}
# interleave PREFIX ROUNDS: each round runs PREFIX_TOOL once for every tool
# in $tools, so all of them see the same machine; total_TOOL gets the
# nanoseconds each took in all
interleave() {
	for t in $tools; do eval "total_$t=0"; done
	i=0
	while [ $i -lt "$2" ]; do
		for t in $tools; do
			s=$(now); "$1_$t"; e=$(now)
			eval "total_$t=\$((total_$t + e - s))"
		done
		i=$((i + 1))
	done
}
# per_run TITLE WIDTH RUNS BASE: after interleave, each tool's time per run
# and its ratio to tool BASE's, named by the caller's label TOOL
per_run() {
	eval "base=\$((total_$4 / $3))"
	printf "%-${2}s %10s %8s\n" "$1" "ms/run" "ratio"
	for t in $tools; do
		eval "avg=\$((total_$t / $3))"
		awk -v l="$(label "$t")" -v a="$avg" -v b="$base" -v w="$2" \
		    'BEGIN { printf "%-" w "s %10.2f %7.2fx\n", l, a / 1e6, a / b }'
	done
}
# table RUNS MESSAGES: after interleave, each tool's time per message and
# its ratio to the first tool's
table() {
	base=0
	for t in $tools; do
		eval "tot=\$total_$t"
		per=$((tot / $1 / $2))
		[ "$base" = 0 ] && base=$per
		awk -v l="$t" -v a="$per" -v b="$base" 'BEGIN { printf "  %-12s %10.3f ms/message %8.2fx\n", l, a / 1e6, a / b }'
	done
}
# each_sink N: start smtpdbg's sink, then Postfix's smtp-sink and aiosmtpd
# when present, each allowed N+100 descriptors, on a free port $p as $pid
# named $name, and call measure (the caller's) after each; measure ends by
# stopping $pid
each_sink() {
	p=$(free_port); name="smtpdbg sink"
	"$SMTPDBG" sink -q "127.0.0.1:$p" >/dev/null 2>"$T/dbg.err" & pid=$!
	measure
	if [ -x /usr/sbin/smtp-sink ]; then
		p=$(free_port); name="postfix smtp-sink"
		sh -c "ulimit -n $(($1 + 100)); exec /usr/sbin/smtp-sink -u nobody 127.0.0.1:$p 4096" \
		    >/dev/null 2>&1 & pid=$!
		measure
	fi
	if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
		p=$(free_port); name="aiosmtpd (Sink handler)"
		sh -c "ulimit -n $(($1 + 100)); exec /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$p -c aiosmtpd.handlers.Sink" \
		    >/dev/null 2>&1 & pid=$!
		measure
	fi
}
