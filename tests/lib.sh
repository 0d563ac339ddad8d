# lib.sh - shared preamble for the shell tests (TAP output for automake).
#
# Every server a test starts binds to 127.0.0.1 only and is killed on
# exit; every client call is bounded in time.

SMTPDBG=${SMTPDBG:-$(pwd)/smtpdbg}
top_srcdir=${top_srcdir:-.}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/smtpdbg-test.XXXXXX")
tap_n=0
tap_fail=0
pids=

cleanup() {
	# TERM, a short grace, then KILL: no leftover may hang the suite.
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $pids; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
[ -n "${KEEP_T:-}" ] && trap - EXIT

ok() {	# ok DESCRIPTION: the last command succeeded
	tap_n=$((tap_n + 1)); printf 'ok %d - %s\n' "$tap_n" "$*"
}
not_ok() {
	tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); printf 'not ok %d - %s\n' "$tap_n" "$*"
}
check() {	# check DESCRIPTION COMMAND...: ok if the command succeeds
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
has() {	# has FILE REGEX
	grep -Eq -- "$2" "$1"
}
hasnt() {
	! grep -Eq -- "$2" "$1"
}
done_testing() {
	# Any sanitizer report from any smtpdbg run of this file fails it.
	reports=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/* 2>/dev/null)
	if [ -n "$reports" ]; then
		not_ok "sanitizer reports in: $reports"
		for r in $reports; do grep -A20 -E 'Sanitizer|runtime error' "$r" | sed 's/^/# /' | head -n 40; done
	else
		ok "no sanitizer reports from any smtpdbg run"
	fi
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
}
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
need() {	# need PROGRAM...: skip the whole file when a peer is missing
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || skip_all "$p not installed"
	done
}
diag() {
	sed 's/^/# /' "$@"
}

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {	# wait_port PORT: until something listens (5 s at most), without connecting
	hex=$(printf '%04X' "$1")
	i=0
	while [ $i -lt 100 ]; do
		grep -q ":$hex 00000000:0000 0A" /proc/net/tcp 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# serve NAME < steps: a scripted, misbehaving server (tests/fakeserver.py)
# on a free port; sets PORT
serve() {
	cat > "$T/$1.steps"
	PORT=$(free_port)
	$PY "${top_srcdir:-.}/tests/fakeserver.py" "$PORT" "$T/$1.steps" > "$T/$1.srv" 2>&1 &
	pids="$pids $!"
	wait_port "$PORT"
}

# screen, wait_screen REGEX: a tmux pane's text, and waiting (5 s at most)
# until it shows REGEX; the test defines TM, its tmux command
screen() { TM capture-pane -p -t t; }
wait_screen() {
	i=0
	while [ $i -lt 50 ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	screen | sed 's/^/# | /'
	return 1
}

# tm_stop TMUX-COMMAND...: end what runs in the panes (SIGTERM, then at
# most 2 s), then the tmux server; a program whose terminal vanishes under
# it (SIGHUP) is never the normal way out
tm_stop() {
	for p in $("$@" list-panes -a -F '#{pane_pid}' 2>/dev/null); do
		pkill -TERM -P "$p" 2>/dev/null
	done
	i=0
	while [ $i -lt 20 ]; do
		alive=
		for p in $("$@" list-panes -a -F '#{pane_pid}' 2>/dev/null); do
			pgrep -P "$p" smtpdbg >/dev/null 2>&1 && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	"$@" kill-server 2>/dev/null
	return 0
}

# bound_port ERRFILE WHAT: until WHAT says "WHAT listening on 127.0.0.1:PORT"
# there (5 s at most); sets BOUND to PORT, or says WHAT did not start
bound_port() {
	i=0
	while [ $i -lt 100 ]; do
		BOUND=$(sed -n "s/.*$2 listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p" "$1" 2>/dev/null)
		[ -n "$BOUND" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "# $2 did not start"; cat "$1"
	return 1
}

# start_sink OUTFILE [OPTIONS...]: smtpdbg's sink on a free port; sets SINK_PORT
start_sink() {
	out=$1; shift
	"$SMTPDBG" sink "$@" 127.0.0.1:0 >"$out" 2>"$out.err" &
	pids="$pids $!"
	SINK_PID=$!
	bound_port "$out.err" sink || return 1
	SINK_PORT=$BOUND
}

# start_proxy OUT UPSTREAM [OPTIONS...]: the proxy on a free port; sets PX_PORT, PX_PID
start_proxy() {
	out=$1; upstream=$2; shift 2
	"$SMTPDBG" proxy --color=never "$@" 127.0.0.1:0 "$upstream" >"$out" 2>"$out.err" &
	pids="$pids $!"
	PX_PID=$!
	bound_port "$out.err" proxy || return 1
	PX_PORT=$BOUND
}
stop_proxy() {	# stop_proxy: SIGINT, wait for it; PX_RC its exit status
	kill -INT "$PX_PID" 2>/dev/null
	wait "$PX_PID" 2>/dev/null
	PX_RC=$?
}

stop_sink() {	# stop_sink: SIGINT, wait for the summary
	kill -INT "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	return 0
}

# run_smtpdbg OUT [ARGS...] < script: smtpdbg with a 20 s bound; sets RC
run_smtpdbg() {
	out=$1; shift
	case ${1:-} in
	sink|probe|demo|send|ping) sub=$1; shift
		timeout 20 "$SMTPDBG" "$sub" --color=never "$@" >"$out" 2>"$out.err" ;;
	*)	timeout 20 "$SMTPDBG" --color=never "$@" >"$out" 2>"$out.err" ;;
	esac
	RC=$?
}
