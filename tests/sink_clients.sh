#!/bin/sh
# sink_clients - real clients against smtpdbg's sink: Python smtplib
# (parallel sessions, pipelining, 8BITMIME, SMTPUTF8), swaks (plain and
# --pipeline, raw data), msmtp and curl.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"
$PY -c 'import smtplib' 2>/dev/null || skip_all "python3 smtplib missing"

start_sink "$T/sink" || exit 1
P=$SINK_PORT

cat > "$T/py.py" <<PYEOF
import smtplib, threading, sys
errors = []
def one(i):
    try:
        s = smtplib.SMTP('127.0.0.1', $P, timeout=10)
        s.ehlo('py%d.example' % i)
        assert s.has_extn('pipelining') and s.has_extn('8bitmime') and s.has_extn('smtputf8')
        assert int(s.esmtp_features['size']) == 36700160
        for k in range(3):
            msg = ('Subject: t%d-%d\r\nMessage-ID: <%d.%d@py>\r\n\r\n.leading\r\nbody\r\n' % (i, k, i, k)).encode()
            r = s.sendmail('from%d@example.org' % i, ['a@example.org', 'b@example.org'], msg)
            assert r == {}, r
        s.sendmail('u@example.org', ['r@example.org'], 'Subject: 8bit\r\n\r\ncaf\u00e9\r\n'.encode(),
                   mail_options=['BODY=8BITMIME'])
        code, _ = s.docmd('MAIL FROM:<x@example.org> BODY=8BITMIME SMTPUTF8')
        assert code == 250, code
        s.send('RCPT TO:<j\u00f6rg@example.org>\r\n'.encode())
        code, _ = s.getreply()
        assert code == 250, code
        s.rset()
        s.quit()
    except Exception as e:
        errors.append(repr(e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(10)]
[t.start() for t in ts]; [t.join() for t in ts]
print('\n'.join(errors)); sys.exit(1 if errors else 0)
PYEOF
check "ten parallel smtplib sessions, 40 messages, all accepted" timeout 30 $PY "$T/py.py"
check "one summary line per message" [ "$(grep -c '# message' "$T/sink")" = 40 ]
check "each session has its own id" has "$T/sink" '\[10\] C: ehlo py[0-9]\.example'
check "dot-unstuffing seen in the transcript" has "$T/sink" 'C: \.\.leading'
check "8-bit data shown as UTF-8, not mangled" has "$T/sink" 'C: café'

if command -v swaks >/dev/null 2>&1; then
	timeout 20 swaks --server 127.0.0.1:$P --from s@example.org --to r@example.org \
		--h-Subject swaks-plain --timeout 5 > "$T/swaks1" 2>&1
	check "swaks: plain session accepted" has "$T/swaks1" '<-  250 2\.0\.0 Ok'
	timeout 20 swaks --server 127.0.0.1:$P --from s@example.org --to r@example.org,q@example.org \
		--pipeline --h-Subject swaks-pipe --timeout 5 > "$T/swaks2" 2>&1
	check "swaks --pipeline: accepted" has "$T/swaks2" '<-  250 2\.0\.0 Ok'
	check "the sink saw the pipelined session's two recipients" has "$T/sink" 'to <r@example.org>,<q@example.org>.*Subject: swaks-pipe'
	# --no-data-fixup sends the bytes as they are, end of data included.
	printf 'Subject: raw\r\n\r\nline\n.\r\nMAIL FROM:<smuggled@x>\r\n.\r\n' > "$T/raw.eml"
	timeout 20 swaks --server 127.0.0.1:$P --from s@example.org --to r@example.org \
		--data @"$T/raw.eml" --no-data-fixup --timeout 5 > "$T/swaks3" 2>&1
	check "swaks raw data with a bare LF before '.': rejected 550, not split" has "$T/swaks3" '<\*\* 550 5\.5\.2'
	check "the sink explains the smuggling attempt" has "$T/sink" 'did NOT end the data'
	check "the smuggled MAIL line was data, never a command" \
		sh -c "grep -A1 'C: MAIL FROM:<smuggled@x>' '$T/sink' | grep -q 'C: \.\$'"
else
	echo "# swaks not installed: skipped its checks"
fi

if command -v msmtp >/dev/null 2>&1; then
	printf 'Subject: via msmtp\n\nhello\n' | timeout 20 msmtp --host=127.0.0.1 --port=$P \
		--tls=off --auth=off -f m@example.org n@example.org > "$T/msmtp" 2>&1
	check "msmtp: message accepted (exit 0)" [ $? = 0 ]
	check "the sink got msmtp's message" has "$T/sink" 'from <m@example.org> to <n@example.org>.*Subject: via msmtp'
fi

if command -v curl >/dev/null 2>&1; then
	printf 'Subject: via curl\r\n\r\nhello\r\n' > "$T/curl.eml"
	timeout 20 curl -s --url smtp://127.0.0.1:$P --mail-from c@example.org \
		--mail-rcpt d@example.org -T "$T/curl.eml" > "$T/curl" 2>&1
	check "curl smtp://: message accepted (exit 0)" [ $? = 0 ]
	check "the sink got curl's message" has "$T/sink" 'from <c@example.org> to <d@example.org>.*Subject: via curl'
fi

stop_sink
check "no session is left open" has "$T/sink.err" 'sink stopped'
done_testing
