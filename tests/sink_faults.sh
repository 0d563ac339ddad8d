#!/bin/sh
# sink_faults - every way the sink misbehaves on purpose, seen from real
# clients (smtplib, swaks, msmtp, curl, openssl, smtpdbg itself), plus
# BDAT, LMTP over a Unix socket, greylisting, the rate limit and lint.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY" swaks msmtp curl openssl

py() {	# py OUT SCRIPT ARGS...: a Python client, 20 s at most
	o=$1; shift
	timeout 20 $PY - "$@" >"$o" 2>&1
}

# 1. Replies by stage, address pattern and count; the rules are listed.
start_sink "$T/a" --reply 'RCPT:*@bounce.test=550 5.1.1 no such user' \
    --reply 'MAIL#1=tempfail' --reply 'NOOP=delay 1' --reply 'VRFY=drip 10' \
    --reply 'DOT:x=554' 2>/dev/null || true
check "an address pattern on a non-address stage is refused at start-up" \
    has "$T/a.err" "address pattern is for MAIL, RCPT or EHLO"
start_sink "$T/a" --reply 'RCPT:*@bounce.test=550 5.1.1 no such user' \
    --reply 'MAIL#1=tempfail' --reply 'NOOP=delay 1' --reply 'VRFY=drip 10' || exit 1
check "rules are listed at start-up" has "$T/a.err" 'rule 2: MAIL, the 1st time only: MAIL#1=tempfail'
swaks --server 127.0.0.1:$SINK_PORT --from a@example.org --to x@bounce.test \
    --timeout 10 >"$T/swaks1" 2>&1; rc=$?
check "swaks: the first MAIL gets the tempfail" has "$T/swaks1" '<\*\* +451 4.3.0 Error: temporary failure'
swaks --server 127.0.0.1:$SINK_PORT --from a@example.org --to x@bounce.test \
    --timeout 10 >"$T/swaks2" 2>&1; rc=$?
check "swaks: the retry passes MAIL, the pattern refuses the recipient (exit $rc)" \
    has "$T/swaks2" '<\*\* +550 5.1.1 no such user'
py "$T/delay" $SINK_PORT <<'PYEOF'
import smtplib, sys, threading, time
port = int(sys.argv[1])
s = smtplib.SMTP('127.0.0.1', port, timeout=10); s.ehlo('a')
other = {}
def fast():
    t = time.time(); o = smtplib.SMTP('127.0.0.1', port, timeout=10); o.ehlo('b')
    o.mail('a@b'); o.quit(); other['t'] = time.time() - t
t = time.time(); th = threading.Thread(target=fast); th.start()
code = s.noop()[0]; held = time.time() - t; th.join()
t = time.time(); v = s.verify('bob'); drip = time.time() - t
print("noop", code, "held %.2f" % held, "other %.2f" % other['t'], "vrfy", v[0], "drip %.2f" % drip)
s.quit()
PYEOF
check "smtplib: NOOP held about 1 s" grep -Eq 'noop 250 held (0\.9|1\.)' "$T/delay"
check "another session meanwhile is not held" grep -Eq 'other 0\.[0-4]' "$T/delay"
check "a dripped reply (10 ms per byte) still parses, and takes its time" \
    grep -Eq 'vrfy 252 .*drip 0\.[4-9]' "$T/delay"
check "the transcript names the rule that fired" has "$T/a" '! rule 1 \(RCPT:\*@bounce.test=550 5.1.1 no such user\) at RCPT, 550 instead of 250'
stop_sink

# 2. Connection-level faults.
for f in 'CONNECT=421 4.3.2 not now' 'CONNECT=554 5.7.1 go away' 'DATA=stall' 'DATA=cut 20' \
    'QUIT=drop' 'DOT=close' 'EHLO=delay 0.2 drip 2'; do
	start_sink "$T/b" --reply "$f" --idle-timeout 300 || exit 1
	py "$T/b.py" $SINK_PORT <<'PYEOF'
import smtplib, sys, socket
try:
    s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=2)
    s.ehlo('c')
    s.sendmail('a@b', ['c@d'], b'Subject: x\r\n\r\n' + b'line of text\r\n' * 10)
    print("sent")
    s.quit()
    print("quit ok")
