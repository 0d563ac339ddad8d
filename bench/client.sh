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
interleave run "$runs"
base=$(( total_smtpdbg / runs ))
printf '%-28s %10s %8s\n' "tool ($runs runs each)" "ms/run" "ratio"
for t in $tools; do
	eval "tot=\$total_$t"
	avg=$((tot / runs))
	label=$t; [ $t = version ] && label="smtpdbg --version (start-up)"
	[ $t = smtpdbg ] && label="smtpdbg one message"
	[ $t = true ] && label="/bin/true (exec baseline)"
	awk -v l="$label" -v a="$avg" -v b="$base" 'BEGIN { printf "%-28s %10.2f %7.1fx\n", l, a / 1e6, a / b }'
done
