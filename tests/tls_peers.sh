#!/bin/sh
# tls_peers - TLS with real peers: the sink serves STARTTLS to openssl,
# gnutls-cli, swaks, smtplib and posttls-finger with no set-up; the
# client upgrades against aiosmtpd (STARTTLS and implicit TLS); and
# STARTTLS injection is refused both ways.
. "${top_srcdir:-.}/tests/lib.sh"
need certtool
sh "${top_srcdir:-.}/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
P=$T/pki

start_sink "$T/sink" --tls-listen 127.0.0.1:0 || exit 1
S=$SINK_PORT
TP=$(sed -n 's/.*implicit TLS on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sink.err")
check "the sink printed its certificate's fingerprint" has "$T/sink.err" 'TLS certificate generated for localhost \(ECDSA P-256, 30 days\), SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}'
FP=$(sed -n 's/.*SHA-256 \([0-9A-F:]*\).*/\1/p' "$T/sink.err")	# colons and all, as the sink prints it

feed() {	# feed LINES...: slow stdin for the TLS command-line clients
	sleep 1
	for l in "$@"; do printf '%s\n' "$l"; sleep 0.2; done	# the clients add CR
	sleep 0.5
}
if command -v openssl >/dev/null; then
	feed 'EHLO openssl.example' 'MAIL FROM:<o@example.org>' 'RCPT TO:<r@example.org>' 'QUIT' |
		timeout 15 openssl s_client -starttls smtp -crlf -nocommands -connect 127.0.0.1:$S \
		-servername localhost > "$T/openssl" 2>&1
	check "openssl s_client -starttls smtp: TLS 1.3 negotiated" has "$T/openssl" 'TLSv1\.3'
	check "openssl: encrypted MAIL accepted" has "$T/openssl" '^250 2\.1\.0 Ok'
	check "the sink saw openssl's SNI and encrypted commands" has "$T/sink" 'SNI localhost.*encrypted'
	check "the sink marked openssl's encrypted MAIL" has "$T/sink" 'C~ MAIL FROM:<o@example.org>'
fi
if command -v gnutls-cli >/dev/null; then
	feed 'EHLO gnutls.example' 'NOOP' 'QUIT' |
		timeout 15 gnutls-cli --crlf --starttls-proto=smtp --insecure --port $S 127.0.0.1 \
		> "$T/gnutls" 2>&1
	check "gnutls-cli --starttls-proto=smtp: handshake done" has "$T/gnutls" 'Handshake was completed'
	check "gnutls-cli: post-TLS EHLO no longer offers STARTTLS" sh -c "sed -n '/Handshake was completed/,\$p' '$T/gnutls' | grep -q '250 HELP' && ! sed -n '/Handshake was completed/,\$p' '$T/gnutls' | grep -q STARTTLS"
	feed 'EHLO implicit.example' 'QUIT' |
		timeout 15 gnutls-cli --crlf --insecure --port $TP 127.0.0.1 > "$T/gnutls-i" 2>&1
	check "gnutls-cli on --tls-listen: greeting comes over TLS" has "$T/gnutls-i" '^220 localhost ESMTP'
fi
if command -v swaks >/dev/null; then
	timeout 20 swaks --server 127.0.0.1:$S --tls --from s@example.org --to r@example.org \
		--h-Subject swaks-tls --timeout 5 > "$T/swaks" 2>&1
	check "swaks --tls: message accepted over STARTTLS" has "$T/swaks" '<~  250 2\.0\.0 Ok'
fi
$PY - "$S" > "$T/py" 2>&1 <<'PYEOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
s.ehlo('py.example'); assert s.has_extn('starttls')
s.starttls(context=ctx); s.ehlo('py.example'); assert not s.has_extn('starttls')
assert s.sendmail('p@example.org', ['q@example.org'], b'Subject: py-tls\r\n\r\nhi\r\n') == {}
s.quit(); print('ok')
PYEOF
check "smtplib starttls(): message accepted, STARTTLS gone after upgrade" has "$T/py" '^ok$'
check "the sink summarised the smtplib message" has "$T/sink" 'Subject: py-tls'

if command -v posttls-finger >/dev/null 2>&1 || [ -x /usr/sbin/posttls-finger ]; then
	PF=$(command -v posttls-finger || echo /usr/sbin/posttls-finger)
	# An old main.cf: Postfix programs wait (up to ~2 s here) while it
	# looks freshly written.
	mkdir -p "$T/pf"; : > "$T/pf/main.cf"; touch -d '1 hour ago' "$T/pf/main.cf"
	MAIL_CONFIG=$T/pf timeout 15 "$PF" -c -l may "[127.0.0.1]:$S" > "$T/pf.out" 2>&1
	check "posttls-finger: TLS connection established with the sink" has "$T/pf.out" 'TLS connection established'
fi

# smtpdbg's own client, pinned to the sink's generated certificate.
printf '%s\n' '/expect 250 NOOP' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/pin" --starttls --tlsa "3 0 1 $FP" "127.0.0.1:$S" < "$T/in"
check "the client pins the sink's printed fingerprint with DANE-EE: DANE pass" has "$T/pin" '^  DANE +pass +record 1 \(3 0 1\)'
run_smtpdbg "$T/implicit" --tls --no-verify "127.0.0.1:$TP" < "$T/in"
check "--tls against --tls-listen: greeting over TLS, exit 0" [ "$RC" = 0 ]
check "--tls: the greeting line is marked encrypted" has "$T/implicit" 'S~ 220 localhost ESMTP'
run_smtpdbg "$T/smtps" --no-verify "smtps://127.0.0.1:$TP" < "$T/in"
check "smtps:// means implicit TLS" [ "$RC" = 0 ]

# --require-tls on the sink, --tls-required on the client: the old spellings
# of --require-starttls and --no-plaintext, still taken.
stop_sink
start_sink "$T/sink2" --require-tls --no-ext STARTTLS || exit 1
printf '%s\n' '/expect 530 MAIL FROM:<a@b>' 'QUIT' > "$T/in"
run_smtpdbg "$T/req" -e "127.0.0.1:$SINK_PORT" < "$T/in"
check "--require-tls: MAIL before STARTTLS gets 530 5.7.0" has "$T/req" 'S: 530 5\.7\.0 Must issue a STARTTLS command first'
printf '%s\n' 'MAIL FROM:<a@b>' > "$T/in"
run_smtpdbg "$T/down" --tls-required "127.0.0.1:$SINK_PORT" < "$T/in"
check "--tls-required without STARTTLS offered: exit 6" [ "$RC" = 6 ]
check "--tls-required: nothing sent after EHLO" hasnt "$T/down" 'C: MAIL'
check "--tls-required: says why" has "$T/down.err" 'does not offer STARTTLS'
stop_sink

# aiosmtpd as the TLS server (STARTTLS and implicit).
if $PY -c 'import aiosmtpd' 2>/dev/null; then
	port=$(free_port)
	$PY -m aiosmtpd -n -l 127.0.0.1:$port --tlscert "$P/good.pem" --tlskey "$P/good.key" \
		--no-requiretls -c aiosmtpd.handlers.Sink > "$T/aio.log" 2>&1 &
	pids="$pids $!"
	wait_port "$port"
	printf '%s\n' '/expect 250 MAIL FROM:<a@example.org>' '/expect 250 RCPT TO:<b@example.org>' \
		'/expect 221 QUIT' > "$T/in"
	run_smtpdbg "$T/aio" --starttls --ca-file "$P/ca.pem" "localhost:$port" < "$T/in"
	check "aiosmtpd STARTTLS: verified upgrade and transaction, exit 0" [ "$RC" = 0 ]
	check "aiosmtpd: trust pass through the intermediate" has "$T/aio" '^  trust +pass'
	port2=$(free_port)
	$PY -m aiosmtpd -n -l 127.0.0.1:$port2 --smtpscert "$P/good.pem" --smtpskey "$P/good.key" \
		-c aiosmtpd.handlers.Sink > "$T/aio2.log" 2>&1 &
	pids="$pids $!"
	wait_port "$port2"
	run_smtpdbg "$T/aio2" -e --tls --ca-file "$P/ca.pem" "localhost:$port2" < "$T/in"
	check "aiosmtpd implicit TLS: exit 0" [ "$RC" = 0 ]
fi

# gnutls-serv as an implicit-TLS server (it speaks no SMTP: no greeting
# comes, so the reply timeout ends the session after the report).
if command -v gnutls-serv >/dev/null 2>&1; then
	port=$(free_port)
	gnutls-serv --port "$port" --x509certfile "$P/rsa.pem" --x509keyfile "$P/rsa.key" \
		> "$T/gserv.log" 2>&1 &
	pids="$pids $!"
	wait_port "$port"
	printf '%s\n' '/expect 220' > "$T/in"
	run_smtpdbg "$T/gserv" --tls --ca-file "$P/ca.pem" --timeout 1 "localhost:$port" < "$T/in"
	check "gnutls-serv implicit TLS: the report shows its RSA chain" has "$T/gserv" 'key +RSA 2048 bits'
	check "gnutls-serv: every verdict passes" sh -c "! grep -q '^  [a-zA-Z]* *FAIL' '$T/gserv'"
	check "gnutls-serv: no SMTP greeting after the handshake: exit 3" [ "$RC" = 3 ]
fi

# Response injection: extra plaintext after the 220 to STARTTLS.
inject() {	# inject NAME BYTES-EXPR
	serve "$1" <<EOS
send b'220 fake ESMTP\r\n'
recv
send b'250-fake\r\n250 STARTTLS\r\n'
recv
send $2
sleep 1
EOS
	printf '%s\n' 'MAIL FROM:<a@b>' > "$T/in"
	run_smtpdbg "$T/$1" --starttls --no-verify "127.0.0.1:$PORT" < "$T/in"
}
inject inj1 "b'220 go ahead\r\n250-evil.example\r\n250 AUTH LOGIN\r\n'"
check "injection (complete lines): the upgrade is aborted with exit 6" [ "$RC" = 6 ]
check "injection: named and counted" has "$T/inj1" '! 34 bytes followed the 220 to STARTTLS in plaintext: a response injection attempt'
check "injection: the injected lines were never treated as replies" hasnt "$T/inj1" 'evil\.example'
inject inj2 "b'220 go ahead\r\n250-AUTH PLA'"
check "injection (a fragment): aborted with exit 6" [ "$RC" = 6 ]
check "injection (a fragment): counted" has "$T/inj2" '! 12 bytes followed the 220'

# The sink survives broken handshakes: plaintext instead of a ClientHello,
# and a client that leaves in the middle.
start_sink "$T/sink4" || exit 1
$PY - "$SINK_PORT" > "$T/broken" 2>&1 <<'PYEOF'
import socket, sys
for payload in (b'EHLO not-tls\r\n' * 4, b'\x16\x03\x01\x02\x00\x01'):
    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
    f = s.makefile('rb'); f.readline()
    s.sendall(b'STARTTLS\r\n'); f.readline()
    s.sendall(payload)
    try:
        print('after:', s.recv(100))
    except OSError as e:
        print('after:', e)
    s.close()
PYEOF
printf '%s\n' '/expect 220' '/expect 250 EHLO still.example' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/after" "127.0.0.1:$SINK_PORT" < "$T/in"
check "plaintext instead of a ClientHello: a clear transcript line" has "$T/sink4" '! TLS handshake failed: .*'
check "the sink keeps serving other sessions after broken handshakes" [ "$RC" = 0 ]
stop_sink
check "and its summary counts them" has "$T/sink4.err" 'sink stopped: 3 sessions'

# /starttls in a script does what typing STARTTLS does.
start_sink "$T/sink5" || exit 1
printf '%s\n' 'EHLO x' '/starttls' '/expect 250 NOOP' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/slash" --no-verify "localhost:$SINK_PORT" < "$T/in"
check "/starttls upgrades and EHLO is sent again" [ "$RC" = 0 ]
check "/starttls: encrypted NOOP" has "$T/slash" 'C~ NOOP'
stop_sink

# The sink: a command pipelined behind STARTTLS is never executed.
start_sink "$T/sink3" || exit 1
$PY - "$SINK_PORT" > "$T/pipe" 2>&1 <<'PYEOF'
import socket, ssl, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
f = s.makefile('rb')
f.readline(); s.sendall(b'EHLO x\r\n')
while not f.readline().startswith(b'250 '): pass
s.sendall(b'STARTTLS\r\nNOOP\r\n')      # one write
assert f.readline().startswith(b'220')
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname='localhost')
t.settimeout(0.5)
try:
    extra = t.recv(100)
except socket.timeout:
    extra = b''
print('unsolicited:', extra)
t.settimeout(5); t.sendall(b'NOOP\r\n'); print('noop:', t.recv(100))
PYEOF
check "a NOOP pipelined behind STARTTLS got no reply inside TLS" has "$T/pipe" "^unsolicited: b''$"
check "the session goes on normally afterwards" has "$T/pipe" "^noop: b'250 2\.0\.0 Ok"
check "the sink says it discarded the pipelined plaintext" has "$T/sink3" '6 bytes pipelined after STARTTLS in plaintext: discarded, never executed'
stop_sink
done_testing
