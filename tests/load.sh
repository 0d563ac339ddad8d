#!/bin/sh
# load - send --sessions (many sessions, statistics) and ping, against the
# sink: every message counted once, accepted or failed, and the sink's
# count agrees; errors by stage and reply code from the sink's rules; TLS,
# AUTH, BDAT and --size in every session; --rate paces; the JSON events;
# the progress line only on a terminal; Ctrl-C; memory that does not grow
# with the number of messages.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

# loadjson FILE PYTHON: the run's load event as L (and its load_message
# or ping events as M), then the assertions
loadjson() {
	f=$1; shift
	$PY - "$f" "$@" <<PYEOF
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
L = [o for o in ev if o['event'] == 'load']
assert len(L) == 1, L
L = L[0]
M = [o for o in ev if o['event'] in ('load_message', 'ping')]
errs = {(e['stage'], e['code']): e['count'] for e in L['errors']}
$(cat)
PYEOF
}
# sinkjson FILE PYTHON: the sink's message events as S
sinkjson() {
	f=$1; shift
	$PY - "$f" <<PYEOF
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
S = [o for o in ev if o['event'] == 'message']
T = [o for o in ev if o['event'] == 'totals']
$(cat)
PYEOF
}

# 1. 300 messages in 6 sessions: all accepted, each once, each its own Message-ID
start_sink "$T/s1" --json || exit 1
S=127.0.0.1:$SINK_PORT
run_smtpdbg "$T/a" send --sessions 6 --count 300 --to b@example.org --from a@example.org "$S"
check "300 messages in 6 sessions: exit 0 (got $RC)" [ "$RC" = 0 ]
check "the table: 300 accepted, none failed" has "$T/a" '^  messages   300 accepted, 0 failed$'
check "the table: 6 sessions, no errors" sh -c "grep -q '^  sessions   6$' '$T/a' && grep -q '^  errors     none$' '$T/a'"
check "the table has every phase of a plain session" sh -c "for p in connect greeting EHLO MAIL RCPT DATA 'end of data' QUIT; do
    grep -Eq \"^  \$p +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+\$\" '$T/a' || exit 1; done"
check "the table: 300 MAIL, 300 RCPT, 6 greetings" sh -c "grep -Eq '^  MAIL +300 ' '$T/a' &&
    grep -Eq '^  RCPT +300 ' '$T/a' && grep -Eq '^  greeting +6 ' '$T/a'"
check "no transcript and no progress line when not on a terminal" sh -c "! grep -q 'MAIL FROM' '$T/a' && ! grep -q \"\$(printf '\r')\" '$T/a.err'"
stop_sink
check "the sink took 300 messages with 300 distinct Message-IDs in 6 sessions" sinkjson "$T/s1" <<'EOF'
assert len(S) == 300, len(S)
assert len({o['message_id'] for o in S}) == 300
assert len({o['session'] for o in S}) == 6
assert T[0]['accepted'] == 300, T
EOF

# 2. --per-connection: at most K on a connection; sessions replace each other
start_sink "$T/s2" --json || exit 1
S=127.0.0.1:$SINK_PORT
run_smtpdbg "$T/b.json" send --json --json-messages --sessions 3 --count 40 --per-connection 4 \
    --to b@example.org "$S"
check "--per-connection 4: exit 0 (got $RC)" [ "$RC" = 0 ]
stop_sink
check "--per-connection 4: at most 4 messages per connection, at least 10 sessions, the load event agrees" \
    sinkjson "$T/s2" <<EOF
from collections import Counter
c = Counter(o['session'] for o in S)
assert len(S) == 40 and max(c.values()) <= 4 and len(c) >= 10, c
L = [json.loads(l) for l in open('$T/b.json')][-1]
assert L['event'] == 'load' and L['sessions'] == len(c) and L['ok'] == 40, L
EOF
check "--json-messages: one event per message, seq 1..40, each on a connection at most 4th" loadjson "$T/b.json" <<'EOF'
assert sorted(o['seq'] for o in M) == list(range(1, 41)), M
assert all(o['ok'] and 1 <= o['on_connection'] <= 4 for o in M)
assert all(set(o['phases']) == {'mail', 'rcpt', 'data', 'dot'} for o in M), M[0]
assert all(o['total_ms'] > 0 for o in M)
assert L['units'] == 40 and L['ok'] == 40 and L['failed'] == 0 and L['error_count'] == 0
assert L['phases']['mail']['count'] == 40 and L['message']['count'] == 40
p = L['phases']['dot']
assert p['min_ms'] <= p['median_ms'] <= p['p95_ms'] <= p['p99_ms'] <= p['max_ms'], p
EOF
check "every event of send --sessions --json is documented" \
    $PY "${top_srcdir:-.}/tests/jsondoc.py" "${top_srcdir:-.}/man/smtpdbg.md" \
    --need load,load_message "$T/b.json"

