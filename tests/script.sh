#!/bin/sh
# script - scripted sessions against smtpdbg's own sink: expectations,
# every exit code, JSON Lines, -q, /raw, /data, /save.
. "${top_srcdir:-.}/tests/lib.sh"

start_sink "$T/sink" || exit 1
S=127.0.0.1:$SINK_PORT

printf '%s\n' "/connect $S" '/expect 220' '/expect 250 EHLO t.example' \
	'/expect 250 MAIL FROM:<a@example.org>' '/expect 2xx RCPT TO:<b@example.org>' \
	'/expect 354 DATA' 'Subject: scripted' '' '.dot first' 'body' '.' '/expect 250' \
	'/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/ok" < "$T/in"
check "a full scripted transaction exits 0" [ "$RC" = 0 ]
check "the transcript shows the dot-stuffed line as sent" has "$T/ok" 'C: \.\.dot first$'
check "the transcript shows the reply latency column" has "$T/ok" '^ *[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} S: 250 2\.1\.0 Ok$'
check "the sink printed the message summary" has "$T/sink" '# message 1 from <a@example.org> to <b@example.org>.*Subject: scripted'
check "the sink saw the stuffed dot" has "$T/sink" 'C: \.\.dot first'

printf '%s\n' '/expect 220' '/expect 550 EHLO t.example' > "$T/in"
run_smtpdbg "$T/exp" "$S" < "$T/in"
check "a failed /expect exits 1" [ "$RC" = 1 ]
check "the failure names the script line and both codes" has "$T/exp.err" 'stdin:2: expected 550, got 250'

printf '%s\n' '/nonsense' > "$T/in"
run_smtpdbg "$T/usage" "$S" < "$T/in"
check "an unknown helper command exits 2" [ "$RC" = 2 ]
run_smtpdbg "$T/usage2" --timeout=abc "$S" </dev/null
check "a bad option exits 2" [ "$RC" = 2 ]

port=$(free_port)
printf '%s\n' 'NOOP' > "$T/in"
run_smtpdbg "$T/conn" "127.0.0.1:$port" < "$T/in"
check "connection refused exits 3" [ "$RC" = 3 ]
check "the failure says why" has "$T/conn" 'connection to 127\.0\.0\.1:'"$port"' failed: .*refused'

# A server that accepts and never speaks: timeout, exit 4.
port=$(free_port)
$PY -c "
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(('127.0.0.1',$port)); s.listen(5); c,_=s.accept(); time.sleep(10)" &
pids="$pids $!"
wait_port "$port"
start=$(date +%s)
printf '%s\n' '/expect 220' > "$T/in"
run_smtpdbg "$T/to" --timeout 1 "127.0.0.1:$port" < "$T/in"
check "a silent server: no greeting is exit 3 (no session was made)" [ "$RC" = 3 ]
check "it says how long it waited, and the implicit-TLS hint" has "$T/to.err" 'no greeting from 127\.0\.0\.1:[0-9]+ within 1 s; an implicit-TLS port'
check "a script that never got a greeting sends nothing, not even QUIT" sh -c "! grep -q '^[0-9:.]* C: ' '$T/to'"
check "the timeout took about the time asked" [ $(( $(date +%s) - start )) -le 4 ]
check "the transcript explains the timeout" has "$T/to" '! timeout: no reply within 1 s in state greeting'

# A server that breaks the protocol: exit 5, or 0 with --keep-going.
port=$(free_port)
$PY -c "
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(('127.0.0.1',$port)); s.listen(5)
for i in range(2):
    c,_=s.accept()
    try:
        c.sendall(b'220 hi\r\n'); c.recv(100)
        c.sendall(b'250-a\r\n550 b\r\n'); c.recv(100); c.sendall(b'221 bye\r\n')
    except OSError:
        pass
    c.close()" &
pids="$pids $!"
wait_port "$port"
printf '%s\n' '/expect 220' 'EHLO x' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/proto" "127.0.0.1:$port" < "$T/in"
check "inconsistent multi-line codes exit 5" [ "$RC" = 5 ]
check "the violation is explained" has "$T/proto" 'multi-line reply changes its code'
printf '%s\n' '/expect 220' 'EHLO x' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/kg" --keep-going "127.0.0.1:$port" < "$T/in"
check "--keep-going finishes the script" [ "$RC" = 0 ]

printf '%s\n' "/data $T/no-such-file" > "$T/in"
run_smtpdbg "$T/local" "$S" < "$T/in"
check "a missing /data file exits 7" [ "$RC" = 7 ]

# JSON Lines: valid JSON, raw bytes exact, codes and latency present.
printf '%s\n' '/expect 220' '/raw NOOP\n' '/expect 500' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/json" --json="$T/events.jsonl" "$S" < "$T/in"
check "a script with /raw bare LF exits 0" [ "$RC" = 0 ]
check "the bare LF is shown in the transcript" has "$T/json" 'C: NOOP\\n$'
check "and explained" has "$T/json" '! bare LF line ending'
check "every JSON line parses, with the exact raw bytes" $PY -c "
import json,sys
ev=[json.loads(l) for l in open('$T/events.jsonl')]
lines=[e for e in ev if e['event']=='line']
assert any(e['dir']=='C' and e['raw']=='NOOP\n' and 'bare_lf' in e['flags'] for e in lines)
g=[e for e in lines if e['dir']=='S'][0]
assert g['code']==220 and g['raw'].endswith('\r\n') and 'latency_ms' in g
assert any(e['event']=='reply' and e['code']==500 and e['answers']=='NOOP' for e in ev)
assert any(e['event']=='state' for e in ev)
assert [e for e in lines if e['dir']=='S' and e['code']==500][0]['enh']=='5.5.2'
"

