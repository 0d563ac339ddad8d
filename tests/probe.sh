#!/bin/sh
# probe - "smtpdbg probe": connect, EHLO, STARTTLS or implicit TLS, EHLO,
# QUIT; the report, the capability diff, one summary line, and exit codes
# a monitoring script can trust.
. "${top_srcdir:-.}/tests/lib.sh"
need certtool
sh "${top_srcdir:-.}/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
P=$T/pki
start_sink "$T/sink" --cert "$P/good.pem" --key "$P/good.key" --tls-listen 127.0.0.1:0 || exit 1
TP=$(sed -n 's/.*implicit TLS on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sink.err")

run_smtpdbg "$T/p1" probe --ca-file "$P/ca.pem" "localhost:$SINK_PORT" < /dev/null
check "probe of a good server: exit 0" [ "$RC" = 0 ]
check "probe: EHLO, STARTTLS, EHLO again, QUIT in that order" sh -c "grep -E 'C[:~] (EHLO|STARTTLS|QUIT)' '$T/p1' | cut -c21- | tr '\n' ' ' | grep -q '^C: EHLO .* C: STARTTLS C~ EHLO .* C~ QUIT'"
check "probe: the capability diff" has "$T/p1" 'capabilities after TLS: -STARTTLS'
check "probe: the summary line" has "$T/p1" '^probe: TLS1\.3 [A-Z0-9-]+; trust pass, hostname pass, validity pass, strength pass, OCSP n/a, DANE n/a; leaf expires in (29|30) days$'

run_smtpdbg "$T/p2" probe -q "localhost:$SINK_PORT" < /dev/null
check "probe -q with an untrusted CA: exit 6" [ "$RC" = 6 ]
check "probe -q prints only the summary" [ "$(cat "$T/p2")" = "$(grep '^probe:' "$T/p2")" ]
check "and the reason on stderr" has "$T/p2.err" 'probe: TLS verification failed'

run_smtpdbg "$T/p3" probe -q --ca-file "$P/ca.pem" "smtps://localhost:$TP" < /dev/null
check "probe smtps://: implicit TLS, exit 0" [ "$RC" = 0 ]

stop_sink
start_sink "$T/sink2" --no-ext STARTTLS || exit 1
run_smtpdbg "$T/p4" probe -q "127.0.0.1:$SINK_PORT" < /dev/null
check "probe of a server without STARTTLS: exit 6" [ "$RC" = 6 ]
check "it says so" has "$T/p4.err" 'does not offer STARTTLS'
stop_sink
port=$(free_port)
run_smtpdbg "$T/p5" probe -q "127.0.0.1:$port" < /dev/null
check "probe of a closed port: exit 3" [ "$RC" = 3 ]
done_testing