# 3. errors by stage and reply code, from the sink's rules
rules_run() {	# rules_run NAME RULE SEND-OPTIONS...: a fresh sink with RULE
	n=$1; r=$2; shift 2
	start_sink "$T/$n.sink" --json --reply "$r" || exit 1
	run_smtpdbg "$T/$n.json" send --json "$@" 127.0.0.1:$SINK_PORT
	stop_sink
}
rules_run r1 'RCPT%4=550 5.1.1 no such user' --sessions 4 --count 100 --to b@example.org
check "every 4th RCPT refused: exit 11 (got $RC)" [ "$RC" = 11 ]
check "every 4th RCPT refused: 75 accepted, 25 failed at RCPT 550, stored 75" loadjson "$T/r1.json" <<'EOF'
assert (L['ok'], L['failed'], L['units']) == (75, 25, 100), L
assert errs == {('rcpt', 550): 25}, errs
assert 'no such user' in L['errors'][0]['text']
EOF
check "... and the sink stored 75" sinkjson "$T/r1.sink" <<'EOF'
assert T[0]['accepted'] == 75, T
EOF
rules_run r2 'RCPT%2=550 5.1.1 no' --sessions 2 --count 20 --to b@example.org --to c@example.org
check "one of two recipients refused: every message accepted, 20 RCPT errors (exit 11, got $RC)" \
    loadjson "$T/r2.json" <<'EOF'
assert (L['ok'], L['failed']) == (20, 0) and errs == {('rcpt', 550): 20}, (L, errs)
EOF
rules_run r3 'DOT%2=451 4.3.0 try later' --sessions 3 --count 60 --no-pipeline --to b@example.org
check "every 2nd message refused at its end: exit 23 (got $RC)" [ "$RC" = 23 ]
check "every 2nd message refused at its end with 451: 30 failed, and RSET is not needed" loadjson "$T/r3.json" <<'EOF'
assert (L['ok'], L['failed'], L['sessions']) == (30, 30, 3) and errs == {('dot', 451): 30}, L
EOF
rules_run r4 'CONNECT%3=554 5.7.1 go away' --sessions 2 --count 30 --per-connection 1 --to b@example.org
check "every 3rd greeting 554: exit 3 (got $RC)" [ "$RC" = 3 ]
check "every 3rd greeting 554: 10 failed at the greeting, 30 sessions" loadjson "$T/r4.json" <<'EOF'
assert (L['ok'], L['failed'], L['sessions']) == (20, 10, 30) and errs == {('greeting', 554): 10}, L
EOF
rules_run r5 'MAIL%10=drop' --sessions 3 --count 100 --to b@example.org
check "every 10th MAIL dropped: 10 failed at MAIL without a code, a new session for each, exit 3 (got $RC)" loadjson "$T/r5.json" <<EOF
assert (L['ok'], L['failed']) == (90, 10) and 11 <= L['sessions'] <= 13, L
assert list(errs) == [('mail', 0)] and errs[('mail', 0)] == 10, errs
assert $RC == 3
EOF
rules_run r6 'MAIL%5=452 4.3.1 full' --sessions 2 --count 50 --no-pipeline --to b@example.org
check "every 5th MAIL 452, one command at a time: 10 failed at MAIL, exit 20 (got $RC)" loadjson "$T/r6.json" <<'EOF'
assert (L['ok'], L['failed'], L['sessions']) == (40, 10, 2) and errs == {('mail', 452): 10}, L
EOF
rules_run r7 'RCPT%3=550 5.1.1 no' --sessions 2 --count 30 --no-pipeline --to b@example.org
check "a refused RCPT, one command at a time: RSET, then the next message on the same connection" \
    sh -c "grep -q '\"verb\":\"RSET\"' '$T/r7.sink' || grep -q 'RSET' '$T/r7.sink'"