except smtplib.SMTPConnectError as e: print("connect error", e.smtp_code)
except smtplib.SMTPServerDisconnected as e: print("disconnected", e)
except smtplib.SMTPDataError as e: print("data error", e.smtp_code)
except (socket.timeout, TimeoutError): print("timeout")
PYEOF
	case $f in
	CONNECT=421*) want='connect error 421' ;;
	CONNECT=554*) want='connect error 554' ;;
	DATA=stall) want='timed out|^timeout' ;;
	DATA=cut*) want='disconnected Connection unexpectedly closed$' ;;
	QUIT=drop) want='sent' ;;
	DOT=close) want='sent' ;;
	EHLO=*) want='quit ok' ;;
	esac
	check "smtplib against '$f': $(head -c 60 "$T/b.py" | tr '\n' ' ')" grep -Eq "$want" "$T/b.py"
	stop_sink
	case $f in
	DATA=cut*)
		check "after the cut the session closed, and no message was accepted" \
		    sh -c "grep -q 'connection cut inside the message data' '$T/b' &&
		    ! grep -q '# message 1' '$T/b' && grep -q ', 0 messages,' '$T/b.err'" ;;
	esac
done

# 3. Malformed replies, as smtpdbg's own client sees them.
for f in 'NOOP=badmulti' 'NOOP=barelf' 'NOOP=extra'; do
	start_sink "$T/m" --reply "$f" || exit 1
	printf '/expect 220\n/expect 250 NOOP\n/expect 221 QUIT\n' >"$T/m.script"
	run_smtpdbg "$T/m.out" -f "$T/m.script" 127.0.0.1:$SINK_PORT
	case $f in
	*badmulti) want='code|inconsistent'; rc=5 ;;
	*barelf) want='! bare LF line ending'; rc=0 ;;
	*extra) want='unsolicited'; rc=5 ;;
	esac
	check "smtpdbg client against '$f': exit $rc (got $RC), and the transcript names it" \
	    sh -c "[ $RC -eq $rc ] && grep -Eqi '$want' '$T/m.out' '$T/m.out.err'"
	stop_sink
done

# 4. TLS faults.
start_sink "$T/t" --reply 'STARTTLS#1=454 4.7.0 TLS not available' --reply 'STARTTLS#2=tls-abort' \
    --reply 'STARTTLS#3=cert-expired' --reply 'STARTTLS#4=cert-wrongname' || exit 1
swaks --server 127.0.0.1:$SINK_PORT --tls --from a@b --to c@d --timeout 10 >"$T/t1" 2>&1
check "swaks --tls: STARTTLS refused with 454" has "$T/t1" '<\*\* +454 4.7.0 TLS not available'
timeout 10 openssl s_client -starttls smtp -connect 127.0.0.1:$SINK_PORT </dev/null >"$T/t2" 2>&1
check "openssl: the handshake is aborted with an alert" grep -Eqi 'alert handshake failure|handshake failure' "$T/t2"
run_smtpdbg "$T/t3" probe 127.0.0.1:$SINK_PORT
check "smtpdbg probe: the expired certificate is reported (exit $RC)" \
    sh -c "[ $RC = 6 ] && grep -qi 'expired' '$T/t3'"
run_smtpdbg "$T/t4" probe --sni mail.example.org 127.0.0.1:$SINK_PORT
check "smtpdbg probe: the wrong name is reported (exit $RC)" \
    sh -c "[ $RC = 6 ] && grep -q 'wrong-name.smtpdbg.invalid' '$T/t4'"
stop_sink

# 4b. The same faults on the implicit-TLS listener (stage TLS), and drop.
start_sink "$T/i" --tls-listen 127.0.0.1:0 --reply 'TLS#1=tls-abort' --reply 'TLS#2=cert-expired' \
    --reply 'TLS#3=cert-wrongname' --reply 'TLS#4=drop' || exit 1
