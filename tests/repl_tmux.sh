#!/bin/sh
# repl_tmux - the REPL in a real terminal (tmux): asynchronous server
# output does not garble the line being typed, tab completion offers only
# what the server advertised, Ctrl-C clears the line, history survives a
# restart and never stores AUTH lines.
. "${top_srcdir:-.}/tests/lib.sh"
need tmux
export TERM=xterm-256color
# One tmux server per REPL start (restarting one on the same socket races).
tm_n=0
TM() { tmux -L "smtpdbg-test-$$-$tm_n" "$@"; }
trap 'tm_stop TM; cleanup' EXIT INT TERM
repl() {	# repl ARGS: start smtpdbg in a fresh tmux session (the shell outlives
	# a Ctrl-C: it has a handler, so smtpdbg gets SIGINT's default)
	tm_stop TM
	tm_n=$((tm_n + 1))
	TM new-session -d -s t -x 100 -y 30 \
	    "trap : INT; env XDG_STATE_HOME='$T/state' NO_COLOR= '$SMTPDBG' $*; echo EXIT=\$?; sleep 30"
}

start_sink "$T/sink" --idle-timeout 3 --no-ext SIZE || exit 1
repl -e "127.0.0.1:$SINK_PORT"
check "the REPL connects and EHLO is sent for it" wait_screen 'S: 250 STARTTLS'
check "the prompt shows host and state" wait_screen "^127\.0\.0\.1:$SINK_PORT ready>$"

TM send-keys -t t 'MAIL FROM:<a@b> S' Tab
check "Tab after MAIL FROM:<> offers SMTPUTF8, not the hidden SIZE" wait_screen 'ready> MAIL FROM:<a@b> SMTPUTF8$'
TM send-keys -t t ' B' Tab
check "Tab completes BODY= from 8BITMIME" wait_screen 'ready> MAIL FROM:<a@b> SMTPUTF8 BODY=$'
# The sink's idle timeout sends 421 while the line is half typed.
check "asynchronous server output is printed above the prompt" wait_screen 'S: 421 4\.4\.2'
check "the half-typed line is intact on the prompt line" wait_screen '^smtpdbg> MAIL FROM:<a@b> SMTPUTF8 BODY=$'
cur=$(TM display -p -t t '#{cursor_x}')
check "the cursor is at the end of the typed text (x=$cur)" [ "$cur" = 39 ]
check "the 421 line is not glued to the input line" sh -c "! tmux -L smtpdbg-test-$$-$tm_n capture-pane -p -t t | grep -q 'BODY=.*421'"

TM send-keys -t t C-c
check "Ctrl-C clears the line and shows a fresh prompt" wait_screen '^smtpdbg>$'

repl -e "127.0.0.1:$SINK_PORT"
wait_screen 'S: 250 STARTTLS' >/dev/null
TM send-keys -t t 'NOOP' Enter
wait_screen 'S: 250 2\.0\.0 Ok' >/dev/null
TM send-keys -t t 'AUTH PLAIN c2VjcmV0' Enter
wait_screen 'S: 502' >/dev/null
TM send-keys -t t '/caps' Enter
check "/caps prints a table without garbling the prompt" wait_screen '^ +HELP +HELP command available$'
TM send-keys -t t '/quit' Enter
check "/quit sends QUIT and gets 221" wait_screen 'S: 221 2\.0\.0 Bye'
sleep 0.3
check "history is written (mode 0600)" [ "$(stat -c %a "$T/state/smtpdbg/history" 2>/dev/null)" = 600 ]
check "history holds the commands" has "$T/state/smtpdbg/history" '^NOOP$'
check "history never holds AUTH lines" hasnt "$T/state/smtpdbg/history" 'AUTH|c2VjcmV0'

repl "127.0.0.1:$SINK_PORT"
wait_screen 'S: 220' >/dev/null
TM send-keys -t t Up Up Up
check "history survives a restart (Up recalls NOOP)" wait_screen 'ready> NOOP$'
TM send-keys -t t C-u 'DATA' Enter
check "DATA without a transaction is refused by the server" wait_screen 'S: 503'
TM send-keys -t t '/help raw' Enter
check "/help renders the manual section" wait_screen 'Send BYTES exactly'
TM send-keys -t t C-d
check "Ctrl-D sends QUIT first" wait_screen 'C: QUIT$'
check "Ctrl-D quits smtpdbg with status 0" wait_screen '^EXIT=0$'

# Ctrl-C: a typed line is only cleared; two on an empty line quit, QUIT first.
repl "127.0.0.1:$SINK_PORT"
wait_screen 'S: 220' >/dev/null
TM send-keys -t t 'NOOP typed'
wait_screen 'ready> NOOP typed$' >/dev/null
TM send-keys -t t C-c
check "Ctrl-C on a typed line clears it and keeps the session" wait_screen "^127\.0\.0\.1:$SINK_PORT ready>\$"
TM send-keys -t t C-c
check "one Ctrl-C on an empty line says how to quit" wait_screen 'Ctrl-C again or Ctrl-D to quit'
TM send-keys -t t C-c
check "the second one sends QUIT and leaves" wait_screen 'S: 221 2\.0\.0 Bye'
check "exit status 0" wait_screen '^EXIT=0$'
stop_sink

# A reply still awaited shows in the prompt; Tab after /data completes a
# file name and adds no space that would break it.
serve slow <<'EOS'
send b'220 slow.example\r\n'
recv
sleep 3
send b'250 ok\r\n'
recv
send b'221 bye\r\n'
close
EOS
echo x > "$T/msgfile.eml"
repl "127.0.0.1:$PORT"
wait_screen 'S: 220' >/dev/null
TM send-keys -t t 'NOOP' Enter
check "the prompt shows a reply is awaited" wait_screen 'ready \(awaiting a reply\)>'
check "and stops showing it when the reply came" wait_screen "^127\.0\.0\.1:$PORT ready>\$"
TM send-keys -t t "/data $T/msgf" Tab
check "Tab after /data completes the file name without a trailing space" wait_screen "ready> /data $T/msgfile\.eml\$"
TM send-keys -t t C-u '/help --time' Tab
check "/help Tab completes options" wait_screen 'ready> /help --timeout$'
TM send-keys -t t C-u '/help scri' Tab
check "/help Tab completes the manual's sections" wait_screen 'ready> /help scripts$'
done_testing
