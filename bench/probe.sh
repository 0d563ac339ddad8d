#!/bin/sh
# probe - the same TLS check done by smtpdbg probe, posttls-finger and
# gnutls-cli against one local STARTTLS server, interleaved in one run.
# Prints mean wall time per run and ratios to smtpdbg.  Not a test.
#   bench/probe.sh [RUNS]   (default 50); SMTPDBG=path to the binary
set -eu
cd "$(dirname "$0")/.."
runs=${1:-50}
. bench/lib.sh
start_quiet_sink
mkdir -p "$T/pf"
# Without myhostname posttls-finger looks its host name up on every run.
printf 'myhostname = localhost.localdomain\nmydomain = localdomain\n' > "$T/pf/main.cf"
# ... and make it old: Postfix programs reread a main.cf written less than
# a few seconds ago, 300 ms apart (2.4 s for the first run, measured).
touch -d '1 hour ago' "$T/pf/main.cf"
PF=$(command -v posttls-finger || echo /usr/sbin/posttls-finger)

run_smtpdbg() { "$SMTPDBG" probe -q --no-verify "localhost:$port" > /dev/null; }
# posttls-finger -c: EHLO, STARTTLS, then QUIT without a second EHLO (its
# fastest mode, less work than smtpdbg probe); it exits 0 even "Untrusted".
run_posttls() { MAIL_CONFIG=$T/pf "$PF" -c -l may "[127.0.0.1]:$port" > /dev/null 2>&1; }
run_gnutls() { gnutls-cli --starttls-proto=smtp --insecure -p "$port" localhost < /dev/null > /dev/null 2>&1; }
run_true() { /bin/true; }

tools="true smtpdbg"
[ -x "$PF" ] && tools="$tools posttls"
command -v gnutls-cli >/dev/null && tools="$tools gnutls"
label() {
	case $1 in
	true) echo "/bin/true (exec baseline)" ;;
	smtpdbg) echo "smtpdbg probe" ;;
	posttls) echo "posttls-finger -c -l may" ;;
	gnutls) echo "gnutls-cli --starttls-proto=smtp" ;;
	esac
}
interleave run "$runs"
per_run "STARTTLS probe ($runs runs each)" 34 "$runs" smtpdbg