TP=$(sed -n 's/.*implicit TLS on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/i.err")
timeout 10 openssl s_client -connect 127.0.0.1:$TP </dev/null >"$T/i1" 2>&1
check "implicit TLS, openssl: the handshake is aborted with an alert" \
    grep -Eqi 'alert handshake failure|handshake failure' "$T/i1"
run_smtpdbg "$T/i2" probe --tls 127.0.0.1:$TP
check "implicit TLS, smtpdbg probe: the expired certificate is reported (exit $RC)" \
    sh -c "[ $RC = 6 ] && grep -qi 'expired' '$T/i2'"
timeout 10 gnutls-cli --insecure --port $TP 127.0.0.1 </dev/null >"$T/i3" 2>&1
check "implicit TLS, gnutls-cli: the certificate is for the wrong name" \
    has "$T/i3" 'wrong-name\.smtpdbg\.invalid'
printf 'QUIT\r\n' | timeout 10 openssl s_client -quiet -connect 127.0.0.1:$TP >"$T/i4" 2>&1
check "implicit TLS: the fourth connection is dropped before the handshake" \
    sh -c "! grep -q '^220' '$T/i4'"
printf 'QUIT\r\n' | timeout 10 openssl s_client -quiet -connect 127.0.0.1:$TP >"$T/i5" 2>&1
check "implicit TLS: the fifth gets the greeting over TLS" has "$T/i5" '^220 localhost ESMTP'
check "the transcript names each TLS rule" sh -c "grep -q 'rule 1 (TLS#1=tls-abort) at TLS' '$T/i' && \
    grep -q 'TLS#2=cert-expired) at TLS, an expired certificate' '$T/i' && \
    grep -q 'TLS#4=drop) at TLS, connection dropped before the handshake' '$T/i'"
stop_sink
run_smtpdbg "$T/i6" sink --reply 'TLS=drop' 127.0.0.1:0
check "a TLS rule without --tls-listen is a usage error (exit $RC)" \
    sh -c "[ $RC = 2 ] && grep -q 'needs an implicit-TLS listener' '$T/i6.err'"

# 5. msmtp and curl see per-message refusals.
start_sink "$T/c" --reply 'DOT=554 5.7.1 rejected by rule' --reply 'RCPT:nobody@*=550 5.1.1 unknown' || exit 1
printf 'Subject: t\n\nhi\n' | timeout 10 msmtp --host=127.0.0.1 --port=$SINK_PORT \
    --from=a@example.org nobody@example.org >"$T/msmtp" 2>&1; rc=$?
check "msmtp: the recipient is refused (exit $rc)" sh -c "[ $rc != 0 ] && grep -q '550 5.1.1 unknown' '$T/msmtp'"
printf 'Subject: t\r\n\r\nhi\r\n' >"$T/msg"
timeout 10 curl -s -v smtp://127.0.0.1:$SINK_PORT --mail-from a@example.org \
    --mail-rcpt b@example.org -T "$T/msg" >"$T/curl" 2>&1; rc=$?
check "curl: the message is refused at the end of data (exit $rc)" \
    sh -c "[ $rc != 0 ] && grep -q '554 5.7.1 rejected by rule' '$T/curl'"
stop_sink
check "the summary counts the 4xx/5xx replies" \
    sh -c "[ \$(grep -c '^[0-9:.]* \[[0-9]*\] S: [45][0-9][0-9] ' '$T/c') -ge 2 ] && \
    grep -q \"sink stopped: .* \$(grep -c '^[0-9:.]* \[[0-9]*\] S: [45][0-9][0-9] ' '$T/c') rejects (4xx/5xx replies)\" '$T/c.err'"

# 6. Greylisting and the rate limit, with a rules file.
printf '# greylist and rate\n\nNOOP=250 fine\n' >"$T/rules"
start_sink "$T/g" --rules "$T/rules" --greylist 1 --rate-limit 3/s || exit 1
check "the rules file, greylist and rate limit are listed" \
    sh -c "grep -q 'rule 1: NOOP' '$T/g.err' && grep -q 'greylist' '$T/g.err' && grep -q 'rate limit: connections over 3/s' '$T/g.err'"
py "$T/g.py" $SINK_PORT <<'PYEOF'
import smtplib, sys, time
port = int(sys.argv[1])
def try_once():
    s = smtplib.SMTP('127.0.0.1', port, timeout=5); s.ehlo('g')
    try: s.sendmail('a@b', ['c@d'], b'x\r\n'); r = 'ok'
    except smtplib.SMTPRecipientsRefused as e: r = str(e.recipients['c@d'][0])
    s.quit(); return r
print("first", try_once()); time.sleep(1.2); print("retry", try_once())
codes = []
for i in range(5):
    try: s = smtplib.SMTP('127.0.0.1', port, timeout=5); codes.append(220); s.quit()
    except smtplib.SMTPConnectError as e: codes.append(e.smtp_code)
print("burst", codes)
PYEOF
check "greylist: the first try gets 451" grep -q 'first 451' "$T/g.py"
check "greylist: the retry after the delay is accepted" grep -q 'retry ok' "$T/g.py"
check "rate limit: a burst over 3/s gets 421" grep -q 'burst .*421' "$T/g.py"
stop_sink
start_sink "$T/g2" --rules /nonexistent 2>/dev/null
sleep 0.3
check "a missing rules file is an error" has "$T/g2.err" 'rules: /nonexistent'
printf 'RCPT=bogus\n' >"$T/rules2"
start_sink "$T/g3" --rules "$T/rules2" 2>/dev/null
sleep 0.3
check "a bad rule names its file and line" has "$T/g3.err" "rules2:1: unknown action"

# 7. BDAT: chunks in every place, stored byte for byte; LMTP over a Unix socket.
start_sink "$T/d" --maildir "$T/md" || exit 1
py "$T/d.py" $SINK_PORT <<'PYEOF'
import socket, sys
msg = b'Subject: bdat\r\n\r\n.leading dot\r\nbare\nLF\r\n' + b'x' * 3000 + b'\r\n'
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
f = s.makefile('rb')
def reply():
    lines = []
    while True:
        l = f.readline(); lines.append(l)
        if l[3:4] != b'-': return b''.join(lines)
reply(); s.sendall(b'EHLO x\r\n'); r = reply(); assert b'CHUNKING' in r
for cut in (1, 17, 30, len(msg) - 1):
    s.sendall(b'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n'); reply(); reply()
    a, b = msg[:cut], msg[cut:]
    s.sendall(b'BDAT %d\r\n' % len(a) + a); print(reply().decode().strip())
    s.sendall(b'BDAT %d LAST\r\n' % len(b) + b); print(reply().decode().strip())
s.sendall(b'BDAT 9\r\nQUIT\r\nxyz'); print(reply().decode().strip())
s.sendall(b'QUIT\r\n'); print(reply().decode().strip())
PYEOF
check "BDAT: every split accepted" [ "$(grep -c '250 2.0.0 Ok: queued' "$T/d.py")" = 4 ]
check "BDAT without a transaction: the chunk is discarded, not run" \
    grep -q '503 5.5.1 Error: need MAIL command (chunk discarded)' "$T/d.py"
# A chunk that cannot be skipped: the session ends, its bytes never run.
for bd in 'BDAT 99999999999999999999 LAST' 'BDAT 40000000 LAST' 'BDAT 12x'; do
	$PY - "$SINK_PORT" "$bd" >"$T/bd.out" 2>&1 <<'PYEOF'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
f = s.makefile('rb')
def reply():
    while True:
        l = f.readline()
        if not l or l[3:4] != b'-':
            return l
reply(); s.sendall(b'EHLO c\r\n'); reply()
s.sendall(b'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n'); reply(); reply()
s.sendall(sys.argv[2].encode() + b'\r\nRSET\r\nNOOP\r\nQUIT\r\n')
print(b''.join(f.readlines()).decode().replace('\r\n', '|'))
PYEOF
	case $bd in *40000000*) want='^552 5.3.4 Message size exceeds fixed limit; closing the connection[|]$' ;;
	*) want='^521 5.5.4 Syntax: BDAT size \[LAST\]; closing the connection[|]$' ;; esac
	check "$bd: one reply, then the connection ends; RSET, NOOP, QUIT never run" \
	    grep -Eq "$want" "$T/bd.out"
