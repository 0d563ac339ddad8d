#!/bin/sh
# proxy_faults - smtpdbg proxy when something goes wrong, on either leg or
# on purpose: an upstream 421, a silent upstream (--timeout), an upstream
# that half-closes, a certificate that fails, an idle client; the sink's
# rules in the middle (delay, drop, cut, tls-abort); and the other ways
# in and out (implicit TLS on both legs, a Unix-domain upstream).
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY" certtool
sh "$top_srcdir/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
CA=$T/pki/ca.pem

msg() { run_smtpdbg "$1" send --from a@example.org --to b@example.org --body x "$2"; }

# --- an upstream 421 in the middle reaches the client, both legs close
serve s421 <<'EOF'
send b'220 up.test ESMTP\r\n'
recv
send b'250 up.test\r\n'
recv
send b'421 4.3.2 shutting down\r\n'
close
EOF
start_proxy "$T/p1" 127.0.0.1:$PORT || exit 1
msg "$T/c1" 127.0.0.1:$PX_PORT
check "the upstream's 421 reached the client as it was" has "$T/c1" 'S: 421 4\.3\.2 shutting down'
check "the proxy says both connections close" has "$T/p1" 'the upstream said 421: both connections close'
stop_proxy

# --- a silent upstream: --timeout, then 421 4.4.2
serve silent <<'EOF'
send b'220 up.test ESMTP\r\n'
recv
send b'250 up.test\r\n'
recv
sleep 5
EOF
start_proxy "$T/p2" 127.0.0.1:$PORT --timeout 0.5 || exit 1
msg "$T/c2" 127.0.0.1:$PX_PORT
check "an upstream that does not answer: 421 4.4.2 after --timeout" has "$T/c2" '421 4\.4\.2 smtpdbg proxy: the upstream did not answer within 0\.5 s'
stop_proxy

# --- an upstream that half-closes after its greeting
serve half <<'EOF'
send b'220 up.test ESMTP\r\n'
shutdown
EOF
start_proxy "$T/p3" 127.0.0.1:$PORT || exit 1
msg "$T/c3" 127.0.0.1:$PX_PORT
check "the upstream's end of input: the client gets 421 4.4.2, not silence" has "$T/c3" '421 4\.4\.2 smtpdbg proxy: the upstream closed the connection'
check "the transcript says where the upstream's input ended" has "$T/p3" 'end of input from the upstream'
stop_proxy

# --- the upstream's certificate fails: 421 4.7.0 with the reason
start_sink "$T/sink" --cert "$T/pki/expired.pem" --key "$T/pki/expired.key" \
    --tls-listen 127.0.0.1:0 --maildir "$T/md" || exit 1
UP=127.0.0.1:$SINK_PORT
start_proxy "$T/p4" "localhost:$SINK_PORT" --ca-file "$CA" --upstream-tls starttls || exit 1
msg "$T/c4" 127.0.0.1:$PX_PORT
check "an expired upstream certificate: 421 4.7.0 and why" has "$T/c4" '421 4\.7\.0 smtpdbg proxy: TLS with the upstream failed: .*expired'
check "the verdicts are in the proxy's transcript" has "$T/p4" 'upstream   validity  FAIL'
stop_proxy

