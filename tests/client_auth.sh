#!/bin/sh
# client_auth - smtpdbg's AUTH against aiosmtpd (an authenticator written
# here) and against its own sink: every mechanism, the choice of mechanism,
# wrong secrets (exit 8), no credentials without TLS (exit 6), /auth in a
# script, and no secret in any output.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed"
export PW='pa55-w0rd!'
printf '%s\n' "$PW" >"$T/pwfile"

# aiosmtpd with PLAIN and LOGIN, in the clear (auth_require_tls=False).
port=$(free_port)
cat >"$T/aio.py" <<'PYEOF'
import asyncio, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
class H:
    async def handle_DATA(self, server, session, envelope): return '250 OK'
def auth(server, session, envelope, mechanism, data):
    ok = data.login == b'alice' and data.password == b'pa55-w0rd!'
    return AuthResult(success=ok, handled=False)
c = Controller(H(), hostname='127.0.0.1', port=int(sys.argv[1]), authenticator=auth,
               auth_require_tls=False)
c.start()
import time
while True: time.sleep(1)
PYEOF
/usr/bin/python3 "$T/aio.py" $port >"$T/aio.log" 2>&1 &
pids="$pids $!"
wait_port $port || diag "$T/aio.log"
sc() { printf '/expect 250 MAIL FROM:<a@example.org>\n/expect 250 RCPT TO:<b@example.org>\n/expect 221 QUIT\n'; }
sc >"$T/s1"
run_smtpdbg "$T/a1" -e --auth-user alice --auth-password-env PW --auth-plaintext-ok -f "$T/s1" 127.0.0.1:$port
check "aiosmtpd: AUTH with the best offered mechanism, then mail: exit 0 (got $RC)" [ "$RC" = 0 ]
check "it chose PLAIN over LOGIN" has "$T/a1" 'AUTH PLAIN as "alice"'
run_smtpdbg "$T/a2" -e --auth-user alice --auth-mech LOGIN --auth-password-file "$T/pwfile" \
    --auth-plaintext-ok -f "$T/s1" 127.0.0.1:$port
check "aiosmtpd: forced LOGIN, secret from a file: exit 0 (got $RC)" [ "$RC" = 0 ]
check "LOGIN's lines are masked" has "$T/a2" 'C: \*\*\*\*$'
PW=wrong run_smtpdbg "$T/a3" -e --auth-user alice --auth-password-env PW --auth-plaintext-ok \
    -f "$T/s1" 127.0.0.1:$port
check "aiosmtpd: a wrong secret ends the script with exit 8 (got $RC)" [ "$RC" = 8 ]
check "and says why" has "$T/a3.err" 'AUTH failed: AUTH PLAIN refused with 535'
run_smtpdbg "$T/a4" -e --auth-user alice --auth-password-env PW -f "$T/s1" 127.0.0.1:$port
check "without TLS no credential is sent: exit 6 (got $RC)" [ "$RC" = 6 ]
check "and nothing of it went out" hasnt "$T/a4" 'C: AUTH'
check "no secret in any aiosmtpd run's output" sh -c "! cat '$T'/a[1-4] '$T'/a[1-4].err | grep -Eq 'pa55-w0rd|cGE1NS13MHJk|YWxpY2UAcGE1'"

# smtpdbg's own sink: every mechanism after STARTTLS, JSON masked.
printf 'alice:%s\n' "$PW" >"$T/users"
start_sink "$T/sink" --auth-users "$T/users" || exit 1
for m in PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256 SCRAM-SHA-256-PLUS; do
	run_smtpdbg "$T/m.$m" --starttls --no-verify --auth-user alice --auth-mech $m \
	    --auth-password-env PW --json="$T/m.$m.jsonl" -f "$T/s1" 127.0.0.1:$SINK_PORT
	check "sink: AUTH $m over STARTTLS, then mail: exit 0 (got $RC)" [ "$RC" = 0 ]
done
check "SCRAM: the server's signature was checked" has "$T/m.SCRAM-SHA-256" 'authenticated with SCRAM-SHA-256'
check "no secret in any transcript or JSON" sh -c "! cat '$T'/m.* | grep -Eq 'pa55-w0rd|cGE1NS13MHJk'"
run_smtpdbg "$T/m.best" --starttls --no-verify --auth-user alice --auth-password-env PW \
    -f "$T/s1" 127.0.0.1:$SINK_PORT