check "... 20 accepted, 10 failed at RCPT, 2 sessions" loadjson "$T/r7.json" <<'EOF'
assert (L['ok'], L['failed'], L['sessions']) == (20, 10, 2) and errs == {('rcpt', 550): 10}, L
EOF

# 4. TLS and AUTH in every session, BDAT, --size
printf 'alice:s3cret\n' > "$T/users"
start_sink "$T/s4" --json --auth --auth-users "$T/users" || exit 1
S=127.0.0.1:$SINK_PORT
PW=s3cret; export PW
run_smtpdbg "$T/d.json" send --json --sessions 4 --count 40 --per-connection 10 --starttls \
    --no-verify --auth-user alice --auth-password-env PW --bdat --size 5000 --to b@example.org "$S"
check "STARTTLS, AUTH, BDAT, --size 5000 in 4 sessions: exit 0 (got $RC)" [ "$RC" = 0 ]
check "... TLS and AUTH timed once per session, EHLO twice" loadjson "$T/d.json" <<'EOF'
P = L['phases']
assert L['ok'] == 40 and P['tls']['count'] == L['sessions'] == P['auth']['count'], L
assert P['ehlo']['count'] == 2 * L['sessions'] and 'data' not in P, P
assert P['tls']['min_ms'] > 0 and P['dot']['count'] == 40
EOF
run_smtpdbg "$T/e" send --sessions 2 --count 6 --size 300000 --to b@example.org "$S"
check "a 300000-byte message streamed in 2 sessions: exit 0 (got $RC)" [ "$RC" = 0 ]
stop_sink
check "the sink: 46 messages of exactly the asked size, each with its own Message-ID, the TLS ones authenticated as alice" \
    sinkjson "$T/s4" <<'EOF'
big = [o for o in S if o['size'] == 300000]
small = [o for o in S if o['size'] == 5000]
assert len(S) == 46 and len(big) == 6 and len(small) == 40, [o['size'] for o in S]
assert all(o['auth']['user'] == 'alice' and o['tls_session'] for o in small)
assert len({o['message_id'] for o in S}) == 46
EOF

# 5. --rate paces the starts; the first failure's words
start_sink "$T/s5" --json || exit 1
S=127.0.0.1:$SINK_PORT
run_smtpdbg "$T/f.json" send --json --rate 100/s --sessions 4 --count 20 --to b@example.org "$S"
check "--rate 100/s: 20 messages take at least 0.19 s" loadjson "$T/f.json" <<'EOF'
assert L['ok'] == 20 and L['seconds'] >= 0.19, L
EOF
run_smtpdbg "$T/g.json" send --json --rate 6000/m --count 10 --to b@example.org "$S"
check "--rate 6000/m alone: one session, 10 messages in at least 0.09 s" loadjson "$T/g.json" <<'EOF'
assert L['ok'] == 10 and L['sessions'] == 1 and L['seconds'] >= 0.09, L
EOF
run_smtpdbg "$T/h" send --rate 5/x --count 10 --to b@example.org "$S"
check "--rate 5/x is refused (exit 2, got $RC)" [ "$RC" = 2 ]
run_smtpdbg "$T/h2" send --sessions 2 --count 5 --size 2000 --body hi --to b@example.org "$S"
check "--size with --body is refused (exit 2, got $RC)" [ "$RC" = 2 ]
run_smtpdbg "$T/h3" send --json-messages --sessions 2 --to b@example.org "$S"
check "--json-messages without --json is refused (exit 2, got $RC)" [ "$RC" = 2 ]

run_smtpdbg "$T/j.json" send --json --sessions 2 --count 6 --quit-after EHLO --to b@example.org "$S"
check "--quit-after EHLO with many sessions: exit 0 (got $RC), each unit a session stopped as asked" loadjson "$T/j.json" <<'EOF'
assert (L['ok'], L['failed'], L['sessions']) == (6, 0, 6) and 'mail' not in L['phases'], L
EOF
printf 'from standard input\n' | "$SMTPDBG" send -q --sessions 2 --count 4 --body - --subject stdin \
    --to b@example.org "$S" > "$T/k" 2>&1; k_rc=$?
