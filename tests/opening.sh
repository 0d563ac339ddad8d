#!/bin/sh
# opening - the one opening sequence (greeting, EHLO or HELO, STARTTLS,
# verification, EHLO again, AUTH) as scripts, send and probe see it: the
# same event gives the same words and exit code in each, /expect checks
# the reply to the line's own command, and a failure still says QUIT when
# the server can hear it.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

start_sink "$T/sink" || exit 1
S=127.0.0.1:$SINK_PORT

# /expect checks what the line sent, not the EHLO smtpdbg adds after TLS.
printf '%s\n' '/expect 220 STARTTLS' '/expect 250 MAIL FROM:<a@example.org>' \
	'/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/st" -e --no-verify "$S" < "$T/in"
check "/expect 220 STARTTLS passes, then the session goes on inside TLS (got $RC)" [ "$RC" = 0 ]
check "the EHLO after STARTTLS was sent (encrypted) before MAIL" sh -c \
    "grep -E 'C[:~] (EHLO|MAIL)' '$T/st' | cut -c21- | tr '\n' ' ' | grep -q 'C: EHLO .* C~ EHLO .* C~ MAIL'"
printf '%s\n' '/expect 250 STARTTLS' > "$T/in"
run_smtpdbg "$T/st2" -e --no-verify "$S" < "$T/in"
check "/expect 250 STARTTLS fails: its reply was 220 (got $RC)" [ "$RC" = 1 ]
check "and says so" has "$T/st2.err" 'expected 250, got 220'
check "a failed script still says QUIT, inside TLS" has "$T/st2" 'C~ QUIT$'

stop_sink
start_sink "$T/sink2" --no-ext STARTTLS || exit 1
S=127.0.0.1:$SINK_PORT
printf '%s\n' '/expect 250 MAIL FROM:<a@example.org>' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/nos" -s "$S" < "$T/in"
check "-s without STARTTLS offered: the session goes on in plaintext (got $RC)" [ "$RC" = 0 ]
check "it says STARTTLS is not offered" has "$T/nos" 'does not offer STARTTLS: this session stays in PLAINTEXT'
check "and never that STARTTLS was refused" hasnt "$T/nos" 'STARTTLS refused'
run_smtpdbg "$T/req" -s --no-plaintext "$S" < "$T/in"
check "--no-plaintext without STARTTLS: exit 6 (got $RC)" [ "$RC" = 6 ]
check "the reason" has "$T/req.err" 'does not offer STARTTLS \(TLS is required'
check "QUIT is still said" has "$T/req" 'C: QUIT$'
check "and nothing else after EHLO" hasnt "$T/req" 'C: (MAIL|STARTTLS)'

run_smtpdbg "$T/p1" probe "$S" < /dev/null
check "probe without STARTTLS: exit 6 (got $RC)" [ "$RC" = 6 ]
check "probe: a summary line that says why" has "$T/p1" '^probe: no TLS session \(the server does not offer STARTTLS'
check "probe: it ends with QUIT" has "$T/p1" 'C: QUIT$'
check "probe: nothing about an option nobody gave" hasnt "$T/p1.err" 'tls-required'

run_smtpdbg "$T/s1" send --from a@example.org --to b@example.org -s --quit-after TLS "$S" < /dev/null
check "send --quit-after TLS when no TLS was possible: stops before MAIL (got $RC)" [ "$RC" = 0 ]
check "no MAIL was sent" hasnt "$T/s1" 'C: MAIL'
run_smtpdbg "$T/s2" send --from a@example.org --to b@example.org --quit-after FIRST-EHLO "$S" < /dev/null
check "--quit-after takes swaks' stage names (FIRST-EHLO)" sh -c "[ $RC = 0 ] && grep -q 'C: QUIT' '$T/s2' && ! grep -q 'C: MAIL' '$T/s2'"
stop_sink

