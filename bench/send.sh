#!/bin/sh
# send - "smtpdbg send" against swaks and msmtp, the same local sink, the
# tools interleaved in the same run.  Part 1: one message per process.
# Part 2: 100 messages: smtpdbg send --count 100 on one connection, swaks
# and msmtp one process each.  Prints time per message and ratios.
# Not a test.   bench/send.sh [RUNS]   (default 30); SMTPDBG=path
set -eu
cd "$(dirname "$0")/.."
runs=${1:-30}
. bench/lib.sh
start_quiet_sink
printf 'Subject: bench\r\n\r\nhello\r\n' > "$T/msg"
one_smtpdbg() { "$SMTPDBG" send -q --from a@example.org --to b@example.org --data @"$T/msg" "127.0.0.1:$port" > /dev/null; }
one_swaks() { swaks -S --server "127.0.0.1:$port" --from a@example.org --to b@example.org --data @"$T/msg" --timeout 5 > /dev/null; }
one_msmtp() { msmtp --host=127.0.0.1 --port="$port" --tls=off --auth=off -f a@example.org b@example.org < "$T/msg"; }
hundred_smtpdbg() { "$SMTPDBG" send -q --count 100 --from a@example.org --to b@example.org --data @"$T/msg" "127.0.0.1:$port" > /dev/null; }
hundred_swaks() { i=0; while [ $i -lt 100 ]; do one_swaks; i=$((i + 1)); done; }
hundred_msmtp() { i=0; while [ $i -lt 100 ]; do one_msmtp; i=$((i + 1)); done; }

tools=smtpdbg
command -v swaks >/dev/null && tools="$tools swaks"
command -v msmtp >/dev/null && tools="$tools msmtp"
interleave one "$runs"
echo "one message per process ($runs runs each, interleaved):"
table "$runs" 1
r2=$(( runs / 10 )); [ "$r2" -ge 1 ] || r2=1
interleave hundred "$r2"
echo "100 messages ($r2 rounds; smtpdbg: one connection with --count 100; the others: 100 processes):"
table "$r2" 100
