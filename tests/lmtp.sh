#!/bin/sh
# lmtp - the client speaks LMTP (--lmtp, or typing LHLO): one reply per
# accepted recipient after the data, each shown with the recipient it
# answers; send --lmtp exits 13 naming a recipient the message was refused
# for; unix:/path is a target for scripts, send and probe.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"

# A delivery agent that takes the message for one recipient and not the other.
serve lmtp <<'EOS'
send b'220 lmtp.example LMTP ready\r\n'
recv
send b'250-lmtp.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n'
recv
send b'250 2.1.0 ok\r\n'
recv
send b'250 2.1.5 ok\r\n'
recv
send b'250 2.1.5 ok\r\n'
recv
send b'354 go ahead\r\n'
recvdot
send b'250 2.0.0 <bob@example.org> delivered\r\n'
send b'552 5.2.2 <carol@example.org> mailbox full\r\n'
recv
send b'221 bye\r\n'
close
EOS
printf '%s\n' 'LHLO me.example' 'MAIL FROM:<a@example.org>' 'RCPT TO:<bob@example.org>' \
    'RCPT TO:<carol@example.org>' 'DATA' 'Subject: lmtp' '' 'hi' '.' '/expect 552' \
    '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/r1" --json="$T/r1.jsonl" "127.0.0.1:$PORT" < "$T/in"
check "typing LHLO: two replies to the end of data, no violation (got $RC)" [ "$RC" = 0 ]
check "the first is shown with its recipient" has "$T/r1" 'S: 250 2\.0\.0 <bob@example\.org> delivered +<- \. for <bob@example\.org>$'
check "the second too" has "$T/r1" 'S: 552 5\.2\.2 .* +<- \. for <carol@example\.org>$'
check "nothing is called unsolicited" hasnt "$T/r1" 'unsolicited'
check "JSON: each data reply names its recipient" sh -c "grep -c '\"answers\":\"\\.\",\"rcpt\":\"<' '$T/r1.jsonl' | grep -qx 2"

run_smtpdbg "$T/s1" send --lmtp --from a@example.org --to bob@example.org --to carol@example.org \
    "127.0.0.1:$PORT" < /dev/null
check "send --lmtp: a refused recipient is exit 13 (got $RC)" [ "$RC" = 13 ]
check "and the outcome says which" has "$T/s1.err" 'message refused for <carol@example\.org>: 552'
check "send --lmtp says LHLO" has "$T/s1" 'C: LHLO '

# smtpdbg's own sink in LMTP mode on a Unix socket.
"$SMTPDBG" sink --lmtp "unix:$T/lmtp.sock" > "$T/sink" 2>"$T/sink.err" &
pids="$pids $!"
SP=$!
i=0; while [ ! -S "$T/lmtp.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
run_smtpdbg "$T/s2" send --lmtp --from a@example.org --to b@example.org --to c@example.org \
    "unix:$T/lmtp.sock" < /dev/null
check "send --lmtp to unix:/path: exit 0 (got $RC)" [ "$RC" = 0 ]
check "it connected to the socket" has "$T/s2" "connected to unix:$T/lmtp.sock"
check "both recipients' replies were read" sh -c "[ \$(grep -c '<- \\. for <' '$T/s2') = 2 ]"
printf '%s\n' '/expect 250 MAIL FROM:<a@example.org>' '/expect 221 QUIT' > "$T/in2"
run_smtpdbg "$T/s3" --lmtp -e "unix:$T/lmtp.sock" < "$T/in2"
check "a script with --lmtp -e on unix:/path: LHLO, exit 0 (got $RC)" sh -c "[ $RC = 0 ] && grep -q 'C: LHLO ' '$T/s3'"
run_smtpdbg "$T/s4" probe --lmtp --no-verify "unix:$T/lmtp.sock" < /dev/null
check "probe on unix:/path: LHLO, STARTTLS, the summary (got $RC)" \
    sh -c "[ $RC = 0 ] && grep -q '^probe: TLS1' '$T/s4' && grep -q 'C~ LHLO' '$T/s4'"
kill -INT $SP; wait $SP 2>/dev/null
check "the sink took the message" has "$T/sink" '# message 1 from <a@example\.org>'
done_testing