check "--body - with many sessions: standard input read once, sent 4 times (exit $k_rc)" [ "$k_rc" = 0 ]

n=1000
while [ $n -lt 1080 ]; do
	"$SMTPDBG" send -q --size $n --subject sized --to b@example.org "$S" > /dev/null 2>&1 || break
	n=$((n + 1))
done
check "--size 1000 to 1079, one message each: all sent" [ $n = 1080 ]

# 6. nothing to connect to: every message fails at connect, once
P0=$(free_port)
run_smtpdbg "$T/i" send --sessions 3 --count 12 --to b@example.org 127.0.0.1:$P0
check "nothing listening: exit 3 (got $RC), 12 failed at connect" sh -c \
    "[ $RC = 3 ] && grep -q '^  messages   0 accepted, 12 failed' '$T/i' && grep -Eq '^    connect +12  cannot connect' '$T/i'"
check "... and the first failure on stderr" has "$T/i.err" 'first failure: cannot connect'

# 7. ping
run_smtpdbg "$T/p1" ping -c 3 -i 0.05 "$S"
check "ping -c 3: exit 0 (got $RC)" [ "$RC" = 0 ]
check "ping: three lines with connect, greeting, EHLO and QUIT times" sh -c \
    "[ \$(grep -Ec '^127\.0\.0\.1:[0-9]+: seq=[123] connect=[0-9.]+ greeting=[0-9.]+ ehlo=[0-9.]+ quit=[0-9.]+ total=[0-9.]+ ms$' '$T/p1') = 3 ]"
check "ping: the summary like ping(8)'s" sh -c "grep -q '^--- 127.0.0.1:[0-9]* smtpdbg ping statistics ---$' '$T/p1' &&
    grep -q '^3 sessions, 3 succeeded, 0 failed (0% failed), time ' '$T/p1' &&
    grep -Eq '^session min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' '$T/p1'"
run_smtpdbg "$T/p2" ping -c 2 -i 0 --quit-after CONNECT "$S"
check "ping --quit-after CONNECT: no EHLO" sh -c "[ $RC = 0 ] && grep -q 'seq=2 connect=[0-9.]* greeting=[0-9.]* quit=' '$T/p2' && ! grep -q ehlo= '$T/p2'"
run_smtpdbg "$T/p3.json" ping --json -c 2 -i 0 --starttls --no-verify --to b@example.org "$S"
check "ping --json with STARTTLS and a message: 2 ping events with every phase, and the summary" \
    loadjson "$T/p3.json" <<'EOF'
assert L['mode'] == 'ping' and L['ok'] == 2 and len(M) == 2, L
assert all(set(o['phases']) == {'connect', 'greeting', 'tls', 'ehlo', 'mail', 'rcpt', 'data', 'dot', 'quit'}
           for o in M), M
assert L['session']['count'] == 2
EOF
check "every event of ping --json is documented" \
    $PY "${top_srcdir:-.}/tests/jsondoc.py" "${top_srcdir:-.}/man/smtpdbg.md" --need load,ping "$T/p3.json"
run_smtpdbg "$T/p4" ping -c 2 -i 0 127.0.0.1:$P0
check "ping to nothing: exit 3 (got $RC), each line FAILED at connect" sh -c \
    "[ $RC = 3 ] && [ \$(grep -c 'FAILED at connect: cannot connect' '$T/p4') = 2 ] && grep -q '^2 sessions, 0 succeeded, 2 failed (100% failed)' '$T/p4'"
stop_sink
check "the sink: the message from standard input, 4 times" sinkjson "$T/s5" <<'EOF'
assert len([o for o in S if o['subject'] == 'stdin']) == 4, S
EOF
check "--size: every size of a whole line's cycle (1000 to 1079 bytes) exactly" sinkjson "$T/s5" <<'EOF'
sized = sorted(o['size'] for o in S if o['subject'] == 'sized')
assert sized == list(range(1000, 1080)), sized
EOF

