#!/bin/sh
# completion - the bash and zsh completion scripts smtpdbg makes from its
# option table complete what parsing accepts, per subcommand.
. "${top_srcdir:-.}/tests/lib.sh"
need bash

"$SMTPDBG" --completion bash > "$T/c.bash"
check "the bash script is valid bash" bash -n "$T/c.bash"
comp() {	# comp WORDS...: what bash completes for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _smtpdbg; printf "%s\n" "${COMPREPLY[@]}"' \
	    x "$T/c.bash" smtpdbg "$@"
}
out=$(comp sink --max-con)
check "sink --max-con completes to --max-connections" [ "$out" = "--max-connections" ]
out=$(comp --max-con)
check "the client has no --max-connections" [ -z "$out" ]
out=$(comp --color = '')
check "--color= offers its choices" [ "$(echo $out)" = "auto always never" ]
out=$(comp --color = al)
check "--color=al completes to always" [ "$out" = "always" ]
out=$(comp send --quit-after FIRST)
check "--quit-after offers swaks' names" [ "$(echo $out)" = "FIRST-EHLO FIRST-HELO" ]
out=$(comp pro)
check "subcommands complete" [ "$(echo $out)" = "probe proxy" ]
out=$(comp pin)
check "ping completes as a subcommand" [ "$(echo $out)" = "ping" ]
out=$(comp ping --inter)
check "ping's options complete" [ "$out" = "--interval" ]
out=$(comp proxy --upstream-t)
check "proxy options complete" [ "$out" = "--upstream-tls" ]
out=$(comp probe --fi)
check "probe has no --file" [ -z "$out" ]
touch "$T/script.smtp"
out=$(comp -f "$T/scr")
check "-f completes file names" [ "$out" = "$T/script.smtp" ]
out=$(comp --timeout 1)
check "no completion where a number goes" [ -z "$out" ]

"$SMTPDBG" --completion zsh > "$T/_smtpdbg"
check "the zsh script names every sink option" sh -c \
    "for o in \$('$SMTPDBG' sink --help | grep -o -- '--[a-z-]*' | sort -u); do grep -q -- \"'\$o\" '$T/_smtpdbg' || exit 1; done"
if command -v zsh >/dev/null 2>&1; then
	check "the zsh script is valid zsh" zsh -n "$T/_smtpdbg"
else
	ok "the zsh script is valid zsh # SKIP zsh is not installed"
fi
"$SMTPDBG" --completion fish > /dev/null 2>"$T/fish.err"; rc=$?
check "another shell: exit 2 and the choices" sh -c "[ $rc = 2 ] && grep -q 'bash or zsh' '$T/fish.err'"
done_testing
