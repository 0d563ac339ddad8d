#!/bin/sh
# install - make install puts the program, the man page, the bash and zsh
# completion and the README where they belong (under DESTDIR), the
# installed program runs and says its version and libraries, and make
# uninstall takes every file away again.
. "${top_srcdir:-.}/tests/lib.sh"
[ -f "${top_builddir:-.}/Makefile" ] || skip_all "no build tree"
R=$T/root
make -s -C "$top_builddir" install DESTDIR="$R" prefix=/usr >"$T/install.log" 2>&1
check "make install DESTDIR=...: exit 0" [ $? = 0 ]
[ $? = 0 ] || diag "$T/install.log"
check "the program in /usr/bin" [ -x "$R/usr/bin/smtpdbg" ]
check "the man page in man1" [ -s "$R/usr/share/man/man1/smtpdbg.1" ]
check "bash completion in bash-completion/completions" grep -q '_smtpdbg' "$R/usr/share/bash-completion/completions/smtpdbg"
check "zsh completion in zsh/site-functions" grep -q '#compdef smtpdbg' "$R/usr/share/zsh/site-functions/_smtpdbg"
check "the README in the doc folder" [ -s "$R/usr/share/doc/smtpdbg/README.md" ]
"$R/usr/bin/smtpdbg" --version >"$T/v" 2>&1
check "the installed program says its version" grep -Eq '^smtpdbg [0-9]+\.[0-9]+\.[0-9]+( \(git [0-9a-f]+(-dirty)?\))?$' "$T/v"
check "and the libraries it runs with" grep -Eq '^GnuTLS [0-9.]+, readline [0-9.]+, libcmark [0-9.]+, libunbound [0-9.]+, libcurl [0-9.]+ \(GnuTLS' "$T/v"
check "the man page is the manual (groff reads it)" sh -c "MANWIDTH=80 man -l '$R/usr/share/man/man1/smtpdbg.1' 2>/dev/null | grep -q 'smtpdbg proxy'"
check "start-up maps no DNS, HTTPS or DANE library (loaded when used)" \
    sh -c "! ldd '$R/usr/bin/smtpdbg' | grep -Eq 'libcurl|libunbound|gnutls-dane|libevent'"
make -s -C "$top_builddir" uninstall DESTDIR="$R" prefix=/usr >"$T/uninstall.log" 2>&1
check "make uninstall: exit 0" [ $? = 0 ]
check "no file is left behind" [ "$(find "$R" -type f | wc -l)" = 0 ]
done_testing