done
stop_sink
$PY - "$T/md/new" >"$T/d.cmp" 2>&1 <<'PYEOF'
import os, sys
msg = b'Subject: bdat\r\n\r\n.leading dot\r\nbare\nLF\r\n' + b'x' * 3000 + b'\r\n'
fs = os.listdir(sys.argv[1]); ok = 0
for n in fs:
    d = open(os.path.join(sys.argv[1], n), 'rb').read()
    ok += d.endswith(msg)
print(len(fs), ok)
PYEOF
check "BDAT: four messages on disk, byte for byte ($(cat "$T/d.cmp"))" grep -q '^4 4$' "$T/d.cmp"

"$SMTPDBG" sink --lmtp "unix:$T/lmtp.sock" >"$T/l" 2>"$T/l.err" &
pids="$pids $!"; SINK_PID=$!
i=0; while [ ! -S "$T/lmtp.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
py "$T/l.py" "$T/lmtp.sock" <<'PYEOF'
import smtplib, sys
l = smtplib.LMTP(sys.argv[1]); print(l.ehlo('x')[0])
print(l.sendmail('a@b', ['c@d', 'e@f'], b'Subject: lmtp\r\n\r\nhi\r\n'))
l.quit(); print("done")
PYEOF
check "LMTP over a Unix socket: smtplib.LMTP delivers to two recipients" grep -q '^done' "$T/l.py"
check "one reply per recipient after the data" \
    sh -c "[ \$(grep -c 'S: 250 2.0.0 Ok: message discarded' '$T/l') = 2 ]"
check "the listener is named" has "$T/l.err" "listening on unix:$T/lmtp.sock"
stop_sink

# 8. Lint, and --lint-strict.
start_sink "$T/n" --no-ext PIPELINING --lint-strict --exit-after-time 2 || exit 1
py "$T/n.py" $SINK_PORT <<'PYEOF'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.recv(100)
s.sendall(b'HELO x\r\nMAIL FROM: <a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n')
import time; time.sleep(0.3)
s.sendall(b'Subject: \xff\r\nbare\n\r\n.\r\n'); time.sleep(0.3); s.close()
PYEOF
wait "$SINK_PID"; rc=$?
check "lint: one line sums up the session" \
    has "$T/n" 'lint: [0-9]+ findings: .*bare LF.*8-bit data but no BODY=8BITMIME.*PIPELINING was not offered.*closed without QUIT.*space after'
check "--lint-strict: exit 1 (got $rc)" [ "$rc" = 1 ]
check "and says why" has "$T/n.err" 'lint-strict: 1 session had'
done_testing
