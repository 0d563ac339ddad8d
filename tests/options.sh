#!/bin/sh
# options - one option table for parsing, --help, /set and /show: the same
# value is accepted or refused everywhere, wrong options get one line and a
# hint (exit 2) before anything is sent, and --help tells the real defaults.
. "${top_srcdir:-.}/tests/lib.sh"

err1() {	# err1 REGEX ARGS...: exit 2, exactly one line on stderr matching REGEX
	re=$1; shift
	timeout 10 "$SMTPDBG" "$@" </dev/null >"$T/o" 2>"$T/e"; rc=$?
	[ $rc = 2 ] && [ "$(wc -l < "$T/e")" = 1 ] && grep -Eq -- "$re" "$T/e" && [ ! -s "$T/o" ] ||
	    { echo "# rc=$rc"; sed 's/^/# /' "$T/e"; return 1; }
}
check "--server: give HOST[:PORT] as the last argument" err1 'give HOST\[:PORT\] as the last argument' --server mx.example
check "--auth-password: the safe ways" err1 'auth-password-env VAR, --auth-password-file FILE or the prompt' --auth-password x h
check "snk: did you mean sink?" err1 'did you mean smtpdbg sink\?' snk
check "two targets: one line" err1 '"bar" is one too many' foo bar
check "a typo: did you mean" err1 'did you mean --tls-min\?' --tls-mn 1.2 h
check "a sink option given to the client says so" err1 'is a sink option \(smtpdbg sink --maildir\)' --maildir /tmp h
check "probe -f is refused, not ignored" err1 '--file is not a probe option' probe -f x h
check "demo HOST is refused, not ignored" err1 'demo takes no HOST' demo h
check "--tls-priority GARBAGE fails before connecting" err1 'TLS priority "GARBAGE"' --tls-priority GARBAGE 127.0.0.1:9
check "--tlsa with bad hex fails before connecting" err1 "not a hex digit" --tlsa "3 1 1 zz" 127.0.0.1:9
check "--tlsa with a short digest says how long it must be" err1 '32 bytes' --tlsa "3 1 1 abcd" 127.0.0.1:9
check "a bad number names the range" err1 'not a whole number from 1 to 1000000' send --count 0 --to a@b h
check "a bad choice names the choices" err1 'not one of auto, always or never' --color=sometimes
check "a missing argument names it" err1 '--timeout needs SECONDS' --timeout
check "--notify takes only NEVER or SUCCESS,FAILURE,DELAY" err1 'NEVER, or a list of SUCCESS' send --notify 'SUCCESS X=1' --to a@b h
check "--auth-user without a secret and no terminal: exit 2 before connecting" err1 'needs --auth-password-env' --auth-user u 127.0.0.1:9
EMPTY= ; export EMPTY
check "an empty secret is refused" err1 'empty: an empty secret is never sent' --auth-user u --auth-password-env EMPTY 127.0.0.1:9
timeout 10 "$SMTPDBG" send --requiretls --to a@example.org 127.0.0.1:9 </dev/null >/dev/null 2>"$T/al"; rc=$?
check "the old spelling --requiretls is still taken (as --mail-requiretls)" sh -c "[ $rc = 3 ] && ! grep -q 'unknown option' '$T/al'"
"$SMTPDBG" send --help > "$T/h"
check "--chunk-size says it implies --bdat" grep -q -- '--chunk-size BYTES .*implies --bdat' "$T/h"
check "--help lists the new name only" sh -c "grep -q -- '--mail-requiretls' '$T/h' && ! grep -q -- '--requiretls ' '$T/h'"
for st in CONNECT EHLO TLS AUTH MAIL RCPT DATA DOT FIRST-EHLO FIRST-HELO HELO STARTTLS FROM TO; do
	timeout 10 "$SMTPDBG" send --quit-after $st --to a@example.org 127.0.0.1:9 </dev/null >/dev/null 2>&1
	[ $? = 3 ] || echo "# --quit-after $st" >> "$T/stages"
done
check "every --quit-after choice the table offers is a stage send knows" [ ! -s "$T/stages" ]
"$SMTPDBG" sink --help > "$T/h"
check "sink --help: --max-connections defaults to 10000, as it does" has "$T/h" '--max-connections N +concurrent sessions \(10000\)'
"$SMTPDBG" probe --help > "$T/h"
check "probe --help lists probe's options only" sh -c "grep -q -- '--ca-file' '$T/h' && ! grep -q -- '--file' '$T/h' && ! grep -q -- '--maildir' '$T/h'"

# -q failures say what, where and why, in one line.
port=$(free_port)
timeout 10 "$SMTPDBG" send -q --to a@example.org "127.0.0.1:$port" </dev/null 2>"$T/q1" >/dev/null
check "send -q: cannot connect names the target and the reason" \
    grep -q "^smtpdbg: send: cannot connect to 127\.0\.0\.1:$port: Connection refused\$" "$T/q1"
# The command line and /set agree.
start_sink "$T/sink" || exit 1
printf '%s\n' '/set timeout 0.5' '/set data-lines 100000' '/set timeout 0' '/show' \
    '/set keep-going on' '/show keep-going' > "$T/in"
run_smtpdbg "$T/s1" --timeout 0 --data-lines 100000 "127.0.0.1:$SINK_PORT" < "$T/in"
check "--timeout 0 and --data-lines 100000 work, and so do the same /set values (got $RC)" [ "$RC" = 0 ]
check "/show tells them back" sh -c "grep -q '^timeout  *0 (the RFC 5321 times)' '$T/s1' && grep -q '^data-lines  *100000$' '$T/s1' && grep -q '^keep-going  *on$' '$T/s1'"
printf '%s\n' '/expect 250 RCPT TO:<x@example.org>' > "$T/in"
run_smtpdbg "$T/q2" -q -e "127.0.0.1:$SINK_PORT" < "$T/in"
check "-q: a failed /expect quotes the reply" grep -q 'expected 250, got 503 5\.5\.1 Error: need MAIL command' "$T/q2.err"
printf '%s\n' '/set data-lines -2' > "$T/in"
run_smtpdbg "$T/s2" "127.0.0.1:$SINK_PORT" < "$T/in"
check "/set refuses what the command line refuses, in the same words" sh -c "[ $RC = 2 ] && grep -q 'data-lines: \"-2\" is not a whole number from -1 to 1000000000' '$T/s2.err'"
timeout 10 "$SMTPDBG" --data-lines -2 h 2>"$T/e2" </dev/null
check "(the command line's words)" grep -q 'data-lines: "-2" is not a whole number from -1 to 1000000000' "$T/e2"
stop_sink
done_testing