check "the best mechanism the sink offers over TLS is SCRAM-SHA-256-PLUS (bound to the session)" \
    has "$T/m.best" 'AUTH SCRAM-SHA-256-PLUS as "alice"; initial response p=tls-exporter,,n=alice'
printf '/starttls\nEHLO me\n/auth CRAM-MD5 alice\n/expect 250 MAIL FROM:<a@b>\n/expect 221 QUIT\n' >"$T/s2"
run_smtpdbg "$T/m.cmd" --no-verify --auth-password-env PW -e -f "$T/s2" 127.0.0.1:$SINK_PORT
check "/auth in a script: exit 0 (got $RC)" [ "$RC" = 0 ]
printf '/starttls\nEHLO me\nAUTH LOGIN\nYWxpY2U=\ncGE1NS13MHJkIQ==\n/expect 235\n/expect 221 QUIT\n' >"$T/s4"
run_smtpdbg "$T/m.typed" --no-verify -e --json="$T/m.typed.jsonl" -f "$T/s4" 127.0.0.1:$SINK_PORT
check "AUTH typed by hand (LOGIN): exit 0 (got $RC)" [ "$RC" = 0 ]
check "the lines answering 334 are masked in the transcript and JSON" \
    sh -c "[ \$(grep -c 'C~ \*\*\*\*\$' '$T/m.typed') = 2 ] && ! grep -q 'cGE1NS13MHJkIQ' '$T/m.typed' '$T/m.typed.jsonl'"
printf 'EHLO me\n/auth PLAIN alice\n' >"$T/s3"
run_smtpdbg "$T/m.nosecret" -f "$T/s3" 127.0.0.1:$SINK_PORT
check "/auth in a script without a secret source: exit 2 (got $RC)" [ "$RC" = 2 ]
# At a terminal: /auth and send ask for the secret without echo; the
# history never holds it.
if command -v tmux >/dev/null 2>&1; then
	export TERM=xterm-256color
	# a new tmux server per session (restarting one on the same socket races)
	tm_n=0
	TM() { tmux -L "smtpdbg-auth-$$-$tm_n" "$@"; }
	TM new-session -d -s t -x 150 -y 40 "env -u PW XDG_STATE_HOME='$T/state' NO_COLOR= '$SMTPDBG' --starttls --no-verify 127.0.0.1:$SINK_PORT; echo EXIT=\$?; sleep 30"
	check "REPL: connected over TLS" wait_screen 'capabilities after TLS'
	TM send-keys -t t '/auth PLAIN alice' Enter
	check "/auth asks for the secret" wait_screen 'secret for alice \(not shown\):'
	TM send-keys -t t "$PW" Enter
	check "the typed secret authenticates" wait_screen 'authenticated with PLAIN'
	check "and was never echoed" sh -c "! tmux -L smtpdbg-auth-$$-$tm_n capture-pane -p -t t | grep -q 'pa55-w0rd'"
	TM send-keys -t t '/quit' Enter
	wait_screen '^EXIT=' >/dev/null
	check "the history has /auth but no secret" sh -c "grep -q '/auth PLAIN alice' '$T/state/smtpdbg/history' && ! grep -q 'pa55' '$T/state/smtpdbg/history'"
	tm_stop TM
	tm_n=1
	TM new-session -d -s t -x 150 -y 40 "env -u PW NO_COLOR= '$SMTPDBG' send -q --starttls --no-verify --auth-user alice --from a@b.example --to c@d.example 127.0.0.1:$SINK_PORT; echo EXIT=\$?; sleep 30"
	check "send at a terminal asks too" wait_screen 'secret for alice \(not shown\):'
	TM send-keys -t t "$PW" Enter
	check "and delivers: exit 0" wait_screen '^EXIT=0$'
	tm_stop TM
fi
stop_sink
check "the sink saw each mechanism succeed" [ "$(grep -c 'accepted (the client sent' "$T/sink")" -ge 9 ]
check "and no secret either" hasnt "$T/sink" 'pa55-w0rd|cGE1NS13MHJk'
done_testing
