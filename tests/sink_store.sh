#!/bin/sh
# sink_store - the sink stores durably: Maildir, mbox, .eml; exact bytes;
# generated names; a dropped connection leaves nothing; ENOSPC answers
# 452; a slow fsync delays no other session; SIGTERM lets transactions
# finish; kill -9 under load never loses a message answered 250.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

cat > "$T/send.py" <<'PYEOF'
import smtplib, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = smtplib.SMTP('127.0.0.1', port, timeout=10)
s.ehlo('store.example')
for i in range(n):
    body = (b'Subject: m%d\r\nMessage-ID: <%d@t>\r\n\r\n.leading dot\r\n'
            b'From here\r\n>From there\r\nlast line %d\r\n') % (i, i, i)
    r = s.sendmail('s@example.org', ['../../etc/x@example.org'], body)
    assert r == {}, r
s.quit()
print('sent', n)
PYEOF

start_sink "$T/sink" --maildir "$T/md" --json-sidecar || exit 1
check "Maildir: three messages accepted" sh -c "$PY '$T/send.py' $SINK_PORT 3 | grep -q 'sent 3'"
stop_sink
check "Maildir: three files in new/, three sidecars" [ "$(ls "$T/md/new" | grep -vc json)" = 3 ] 
check "Maildir: nothing left in tmp/" [ -z "$(ls "$T/md/tmp")" ]
check "Maildir: no file anywhere but new/ (the ../../ recipient is data, not a path)" [ -z "$(find "$T" -name 'x@example.org*')" ]
check "Maildir: names are generated (time.M.P.Q.R.host)" sh -c "ls '$T/md/new' | grep -v json | grep -Eq '^[0-9]+\.M[0-9]{6}P[0-9]+Q[0-9]+R[0-9a-f]{16}\.localhost$'"
check "Maildir: exactly the client's bytes after the two added headers, CRLF kept" $PY - "$T/md/new" <<'PYEOF'
import os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith('.json'):
        continue
    b = open(os.path.join(d, f), 'rb').read()
    assert b.startswith(b'Return-Path: <s@example.org>\r\nReceived: from store.example ('), b[:80]
    i = b.index(b'\r\nSubject: ') + 2
    body = b[i:]
    n = int(body.split(b'\r\n')[0][10:])
    want = (b'Subject: m%d\r\nMessage-ID: <%d@t>\r\n\r\n.leading dot\r\n'
            b'From here\r\n>From there\r\nlast line %d\r\n') % (n, n, n)
    assert body == want, (body, want)
    assert b.count(b'Received:') == 1 and b'\n\tfor <../../etc/x@example.org>' in b
PYEOF
check "Maildir: the sidecar is JSON with the envelope" $PY -c "
import json, glob
j = json.load(open(sorted(glob.glob('$T/md/new/*.json'))[0]))
assert j['from'] == 's@example.org' and j['rcpt'] == ['../../etc/x@example.org'] and j['tls'] is False
"
check "Maildir: each sidecar has the session's start and its own transaction, no data" $PY - "$T/md/new" <<'PYEOF'
import json, glob, os, sys
for f in glob.glob(os.path.join(sys.argv[1], '*.json')):
    j = json.load(open(f))
    t = j['transcript']
    body = open(f[:-5], 'rb').read()
    n = int(body.split(b'Subject: m')[1].split(b'\r\n')[0])
    assert any(' S: 220 ' in l for l in t) and any(' C: ehlo store.example' in l for l in t), t
    assert sum(' C: mail FROM:' in l for l in t) == 1, t
    assert any(' S: 354 ' in l for l in t) and j['subject'] == 'm%d' % n, (n, j)
    assert not any(' C: Subject:' in l or ' C: last line' in l for l in t), t
    assert j['session'] == 1 and 'tls_session' not in j
PYEOF
check "Maildir: the transcript names the stored file" has "$T/sink" '\* stored as [0-9]+\.M.*\(fsynced\)'
check "and so does the message summary, with the path" has "$T/sink" "# message [0-9]+ from .*, stored as $T/md/new/[0-9]+\\.M"
check "messages are numbered across the run, not per session" sh -c "grep -c '# message 1 from' '$T/sink' | grep -qx 1"

# The sidecar of a message sent over STARTTLS: the TLS facts, and the
# transcript marks the encrypted lines.
start_sink "$T/sinkt" -q --maildir "$T/mdt" --json-sidecar || exit 1
$PY - $SINK_PORT <<'PYEOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
s.ehlo('tls.example'); s.starttls(context=ctx); s.ehlo('tls.example')
s.sendmail('t@example.org', ['r@example.org'], b'Subject: t\r\n\r\nsecret body\r\n')
s.quit()
PYEOF
stop_sink
check "STARTTLS sidecar (-q): TLS session and SNI, the transcript from the greeting on" $PY - "$T/mdt/new" <<'PYEOF'
import json, glob, os, sys
j = json.load(open(glob.glob(os.path.join(sys.argv[1], '*.json'))[0]))
t = j['transcript']
assert j['tls'] is True and j['tls_session'].startswith('TLS1.'), j
assert any(' S: 220 ' in l for l in t) and any('TLS started' in l for l in t), t
assert any(' C~ MAIL FROM:<t@example.org>' in l.replace('mail', 'MAIL') for l in t), t
assert not any('secret body' in l for l in t), t
PYEOF

