#!/bin/sh
# postfix - a private Postfix instance (tests/postfix-setup.sh) as a real
# peer: the server for smtpdbg's client (STARTTLS, AUTH, pipelining, BDAT,
# SMTPUTF8, DSN, probe), and the relay that delivers into smtpdbg's sink
# over STARTTLS and LMTP (the message byte for byte, exactly one copy).
. "${top_srcdir:-.}/tests/lib.sh"
need postfix saslpasswd2 certtool /usr/lib/postfix/sbin/master
[ "$(id -u)" = 0 ] || skip_all "a private Postfix needs root"
sh "$top_srcdir/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
PF=$T/pf
chmod 755 "$T"	# Postfix's daemons (user postfix) must reach their queue under it
PORT=$(free_port)
SPORT=$(free_port)
LPORT=$(free_port)
sh "$top_srcdir/tests/postfix-setup.sh" "$PF" "$T/pki" "$PORT" "$SPORT" "$LPORT" ||
	skip_all "Postfix set-up failed"
trap 'postfix -c "$PF/etc" stop >/dev/null 2>&1; cleanup' EXIT INT TERM
postfix -c "$PF/etc" start >"$T/pf.start" 2>&1 || { diag "$T/pf.start"; skip_all "Postfix did not start"; }
wait_port "$PORT" || { diag "$PF/maillog"; skip_all "Postfix smtpd did not listen"; }
export PW=pw-alice-1

