#!/bin/sh
# send_swaks - "smtpdbg send" as people coming from swaks expect: addresses
# with display names and angle brackets, a real default sender, DSN values
# checked and encoded, --data @FILE edited by --header and --subject,
# attachments summed up instead of dumped, --attach - with a name and type.
. "${top_srcdir:-.}/tests/lib.sh"

start_sink "$T/sink" --eml-dir "$T/eml" || exit 1
S=127.0.0.1:$SINK_PORT
last() { ls -t "$T"/eml/*.eml | head -1; }

run_smtpdbg "$T/a1" send --from '<a@x.example>' --to '<b@y.example>' "$S" < /dev/null
check "--from '<a@x.example>' is MAIL FROM:<a@x.example>, not <<...>> (got $RC)" sh -c \
    "[ $RC = 0 ] && grep -q 'C: MAIL FROM:<a@x\.example>' '$T/a1' && grep -q 'C: RCPT TO:<b@y\.example>' '$T/a1'"
run_smtpdbg "$T/a2" send --from 'Bob Example <b@x.example>' --to 'Doe, Jane <j@y.example>' \
    --to 'Zoë <z@y.example>' "$S" < /dev/null
check "a display name stays out of the envelope (got $RC)" sh -c \
    "[ $RC = 0 ] && grep -q 'C: MAIL FROM:<b@x\.example>' '$T/a2' && grep -q 'C: RCPT TO:<j@y\.example>' '$T/a2'"
check "and goes into the header, quoted when it needs it" sh -c \
    "grep -q '^From: Bob Example <b@x\.example>' '$(last)' && grep -q '\"Doe, Jane\" <j@y\.example>' '$(last)'"
check "a non-ASCII name is RFC 2047-encoded" grep -q '=?UTF-8?B?Wm/Dqw==?= <z@y\.example>' "$(last)"

run_smtpdbg "$T/a3" send --to b@y.example "$S" < /dev/null
check "no --from: MAIL FROM is \$USER@ this host, not <> (got $RC)" sh -c \
    "[ $RC = 0 ] && grep -Eq 'C: MAIL FROM:<[^@<>]+@[^@<>]+>' '$T/a3' && ! grep -q 'MAIL FROM:<>' '$T/a3'"
check "and From: is that address, not <>" sh -c "grep -Eq '^From: [^@<>]+@[^@<>]+' '$(last)'"
run_smtpdbg "$T/a4" send --from '<>' --to b@y.example "$S" < /dev/null
check "--from '<>' is the null sender, asked for (got $RC)" sh -c "[ $RC = 0 ] && grep -q 'C: MAIL FROM:<>' '$T/a4'"

run_smtpdbg "$T/b1" send --to 'not an address' "$S" < /dev/null
check "a malformed recipient is refused before connecting: exit 2 (got $RC)" sh -c \
    "[ $RC = 2 ] && grep -q 'no @domain' '$T/b1.err' && ! grep -q connected '$T/b1'"
run_smtpdbg "$T/b2" send --from '' --to b@y.example "$S" < /dev/null
check "an empty --from is refused: exit 2 (got $RC)" sh -c "[ $RC = 2 ] && grep -q 'an empty address' '$T/b2.err'"
run_smtpdbg "$T/b3" send --force --to 'x y@y.example' "$S" < /dev/null
check "--force sends it anyway" grep -q 'C: RCPT TO:<x y@y\.example>' "$T/b3"

run_smtpdbg "$T/d1" send --to b@y.example --envid 'ENV+ID=42' --ret HDRS "$S" < /dev/null
check "--envid is xtext: ENV+ID=42 goes as ENVID=ENV+2BID+3D42" grep -q 'ENVID=ENV+2BID+3D42' "$T/d1"
run_smtpdbg "$T/d2" send --to b@y.example --ret 'FULL X=1' "$S" < /dev/null
check "--ret takes FULL or HDRS only: exit 2 (got $RC)" [ "$RC" = 2 ]

printf 'From: file@x.example\r\nSubject: old one\r\nX-Fold: a\r\n b\r\n\r\nbody line\r\n' > "$T/msg.eml"
run_smtpdbg "$T/e1" send --to b@y.example --data @"$T/msg.eml" --subject 'new one' \
    --header 'X-Fold: replaced' --header 'X-Added: yes' "$S" < /dev/null
check "--data @FILE with --subject and --header: sent (got $RC)" [ "$RC" = 0 ]
check "the Subject is replaced" sh -c "grep -q '^Subject: new one' '$(last)' && ! grep -q 'old one' '$(last)'"
check "a folded header is replaced whole" sh -c "grep -q '^X-Fold: replaced' '$(last)' && ! grep -q '^ b' '$(last)'"
check "a new header is added to the header block" sh -c "sed -n '1,/^\r\$/p' '$(last)' | grep -q '^X-Added: yes'"
run_smtpdbg "$T/e2" send --to b@y.example --data @"$T/msg.eml" --attach "$T/msg.eml" "$S" < /dev/null
check "--data with --attach is refused, not dropped: exit 2 (got $RC)" sh -c "[ $RC = 2 ] && grep -q 'would be' '$T/e2.err'"

head -c 30000 /dev/urandom > "$T/blob.bin"
run_smtpdbg "$T/f1" send --to b@y.example --attach "$T/blob.bin" "$S" < /dev/null
check "an attachment: one summary line (got $RC)" sh -c \
    "[ $RC = 0 ] && grep -q 'attachment 1: .*blob\.bin, application/octet-stream, 30000 bytes' '$T/f1'"
check "not its base64 line by line" sh -c "[ \$(grep -Ec 'C: [A-Za-z0-9+/]{76}\$' '$T/f1') = 0 ]"
check "the transcript says how many lines it did not show" grep -q 'more data lines sent, not shown' "$T/f1"
run_smtpdbg "$T/f2" send --to b@y.example --attach "$T/blob.bin" --data-lines -1 "$S" < /dev/null
check "--data-lines -1 shows them" sh -c "[ \$(grep -Ec 'C: [A-Za-z0-9+/]{76}\$' '$T/f2') -gt 100 ]"
printf 'a,b\n1,2\n' | run_smtpdbg "$T/f3" send --to b@y.example --attach-name data.csv \
    --attach-type text/csv --attach - "$S"
check "--attach - reads standard input, with --attach-name and --attach-type (got $RC)" sh -c \
    "[ $RC = 0 ] && grep -q 'Content-Type: text/csv; name=\"data.csv\"' '$(last)' && grep -q 'YSxiCjEsMgo=' '$(last)'"
stop_sink
done_testing
