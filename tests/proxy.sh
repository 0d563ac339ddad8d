#!/bin/sh
# proxy - smtpdbg proxy between real clients (smtplib, swaks, msmtp, curl,
# smtpdbg send) and real servers (smtpdbg's sink, aiosmtpd with STARTTLS
# and AUTH): each message arrives byte for byte exactly once, both legs
# are in one transcript, pipelining and BDAT keep their grouping, TLS on
# each leg in every mode, rules on the upstream's replies, copies, and
# every failure reaches the client as a 421 with the reason.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY" certtool
sh "$top_srcdir/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
CA=$T/pki/ca.pem

# wait_for FILE REGEX: until FILE shows REGEX (5 s at most)
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# body FILE: a stored message without the sink's own two headers
body() { awk 'h && /^(Return-Path|Received): |^\t/ { next } { h = 0; print }' h=1 "$1"; }

start_sink "$T/sink" --maildir "$T/md" --cert "$T/pki/good.pem" --key "$T/pki/good.key" \
    --json="$T/sink.jsonl" || exit 1
UP=127.0.0.1:$SINK_PORT

# --- smtplib, STARTTLS on both legs (mirror), an 8-bit SMTPUTF8 message
start_proxy "$T/p1" localhost:$SINK_PORT --ca-file "$CA" --maildir "$T/copy" --json="$T/p1.jsonl" || exit 1
printf 'Subject: through\r\nFrom: a@example.org\r\n\r\n.leading dot\r\ncaf\303\251 \342\202\254\r\nlast\r\n' >"$T/m1"
cat >"$T/py1.py" <<PYEOF
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', $PX_PORT, timeout=10)
s.ehlo('py.example')
assert s.has_extn('starttls'), s.esmtp_features
s.starttls()
s.ehlo('py.example')
assert not s.has_extn('starttls')
msg = open(sys.argv[1], 'rb').read()
r = s.sendmail('a@example.org', ['j\u00f6rg@example.org', 'b@example.org'], msg,
               mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
assert r == {}, r
s.quit()
PYEOF
check "smtplib through the proxy, STARTTLS on both legs, SMTPUTF8: accepted" timeout 20 $PY "$T/py1.py" "$T/m1"
wait_for "$T/p1" 'copy stored as'
f=$(ls "$T/md/new" | head -1)
check "the sink stored it exactly once" [ "$(ls "$T/md/new" | wc -l)" = 1 ]
body "$T/md/new/$f" >"$T/m1.got"
printf 'Subject: through\r\nFrom: a@example.org\r\n\r\n.leading dot\r\ncaf\303\251 \342\202\254\r\nlast\r\n' >"$T/m1.want"
check "byte for byte after the sink's headers (dot-stuffing undone once)" cmp "$T/m1.got" "$T/m1.want"
check "the proxy's copy is the message as relayed" cmp "$T/copy/new/$(ls "$T/copy/new")" "$T/m1.want"
check "both legs in one transcript: relayed commands" has "$T/p1" '\[1\] C:>U: ehlo py\.example'
check "the upstream's replies with their latency" has "$T/p1" 'U.>C.+250 2\.1\.0 Ok   \(upstream [0-9.]+ ms, proxy [0-9.]+ ms\)'
check "mirror: the upstream leg's handshake, then the client's" sh -c "grep -n 'TLS with the upstream: TLS1' '$T/p1' | cut -d: -f1 | head -1 > '$T/n1'; grep -n 'TLS with the client: TLS1' '$T/p1' | cut -d: -f1 | head -1 > '$T/n2'; [ \$(cat '$T/n1') -lt \$(cat '$T/n2') ]"
check "the upstream's certificate is verified with --ca-file" has "$T/p1" 'upstream   trust     pass'
check "encrypted legs are marked ~" has "$T/p1" 'C~>U~ ehlo py\.example'
check "8-bit data shown as UTF-8" has "$T/p1" 'C~>U~ café €'
check "the sink saw the recipients as sent" has "$T/sink" 'to <jörg@example\.org>,<b@example\.org>'
check "one summary line: upstream 250, copy kept" has "$T/p1" '# message 1 from <a@example\.org> to <jörg@example\.org>,<b@example\.org>, .* upstream 250, copy kept'
check "JSON: lines carry leg and route" sh -c "grep -q '\"leg\":\"client\",\"route\":\"C>U\"' '$T/p1.jsonl' && grep -q '\"leg\":\"upstream\",\"route\":\"U>C\"' '$T/p1.jsonl'"
check "JSON: the upstream's latency and the proxy's time on reply lines" grep -q '"latency_ms":[0-9.]*,.*"proxy_ms":[0-9.]*' "$T/p1.jsonl"
check "JSON: a message event with the upstream's code" grep -q '"event":"message".*"upstream_code":250,"copy":true' "$T/p1.jsonl"

# --- swaks --pipeline: one group from the client is one group upstream
if command -v swaks >/dev/null 2>&1; then
	timeout 20 swaks --server 127.0.0.1:$PX_PORT --from s@example.org --to r@example.org,q@example.org \
		--pipeline --h-Subject swaks-pipe --timeout 5 >"$T/swaks1" 2>&1
	check "swaks --pipeline through the proxy: accepted" has "$T/swaks1" '<-  250 2\.0\.0 Ok'
	check "the sink got the pipelined group together (RCPT read ahead)" grep -q '"raw":"RCPT TO:<q@example.org>\\r\\n".*"ahead":true' "$T/sink.jsonl"
fi
stop_proxy
check "the proxy stops with exit 0 (got $PX_RC)" [ "$PX_RC" = 0 ]
check "its summary counts what the upstream accepted" has "$T/p1.err" 'accepted upstream'

# --- BDAT: chunks keep their sizes; --upstream-tls none: the proxy ends the client's TLS
start_proxy "$T/p2" "$UP" --upstream-tls none --no-ext PIPELINING --cert "$T/pki/good.pem" --key "$T/pki/good.key" || exit 1
printf 'Subject: chunks\r\n\r\n' >"$T/m2"
i=0; while [ $i -lt 300 ]; do printf 'line %d of a chunked message\r\n' $i; i=$((i + 1)); done >>"$T/m2"
run_smtpdbg "$T/s2" send --bdat --chunk-size 1000 --starttls --ca-file "$CA" --from c@example.org --to d@example.org --data @"$T/m2" 127.0.0.1:$PX_PORT
check "smtpdbg send --bdat over STARTTLS to the proxy: exit 0 (got $RC)" [ "$RC" = 0 ]
check "the proxy answered STARTTLS itself" has "$T/p2" 'C:>P- STARTTLS'
check "and said so" has "$T/p2" 'P->C: 220 2\.0\.0 Ready to start TLS \(smtpdbg proxy\)'
check "--no-ext PIPELINING: the client was not offered it" has "$T/p2" 'EHLO reply changed for the client: PIPELINING removed'
check "the upstream leg stayed plain" has "$T/p2" 'C~>U: BDAT 1000$'
check "every chunk went on with its size" [ "$(grep -c 'C~>U: BDAT 1000$' "$T/p2")" -ge 9 ]
f=$(grep -l 'Subject: chunks' "$T/md/new/"*)
body "$f" >"$T/m2.got"
check "the chunked message arrived byte for byte" cmp "$T/m2.got" "$T/m2"
check "the sink saw BDAT, not DATA" has "$T/sink" 'C: BDAT 1000$'
stop_proxy

# --- --upstream-tls starttls: a plain client, an encrypted upstream leg
start_proxy "$T/p3" localhost:$SINK_PORT --upstream-tls starttls --helo proxy.test --ca-file "$CA" --no-ext STARTTLS || exit 1
run_smtpdbg "$T/s3" send --from e@example.org --to f@example.org --body 'plain client' 127.0.0.1:$PX_PORT
check "a plain client through --upstream-tls starttls: exit 0 (got $RC)" [ "$RC" = 0 ]
check "the proxy said EHLO and STARTTLS itself" sh -c "grep -q 'P->U: EHLO proxy.test' '$T/p3' && grep -q 'P->U: STARTTLS' '$T/p3'"
check "the greeting waited for the upstream's TLS" has "$T/p3" 'P->C: 220 '
check "then the client's commands went on encrypted" has "$T/p3" 'C:>U~ MAIL FROM:<e@example\.org>'
check "the client leg was not offered STARTTLS (--no-ext)" hasnt "$T/p3" 'C:.*250.STARTTLS'
stop_proxy

# --- rules on the upstream's replies
start_proxy "$T/p4" "$UP" --reply 'RCPT:*@bad.test=550 5.1.1 no such user here' --reply 'DOT#1=tempfail' --maildir "$T/copy4" || exit 1
run_smtpdbg "$T/s4" send --from g@example.org --to ok@example.org --to x@bad.test --body 'rules' 127.0.0.1:$PX_PORT
check "the client saw 550 for the rule's recipient" has "$T/s4" 'S: 550 5\.1\.1 no such user here'
check "the transcript names the firing and the upstream's code" has "$T/p4" "RCPT:\*@bad.test.*at RCPT, on the upstream's 250, 550 instead of 250"
check "the upstream's reply is shown as taken, the proxy's as sent" sh -c "grep -q 'U:>P- 250' '$T/p4' && grep -q 'P->C: 550 5.1.1 no such user here' '$T/p4'"
check "tempfail at DOT: the client was told 451 (exit $RC)" has "$T/s4" 'S: 451 4\.3\.0'
wait_for "$T/p4" 'copy stored as'
check "the upstream accepted it all the same, so the copy is kept" has "$T/p4" 'upstream 250, copy kept'
stop_proxy

# --- client rules: a command rewritten, one dropped
start_proxy "$T/p4b" "$UP" --client-rule 'MAIL=rewrite MAIL FROM:<bounce@example.org>' \
    --client-rule 'RCPT:*@internal.test=drop 550 5.7.1 not from here' || exit 1
run_smtpdbg "$T/s4b" send --from orig@example.org --to keep@example.org --to x@internal.test --body 'crules' 127.0.0.1:$PX_PORT
check "the client saw its dropped recipient answered 550 by the proxy" has "$T/s4b" 'S: 550 5\.7\.1 not from here'
check "the rewritten MAIL went upstream" has "$T/p4b" 'P->U: MAIL FROM:<bounce@example\.org>'
check "the client's own MAIL is shown as taken" has "$T/p4b" 'C:>P- MAIL FROM:<orig@example\.org>'
check "the sink got the rewritten sender and only the kept recipient" has "$T/sink" 'message [0-9]* from <bounce@example\.org> to <keep@example\.org>, '
stop_proxy

# --- failures reach the client
DEAD=$(free_port)
start_proxy "$T/p5" 127.0.0.1:$DEAD || exit 1
run_smtpdbg "$T/s5" send --from a@example.org --to b@example.org --body x 127.0.0.1:$PX_PORT
check "an unreachable upstream: the client gets 421 4.4.0 with the reason" has "$T/s5" '421 4\.4\.0 smtpdbg proxy: cannot reach the upstream 127\.0\.0\.1:'"$DEAD"
stop_proxy
serve gone <<'EOF'
send b'220 gone.test ESMTP\r\n'
recv
send b'250 gone.test\r\n'
recv
close
EOF
start_proxy "$T/p6" 127.0.0.1:$PORT || exit 1
run_smtpdbg "$T/s6" send --from a@example.org --to b@example.org --body x 127.0.0.1:$PX_PORT
check "an upstream that closes mid-session: the client gets 421 4.4.2" has "$T/s6" '421 4\.4\.2 smtpdbg proxy: the upstream closed the connection without answering'
stop_proxy

# --- a client that goes away without QUIT: the proxy ends the upstream session
start_proxy "$T/p7" "$UP" --exit-after 1 --expect-messages 1 || exit 1
$PY - "$PX_PORT" <<'PYEOF'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
f = s.makefile('rb')
def reply():
    while True:
        l = f.readline()
        if l[3:4] != b'-':
            return l
reply()
s.sendall(b'EHLO gone.example\r\n'); reply()
s.sendall(b'MAIL FROM:<h@example.org>\r\nRCPT TO:<i@example.org>\r\nDATA\r\n')
reply(); reply(); reply()
s.sendall(b'Subject: half\r\n\r\nbye\r\n.\r\n')
s.shutdown(socket.SHUT_WR)     # half-close: the 250 must still come
print(reply().decode().strip())
s.close()
PYEOF
wait "$PX_PID" 2>/dev/null
PX_RC=$?
check "--exit-after 1 --expect-messages 1: the proxy exits 0 after one message (got $PX_RC)" [ "$PX_RC" = 0 ]
check "a half-closed client still got its message relayed and answered" has "$T/p7" 'U:>C: 250 2\.0\.0 Ok: queued'
check "then the proxy said QUIT upstream" has "$T/p7" 'P->U: QUIT'

# --- aiosmtpd with STARTTLS and AUTH as the upstream, msmtp and curl as clients
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	aport=$(free_port)
	cat >"$T/aio.py" <<'PYEOF'
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
class H:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[3], 'ab') as f:
            f.write(b'--- ' + envelope.mail_from.encode() + b' ' + str(session.authenticated).encode() + b'\n')
            f.write(envelope.original_content)
        return '250 OK aio'