# maildir_wait N: until the Maildir holds N files (Postfix delivers on its own time)
maildir_wait() {
	i=0
	while [ $i -lt 200 ]; do
		[ "$(find "$PF/vmail" -type f | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# log_wait REGEX: until Postfix's log says so
log_wait() {
	i=0
	while [ $i -lt 200 ]; do
		grep -Eq -- "$1" "$PF/maillog" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# --- smtpdbg's client against Postfix's smtpd ------------------------------
printf 'Subject: pf one\r\nMessage-ID: <pf1@smtpdbg.test>\r\n\r\n.leading dot\r\nline two \303\251\r\n' >"$T/m1"
run_smtpdbg "$T/c1" send --starttls --ca-file "$T/pki/ca.pem" --auth-user alice \
    --auth-password-env PW --from alice@interop.test --to bob@interop.test \
    --data @"$T/m1" "localhost:$PORT"
check "send: STARTTLS, verified, AUTH, message accepted (exit $RC)" [ "$RC" = 0 ]
check "send: AUTH inside TLS, masked" sh -c "grep -q 'C~ AUTH PLAIN \*\*\*\*' '$T/c1' && grep -q 'S~ 235 2.7.0' '$T/c1'"
maildir_wait 1
f=$(grep -l 'pf1@smtpdbg.test' "$PF"/vmail/*/new/* 2>/dev/null | head -n1)
check "Postfix stored it; the body is the client's, byte for byte (LF line ends in Maildir)" \
    $PY - "${f:-/nonexistent}" "$T/m1" <<'PYEOF'
import sys
got, sent = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read().replace(b'\r\n', b'\n')
head, body = sent.split(b'\n\n', 1)
assert got.endswith(b'\n\n' + body), (got[-80:], body)
assert b'Subject: pf one\n' in got and b'Message-ID: <pf1@smtpdbg.test>\n' in got
PYEOF

run_smtpdbg "$T/c2" send --bdat --chunk-size 16 --starttls --ca-file "$T/pki/ca.pem" \
    --auth-user alice --auth-password-env PW --from 'ålice@interop.test' \
    --to 'bøb@interop.test' --notify SUCCESS,FAILURE --ret HDRS --envid 'ENVID42' \
    --data @"$T/m1" "localhost:$PORT"
check "send: BDAT in 16-byte chunks, SMTPUTF8, DSN (exit $RC)" [ "$RC" = 0 ]
check "send: BDAT chunks went, the last one LAST" sh -c "grep -q 'C~ BDAT 16\$' '$T/c2' && grep -Eq 'C~ BDAT [0-9]+ LAST\$' '$T/c2'"
check "send: SMTPUTF8 and the DSN parameters on MAIL and RCPT" \
    sh -c "grep -q 'C~ MAIL FROM:<ålice@interop.test> .*SMTPUTF8' '$T/c2' && grep -q 'RET=HDRS ENVID=ENVID42' '$T/c2' && grep -q 'NOTIFY=SUCCESS,FAILURE' '$T/c2'"
check "Postfix delivered to the UTF-8 address" log_wait 'to=<bøb@interop.test>.*status=sent'

run_smtpdbg "$T/c3" send --count 5 --starttls --ca-file "$T/pki/ca.pem" --auth-user alice \
    --auth-password-env PW --from alice@interop.test --to carol@interop.test \
    --to dave@interop.test --body 'five times' "localhost:$PORT"
check "send --count 5, pipelined over STARTTLS: exit $RC" [ "$RC" = 0 ]
check "five messages, each answered 250" [ "$(grep -c 'S~ 250 2.0.0 Ok: queued as' "$T/c3")" = 5 ]
check "the pipelined replies are matched to their commands" has "$T/c3" 'S~ 250 2.1.5 Ok   <- RCPT TO:<dave@interop.test>'

# many sessions against Postfix's smtpd: STARTTLS, verified, and AUTH in each
run_smtpdbg "$T/c5.json" send --json --sessions 4 --count 40 --per-connection 10 --starttls \
    --ca-file "$T/pki/ca.pem" --auth-user alice --auth-password-env PW \
    --from alice@interop.test --to load@interop.test --size 3000 "localhost:$PORT"
check "send --sessions 4 --count 40 over verified STARTTLS and AUTH to Postfix: exit $RC" [ "$RC" = 0 ]
check "... every message accepted, TLS and AUTH timed in every session" $PY - "$T/c5.json" <<'PYEOF'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])][-1]
P = L['phases']
assert L['event'] == 'load' and (L['ok'], L['failed']) == (40, 0), L
assert P['tls']['count'] == P['auth']['count'] == L['sessions'] >= 4, P
PYEOF
check "... and Postfix delivered 40 to load@interop.test" sh -c "i=0; while [ \$i -lt 200 ]; do
    [ \$(grep -c 'to=<load@interop.test>.*status=sent' '$PF/maillog') = 40 ] && exit 0; sleep 0.05; i=\$((i+1)); done; exit 1"
run_smtpdbg "$T/c6" ping -c 2 -i 0 --starttls --ca-file "$T/pki/ca.pem" "localhost:$PORT"
check "ping -c 2 --starttls, verified, to Postfix: exit $RC, both with a TLS time" sh -c \
    "[ $RC = 0 ] && [ \$(grep -Ec 'seq=[12] connect=[0-9.]+ greeting=[0-9.]+ tls=[0-9.]+ ehlo=' '$T/c6') = 2 ]"

cat >"$T/s4" <<'EOF'
/expect 250 MAIL FROM:<alice@interop.test>
/expect 250 RCPT TO:<erin@interop.test>
/expect 354 DATA
Subject: scripted

a dot-stuffed line:
.hidden dot
.
/expect 250
/expect 221 QUIT
EOF
run_smtpdbg "$T/c4" --starttls --ca-file "$T/pki/ca.pem" --auth-user alice \
    --auth-password-env PW -f "$T/s4" "localhost:$PORT"
check "a script over STARTTLS and AUTH against Postfix: exit $RC" [ "$RC" = 0 ]
check "the client stuffed the dot it was given" has "$T/c4" 'C~ \.\.hidden dot'

PW=wrong run_smtpdbg "$T/c5" send --starttls --ca-file "$T/pki/ca.pem" --auth-user alice \
    --auth-password-env PW --from alice@interop.test --to bob@interop.test --body x "localhost:$PORT"
check "a wrong password: Postfix refuses, exit 8 (got $RC)" [ "$RC" = 8 ]

run_smtpdbg "$T/p1" probe --ca-file "$T/pki/ca.pem" "localhost:$PORT"
check "probe against Postfix: exit $RC, every verdict passes" \
    sh -c "[ $RC = 0 ] && grep -q 'trust pass, hostname pass, validity pass, strength pass' '$T/p1'"

# --- Postfix's smtp and lmtp clients into smtpdbg's sink --------------------
# sink_at OUT PORT OPTIONS...: a sink on the port Postfix sends to
sink_at() {
	out=$1 port=$2; shift 2
	"$SMTPDBG" sink "$@" "127.0.0.1:$port" >"$out" 2>"$out.err" &
	SINK_PID=$!
	pids="$pids $!"
	wait_port "$port"
}
keep=$SINK_PID
sink_at "$T/sink" "$SPORT" --hostname sinkA.interop.test --cert "$T/pki/good.pem" \
    --key "$T/pki/good.key" --maildir "$T/smd" --json-sidecar --json="$T/sink.jsonl" || exit 1
printf 'Subject: relay\r\nMessage-ID: <relay1@smtpdbg.test>\r\n\r\n.dot at the start\r\nbody \303\251\r\n%s\r\n' \
    "$(head -c 900 /dev/zero | tr '\0' x)" >"$T/m2"
sendmail -i -C "$PF/etc" -f alice@interop.test bob@sink.test <"$T/m2"
check "Postfix relayed to the sink over verified STARTTLS" log_wait 'to=<bob@sink.test>, relay=127.0.0.1\[127.0.0.1\]:'"$SPORT"'.*status=sent'
check "Postfix removed it from its queue (the sink's 250 was final)" log_wait 'removed'
stop_sink
check "exactly one copy in the sink" [ "$(ls "$T/smd/new" | grep -vc json)" = 1 ]
check "the sink stored the body byte for byte, CRLF kept, the dot unstuffed" $PY - "$T/smd/new" "$T/m2" <<'PYEOF'
import os, sys
d = sys.argv[1]
f = [x for x in os.listdir(d) if not x.endswith('.json')][0]
got, sent = open(os.path.join(d, f), 'rb').read(), open(sys.argv[2], 'rb').read()
body = sent.split(b'\r\n\r\n', 1)[1]
assert got.endswith(b'\r\n\r\n' + body), got[-120:]
assert got.count(b'Message-ID: <relay1@smtpdbg.test>') == 1
PYEOF
check "the stored file is what crossed the wire (rebuilt from the sink's JSON), after its two headers" \
    $PY - "$T/smd/new" "$T/sink.jsonl" <<'PYEOF'
import json, os, sys
d = sys.argv[1]
f = [x for x in os.listdir(d) if not x.endswith('.json')][0]
got = open(os.path.join(d, f), 'rb').read()
data = b''.join(e['raw'].encode('latin-1') for e in map(json.loads, open(sys.argv[2]))
                if e.get('event') == 'line' and e.get('data'))
assert data.endswith(b'\r\n.\r\n')
lines = data[:-3].split(b'\r\n')
wire = b'\r\n'.join(l[1:] if l.startswith(b'.') else l for l in lines)
i = got.index(b'\r\n', got.index(b'Received: ')) + 2
while got[i:i + 1] in (b'\t', b' '):
    i = got.index(b'\r\n', i) + 2
assert got[i:] == wire, (got[i:i + 200], wire[:200])
PYEOF
check "the sink's transcript: TLS, then Postfix's pipelined envelope and QUIT" \
    sh -c "grep -q 'TLS started' '$T/sink' && grep -q 'C~ MAIL FROM:<alice@interop.test>' '$T/sink' && grep -q 'C~ QUIT' '$T/sink'"
check "the JSON marks the commands Postfix sent ahead (pipelined)" \
    has "$T/sink.jsonl" '"raw":"DATA\\r\\n".*"ahead":true'
check "no lint about a missing QUIT or bare line ends" hasnt "$T/sink" 'closed without QUIT|bare'

# --- through smtpdbg proxy: Postfix's smtp client -> proxy -> sink, and
# smtpdbg send -> proxy -> Postfix's smtpd --------------------------------
# px_at OUT LISTEN UPSTREAM OPTIONS...: a proxy; sets PX_PID
px_at() {
	out=$1 listen=$2 upstream=$3; shift 3
	"$SMTPDBG" proxy --color=never "$@" "$listen" "$upstream" >"$out" 2>"$out.err" &
	PX_PID=$!
	pids="$pids $!"
	i=0
	while [ $i -lt 100 ] && ! grep -q 'proxy listening' "$out.err" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
}
file_wait() {	# file_wait FILE REGEX
	i=0
	while [ $i -lt 200 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
BPORT=$(free_port)
sink_at "$T/psink" "$BPORT" --hostname sinkB.interop.test --cert "$T/pki/good.pem" \
    --key "$T/pki/good.key" --maildir "$T/pmd" --json="$T/psink.jsonl" || exit 1
px_at "$T/px1" "127.0.0.1:$SPORT" "localhost:$BPORT" --cert "$T/pki/good.pem" \
    --key "$T/pki/good.key" --ca-file "$T/pki/ca.pem" --maildir "$T/pcopy"
printf 'Subject: via proxy\r\nMessage-ID: <relay2@smtpdbg.test>\r\n\r\n.dot first\r\nbody \303\251\r\n' >"$T/m3"
sendmail -i -C "$PF/etc" -f alice@interop.test bob3@sink.test <"$T/m3"
check "Postfix relayed through the proxy over verified STARTTLS" \
    log_wait 'to=<bob3@sink.test>, relay=127.0.0.1\[127.0.0.1\]:'"$SPORT"'.*status=sent'
check "the proxy kept its copy" file_wait "$T/px1" 'copy stored as'
kill -INT $PX_PID; wait $PX_PID
stop_sink
check "exactly one copy in the sink behind the proxy" [ "$(ls "$T/pmd/new" | wc -l)" = 1 ]
check "the sink stored what the proxy relayed, byte for byte (the proxy's copy)" $PY - \
    "$T/pmd/new" "$T/pcopy/new" <<'PYEOF'
import os, sys
a = os.path.join(sys.argv[1], os.listdir(sys.argv[1])[0])
b = os.path.join(sys.argv[2], os.listdir(sys.argv[2])[0])
got, copy = open(a, 'rb').read(), open(b, 'rb').read()
i = got.index(b'\r\n', got.index(b'Received: ')) + 2
while got[i:i + 1] in (b'\t', b' '):
    i = got.index(b'\r\n', i) + 2
assert got[i:] == copy, (got[i:i + 300], copy[:300])
assert copy.count(b'Message-ID: <relay2@smtpdbg.test>') == 1
assert copy.endswith(b'\r\n.dot first\r\nbody \xc3\xa9\r\n'), copy[-60:]
PYEOF
check "both legs encrypted in the proxy's transcript" has "$T/px1" 'C~>U~ MAIL FROM:<alice@interop\.test>'
check "Postfix's pipelined envelope reached the sink as a group" has "$T/psink.jsonl" '"raw":"DATA\\r\\n".*"ahead":true'
check "Postfix ended with QUIT, relayed" has "$T/px1" 'C~>U~ QUIT'

px_at "$T/px2" 127.0.0.1:0 "localhost:$PORT" --cert "$T/pki/good.pem" --key "$T/pki/good.key" \
    --ca-file "$T/pki/ca.pem"
PXPORT=$(sed -n 's/.*proxy listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/px2.err")
nauth=$(grep -c 'sasl_username=alice' "$PF/maillog")
printf 'Subject: pf via proxy\r\nMessage-ID: <pf5@smtpdbg.test>\r\n\r\n.leading\r\nbody\r\n' >"$T/m5"
run_smtpdbg "$T/c5" send --starttls --ca-file "$T/pki/ca.pem" --auth-user alice \
    --auth-password-env PW --from alice@interop.test --to bob@interop.test \
    --data @"$T/m5" "localhost:$PXPORT"
check "send -> proxy -> Postfix smtpd: STARTTLS on both legs, AUTH through (exit $RC)" [ "$RC" = 0 ]
check "Postfix authenticated alice through the proxy" sh -c "i=0; while [ \$i -lt 100 ]; do [ \$(grep -c 'sasl_username=alice' '$PF/maillog') -gt $nauth ] && exit 0; sleep 0.05; i=\$((i+1)); done; exit 1"
check "the AUTH line is masked in the proxy's transcript" has "$T/px2" 'C~>U~ AUTH PLAIN \*\*\*\*'
check "Postfix delivered it once" sh -c "i=0; while [ \$i -lt 100 ]; do [ \$(grep -l 'pf5@smtpdbg.test' '$PF'/vmail/*/new/* 2>/dev/null | wc -l) = 1 ] && exit 0; sleep 0.05; i=\$((i+1)); done; exit 1"
kill -INT $PX_PID; wait $PX_PID

sink_at "$T/lsink" "$LPORT" --lmtp --maildir "$T/lmd" || exit 1
printf 'Subject: lmtp\r\n\r\nto two\r\n' | sendmail -i -C "$PF/etc" -f alice@interop.test one@lmtp.test two@lmtp.test
check "Postfix's lmtp client: both recipients delivered" log_wait 'to=<two@lmtp.test>.*status=sent'
check "... and the first" log_wait 'to=<one@lmtp.test>.*status=sent'
stop_sink
check "LMTP: one copy for both recipients, one reply each" \
    sh -c "[ \"\$(ls '$T/lmd/new' | wc -l)\" = 1 ] && [ \"\$(grep -c 'S: 250 2.0.0 Ok: queued as' '$T/lsink')\" = 2 ]"
SINK_PID=$keep
postfix -c "$PF/etc" stop >/dev/null 2>&1
done_testing
