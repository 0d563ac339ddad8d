#!/bin/sh
# probe_checks - "smtpdbg probe --checks": STARTTLS command injection and
# SMTP smuggling against servers written here to be vulnerable, with
# smtpdbg's own sink (with and without --bare-lf accept) as the oracle of
# a server that is not; relay, plaintext AUTH, VRFY and EXPN.
. "${top_srcdir:-.}/tests/lib.sh"
need certtool
sh "${top_srcdir:-.}/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
P=$T/pki

# A server with both bugs: after STARTTLS it runs what was sent with it
# (CVE-2011-0411), and it reads message data in LF-ended lines, so "."
# alone between LFs (a CR before the LF dropped) ends the data.
cat > "$T/vuln.py" <<'PYEOF'
import socket, ssl, sys, threading
port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], open(sys.argv[4], 'a')
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
def serve(c):
    buf = b''; data = False; msg = b''
    c.sendall(b'220 vuln.test ESMTP\r\n')
    while True:
        while b'\n' not in buf:
            d = c.recv(4096)
            if not d: return
            buf += d
        line, buf = buf.split(b'\n', 1)
        line = line[:-1] if line.endswith(b'\r') else line
        if data:
            if line == b'.':
                data = False; log.write('message %r\n' % msg); log.flush(); msg = b''
                c.sendall(b'250 2.0.0 queued\r\n')
            else:
                msg += line + b'\n'
            continue
        v = line.split(b' ')[0].upper()
        if v in (b'EHLO', b'HELO'):
            c.sendall(b'250-vuln.test\r\n250-PIPELINING\r\n' + (b'' if isinstance(c, ssl.SSLSocket) else b'250-STARTTLS\r\n') + b'250 8BITMIME\r\n')
        elif v == b'STARTTLS':
            c.sendall(b'220 go ahead\r\n')
            c = ctx.wrap_socket(c, server_side=True)   # buf kept: the bug
        elif v == b'DATA':
            data = True; c.sendall(b'354 go ahead\r\n')
        elif v == b'QUIT':
            c.sendall(b'221 bye\r\n'); c.close(); return
        elif v in (b'MAIL', b'RCPT', b'NOOP', b'RSET'):
            c.sendall(b'250 ok\r\n')
        else:
            c.sendall(b'500 what\r\n')
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port)); s.listen(64)
while True:
    c, _ = s.accept()
    threading.Thread(target=lambda: (lambda cc: (serve(cc) if True else None))(c), daemon=True).start()
PYEOF
VP=$(free_port)
$PY "$T/vuln.py" "$VP" "$P/good.pem" "$P/good.key" "$T/vuln.log" 2>"$T/vuln.err" &
pids="$pids $!"
wait_port "$VP"

run_smtpdbg "$T/v" probe --ca-file "$P/ca.pem" --checks all --rcpt victim@vuln.test "localhost:$VP"
check "the vulnerable server: critical, exit 6 (got $RC)" [ "$RC" = 6 ]
check "the smuggling check said it sends mail, before it started" has "$T/v.err" "^smtpdbg: --checks smuggling sends 7 messages to <victim@vuln\\.test>"
check "STARTTLS command injection found" has "$T/v" "^CRITICAL localhost:$VP: STARTTLS command injection: a command sent with STARTTLS ran after the handshake"
check "the smuggling variants that end its data, and only those" has "$T/v" "^CRITICAL localhost:$VP: SMTP smuggling: the data ends at \\\\n\\.\\\\n, \\\\n\\.\\\\r\\\\n, \\\\r\\\\n\\.\\\\n$"
check "an open relay (it takes any RCPT)" has "$T/v" "^CRITICAL localhost:$VP: open relay\\? RCPT TO:<smtpdbg-relay-check@example\\.net> got 250 \\(then RSET: nothing was sent\\)"
check "the server really ended the data early: a message cut at the variant" has "$T/vuln.log" "message .*does the server end the data early\\?\\\\n'"

# smtpdbg's sink: not vulnerable, bare LF refused by default
start_sink "$T/sink" || exit 1
run_smtpdbg "$T/s" probe --no-verify --checks injection,smuggling --rcpt victim@sink.test "127.0.0.1:$SINK_PORT"
check "the sink: not vulnerable (got $RC)" sh -c "grep -q 'note     127.0.0.1:$SINK_PORT: STARTTLS command injection: not vulnerable' '$T/s' && grep -q 'note     127.0.0.1:$SINK_PORT: SMTP smuggling: no variant ended the data; refused: ' '$T/s'"
check "bare LF variants refused at the end of data" has "$T/s" 'refused: \\n\.\\n \(5[0-9][0-9]\)'
stop_sink
start_sink "$T/sink2" --bare-lf accept || exit 1
run_smtpdbg "$T/s2" probe --no-verify --checks smuggling --rcpt victim@sink.test --json "127.0.0.1:$SINK_PORT"
check "the sink with --bare-lf accept: no variant ends the data (got $RC)" $PY -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
c = [e for e in ev if e["event"] == "checks"][0]
assert set(c["checks"]["smuggling"].values()) == {"safe"}, c
' "$T/s2"
check "the checks event and its fields are documented" $PY "${top_srcdir:-.}/tests/jsondoc.py" \
    "${top_srcdir:-.}/man/smtpdbg.md" --need checks,verdict "$T/s2"
check "and it stored every message whole (7 with the NOOP line inside)" sh -c "[ \$(grep -c 'NOOP' '$T/sink2') -ge 7 ]"
stop_sink

# relay refused, AUTH before TLS, VRFY and EXPN with real data
start_sink "$T/sink3" --auth --auth-any-time --reply 'RCPT:*@example.net=550 5.7.1 relaying denied' \
    --reply 'VRFY=250 Postmaster <postmaster@sink.test>' || exit 1
run_smtpdbg "$T/r" probe --no-verify --checks relay,plainauth,vrfy,expn "127.0.0.1:$SINK_PORT"
check "relay refused: a note (got $RC)" has "$T/r" 'relay: RCPT to an outside domain refused \(550\)'
check "AUTH accepted before STARTTLS: a warning" has "$T/r" "^WARNING  127\\.0\\.0\\.1:$SINK_PORT: AUTH is accepted before STARTTLS"
check "VRFY with real data: a warning" has "$T/r" "^WARNING  127\\.0\\.0\\.1:$SINK_PORT: VRFY answers with real data: Postmaster <postmaster@sink\\.test>"
check "warnings only: exit 16 (got $RC)" [ "$RC" = 16 ]
check "the relay check sent RSET, never DATA" sh -c "grep -q 'RSET' '$T/sink3' && ! grep -q 'C: DATA' '$T/sink3'"
stop_sink

start_sink "$T/sink4" --reply 'STARTTLS=454 4.7.0 TLS not available' || exit 1
run_smtpdbg "$T/n" probe --checks injection --timeout 5 "127.0.0.1:$SINK_PORT"
check "STARTTLS refused: the injection check says it could not run, and ends" has "$T/n" 'STARTTLS command injection: not checked \(STARTTLS not offered or refused\)'
stop_sink

run_smtpdbg "$T/u1" probe --checks smuggling "127.0.0.1:$VP"
check "--checks smuggling without --rcpt: a usage error (got $RC)" sh -c "[ $RC = 2 ] && grep -q 'name its recipient' '$T/u1.err'"
run_smtpdbg "$T/u2" probe --checks nosuch "127.0.0.1:$VP"
check "an unknown check: a usage error naming the choices (got $RC)" sh -c "[ $RC = 2 ] && grep -q 'not one of injection, smuggling' '$T/u2.err'"
done_testing
