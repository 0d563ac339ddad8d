#!/bin/sh
# halfclose - a half-close is not an abort.  A client that sends its last
# commands and shuts down its sending side (as Exim does after the end of
# data and QUIT) gets every reply it is owed, and its message is stored
# exactly once; in every store mode, with BDAT and with LMTP.  And the
# client: a server that sends its last reply and half-closes.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

# hc.py PORT MODE: one session that ends with a half-close; prints what the
# sink sent after the last wait, so the test can look for the 250 and 221
cat > "$T/hc.py" <<'PYEOF'
import socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = b""
def replies(k):
    """read until k more complete replies (final lines "NNN ") have come"""
    global f
    want = f.count(b"\r\n") and sum(1 for l in f.split(b"\r\n") if l[3:4] == b" ") + k or k
    while sum(1 for l in f.split(b"\r\n")[:-1] if l[3:4] == b" ") < want:
        d = s.recv(65536)
        if not d:
            sys.exit("closed early: %r" % f[-200:])
        f += d
replies(1)
s.sendall(b"LHLO c\r\n" if mode == "lmtp" else b"EHLO c\r\n")
replies(1)
rcpt = b"RCPT TO:<c@d.example>\r\n" + (b"RCPT TO:<e@d.example>\r\n" if mode == "lmtp" else b"")
if mode == "bdat":
    s.sendall(b"MAIL FROM:<a@b.example>\r\n" + rcpt)
    replies(2)
    s.sendall(b"BDAT 20 LAST\r\nSubject: t\r\n\r\nhi\r\n\r\nQUIT\r\n")
else:
    s.sendall(b"MAIL FROM:<a@b.example>\r\n" + rcpt + b"DATA\r\n")
    replies(3 if mode != "lmtp" else 4)
    tail = b"" if mode == "noquit" else b"QUIT\r\n"
    s.sendall(b"Subject: t\r\n\r\nhi\r\n.\r\n" + tail)
s.shutdown(socket.SHUT_WR)
mark = len(f)
while True:
    d = s.recv(65536)
    if not d:
        break
    f += d
sys.stdout.write(f[mark:].decode("latin-1"))
PYEOF

count_msgs() {	# count_msgs DIR-OR-FILE KIND
	case $2 in
	maildir) ls "$1/new" | grep -vc '\.json$' ;;
	eml) ls "$1" | grep -c '\.eml$' ;;
	mbox) grep -c '^From ' "$1" ;;
	esac
}

for mode in maildir mbox eml nofsync bdat lmtp noquit; do
	case $mode in
	maildir|bdat|noquit) opt="--maildir $T/$mode"; kind=maildir; where=$T/$mode ;;
	nofsync) opt="--maildir $T/$mode --no-fsync"; kind=maildir; where=$T/$mode ;;
	mbox) opt="--mbox $T/$mode.mbox"; kind=mbox; where=$T/$mode.mbox ;;
	eml) opt="--eml-dir $T/$mode"; kind=eml; where=$T/$mode ;;
	lmtp) opt="--lmtp --maildir $T/$mode"; kind=maildir; where=$T/$mode ;;
	esac
	# shellcheck disable=SC2086
	start_sink "$T/sink-$mode" --json="$T/sink-$mode.jsonl" $opt || exit 1
	timeout 20 $PY "$T/hc.py" "$SINK_PORT" "$mode" >"$T/got-$mode" 2>&1
	RC=$?
	# the client is gone; the sink ends the session on its own time
	i=0
	while [ $i -lt 100 ] && ! grep -q 'connection closed' "$T/sink-$mode"; do
		sleep 0.05; i=$((i + 1)); done
	stop_sink
	check "$mode: the half-closing client got its replies (exit $RC)" [ "$RC" = 0 ]
	case $mode in
	lmtp)
		check "lmtp: one 250 per recipient after the data, then 221" \
		    sh -c "[ \"\$(grep -c '^250 2.0.0 Ok: queued as' '$T/got-$mode')\" = 2 ] && grep -q '^221 ' '$T/got-$mode'" ;;
	noquit)
		check "noquit: the message is acknowledged, then the session ends" \
		    sh -c "grep -q '^250 2.0.0 Ok: queued as' '$T/got-$mode' && ! grep -q '^221 ' '$T/got-$mode'"
		check "noquit: the lint says the client closed without QUIT" has "$T/sink-$mode" 'closed without QUIT' ;;
	*)
		check "$mode: 250 for the message, then 221 for QUIT" \
		    sh -c "grep -q '^250 2.0.0 Ok: queued as' '$T/got-$mode' && grep -q '^221 2.0.0 Bye' '$T/got-$mode'"
		check "$mode: no lint about a missing QUIT" hasnt "$T/sink-$mode" 'closed without QUIT' ;;
	esac
	check "$mode: exactly one stored copy" [ "$(count_msgs "$where" $kind)" = 1 ]
	# Whether the end of input is read before the session ends is time:
	# after a 221 the sink may close without reading it.  Without QUIT, the
	# end of input is what ends the session, so it must be said.
	if [ $mode = noquit ]; then
		check "$mode: the transcript says where the input ended" has "$T/sink-$mode" 'end of input from the client'
	else
		check "$mode: the transcript says where the input ended, or the session ended after the 221" sh -c \
		    "grep -q 'end of input from the client' '$T/sink-$mode' || grep -A1 'S: 221 ' '$T/sink-$mode' | grep -q 'connection closed'"
	fi
	check "$mode: the JSON has the 250 too" has "$T/sink-$mode.jsonl" '"dir":"S","raw":"250 2.0.0 Ok: queued'
