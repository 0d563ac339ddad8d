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
done_testing