# Verification fails: probe finishes inside TLS (QUIT, no EHLO), exit 6.
need certtool
sh "${top_srcdir:-.}/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
start_sink "$T/sink3" --cert "$T/pki/good.pem" --key "$T/pki/good.key" || exit 1
run_smtpdbg "$T/p2" probe "localhost:$SINK_PORT" < /dev/null
check "probe, untrusted chain: exit 6 (got $RC)" [ "$RC" = 6 ]
check "probe: QUIT inside TLS" has "$T/p2" 'C~ QUIT$'
check "probe: no EHLO sent to a server it does not trust" hasnt "$T/p2" 'C~ EHLO'
check "probe: the QUIT was answered" has "$T/p2" 'S~ 221'
run_smtpdbg "$T/p3" probe --ca-file "$T/pki/ca.pem" "localhost:$SINK_PORT" < /dev/null
check "probe, trusted: exit 0 with a summary in words (got $RC)" sh -c "[ $RC = 0 ] && grep -Eq '^probe: .*leaf expires in [0-9]+ days\$' '$T/p3'"
stop_sink

# EHLO refused with 5xx: HELO, in scripts as in send.
serve helo <<'EOS'
send b'220 old.example ESMTP\r\n'
recv
send b'502 5.5.2 EHLO not understood\r\n'
recv
send b'250 old.example\r\n'
recv
send b'221 bye\r\n'
close
EOS
printf '%s\n' '/expect 250' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/h1" -e "127.0.0.1:$PORT" < "$T/in"
check "script: EHLO 502 falls back to HELO (got $RC)" [ "$RC" = 0 ]
check "the fallback is shown" has "$T/h1" 'EHLO refused: trying HELO'

# EHLO refused with 4xx: "try later" differs from "refused" in the exit code.
serve temp <<'EOS'
send b'220 busy.example ESMTP\r\n'
recv
send b'451 4.3.2 try again later\r\n'
recv
send b'221 bye\r\n'
close
EOS
run_smtpdbg "$T/t1" send --from a@example.org --to b@example.org "127.0.0.1:$PORT" < /dev/null
check "send: EHLO 451 is exit 19, not 9 (got $RC)" [ "$RC" = 19 ]
check "the reply is in the reason" has "$T/t1.err" 'EHLO refused: 451 4\.3\.2 try again later'
check "QUIT after the refusal" has "$T/t1" 'C: QUIT$'

# /caps: deployed keywords have meanings; a long parameter list wraps.
serve caps <<'EOS'
send b'220 exim.example ESMTP\r\n'
recv
send b'250-exim.example\r\n250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-256-PLUS XOAUTH2 OAUTHBEARER\r\n250-PRDR\r\n250-PIPECONNECT\r\n250 SIZE 1000\r\n'
recv
send b'221 bye\r\n'
close
EOS
printf '%s\n' '/caps' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/k1" -e "127.0.0.1:$PORT" < "$T/in"
check "/caps explains PRDR and PIPECONNECT" sh -c "grep -q 'PRDR .*per-recipient' '$T/k1' && grep -q 'PIPECONNECT .*pipeline EHLO' '$T/k1'"
check "/caps wraps AUTH's long list: the meaning stays on the first line" sh -c \
    "grep -q '^  AUTH  *PLAIN LOGIN CRAM-MD5  *authentication' '$T/k1' && grep -Eq '^ {23}.*OAUTHBEARER *\$' '$T/k1'"

# No greeting: probe waits a short time, exit 3, hint about implicit TLS.
serve silent <<'EOS'
sleep 30
EOS
run_smtpdbg "$T/g1" probe --timeout 0.5 "127.0.0.1:$PORT" < /dev/null
check "probe of a port that never greets: exit 3 (got $RC)" [ "$RC" = 3 ]
check "with the hint" has "$T/g1.err" 'no greeting from .* within 0\.5 s; an implicit-TLS port .* try --tls'
done_testing
