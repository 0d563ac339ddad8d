#!/bin/sh
# sink_manual - sink --manual in a real terminal (tmux): the operator sees
# each command, Enter sends the pre-filled default, an edited answer is
# sent as typed (a code, text, actions), and a bad answer is asked again.
. "${top_srcdir:-.}/tests/lib.sh"
need tmux "$PY"
export TERM=xterm-256color
TM() { tmux -L "smtpdbg-manual-$$" "$@"; }
trap 'tm_stop TM; cleanup' EXIT INT TERM
port=$(free_port)
TM new-session -d -s t -x 150 -y 40 \
    "NO_COLOR= '$SMTPDBG' sink --manual --no-ext STARTTLS 127.0.0.1:$port 2>'$T/err'; echo EXIT=\$?; sleep 30"
wait_port "$port" || { echo "# no sink"; cat "$T/err"; }
timeout 30 $PY - "$port" >"$T/client" 2>&1 <<'PYEOF' &
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=25)
print("ehlo", s.ehlo('me')[0])
r = s.mail('a@b'); print("mail refused", r[0], r[1].decode())
print("mail", s.mail('a@b')[0])
print("rcpt", s.rcpt('c@d')[0])
try: s.quit()
except smtplib.SMTPServerDisconnected: print("dropped")
PYEOF
cpid=$!
pids="$pids $cpid"
check "the greeting is asked, pre-filled with the default" wait_screen '^\[1\] CONNECT> 220 localhost ESMTP smtpdbg sink$'
TM send-keys -t t Enter
check "Enter sends it; EHLO is asked next, multi-line shown with \\n" wait_screen '^\[1\] EHLO> 250 localhost\\nPIPELINING\\n'
TM send-keys -t t Enter
check "MAIL is asked with its default" wait_screen '^\[1\] MAIL> 250 2\.1\.0 Ok$'
TM send-keys -t t C-u 'explode' Enter
check "a bad answer is refused and asked again" wait_screen '^\[1\] MAIL> explode$'
check "with the reason" grep -q 'explode: unknown action' "$T/err"
TM send-keys -t t C-u '451 4.3.0 come back later' Enter
check "the typed reply goes out" wait_screen 'S: 451 4\.3\.0 come back later'
check "the retried MAIL is asked again" wait_screen '^\[1\] MAIL> 250 2\.1\.0 Ok$'
TM send-keys -t t Enter
check "RCPT is asked" wait_screen '^\[1\] RCPT> 250 2\.1\.5 Ok$'
TM send-keys -t t C-u 'delay 0.3 250 2.1.5 fine' Enter
check "QUIT is asked" wait_screen '^\[1\] QUIT> 221 2\.0\.0 Bye$'
TM send-keys -t t C-u 'drop' Enter
wait "$cpid"
check "the client saw the typed reply" grep -q 'mail refused 451 4.3.0 come back later' "$T/client" || diag "$T/client"
check "and the rest, and was dropped at QUIT" sh -c "grep -q 'mail 250' '$T/client' && grep -q 'rcpt 250' '$T/client' && grep -q dropped '$T/client'"
check "the transcript names the dropped reply" wait_screen 'QUIT: connection dropped without a reply'
check "with no question pending, an idle prompt" wait_screen '^sink> ?$'
TM send-keys -t t 'hello' Enter
check "a line typed then is explained" grep -q 'no reply is waiting' "$T/err"
TM send-keys -t t C-d
check "Ctrl-D stops the sink, exit 0" wait_screen '^EXIT=0$'
done_testing
