#!/bin/sh
# demo - "smtpdbg demo" without a terminal plays its scripted session
# against the built-in sink and exits 0 (Quick start command 1 in CI).
. "${top_srcdir:-.}/tests/lib.sh"
timeout 20 "$SMTPDBG" demo --color=never < /dev/null > "$T/demo" 2>&1
rc=$?
check "smtpdbg demo exits 0 without a terminal" [ "$rc" = 0 ]
check "it shows the capability table" has "$T/demo" 'SIZE +36700160 +messages up to 36700160 bytes \(35\.0 MiB\)'
check "the built-in sink reports the message" has "$T/demo" '# message 1 from <alice@example.org> to <bob@example.org>'
check "the leading dot was stuffed on the wire" has "$T/demo" 'C[:~] \.\.leading dots are stuffed'
check "the session ends with 221" has "$T/demo" 'S[:~] 221 2\.0\.0 Bye'
done_testing