done

# An end of input inside the data still discards the message (no 250).
start_sink "$T/sink-cut" --maildir "$T/cut" || exit 1
timeout 10 $PY - "$SINK_PORT" >"$T/got-cut" 2>&1 <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.recv(1000)
s.sendall(b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: t\r\n\r\nhalf")
s.shutdown(socket.SHUT_WR)
f = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    f += d
print(f.decode())
PYEOF
stop_sink
check "cut inside the data: no 250 for the message" hasnt "$T/got-cut" '^250 2.0.0 Ok: queued'
check "cut inside the data: nothing stored" [ "$(count_msgs "$T/cut" maildir)" = 0 ]
check "cut inside the data: the transcript says the message was discarded" has "$T/sink-cut" 'connection closed inside message data: message discarded'

# The client: a server that sends its last reply and half-closes at once.
serve srv1 <<'EOF'
send b'220 fake ESMTP\r\n'
recv
send b'250-fake\r\n250 PIPELINING\r\n'
recv
recv
recv
send b'250 ok\r\n250 ok\r\n354 go\r\n'
recv
recv
recv
recv
recv
recv
recv
recv
send b'250 queued\r\n'
recv
send b'221 bye\r\n'
shutdown
EOF
run_smtpdbg "$T/c1" send --from a@b.example --to c@d.example --body hi "127.0.0.1:$PORT"
check "client: 221 and a half-close at once: send exits 0 (got $RC)" [ "$RC" = 0 ]
check "client: the 221 answers QUIT" has "$T/c1" 'S: 221 bye'
check "client: no violation reported" hasnt "$T/c1" 'unsolicited|violation'

# An extra reply in the same segment as the greeting: the automatic EHLO
# (queued while that segment is parsed) must not take it for its answer.
serve srv2 <<'EOF'
send b'220 fake ESMTP\r\n250 extra\r\n'
recv
send b'250 fake\r\n'
recv
send b'221 bye\r\n'
shutdown
EOF
printf '/expect 250\nQUIT\n' >"$T/c2.in"
run_smtpdbg "$T/c2" -e "127.0.0.1:$PORT" <"$T/c2.in"
check "client: an extra reply that came with the greeting is a violation (exit 5, got $RC)" [ "$RC" = 5 ]
check "client: it is called unsolicited, not taken as the answer to EHLO" \
    has "$T/c2" 'unsolicited reply: it arrived before "EHLO'
check "client: the transcript shows EHLO after the bytes that were already there" \
    sh -c "[ \$(grep -n 'S: 250 extra' '$T/c2' | cut -d: -f1) -lt \$(grep -n 'C: EHLO' '$T/c2' | cut -d: -f1) ]"

done_testing