start_sink "$T/sink2" --mbox "$T/box" || exit 1
$PY "$T/send.py" $SINK_PORT 2 > /dev/null
stop_sink
check "mbox: two 'From ' separator lines" [ "$(grep -c '^From s@example.org ' "$T/box")" = 2 ]
check "mbox: mboxrd quoting of From and >From lines" sh -c "grep -q '^>From here' '$T/box' && grep -q '^>>From there' '$T/box'"

start_sink "$T/sink3" --eml-dir "$T/eml" || exit 1
$PY "$T/send.py" $SINK_PORT 2 > /dev/null
stop_sink
check "eml: two .eml files and no temporary ones" sh -c "[ \$(ls '$T/eml' | grep -c '\.eml$') = 2 ] && ! ls '$T/eml' | grep -q tmp"

# Pieces handed to the storage worker in 64 KiB batches: lines of three
# octets (a backslash and CRLF, one piece each) and senders of several
# lengths, so that for some of them the pieces end exactly on a batch
# boundary.  Every stored message must be exactly what was sent.
start_sink "$T/sinkb" --maildir "$T/mdb" || exit 1
check "64 KiB hand-over boundaries: six large messages accepted" $PY - $SINK_PORT <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.ehlo('store.example')
for i in range(6):
    body = b'Subject: b%d\r\n\r\n' % i + b'\\\r\n' * (30000 + i * 11000)
    assert s.sendmail('s%s@example.org' % ('x' * i), ['r@example.org'], body) == {}
s.quit()
PYEOF
stop_sink
check "64 KiB hand-over boundaries: each stored message is exactly the one sent" $PY - "$T/mdb/new" <<'PYEOF'
import os, sys
d = sys.argv[1]
seen = set()
for f in os.listdir(d):
    b = open(os.path.join(d, f), 'rb').read()
    i = b.index(b'\r\nSubject: ') + 2
    n = int(b[i + 10:i + 11])
    want = b'Subject: b%d\r\n\r\n' % n + b'\\\r\n' * (30000 + n * 11000)
    assert b[i:] == want, (n, len(b[i:]), len(want))
    seen.add(n)
assert seen == set(range(6)), seen
PYEOF

# A client that vanishes mid-DATA leaves nothing behind.
start_sink "$T/sink4" --maildir "$T/md4" || exit 1
$PY - $SINK_PORT <<'PYEOF'
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
f = s.makefile('rb'); f.readline()
for c in (b'EHLO x', b'MAIL FROM:<a@b>', b'RCPT TO:<c@d>', b'DATA'):
    s.sendall(c + b'\r\n')
    while True:
        l = f.readline()
        if l[3:4] == b' ':
            break
s.sendall(b'Subject: cut\r\n\r\n' + b'x' * 100000)
time.sleep(0.3)
s.close()
PYEOF
sleep 0.3
stop_sink
check "dropped mid-DATA: nothing in new/" [ -z "$(ls "$T/md4/new")" ]
check "dropped mid-DATA: no temporary file left" [ -z "$(ls "$T/md4/tmp")" ]
check "dropped mid-DATA: the transcript says the message was discarded" has "$T/sink4" 'connection closed inside message data: message discarded'

# ENOSPC on a small tmpfs: 452, never 250; the next message still works.
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null; then
	start_sink "$T/sink5" --maildir "$T/small/md" || exit 1
	$PY - $SINK_PORT > "$T/enospc" 2>&1 <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
s.ehlo('x')
try:
    s.sendmail('a@b', ['c@d'], b'Subject: big\r\n\r\n' + (b'y' * 998 + b'\r\n') * 600)
    print('big: accepted')
except smtplib.SMTPDataError as e:
    print('big:', e.smtp_code, e.smtp_error.decode())
print('small:', s.sendmail('a@b', ['c@d'], b'Subject: small\r\n\r\nok\r\n'))
s.quit()
PYEOF
	stop_sink
	check "ENOSPC: the big message gets 452 4.3.1, not 250" has "$T/enospc" '^big: 452 4\.3\.1'
	check "ENOSPC: the sink goes on; a small message is stored" has "$T/enospc" '^small: \{\}'
	check "ENOSPC: the transcript says why" has "$T/sink5" 'storage failed, the message is NOT accepted: writing: No space left on device'
	check "ENOSPC: no partial file in new/ or tmp/" [ "$(ls "$T/small/md/new" | wc -l)" = 1 ] && [ -z "$(ls "$T/small/md/tmp")" ]
	umount "$T/small"
else
	echo "# not root or no tmpfs: ENOSPC test skipped"
fi

# A slow fsync (2 s, injected by strace) delays nobody else.
if command -v strace >/dev/null 2>&1; then
	port=$(free_port)
	strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=2000000 \
		"$SMTPDBG" sink -q --maildir "$T/md6" 127.0.0.1:$port > "$T/sink6" 2>&1 &
	tracer=$!
	pids="$pids $tracer"
	wait_port "$port"
	$PY - $port > "$T/slow" 2>&1 <<'PYEOF'