printf '%s\n' '/expect 220' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/q" -q "$S" < "$T/in"
check "-q prints only the outcome" [ "$(cat "$T/q")" = "ok: last reply 221" ]

printf 'Subject: file\n\n.x\nline two\n' > "$T/msg.txt"
printf '%s\n' '/expect 220' 'EHLO x' 'MAIL FROM:<a@b>' 'RCPT TO:<c@d>' "/data $T/msg.txt" \
	'/expect 250' "/save $T/saved.txt" 'QUIT' > "$T/in"
run_smtpdbg "$T/data" "$S" < "$T/in"
check "/data sends DATA, the file and the dot" [ "$RC" = 0 ]
check "/data stuffs dots and sends CRLF" has "$T/data" 'C: \.\.x$'
check "/data notes the normalised line ends" has "$T/data" 'bare CR/LF in the message were sent as CRLF'
check "/save wrote the transcript" has "$T/saved.txt" 'C: DATA'
check "the sink got the file's subject" has "$T/sink" 'Subject: file'

printf 'EHLO x\r\nQUIT\r\n' > "$T/in"
run_smtpdbg "$T/crlf" "$S" < "$T/in"
check "a script with CRLF line ends works" [ "$RC" = 0 ]
printf '%s\n' '/raw MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n' 'RSET' 'QUIT' > "$T/in"
run_smtpdbg "$T/raw2" "$S" < "$T/in"
check "/raw with two commands exits 0" [ "$RC" = 0 ]
check "/raw pipelined both commands and got both replies" has "$T/raw2" 'S: 503 5\.5\.1 Error: need MAIL'
check "each pipelined reply names its command, without a ? for the CR" sh -c \
    "grep -q '<- MAIL FROM:<a@b>\$' '$T/raw2' && grep -q '<- RCPT TO:<c@d>\$' '$T/raw2' && ! grep -q '<- .*?\$' '$T/raw2'"
printf '%s\n' '/raw MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n' 'x' '.' '/expect 250' 'QUIT' > "$T/in"
run_smtpdbg "$T/raw3" -e "$S" < "$T/in"
check "the 354 that ends a pipelined group names DATA too" has "$T/raw3" 'S: 354 .*<- DATA$'

# IPv6 literal in brackets, and a name whose first address refuses.
if grep -q '^00000000000000000000000000000001' /proc/net/if_inet6 2>/dev/null; then
	"$SMTPDBG" sink '[::1]:0' > "$T/sink6" 2>"$T/sink6.err" &
	pids="$pids $!"
	sleep 0.3
	p6=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' "$T/sink6.err")
	printf '%s\n' '/expect 220' '/expect 221 QUIT' > "$T/in"
	run_smtpdbg "$T/v6" "[::1]:$p6" < "$T/in"
	check "an IPv6 literal in brackets connects ([::1]:$p6)" [ "$RC" = 0 ]
	check "the peer is shown in brackets" has "$T/v6" "connected to \[::1\]:$p6 \(\[::1\]:$p6\)"
fi
printf '%s\n' '/expect 220' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/order" --connect-timeout 2 "localhost:$SINK_PORT" < "$T/in"
check "a name's addresses are tried in turn until one answers" [ "$RC" = 0 ]

(printf 'EHLO pipe\n'; sleep 0.3; printf 'QUIT\n') | timeout 10 "$SMTPDBG" --color=never "$S" > "$T/pipe" 2>&1
check "a script from a pipe runs as lines arrive" has "$T/pipe" 'S: 221 2\.0\.0 Bye'

# A line sent in pieces is one line: /raw without a line end is shown as
# unfinished, its rest as the continuation, and the server ran one NOOP.
printf 'abc\nno newline at the end' >"$T/nonl.txt"
cat >"$T/pieces.script" <<'EOF'
/expect 220
/raw NO
/raw OP\r\n
/expect 250
/expect 250 HELO pieces.example
/expect 250 MAIL FROM:<a@example.org>
/expect 250 RCPT TO:<b@example.org>
EOF
printf '/data %s\n/expect 250\n/expect 221 QUIT\n' "$T/nonl.txt" >>"$T/pieces.script"
run_smtpdbg "$T/pieces" -f "$T/pieces.script" 127.0.0.1:$SINK_PORT
check "/raw NO then /raw OP\\r\\n: one NOOP, answered 250 (exit $RC)" [ "$RC" = 0 ]
check "the first piece is shown as unfinished, the rest as its continuation" \
    sh -c "grep -q 'C: NO \[line continues\]\$' '$T/pieces' && grep -q 'C: \[continued\] OP\$' '$T/pieces'"
check "the sink saw one NOOP line" has "$T/sink" 'C: NOOP$'
check "/data of a file without a final newline: its last line shown once, no empty line" \
    sh -c "grep -q 'C: no newline at the end\$' '$T/pieces' && ! grep -Eq 'C: (\[continued\] )?\$' '$T/pieces'"
check "... and a note says the client added the CRLF" has "$T/pieces" 'the data did not end with a line end: CRLF added'

stop_sink
check "the sink stops on SIGINT with a summary" has "$T/sink.err" 'sink stopped: [0-9]+ sessions, [0-9]+ messages'
done_testing