# 8. Ctrl-C: ping prints its summary; send --sessions its table and 130
start_sink "$T/s8" || exit 1
S=127.0.0.1:$SINK_PORT
"$SMTPDBG" ping -i 0.02 "$S" > "$T/q1" 2> "$T/q1.err" &
qp=$!
i=0
while [ $i -lt 200 ] && [ "$(grep -c seq= "$T/q1" 2>/dev/null)" -lt 3 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $qp; wait $qp; q1=$?
[ "$q1" = 0 ] || { diag "$T/q1"; diag "$T/q1.err"; }
check "ping until Ctrl-C: exit 0 (got $q1) and the summary" sh -c "[ $q1 = 0 ] && grep -q 'smtpdbg ping statistics' '$T/q1' &&
    grep -Eq '^[0-9]+ sessions, [0-9]+ succeeded, 0 failed' '$T/q1'"
stop_sink
start_sink "$T/s8b" --json || exit 1
S=127.0.0.1:$SINK_PORT
"$SMTPDBG" send --rate 50/s --count 100000 --to b@example.org "$S" > "$T/q2" 2> "$T/q2.err" &
qp=$!
i=0	# (its messages reaching the sink: it is running, its signals caught)
while [ $i -lt 200 ] && [ "$(grep -c '"event":"message"' "$T/s8b" 2>/dev/null)" -lt 6 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $qp; wait $qp; q2=$?
check "send --rate stopped by Ctrl-C: exit 130 (got $q2), the table says what was not sent" sh -c \
    "[ $q2 = 130 ] && grep -Eq '^  messages   [0-9]+ accepted, 0 failed, [0-9]+ not sent \(interrupted\)' '$T/q2'"
# Ctrl-C while many sessions wait for their start times (a timer that came
# due with the signal once started a transaction on a closed session)
bad=0
k=0
while [ $k -lt 5 ]; do
	n0=$(grep -c '"event":"message"' "$T/s8b")
	"$SMTPDBG" send -q --rate 2000/s --sessions 50 --count 1000000 --to b@example.org "$S" \
	    > "$T/q3" 2>&1 &
	qp=$!
	i=0
	while [ $i -lt 200 ] && [ $(($(grep -c '"event":"message"' "$T/s8b") - n0)) -lt 100 ]; do
		sleep 0.05; i=$((i + 1)); done
	kill -INT $qp; wait $qp; q3=$?
	[ $q3 = 130 ] || { bad=$((bad + 1)); diag "$T/q3"; }
	k=$((k + 1))
done
check "Ctrl-C with 50 sessions waiting on --rate, 5 times: exit 130 each, no failure ($bad not)" [ $bad = 0 ]
stop_sink

# 9. the progress line, on a terminal only
start_sink "$T/s9" || exit 1
S=127.0.0.1:$SINK_PORT
if command -v script > /dev/null; then
	script -qec "'$SMTPDBG' send --rate 40/s --count 20 --to b@example.org $S" /dev/null > "$T/tty" 2>&1
	check "on a terminal: a progress line, redrawn in place" sh -c "grep -q \"\$(printf '\r\033')\\[K[0-9]*/20 messages, [0-9.]*/s accepted, 0 failed\" '$T/tty'"
	script -qec "'$SMTPDBG' send -q --rate 40/s --count 20 --to b@example.org $S" /dev/null > "$T/tty2" 2>&1
	check "-q on a terminal: no progress line" hasnt "$T/tty2" 'messages, '
fi

# 10. memory does not grow with the number of messages
rss() {	# rss COUNT: the peak RSS (KiB) of a run of COUNT messages
	/usr/bin/time -f '%M' -o "$T/rss.$1" "$SMTPDBG" send -q --sessions 4 --count "$1" \
	    --to b@example.org "$S" > /dev/null 2>&1
	cat "$T/rss.$1"
}
if [ -x /usr/bin/time ] && ! ldd "$SMTPDBG" 2>/dev/null | grep -q libasan; then
	# (AddressSanitizer's quarantine holds freed memory: not under it)
	a=$(rss 500); b=$(rss 20000)
	check "peak memory: 500 messages $a KiB, 20000 messages $b KiB (within 2 MiB)" [ $((b - a)) -lt 2048 ]
fi
stop_sink
done_testing