import smtplib, sys, threading, time
port = int(sys.argv[1])
def slow():
    s = smtplib.SMTP('127.0.0.1', port, timeout=20); s.ehlo('a')
    t = time.time(); s.sendmail('a@b', ['c@d'], b'Subject: slow\r\n\r\nx\r\n')
    print('stored after %.2f s' % (time.time() - t)); s.quit()
th = threading.Thread(target=slow); th.start()
time.sleep(0.3)
s = smtplib.SMTP('127.0.0.1', port, timeout=20)
t = time.time(); s.ehlo('b'); s.noop(); s.mail('x@y'); s.rcpt('z@y'); s.rset()
print('other session: %.3f s' % (time.time() - t)); s.quit(); th.join()
PYEOF
	check "slow fsync: the storing session waits for the disk (about 2 s)" has "$T/slow" 'stored after [2-9]\.'
	check "slow fsync: another session's replies are not delayed (< 0.5 s)" has "$T/slow" 'other session: 0\.[0-4]'
	# Stop the traced sink itself (strace's child); strace then ends.
	kill -INT $(cat /proc/$tracer/task/$tracer/children 2>/dev/null) 2>/dev/null
	wait "$tracer" 2>/dev/null
fi

# SIGTERM: stop accepting, let the message in flight finish, then exit 0.
start_sink "$T/sink7" --maildir "$T/md7" || exit 1
$PY - $SINK_PORT $SINK_PID > "$T/term" 2>&1 <<'PYEOF'
import os, signal, smtplib, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
idle = smtplib.SMTP('127.0.0.1', port, timeout=10); idle.ehlo('idle')
s = smtplib.SMTP('127.0.0.1', port, timeout=10); s.ehlo('busy')
s.mail('a@b'); s.rcpt('c@d'); s.putcmd('data'); print('354:', s.getreply()[0])
s.send(b'Subject: in flight\r\n\r\nhalf')
os.kill(pid, signal.SIGTERM); time.sleep(0.3)
print('idle got:', idle.getreply()[0] if True else '')
try:
    socket.create_connection(('127.0.0.1', port), timeout=1); print('new: accepted')
except OSError:
    print('new: refused')
s.send(b' done\r\n.\r\n'); print('final:', s.getreply()[0])
PYEOF
wait "$SINK_PID"; rc=$?
check "SIGTERM: new connections are refused" has "$T/term" '^new: refused'
check "SIGTERM: an idle session gets 421" has "$T/term" '^idle got: 421'
check "SIGTERM: the message in flight is accepted and stored" sh -c "grep -q '^final: 250' '$T/term' && [ \$(ls '$T/md7/new' | wc -l) = 1 ]"
check "SIGTERM: exit 0 with a summary" sh -c "[ $rc = 0 ] && grep -q 'sink stopped: 2 sessions, 1 message,' '$T/sink7.err'"

# kill -9 under load: every message answered 250 is whole in new/.
cat > "$T/load.py" <<'PYEOF'
import smtplib, sys, threading
port, tag, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
def one(k):
    n = 0
    try:
        s = smtplib.SMTP('127.0.0.1', port, timeout=5); s.ehlo('load')
        while True:
            mid = '%s-%d-%d' % (tag, k, n)
            s.sendmail('a@b', ['c@d'], ('Subject: %s\r\n\r\n' % mid + 'x' * 2000 + '\r\nEND-%s\r\n' % mid).encode())
            with lock:
                with open(out, 'a') as f: f.write(mid + '\n')
            n += 1
    except Exception:
        pass
ts = [threading.Thread(target=one, args=(k,)) for k in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
PYEOF
: > "$T/acked"
round=0
while [ $round -lt 5 ]; do
	port=$(free_port)
	"$SMTPDBG" sink -q --maildir "$T/md8" 127.0.0.1:$port > /dev/null 2>&1 &
	spid=$!
	wait_port "$port"
	$PY "$T/load.py" $port "r$round" "$T/acked" &
	lpid=$!
	sleep 0.$((3 + round))
	kill -9 "$spid"; wait "$spid" 2>/dev/null; wait "$lpid" 2>/dev/null
	round=$((round + 1))
done
check "kill -9 x5: every message answered 250 is in new/, whole" $PY - "$T/md8/new" "$T/acked" <<'PYEOF'
import os, sys
d, acked = sys.argv[1], [l.strip() for l in open(sys.argv[2]) if l.strip()]
stored = {}
for f in os.listdir(d):
    b = open(os.path.join(d, f), 'rb').read()
    mid = b.split(b'Subject: ')[1].split(b'\r\n')[0].decode()
    assert b.endswith(('\r\nEND-%s\r\n' % mid).encode()), 'torn file ' + f
    stored[mid] = f
missing = [a for a in acked if a not in stored]
assert not missing, missing[:5]
assert len(acked) > 20, 'too little load: %d' % len(acked)
print('acked %d, stored %d' % (len(acked), len(stored)))
PYEOF
done_testing
