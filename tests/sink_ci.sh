#!/bin/sh
# sink_ci - the sink in a CI job: it stops by itself after N messages or
# some time, and its exit status says whether the expected mail came.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"
send() {	# send PORT RCPT...
	port=$1; shift
	$PY - "$port" "$@" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10); s.ehlo('ci')
s.sendmail('app@example.org', sys.argv[2:], b'Subject: ci\r\n\r\nhi\r\n'); s.quit()
PYEOF
}

start_sink "$T/s1" --exit-after 2 --expect-rcpt OPS@example.org --json="$T/s1.jsonl" || exit 1
send $SINK_PORT ops@example.org
send $SINK_PORT other@example.org
timeout 10 sh -c "while kill -0 $SINK_PID 2>/dev/null; do sleep 0.05; done"
wait "$SINK_PID"; rc=$?
check "--exit-after 2: the sink stops by itself after two messages, exit 0" [ "$rc" = 0 ]
check "it says why" has "$T/s1.err" 'stopping: --exit-after 2: 2 messages accepted; sessions in flight have'
check "the JSON summary says the expectations were met" $PY -c "
import json
s=[json.loads(l) for l in open('$T/s1.jsonl')][-1]
assert s['event']=='totals' and 't' in s and s['accepted']==2 and s['expectations_met'] is True, s"

start_sink "$T/s2" --exit-after-time 1 --expect-messages 3 --expect-rcpt missing@example.org || exit 1
send $SINK_PORT ops@example.org
wait "$SINK_PID"; rc=$?
check "--exit-after-time with expectations not met: exit 1" [ "$rc" = 1 ]
check "the missing count is named" has "$T/s2.err" '--expect-messages 3: 1 accepted: NOT met'
check "the missing recipient is named" has "$T/s2.err" '--expect-rcpt missing@example.org: NOT met'

start_sink "$T/s3" --maildir "$T/md" --exit-after 1 --expect-messages 1 || exit 1
send $SINK_PORT ops@example.org
wait "$SINK_PID"; rc=$?
check "with storage: counted once on disk, exit 0" [ "$rc" = 0 ] && [ "$(ls "$T/md/new" | wc -l)" = 1 ]
# The session that brings the Nth message still gets its QUIT answered 221,
# and the sink's going away is not counted as a reject.
start_sink "$T/s3" --exit-after 1 --json="$T/s3.jsonl" --grace 5 || exit 1
$PY - $SINK_PORT > "$T/s3.quit" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10); s.ehlo('ci')
s.sendmail('app@example.org', ['a@example.org'], b'Subject: ci\r\n\r\nhi\r\n')
print(s.quit()[0])
PYEOF
wait "$SINK_PID"; rc=$?
check "--exit-after 1: the client's QUIT after the message gets 221 (got $(cat "$T/s3.quit"))" \
    [ "$(cat "$T/s3.quit")" = 221 ]
check "exit 0, and no reject counted" sh -c "[ $rc = 0 ] && grep -q '0 rejects' '$T/s3.err' && \
    grep -q '\"rejects\":0' '$T/s3.jsonl'"

# Received: RFC 5321 syntax for the client, ESMTPSA after AUTH over TLS.
start_sink "$T/s4" --auth --eml-dir "$T/eml4" || exit 1
$PY - $SINK_PORT <<'PYEOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10); s.ehlo('client.example')
s.starttls(context=ctx); s.ehlo('client.example'); s.login('u', 'p')
s.sendmail('a@example.org', ['b@example.org'], b'Subject: r\r\n\r\nhi\r\n'); s.quit()
PYEOF
stop_sink
check "Received: from the EHLO name ([address literal]) with ESMTPSA" \
    grep -q '^Received: from client\.example (\[127\.0\.0\.1\])' "$T"/eml4/*.eml
check "the protocol is ESMTPSA (RFC 3848)" grep -q 'with ESMTPSA id' "$T"/eml4/*.eml

# The certificate line is followed by a --tlsa pin that pastes as it is.
start_sink "$T/s5" || exit 1
pin=$(sed -n 's/.*a client pins it with --tlsa "\(.*\)"$/\1/p' "$T/s5.err")
printf '%s\n' '/expect 221 QUIT' > "$T/in5"
run_smtpdbg "$T/c5" --starttls --tlsa "$pin" "127.0.0.1:$SINK_PORT" < "$T/in5"
check "the printed --tlsa pin authenticates the sink: exit 0 (got $RC)" sh -c "[ $RC = 0 ] && grep -Eq '^  trust +pass' '$T/c5'"
stop_sink

# Listening beyond loopback is said loudly.
port=$(free_port)
"$SMTPDBG" sink "0.0.0.0:$port" > /dev/null 2> "$T/s6.err" &
p6=$!
wait_port "$port"; kill -INT $p6; wait $p6
check "a non-loopback address gets a warning" grep -q 'WARNING: 0\.0\.0\.0:[0-9]* is not a loopback address' "$T/s6.err"
done_testing
