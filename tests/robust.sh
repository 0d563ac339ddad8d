#!/bin/sh
# robust - the client against misbehaving servers: every byte shown, every
# problem named, memory bounded, never a crash.
. "${top_srcdir:-.}/tests/lib.sh"

serve drip <<'EOS'
drip b'220 slow\r\n'
recv
drip b'250-mx\r\n250-SIZE 1000\r\n250 8BITMIME\r\n'
recv
send b'221 bye\r\n'
close
EOS
printf '%s\n' '/expect 220' '/expect 250 EHLO x' '/caps' '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/drip" "127.0.0.1:$PORT" < "$T/in"
check "replies dripped one byte at a time are assembled: exit 0" [ "$RC" = 0 ]
check "each line is shown once, whole" [ "$(grep -c 'S: 250-SIZE 1000$' "$T/drip")" = 1 ]
check "the capabilities came through" has "$T/drip" 'messages up to 1000 bytes'

serve esc <<'EOS'
send b'220 \x1b]0;pwned\x07\x1b[2J hi \\ \xff\xc3\xa9\r\n'
recv
send b'250 a\x00b\r\n'
recv
send b'221 bye\r\n'
EOS
printf '%s\n' 'NOOP' 'QUIT' > "$T/in"
run_smtpdbg "$T/esc" "127.0.0.1:$PORT" < "$T/in"
check "terminal escapes from the server are escaped, UTF-8 kept" has "$T/esc" 'S: 220 \\x1B\]0;pwned\\x07\\x1B\[2J hi \\\\ \\xFFé$'
timeout 20 "$SMTPDBG" --color=always "127.0.0.1:$PORT" < "$T/in" > "$T/esc2" 2>&1
check "with colours on, no raw ESC from the peer reaches the terminal" \
	sh -c "! grep -q \"$(printf '\033')\][0-9]\" '$T/esc2' && ! grep -q \"$(printf '\033')\[2J\" '$T/esc2'"
check "a NUL in a reply is escaped and flagged" has "$T/esc" 'S: 250 a\\x00b'
check "a NUL in a reply is a warning (a '!' line), not the end: exit 0 (got $RC)" \
    sh -c "[ $RC = 0 ] && grep -q '! NUL byte' '$T/esc'"

serve flood <<'EOS'
send b'220 hi\r\n'
recv
flood 200000 b'250-never ending line of a reply that does not stop\r\n'
send b'250 end\r\n'
recv
send b'221 bye\r\n'
EOS
printf '%s\n' '/expect 220' 'EHLO x' 'QUIT' > "$T/in"
$PY - "$SMTPDBG" "127.0.0.1:$PORT" "$T/in" "$T/flood" <<'PYEOF'
import resource, subprocess, sys
with open(sys.argv[3]) as i, open(sys.argv[4], "w") as o:
    rc = subprocess.call([sys.argv[1], "--color=never", "--data-lines=0", sys.argv[2]],
                         stdin=i, stdout=subprocess.DEVNULL, stderr=o, timeout=60)
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[4] + ".rss", "w").write("%d %d\n" % (rc, kb))
PYEOF
read rc kb < "$T/flood.rss"
check "a 10 MB never-ending reply is a protocol violation: exit 5 (got $rc)" [ "$rc" = 5 ]
# AddressSanitizer's shadow memory makes RSS meaningless; the bound is
# checked in the plain build.
limit=40000
[ "${SANITIZED:-no}" = yes ] && limit=400000
check "memory stays bounded under it: ${kb} KiB peak (limit $limit)" [ "$kb" -lt "$limit" ]
check "the reason is given" has "$T/flood" 'protocol violation'

serve unsol <<'EOS'
send b'220 hi\r\n250 extra\r\n'
recv
send b'250 ok\r\n'
EOS
printf '%s\n' 'NOOP' > "$T/in"
run_smtpdbg "$T/unsol" --keep-going "127.0.0.1:$PORT" < "$T/in"
check "a reply nobody asked for is named" has "$T/unsol" '! unsolicited reply'

serve partial <<'EOS'
send b'220 hi\r\n'
recv
send b'250 partial'
close
EOS
printf '%s\n' 'NOOP' > "$T/in"
run_smtpdbg "$T/partial" "127.0.0.1:$PORT" < "$T/in"
check "a last line without CRLF is shown" has "$T/partial" 'S: 250 partial$'
check "and explained" has "$T/partial" '! no line terminator before the connection ended'

serve half <<'EOS'
send b'220 hi\r\n'
recv
send b'250 ok\r\n421 4.3.2 going away\r\n'
shutdown
EOS
printf '%s\n' 'NOOP' '/sleep 0.3' > "$T/in"
run_smtpdbg "$T/half" --keep-going "127.0.0.1:$PORT" < "$T/in"
check "after a half-close every byte is still read and shown" has "$T/half" 'S: 421 4\.3\.2 going away'
check "the close is reported" has "$T/half" 'connection closed by server'

serve long <<'EOS'
send b'220 hi\r\n'
recv
send b'250 ' + b'x' * 600 + b'\r\n'
recv
send b'221 bye\r\n'
EOS
printf '%s\n' '/expect 250 NOOP' 'QUIT' > "$T/in"
run_smtpdbg "$T/long" "127.0.0.1:$PORT" < "$T/in"
check "a 606-octet reply line is accepted" [ "$RC" = 0 ]
check "and flagged over the RFC 5321 limit" has "$T/long" '! line longer than the RFC 5321 limit \(606 octets\)'

serve bare <<'EOS'
send b'220 hi\n'
recv
send b'221 bye\r\n'
EOS
printf '%s\n' 'QUIT' > "$T/in"
run_smtpdbg "$T/bare" "127.0.0.1:$PORT" < "$T/in"
check "a bare LF reply ending is shown as \\n" has "$T/bare" 'S: 220 hi\\n$'
check "a bare LF reply ending is a warning (a '!' line), not the end: exit 0 (got $RC)" \
    sh -c "[ $RC = 0 ] && grep -q '! bare LF line ending' '$T/bare'"

# A NUL in the greeting's text is a warning: the server accepts mail, and
# send delivers it (it ended with exit 5 before).
serve nulgreet <<'EOS'
send b'220 mx\x00 ready\r\n'
recv
send b'250-mx\r\n250 8BITMIME\r\n'
recv
send b'250 ok\r\n'
recv
send b'250 ok\r\n'
recv
send b'354 go\r\n'
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
EOS
run_smtpdbg "$T/nulgreet" send --no-pipeline --from a@b.example --to c@d.example --body hi "127.0.0.1:$PORT"
check "send: a NUL in the greeting's text is a warning, the message is delivered (exit $RC)" \
    sh -c "[ $RC = 0 ] && grep -q '! NUL byte' '$T/nulgreet' && grep -q 'S: 250 queued' '$T/nulgreet'"

serve inj <<'EOS'
send b'220 hi\r\n'
recv
send b'500 what\r\n'
EOS
printf '%s\n' 'RCPT TO:<a@b>\r\nDATA' > "$T/in"
run_smtpdbg "$T/inj" "127.0.0.1:$PORT" < "$T/in"
check "a script line is one command: the literal \\r\\n text is sent as text" has "$T/inj" 'C: RCPT TO:<a@b>\\\\r\\\\nDATA'
done_testing