def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=data.login == b'alice' and data.password == b'pw-1', handled=False)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2] + '.pem', sys.argv[2] + '.key')
c = Controller(H(), hostname='127.0.0.1', port=int(sys.argv[1]), tls_context=ctx,
               authenticator=auth, auth_require_tls=True)
c.start()
while True: time.sleep(1)
PYEOF
	/usr/bin/python3 "$T/aio.py" $aport "$T/pki/good" "$T/aio.msgs" >"$T/aio.log" 2>&1 &
	pids="$pids $!"
	wait_port $aport || diag "$T/aio.log"
	start_proxy "$T/p8" localhost:$aport --ca-file "$CA" --cert "$T/pki/good.pem" --key "$T/pki/good.key" || exit 1
	if command -v msmtp >/dev/null 2>&1; then
		printf 'Subject: msmtp via proxy\r\n\r\nhello aio\r\n' >"$T/m8"
		timeout 20 msmtp --host=127.0.0.1 --port=$PX_PORT --tls=on --tls-starttls=on \
		    --tls-trust-file="$CA" --tls-host-override=localhost --auth=plain --user=alice \
		    --passwordeval='echo pw-1' --from=k@example.org l@example.org <"$T/m8" >"$T/msmtp.out" 2>&1
		check "msmtp -> proxy -> aiosmtpd, STARTTLS both legs, AUTH PLAIN through: exit 0" [ $? = 0 ]
		check "aiosmtpd got it, authenticated" has "$T/aio.msgs" '^--- k@example\.org True'
		check "the AUTH line is masked in the proxy's transcript" has "$T/p8" 'C~>U~ AUTH PLAIN \*\*\*\*'
		check "the secret is nowhere in it" sh -c "! grep -Eq 'pw-1|AGFsaWNlAHB3LTE' '$T/p8'"
	fi
	if command -v curl >/dev/null 2>&1; then
		printf 'Subject: curl via proxy\r\n\r\nfrom curl\r\n' >"$T/m9"
		timeout 20 curl -s --url "smtp://127.0.0.1:$PX_PORT" --ssl-reqd --cacert "$CA" \
		    --resolve localhost:$PX_PORT:127.0.0.1 --mail-from m@example.org --mail-rcpt n@example.org \
		    --user alice:pw-1 --upload-file "$T/m9" >"$T/curl.out" 2>&1
		check "curl -> proxy -> aiosmtpd with STARTTLS and AUTH: exit 0" [ $? = 0 ]
		check "aiosmtpd got curl's message" has "$T/aio.msgs" '^--- m@example\.org True'
	fi
	stop_proxy
	# --auth-user: the proxy answers the client's AUTH (--auth-users) and
	# authenticates upstream itself as another user
	printf 'carol:pw-c\n' >"$T/users"
	export APW=pw-1
	start_proxy "$T/p10" localhost:$aport --ca-file "$CA" --cert "$T/pki/good.pem" --key "$T/pki/good.key" \
	    --auth-user alice --auth-password-env APW --auth-users "$T/users" || exit 1
	if command -v swaks >/dev/null 2>&1; then
		timeout 20 swaks --server 127.0.0.1:$PX_PORT --tls --tls-verify --tls-ca-path "$CA" --tls-sni localhost \
		    --auth PLAIN --auth-user carol --auth-password pw-c --from o@example.org --to p@example.org \
		    --timeout 5 >"$T/swaks10" 2>&1
		check "swaks AUTH as carol to the proxy, the proxy as alice upstream: accepted" has "$T/swaks10" '<~  250 OK aio'
		check "the proxy checked carol itself" has "$T/p10" 'AUTH as "carol": accepted by the proxy'
		check "and authenticated upstream as alice before the MAIL" has "$T/p10" 'authenticated with the upstream as "alice"'
		check "its own AUTH line is masked" has "$T/p10" 'P->U~ AUTH PLAIN \*\*\*\*'
		check "aiosmtpd saw an authenticated session" has "$T/aio.msgs" '^--- o@example\.org True'
		check "no secret of either user in the transcript" sh -c "! grep -Eq 'pw-c|pw-1|AGNhcm9s|AGFsaWNl' '$T/p10'"
		timeout 20 swaks --server 127.0.0.1:$PX_PORT --tls --tls-verify --tls-ca-path "$CA" --tls-sni localhost \
		    --auth PLAIN --auth-user carol --auth-password wrong --from o@example.org --to p@example.org \
		    --timeout 5 >"$T/swaks11" 2>&1
		check "a wrong password for the proxy's user: 535 from the proxy" has "$T/swaks11" '535 5\.7\.8 Error: authentication failed'
	fi
	stop_proxy
	# AUTH must not leave in clear when the client trusted its TLS leg
	start_proxy "$T/p9" localhost:$aport --upstream-tls none || exit 1
	cat >"$T/py9.py" <<PYEOF
import smtplib, ssl
s = smtplib.SMTP('127.0.0.1', $PX_PORT, timeout=10)
s.starttls(context=ssl._create_unverified_context())
s.ehlo('py9')
code, msg = s.docmd('AUTH', 'PLAIN AGFsaWNlAHB3LTE=')
print(code, msg.decode())
s.quit()
PYEOF
	timeout 20 $PY "$T/py9.py" >"$T/py9.out" 2>&1
	check "client leg encrypted, upstream leg not: AUTH refused with 538" has "$T/py9.out" '^538 5\.7\.11'
	check "and nothing of it reached the upstream" hasnt "$T/p9" 'C~>U: AUTH'
	stop_proxy
fi

stop_sink
done_testing
