#!/bin/sh
# postfix - against a private Postfix 3.7 smtpd over STARTTLS (root only;
# tests/postfix-setup.sh): "smtpdbg send --count 5" pipelined against
# --no-pipeline (a pipelined group must leave in one write, or Postfix
# waits for a delayed ACK on each), and one message per process: smtpdbg
# send, swaks and msmtp, interleaved in the same run.  OLD=path adds
# another smtpdbg binary (an earlier build) to the first table.
# Not a test.   bench/postfix.sh [RUNS]   (default 20); SMTPDBG=path
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
. bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench/postfix.sh: a private Postfix needs root" >&2; exit 1; }
chmod 755 "$T"
sh tests/mkpki.sh "$T/pki"
PORT=$(free_port)
sh tests/postfix-setup.sh "$T/pf" "$T/pki" "$PORT" "$(free_port)" "$(free_port)"
trap 'postfix -c "$T/pf/etc" stop >/dev/null 2>&1; rm -rf "$T"' EXIT
postfix -c "$T/pf/etc" start >/dev/null 2>&1
i=0; while ! grep -q ":$(printf %04X "$PORT") 00000000:0000 0A" /proc/net/tcp && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
printf 'Subject: bench\r\n\r\nhello\r\n' > "$T/msg"
ca=$T/pki/ca.pem
five() {	# five BINARY PIPELINE-OPTION
	"$1" send -q --starttls --ca-file "$ca" --count 5 $2 --from a@interop.test \
	    --to b@interop.test --data @"$T/msg" "localhost:$PORT" >/dev/null
}
five_new_pipe() { five "$SMTPDBG" --pipeline; }
five_new_nopipe() { five "$SMTPDBG" --no-pipeline; }
five_old_pipe() { five "$OLD" --pipeline; }
five_old_nopipe() { five "$OLD" --no-pipeline; }
one_smtpdbg() { "$SMTPDBG" send -q --starttls --ca-file "$ca" --from a@interop.test --to b@interop.test --data @"$T/msg" "localhost:$PORT" >/dev/null; }
one_swaks() { swaks -S --server "localhost:$PORT" --tls --tls-ca-path "$ca" --from a@interop.test --to b@interop.test --data @"$T/msg" --timeout 5 >/dev/null; }
one_msmtp() { msmtp --host=localhost --port="$PORT" --tls=on --tls-starttls=on --tls-trust-file="$ca" --auth=off -f a@interop.test b@interop.test < "$T/msg"; }

tools="new_pipe new_nopipe"
[ -n "${OLD:-}" ] && tools="$tools old_pipe old_nopipe"
interleave five "$runs"
echo "send --count 5 over STARTTLS to Postfix ($runs runs each, interleaved; new = $SMTPDBG${OLD:+, old = $OLD}):"
table "$runs" 5
tools=smtpdbg
command -v swaks >/dev/null && tools="$tools swaks"
command -v msmtp >/dev/null && tools="$tools msmtp"
interleave one "$runs"
echo "one message per process over STARTTLS to Postfix ($runs runs each, interleaved):"
table "$runs" 1
