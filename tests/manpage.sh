#!/bin/sh
# manpage - the rendered man page is valid roff with a proper header.
. "${top_srcdir:-.}/tests/lib.sh"
need groff
m=${top_builddir:-.}/man/smtpdbg.1
check "the man page was built" [ -s "$m" ]
check "it starts with a .TH header" has "$m" '^\.TH SMTPDBG 1 "[0-9]{4}-[0-9]{2}-[0-9]{2}" "smtpdbg '
groff -man -ww -z "$m" > "$T/groff" 2>&1
check "groff -ww finds nothing to warn about" [ ! -s "$T/groff" ]
if command -v lexgrog >/dev/null 2>&1; then
	check "whatis/apropos can read its NAME line" sh -c "lexgrog '$m' | grep -q 'smtpdbg - interactive SMTP debugging'"
fi
check "every section renders" sh -c "groff -man -Tascii -P-bcu '$m' 2>/dev/null | grep -q '^EXIT STATUS'"
done_testing
