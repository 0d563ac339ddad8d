#!/bin/sh
# exim - Exim 4.96 as a real client of smtpdbg's sink.  Exim's smtp
# transport sends QUIT right after the end of the data (BDAT LAST, or the
# final dot) and half-closes the connection: the sink must still answer
# the message and the QUIT, or Exim defers and delivers a second copy.
# Exim cannot be installed beside Postfix; ./quickstart unpacks its
# packages into /var/cache/smtpdbg/exim, and this test runs it in a
# private mount namespace where that tree's sbin is /usr/sbin (Exim
# re-executes itself from there).
. "${top_srcdir:-.}/tests/lib.sh"
EXIM_DIR=${EXIM_DIR:-/var/cache/smtpdbg/exim}
[ -x "$EXIM_DIR/usr/sbin/exim4" ] || skip_all "Exim is not unpacked in $EXIM_DIR (./quickstart deps)"
[ "$(id -u)" = 0 ] || skip_all "running Exim in a mount namespace needs root"
id Debian-exim >/dev/null 2>&1 || skip_all "no Debian-exim user"
need unshare certtool
sh "$top_srcdir/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
chmod 755 "$T"	# Exim drops to Debian-exim: it must reach its spool under $T
E=$T/exim
mkdir -p "$E/spool" "$E/log"
chown Debian-exim "$E/spool" "$E/log"
chmod 644 "$T"/pki/*
TPORT=$(free_port)
PPORT=$(free_port)
APORT=$(free_port)
LPORT=$(free_port)
cat >"$E/exim.conf" <<EOF
primary_hostname = exim.interop.test
spool_directory = $E/spool
log_file_path = $E/log/%slog
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
keep_environment =
host_lookup =
tls_advertise_hosts =
begin routers
sink:
  driver = manualroute
  domains = sink.test : plainsink.test : authsink.test : lmtp.test
  transport = \${if eq{\$domain}{sink.test}{tls}{\${if eq{\$domain}{plainsink.test}{plain}{\${if eq{\$domain}{authsink.test}{auth}{lmtp}}}}}}
  route_list = * 127.0.0.1 byname
  self = send
begin transports
tls:
  driver = smtp
  port = $TPORT
  allow_localhost
  hosts_require_tls = *
  tls_verify_certificates = $T/pki/ca.pem
  tls_sni = localhost
  tls_verify_cert_hostnames = *
  hosts_try_chunking = *
plain:
  driver = smtp
  port = $PPORT
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_chunking =
auth:
  driver = smtp
  port = $APORT
  allow_localhost
  hosts_require_tls = *
  tls_verify_certificates = $T/pki/ca.pem
  tls_sni = localhost
  hosts_require_auth = *
lmtp:
  driver = smtp
  protocol = lmtp
  port = $LPORT
  allow_localhost
  hosts_avoid_tls = *
begin retry
* * F,1m,1m
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  client_send = ^alice^s3cret-alice
EOF
printf 'alice:s3cret-alice\n' >"$T/users"

# exim_send RCPT... < message: Exim takes it and delivers it at once (-odi)
exim_send() {
	unshare --mount --propagation private sh -c \
	    'mount --bind "$0/usr/sbin" /usr/sbin && exec /usr/sbin/exim4 -C "$1" -odi -oi -f alice@interop.test "$@"' \
	    "$EXIM_DIR" "$E/exim.conf" "$@"
}
# sink_at OUT PORT OPTIONS...
sink_at() {
	out=$1 port=$2; shift 2
	"$SMTPDBG" sink --color=never "$@" "127.0.0.1:$port" >"$out" 2>"$out.err" &
	pids="$pids $!"
	wait_port "$port"
}
sink_at "$T/s-tls" "$TPORT" --cert "$T/pki/good.pem" --key "$T/pki/good.key" --maildir "$T/md-tls" \
    --json="$T/s-tls.jsonl" || exit 1
sink_at "$T/s-plain" "$PPORT" --maildir "$T/md-plain" --json="$T/s-plain.jsonl" || exit 1
sink_at "$T/s-auth" "$APORT" --cert "$T/pki/good.pem" --key "$T/pki/good.key" --auth-users "$T/users" \
    --require-auth --maildir "$T/md-auth" || exit 1
sink_at "$T/s-lmtp" "$LPORT" --lmtp --maildir "$T/md-lmtp" || exit 1

printf 'Subject: from exim\r\nMessage-ID: <exim1@smtpdbg.test>\r\n\r\n.dot\r\nbody \303\251\r\n' >"$T/m"
for dom in sink plainsink authsink; do
	exim_send "bob@$dom.test" <"$T/m" >"$T/x-$dom" 2>&1
	check "Exim -> sink ($dom): taken (exit $?)" [ $? = 0 ]
done
exim_send one@lmtp.test two@lmtp.test <"$T/m" >"$T/x-lmtp" 2>&1
check "Exim -> LMTP sink: taken" [ $? = 0 ]
for p in $pids; do kill -INT "$p" 2>/dev/null; done
for p in $pids; do wait "$p" 2>/dev/null; done
pids=
L=$E/log/mainlog

check "Exim delivered each message once and completed it (no deferral, no retry)" \
    sh -c "[ \$(grep -c ' Completed' '$L') = 4 ] && ! grep -q ' == ' '$L' && ! grep -q 'defer' '$L'"
check "over verified STARTTLS, with CHUNKING (BDAT)" \
    sh -c "grep -q '=> bob@sink.test .* X=TLS1.3.* CV=yes K C=\"250 2.0.0 Ok: queued as' '$L'"
check "with AUTH inside TLS" grep -q '=> bob@authsink.test .* A=plain ' "$L"
check "in plaintext Exim sends QUIT with the end of the data and half-closes; the sink answers both" \
    sh -c "grep -q 'end of input from the client' '$T/s-plain' && grep -q 'S: 250 2.0.0 Ok: queued as' '$T/s-plain' && grep -q 'S: 221 2.0.0 Bye' '$T/s-plain'"
check "... the QUIT came in the same flight as the data (JSON: ahead)" \
    grep -q '"raw":"QUIT\\r\\n".*"ahead":true' "$T/s-plain.jsonl"
for s in tls plain auth; do
	check "$s: the message and QUIT answered" \
	    sh -c "grep -q 'S[~:] 250 2.0.0 Ok: queued as' '$T/s-$s' && grep -q 'S[~:] 221 2.0.0 Bye' '$T/s-$s'"
	check "$s: exactly one copy stored" [ "$(ls "$T/md-$s/new" | wc -l)" = 1 ]
	check "$s: no lint about a missing QUIT" hasnt "$T/s-$s" 'closed without QUIT'
	check "$s: the body byte for byte, CRLF kept" $PY - "$T/md-$s/new" <<'PYEOF'
import os, sys
d = sys.argv[1]
got = open(os.path.join(d, os.listdir(d)[0]), 'rb').read()
assert got.endswith(b'\r\n\r\n.dot\r\nbody \xc3\xa9\r\n'), got[-60:]
assert got.count(b'Message-ID: <exim1@smtpdbg.test>') == 1
PYEOF
done
check "the BDAT session: one chunk with LAST" grep -q 'C~ BDAT [0-9]* LAST' "$T/s-tls"
check "LMTP: both recipients delivered, one copy, one reply each" \
    sh -c "grep -q '=> one@lmtp.test' '$L' && grep -q '[-=]> two@lmtp.test' '$L' && [ \"\$(ls '$T/md-lmtp/new' | wc -l)\" = 1 ] && [ \"\$(grep -c 'S: 250 2.0.0 Ok: queued as' '$T/s-lmtp')\" = 2 ]"
done_testing