# --- implicit TLS on both legs: --tls-listen towards the client, smtps:// upstream
TLSPORT=$(sed -n 's/.*implicit TLS on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sink.err")
TP=$(free_port)
start_proxy "$T/p5" "smtps://localhost:$TLSPORT" --no-verify --tls-listen 127.0.0.1:$TP \
    --cert "$T/pki/good.pem" --key "$T/pki/good.key" || exit 1
run_smtpdbg "$T/c5" send --tls --ca-file "$CA" --from a@example.org --to b@example.org --body implicit "localhost:$TP"
check "implicit TLS to the proxy, implicit TLS to the upstream: exit 0 (got $RC)" [ "$RC" = 0 ]
check "both legs encrypted from the first byte" has "$T/p5" 'U~>C~ 220 '
check "--no-verify: the failed verdict is said, the session goes on" has "$T/p5" 'fails verification, relayed anyway'
stop_proxy

# --- a Unix-domain upstream
start_sink "$T/usink" --maildir "$T/umd" || exit 1
stop_sink
"$SMTPDBG" sink --maildir "$T/umd" "unix:$T/sink.sock" >"$T/usink" 2>"$T/usink.err" &
pids="$pids $!"
SINK_PID=$!
i=0; while [ $i -lt 100 ] && [ ! -S "$T/sink.sock" ]; do sleep 0.05; i=$((i + 1)); done
start_proxy "$T/p6" "unix:$T/sink.sock" --mbox "$T/copy.mbox" || exit 1
msg "$T/c6" 127.0.0.1:$PX_PORT
check "a Unix-domain upstream: the message went through (exit $RC)" [ "$RC" = 0 ]
check "the sink behind the socket stored it" sh -c "[ \$(ls '$T/umd/new' | wc -l) = 1 ]"
stop_proxy
check "--mbox: the proxy's copy, with its From line" grep -q '^From a@example.org ' "$T/copy.mbox"
stop_sink

# --- rules in the middle: delay, drop, cut, tls-abort
start_sink "$T/rsink" --maildir "$T/rmd" || exit 1
UP=127.0.0.1:$SINK_PORT
start_proxy "$T/p7" "$UP" --reply 'MAIL=delay 0.4' || exit 1
msg "$T/c7" 127.0.0.1:$PX_PORT
check "delay: the message still goes through (exit $RC)" [ "$RC" = 0 ]
check "delay: the rule is named, held 0.4 s" has "$T/p7" 'at MAIL, on the upstream.s 250, held 0\.4 s'
check "delay: the client waited for it" $PY - "$T/c7" <<'PYEOF'
import re, sys
for l in open(sys.argv[1]):
    m = re.match(r'\s*[0-9.]+\s+([0-9.]+) S: 250 2\.1\.0', l)
    if m:
        sys.exit(0 if float(m.group(1)) >= 390 else 1)
sys.exit(1)
PYEOF
stop_proxy
start_proxy "$T/p8" "$UP" --reply 'RCPT=drop' || exit 1
msg "$T/c8" 127.0.0.1:$PX_PORT
check "drop at RCPT: the client lost its connection without a reply (exit $RC)" [ "$RC" != 0 ]
check "the proxy ended the upstream session with QUIT" has "$T/p8" 'P->U: QUIT'
stop_proxy
n0=$(ls "$T/rmd/new" 2>/dev/null | wc -l)
start_proxy "$T/p9" "$UP" --reply 'DATA=cut 10' || exit 1
run_smtpdbg "$T/c9" send --from a@example.org --to b@example.org --body 'a body longer than ten bytes' 127.0.0.1:$PX_PORT
check "cut: the client is cut off inside the data (exit $RC)" [ "$RC" != 0 ]
check "cut: both connections close, the upstream keeps no message" has "$T/p9" 'the data is cut here'
check "cut: nothing stored upstream" [ "$(ls "$T/rmd/new" 2>/dev/null | wc -l)" = "$n0" ]
stop_proxy
start_proxy "$T/p10" "$UP" --upstream-tls none --reply 'STARTTLS=tls-abort' || exit 1
run_smtpdbg "$T/c10" send --starttls --no-verify --from a@example.org --to b@example.org --body x 127.0.0.1:$PX_PORT
check "tls-abort towards the client: its handshake fails (exit $RC)" [ "$RC" = 6 ]
check "the proxy says it aborted on purpose" has "$T/p10" 'aborted on purpose'
stop_proxy

start_proxy "$T/p12" "$UP" --reply 'CONNECT=drip 2' --reply 'RCPT=stall' || exit 1
run_smtpdbg "$T/c12" send --timeout 1 --from a@example.org --to b@example.org --body x 127.0.0.1:$PX_PORT
check "drip: the greeting came a byte at a time, whole" has "$T/c12" 'S: 220 localhost ESMTP smtpdbg sink'
check "stall at RCPT: no reply, send fails at RCPT (exit $RC)" [ "$RC" = 11 ]
check "the proxy names the stall" has "$T/p12" 'no reply and nothing more read from the client \(rule: stall\)'
stop_proxy

# --- an idle client: 421 4.4.2, and QUIT upstream
start_proxy "$T/p11" "$UP" --idle-timeout 1 || exit 1
$PY - "$PX_PORT" >"$T/c11" <<'PYEOF'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
got = b''
while b'421' not in got:
    d = s.recv(4096)
    if not d:
        break
    got += d
print(got.decode())
PYEOF
check "an idle client: 421 4.4.2 from the proxy" has "$T/c11" '421 4\.4\.2 smtpdbg proxy: the client was idle too long'
check "and the upstream session ended with QUIT" has "$T/p11" 'P->U: QUIT'
stop_proxy

# --- a client that trickles: a command line, then the data, too slow
start_proxy "$T/p13" "$UP" --command-timeout 1 --data-timeout 2 --idle-timeout 30 || exit 1
$PY - "$PX_PORT" >"$T/c13" <<'PYEOF'
import socket, sys, time
def session(steps):
    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=15)
    got = b''
    def until(w):
        nonlocal got
        while w not in got:
            d = s.recv(4096)
            if not d:
                return
            got += d
    until(b'220 ')
    for send, wait in steps:
        s.sendall(send)
        if wait:
            until(wait)
    # a byte now and then, never a whole line (or never the end of the data)
    t0 = time.monotonic()
    while b'421' not in got and time.monotonic() - t0 < 12:
        s.sendall(b'x')
        s.settimeout(0.3)
        try:
            d = s.recv(4096)
            if not d:
                break
            got += d
        except socket.timeout:
            pass
    print('%.1f' % (time.monotonic() - t0), got.decode().replace('\r\n', '|'))
session([(b'EHLO t\r\nMAIL FROM:<a@b.example', None)])
session([(b'EHLO t\r\n', b'250 '), (b'MAIL FROM:<a@b.example>\r\n', b'250 '),
         (b'RCPT TO:<c@d.example>\r\n', b'250 '), (b'DATA\r\n', b'354 '), (b'Subject: t\r\n', None)])
PYEOF
check "a command line that never ends: 421 4.4.2 after --command-timeout, though bytes keep coming" \
    grep -q '421 4\.4\.2 smtpdbg proxy: the command line did not arrive within 1 s' "$T/c13"
check "message data that never ends: 421 4.4.2 after --data-timeout" \
    grep -q '421 4\.4\.2 smtpdbg proxy: the message data did not arrive within 2 s' "$T/c13"
check "the proxy's transcript says why it closed" has "$T/p13" 'the message data did not arrive within 2 s: closing'
stop_proxy
stop_sink
check "the sink behind the proxy stored nothing of the cut message" $PY -c "
import os, sys
for d, _, fs in os.walk('$T/rmd'):
    for f in fs:
        lines = open(os.path.join(d, f), 'rb').read().splitlines()
        assert b'Subject: t' not in [l.rstrip(b'\\r') for l in lines], f"
check "... though it saw its first line go by" has "$T/rsink" 'Subject: t'
done_testing
