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
