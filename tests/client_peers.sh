#!/bin/sh
# client_peers - smtpdbg as the client of real servers: Python aiosmtpd
# (message stored in a Maildir and compared byte for byte) and Postfix's
# smtp-sink (with its fault injection).
. "${top_srcdir:-.}/tests/lib.sh"

cat > "$T/txn" <<'EOS'
/expect 220
/expect 250 EHLO client.example
/caps
/expect 250 MAIL FROM:<alice@example.org>
/expect 250 RCPT TO:<bob@example.org>
/expect 354 DATA
Subject: from smtpdbg
Message-ID: <peer-test@smtpdbg.test>

.a line with a leading dot
last line
.
/expect 250
/expect 221 QUIT
EOS

if $PY -c 'import aiosmtpd' 2>/dev/null; then
	port=$(free_port)
	mkdir -p "$T/md/tmp" "$T/md/new" "$T/md/cur"
	$PY -m aiosmtpd -n -l 127.0.0.1:$port -c aiosmtpd.handlers.Mailbox "$T/md" \
		> "$T/aio.log" 2>&1 &
	pids="$pids $!"
	if wait_port "$port"; then
		run_smtpdbg "$T/aio" "127.0.0.1:$port" < "$T/txn"
		check "aiosmtpd: the whole transaction succeeds" [ "$RC" = 0 ]
		check "aiosmtpd: /caps shows its SIZE-less capability table" has "$T/aio" 'PIPELINING|8BITMIME'
		check "aiosmtpd: the message arrived with the dot restored" \
			sh -c "cat '$T'/md/new/* | grep -q '^\.a line with a leading dot'"
		check "aiosmtpd: exactly one message stored" [ "$(ls "$T/md/new" | wc -l)" = 1 ]
		printf '%s\n' '/expect 220' '/raw EHLO x\r\nNOOP\r\n' '/expect 250' 'QUIT' > "$T/in"
		run_smtpdbg "$T/aio2" "127.0.0.1:$port" < "$T/in"
		check "aiosmtpd: two pipelined raw commands, two replies" [ "$RC" = 0 ]
	else
		not_ok "aiosmtpd did not start"; diag "$T/aio.log"
	fi
else
	echo "# aiosmtpd not installed: skipped"
fi

SINK=/usr/sbin/smtp-sink
if [ -x "$SINK" ]; then
	port=$(free_port)
	$SINK -u nobody 127.0.0.1:$port 10 > "$T/ps.log" 2>&1 &
	pids="$pids $!"
	if wait_port "$port"; then
		run_smtpdbg "$T/ps" "127.0.0.1:$port" < "$T/txn"
		check "smtp-sink: the whole transaction succeeds" [ "$RC" = 0 ]
		check "smtp-sink: its capabilities are explained" has "$T/ps" 'authentication with PLAIN LOGIN'
	else
		not_ok "smtp-sink did not start"; diag "$T/ps.log"
	fi
	# Fault injection: RCPT rejected with 5xx, then 421 on MAIL.
	port=$(free_port)
	$SINK -u nobody -f RCPT -Q DATA 127.0.0.1:$port 10 > "$T/ps2.log" 2>&1 &
	pids="$pids $!"
	if wait_port "$port"; then
		run_smtpdbg "$T/ps2" "127.0.0.1:$port" < "$T/txn"
		check "smtp-sink -f RCPT: the expectation fails with exit 1" [ "$RC" = 1 ]
		check "smtp-sink -f RCPT: the error names the reply" has "$T/ps2.err" 'expected 250, got 5[0-9][0-9]'
		printf '%s\n' '/expect 220' 'EHLO x' 'MAIL FROM:<a@b>' '/expect 5xx RCPT TO:<c@d>' \
			'/expect 421 DATA' > "$T/in"
		run_smtpdbg "$T/ps3" "127.0.0.1:$port" < "$T/in"
		check "smtp-sink -Q DATA: 421 and close are handled, exit 0" [ "$RC" = 0 ]
		check "the 421 is in the transcript" has "$T/ps3" 'S: 421 4\.0\.0'
	fi
else
	echo "# postfix smtp-sink not installed: skipped"
fi
[ "$tap_n" -gt 0 ] || skip_all "no server peers installed"
done_testing
