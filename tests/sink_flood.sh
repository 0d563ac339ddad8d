#!/bin/sh
# sink_flood - the sink's memory stays bounded while clients flood it with
# huge command lines, huge messages and never-ending data, other sessions
# are still served meanwhile, and Postfix's smtp-source (a real bulk
# client) gets every message accepted.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

start_sink "$T/f" -q --max-size 1000000 --max-line 1000 || exit 1
timeout 300 $PY - $SINK_PORT >"$T/flood.py" 2>&1 <<'PYEOF'
import socket, sys, threading, time, smtplib
port = int(sys.argv[1])
MB = 1024 * 1024
def line_flood():
    s = socket.create_connection(('127.0.0.1', port)); s.recv(100)
    chunk = b'A' * MB
    for i in range(64): s.sendall(chunk)          # one 64 MB line, no LF
    s.sendall(b'\r\nNOOP\r\n'); s.settimeout(120)
    data = b''
    while b'250 2.0.0 Ok' not in data: data += s.recv(4096)
    print("line flood:", b'500 5.5.2' in data and "500 then NOOP ok" or data[:200])
def data_flood():
    s = socket.create_connection(('127.0.0.1', port)); f = s.makefile('rb'); f.readline()
    s.sendall(b'HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n')
    for i in range(4): f.readline()
    line = b'x' * 998 + b'\r\n'
    block = line * 1024
    for i in range(64): s.sendall(block)          # a 64 MB message
    s.sendall(b'.\r\nQUIT\r\n')
    print("data flood:", f.readline().decode().strip())
def endless():
    s = socket.create_connection(('127.0.0.1', port)); f = s.makefile('rb'); f.readline()
    s.sendall(b'HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n')
    for i in range(4): f.readline()
    chunk = b'y' * MB
    for i in range(64): s.sendall(chunk)          # 64 MB data line, never ends
    s.close(); print("endless: closed")
ts = [threading.Thread(target=f) for f in (line_flood, data_flood, endless)]
for t in ts: t.start()
time.sleep(0.5)
t0 = time.time()
c = smtplib.SMTP('127.0.0.1', port, timeout=10); c.ehlo('probe')
c.sendmail('p@q', ['r@s'], b'Subject: meanwhile\r\n\r\nhi\r\n'); c.quit()
print("meanwhile: %.2f s" % (time.time() - t0))
for t in ts: t.join()
PYEOF
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$SINK_PID/status)
check "a 64 MB command line: 500, then the next command runs" grep -q 'line flood: 500 then NOOP ok' "$T/flood.py"
grep -q 'line flood: 500 then NOOP ok' "$T/flood.py" || diag "$T/flood.py"
check "a 64 MB message over --max-size: read to its end, then 552" grep -q 'data flood: 552 5.3.4' "$T/flood.py"
check "a never-ending data line: the session just ends" grep -q 'endless: closed' "$T/flood.py"
check "another session is served meanwhile ($(grep meanwhile "$T/flood.py"))" \
    grep -Eq 'meanwhile: [0-4]\.' "$T/flood.py"
limit=40000
[ "${SANITIZED:-no}" = yes ] && limit=400000
check "the sink's peak memory stays bounded under 192 MB of floods: ${hwm} KiB (limit $limit)" \
    [ "${hwm:-999999}" -lt "$limit" ]
stop_sink

# Slow clients: bytes keep coming, but a command or a message takes too long.
start_sink "$T/t" --command-timeout 1 --data-timeout 2 --idle-timeout 60 || exit 1
timeout 20 $PY - $SINK_PORT >"$T/slow.py" 2>&1 <<'PYEOF'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(('127.0.0.1', port)); s.recv(100); t = time.time()
for c in b'NOOP':
    s.sendall(bytes([c])); time.sleep(0.4)
print("command", s.recv(200).decode().strip(), "%.1f" % (time.time() - t))
s = socket.create_connection(('127.0.0.1', port)); f = s.makefile('rb'); f.readline()
s.sendall(b'HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n')
for i in range(4): f.readline()
t = time.time(); s.settimeout(0.3)
while True:
    s.sendall(b'line\r\n')
    try:
        d = s.recv(200)
        print("data", d.decode().strip(), "%.1f" % (time.time() - t)); break
    except socket.timeout: pass
PYEOF
check "a command line dripped a byte at a time: 421 4.4.2 after --command-timeout" \
    grep -Eq 'command 421 4.4.2 .* 1\.[0-9]' "$T/slow.py"
check "a message trickling in: 421 4.4.2 after --data-timeout" \
    grep -Eq 'data 421 4.4.2 .* (1\.[6-9]|2\.[0-4])' "$T/slow.py"
check "the transcript says which" has "$T/t" 'the message data did not arrive within 2 s'
stop_sink

# Runs of plain data lines take a faster path through the engine and the
# transcript: it must print exactly what the line-by-line path prints.
$PY - "$T/mixed.eml" <<'PYEOF'
import random, sys
random.seed(5)
out = []
for i in range(3000):
    r = random.random()
    if r < 0.05: out.append('.' + 'x' * random.randint(0, 50))
    elif r < 0.08: out.append('back\\slash%d' % i)
    elif r < 0.10: out.append('tab\there')
    elif r < 0.12: out.append('\u00e9 utf8')
    elif r < 0.13: out.append('y' * 1200)
    else: out.append(''.join(random.choice('abc def:;<>()[]{}!?.,=+-_*&^%$#@~`|/')
                             for _ in range(random.randint(0, 90))))
open(sys.argv[1], 'w').write('Subject: eq\n\n' + '\n'.join(out) + '\n')
PYEOF
for mode in fast slow; do
	if [ $mode = fast ]; then extra=; else extra="--data-lines 1000000"; fi
	start_sink "$T/$mode" --bare-lf accept $extra || exit 1
	run_smtpdbg "$T/$mode.send" send -q --from a@b.example --to c@d.example --data @"$T/mixed.eml" 127.0.0.1:$SINK_PORT
	stop_sink
	cut -c14- "$T/$mode" | grep -v 'connection from\|queued\|message 1 from' >"$T/$mode.cut"
done
check "plain lines in runs print the same transcript as line by line ($(wc -l < "$T/fast.cut") lines)" \
    cmp -s "$T/fast.cut" "$T/slow.cut"

if [ -x /usr/sbin/smtp-source ]; then
	start_sink "$T/s" -q --maildir "$T/md" || exit 1
	timeout 60 /usr/sbin/smtp-source -s 5 -m 200 -l 2000 -f a@example.org -t b@example.org \
	    -c 127.0.0.1:$SINK_PORT >"$T/src" 2>&1; rc=$?
	check "smtp-source: 200 messages over 5 sessions (exit $rc)" [ "$rc" = 0 ]
	stop_sink
	check "all 200 are in the Maildir" [ "$(ls "$T/md/new" | wc -l)" = 200 ]
	check "the sink's summary counts them" has "$T/s.err" '200 messages'
else
	echo "# smtp-source not installed: skipped"
fi
done_testing
