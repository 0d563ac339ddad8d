#!/bin/sh
# client - one message per process against the same local sink, the
# tools interleaved in the same run: smtpdbg (script), swaks, msmtp.
# Prints the mean wall time per run and the ratios.  Not a test.
#   bench/client.sh [RUNS]   (default 50); SMTPDBG=path to the binary
set -eu
cd "$(dirname "$0")/.."
runs=${1:-50}
. bench/lib.sh
start_quiet_sink
printf 'Subject: bench\r\n\r\nhello\r\n' > "$T/msg"
printf '%s\n' '/expect 220' '/expect 250 EHLO bench.example' '/expect 250 MAIL FROM:<a@example.org>' \
	'/expect 250 RCPT TO:<b@example.org>' "/data $T/msg" '/expect 250' '/expect 221 QUIT' > "$T/script"

run_smtpdbg() { "$SMTPDBG" -q "127.0.0.1:$port" < "$T/script" > /dev/null; }
run_swaks() { swaks -S --server "127.0.0.1:$port" --from a@example.org --to b@example.org --data @"$T/msg" --timeout 5 > /dev/null; }
run_msmtp() { msmtp --host=127.0.0.1 --port="$port" --tls=off --auth=off -f a@example.org b@example.org < "$T/msg"; }
run_version() { "$SMTPDBG" --version > /dev/null; }
run_true() { /bin/true; }

tools="true version smtpdbg"
command -v swaks >/dev/null && tools="$tools swaks"
command -v msmtp >/dev/null && tools="$tools msmtp"
label() {
	case $1 in
	version) echo "smtpdbg --version (start-up)" ;;
	smtpdbg) echo "smtpdbg one message" ;;
	true) echo "/bin/true (exec baseline)" ;;
	*) echo "$1" ;;
	esac
}
interleave run "$runs"
per_run "tool ($runs runs each)" 28 "$runs" smtpdbg
