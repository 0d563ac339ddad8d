#!/bin/sh
# json - with --json, standard output is JSON Lines and nothing else, for
# the client, send, probe, the sink and the proxy; every object has t and event, and
# every event and field is one the manual's JSON OUTPUT section describes.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

start_sink "$T/sink" --json --auth --maildir "$T/md" || exit 1
S=127.0.0.1:$SINK_PORT
export PW=s3cret
printf '%s\n' '/expect 250 MAIL FROM:<a@example.org>' '/expect 250 RCPT TO:<Zoë@example.org>' \
    '/expect 354 DATA' 'Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=' '' 'hi' '.' '/expect 250' \
    '/expect 221 QUIT' > "$T/in"
"$SMTPDBG" --json -s --no-verify --auth-user alice --auth-password-env PW "$S" < "$T/in" \
    > "$T/c.json" 2> "$T/c.err"; c_rc=$?
check "client script with --json: exit 0 (got $c_rc)" [ "$c_rc" = 0 ]
check "the human transcript went to stderr" grep -q 'S: 220 ' "$T/c.err"
"$SMTPDBG" send --json --from 'Bob <b@example.org>' --to c@example.org --attach "$T/in" \
    --starttls --no-verify "$S" < /dev/null > "$T/s.json" 2> "$T/s.err"; s_rc=$?
check "send --json: exit 0 (got $s_rc)" [ "$s_rc" = 0 ]
"$SMTPDBG" probe --json --no-verify "$S" < /dev/null > "$T/p.json" 2> "$T/p.err"; p_rc=$?
check "probe --json: exit 0 (got $p_rc)" [ "$p_rc" = 0 ]
"$SMTPDBG" send --json -q --to c@example.org --auth-user alice --auth-password-env PW \
    "$S" < /dev/null > "$T/s2.json" 2> "$T/s2.err"; s2_rc=$?
check "send --json without TLS and AUTH: exit 6 (got $s2_rc)" [ "$s2_rc" = 6 ]
# the proxy in front of the sink: both legs encrypted, a message copied
"$SMTPDBG" proxy --json --no-verify --maildir "$T/pmd" 127.0.0.1:0 "$S" > "$T/x.json" 2> "$T/x.err" &
xpid=$!
pids="$pids $xpid"
i=0
while [ $i -lt 100 ] && ! grep -q 'proxy listening' "$T/x.err"; do sleep 0.05; i=$((i + 1)); done
X=127.0.0.1:$(sed -n 's/.*proxy listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/x.err")
"$SMTPDBG" send --from p@example.org --to q@example.org --starttls --no-verify "$X" \
    < /dev/null > "$T/xs.out" 2>&1; x_rc=$?
check "send through the proxy: exit 0 (got $x_rc)" [ "$x_rc" = 0 ]
i=0
while [ $i -lt 100 ] && ! grep -q 'copy stored' "$T/x.err"; do sleep 0.05; i=$((i + 1)); done
kill -INT $xpid; wait $xpid
check "the proxy's transcript went to stderr" grep -q 'C~>U~ MAIL FROM:<p@example.org>' "$T/x.err"
stop_sink
cp "$T/sink" "$T/k.json"

check "every line of every stdout is JSON with t and event, and documented" \
    $PY "${top_srcdir:-.}/tests/jsondoc.py" "${top_srcdir:-.}/man/smtpdbg.md" \
    --need connect,close,line,reply,caps,state,tls,note,message,outcome,verdict,totals,summary,anomaly \
    "$T"/c.json "$T"/s.json "$T"/p.json "$T"/s2.json "$T"/k.json "$T"/x.json
check "UTF-8 addresses and the decoded subject are UTF-8 in the message event" $PY - "$T/k.json" <<'PYEOF'
import json, sys
m = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
m = [o for o in m if o['event'] == 'message']
assert any(o['rcpt'] == ['Zoë@example.org'] and o['subject'] == 'Hello Wörld' and
           o['auth']['user'] == 'alice' and o['tls_session'] and o['stored'] for o in m), m
assert [o['seq'] for o in m] == list(range(1, len(m) + 1)), m
PYEOF
check "AUTH continuation replies are labelled AUTH, and masked lines keep their CRLF" $PY - "$T/c.json" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
assert [o['answers'] for o in ev if o['event'] == 'reply' and o['code'] == 235] == ['AUTH'], ev
masked = [o for o in ev if o['event'] == 'line' and '****' in o['raw']]
assert masked and all(o['raw'].endswith('\r\n') for o in masked), masked
PYEOF
check "the proxy's events: lines with leg and route, both handshakes, the message with the upstream's code" $PY - "$T/x.json" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
lines = [o for o in ev if o['event'] == 'line']
assert {o['route'] for o in lines} >= {'C>U', 'U>C'}, set(o['route'] for o in lines)
assert all(o['leg'] in ('client', 'upstream') for o in lines)
assert sorted(o['leg'] for o in ev if o['event'] == 'handshake') == ['client', 'upstream']
m = [o for o in ev if o['event'] == 'message']
assert len(m) == 1 and m[0]['upstream_code'] == 250 and m[0]['copy'] is True, m
assert any('proxy_ms' in o for o in lines)
assert [o for o in ev if o['event'] == 'totals'][0]['accepted'] == 1
PYEOF
check "the sink's summary line shows the Subject decoded" grep -q 'Subject: Hello Wörld' "$T/sink.err"
check "probe's verdict event" $PY -c "
import json
v=[json.loads(l) for l in open('$T/p.json')]
v=[o for o in v if o['event']=='verdict']
assert len(v)==1 and v[0]['exit']==0 and v[0]['strength']=='pass', v"
check "send -q --json: the outcome goes to stderr, stdout stays JSON" grep -q 'refusing to send credentials' "$T/s2.err"
done_testing
