#!/bin/sh
# dnssec - DNS through libunbound with validation, end to end: a signed
# test zone on NSD, the MX lookup of send secure, insecure and bogus, and
# the resolver's failures in words.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/zone.sh"

zone sec.test secure <<'R'
@ IN MX 10 mx1
@ IN MX 20 mx2
mx1 IN A 127.0.0.1
mx2 IN A 127.0.0.1
R
zone insec.test insecure <<'R'
@ IN MX 10 mx1
mx1 IN A 127.0.0.1
R
zone bogus.test bogus <<'R'
@ IN MX 10 mx1
mx1 IN A 127.0.0.1
R
zone nomx.test secure <<'R'
@ IN A 127.0.0.1
R
zone null.test secure <<'R'
@ IN MX 0 .
R
zone_start || skip_all "nsd would not start"
start_sink "$T/sink" || exit 1
dns() { run_smtpdbg "$@" --resolver "$DNS" --trust-anchor "$TA" --mx-port "$SINK_PORT" --connect-timeout 3; }

dns "$T/sec" send --from a@x.example --to u@sec.test
check "a signed zone: delivered to the MX (got $RC)" [ "$RC" = 0 ]
check "in MX order" has "$T/sec" 'MX 10 mx1\.sec\.test → 127\.0\.0\.1:'
dns "$T/insec" send --from a@x.example --to u@insec.test
check "an unsigned child of a signed parent (insecure): delivered (got $RC)" [ "$RC" = 0 ]
dns "$T/bogus" send --from a@x.example --to u@bogus.test
check "expired signatures (bogus): not delivered, exit 14 (got $RC)" [ "$RC" = 14 ]
check "and why, in libunbound's words" has "$T/bogus.err" 'DNSSEC validation failed: .*signature expired'
dns "$T/nomx" send --from a@x.example --to u@nomx.test
check "no MX: the domain's own address (got $RC)" sh -c "[ $RC = 0 ] && grep -q 'no MX: the domain itself' '$T/nomx'"
dns "$T/null" send --from a@x.example --to u@null.test
check "a null MX: exit 14 (got $RC)" sh -c "[ $RC = 14 ] && grep -q 'null MX' '$T/null.err'"
dns "$T/nx" send --from a@x.example --to u@nothere.sec.test
check "a name that does not exist: exit 14 with NXDOMAIN (got $RC)" sh -c "[ $RC = 14 ] && grep -q NXDOMAIN '$T/nx.err'"
# the wrong trust anchor makes the whole tree bogus
printf 'test. IN DS 1 13 2 %s\n' 0000000000000000000000000000000000000000000000000000000000000000 > "$T/wrong.key"
run_smtpdbg "$T/wrong" send --from a@x.example --to u@sec.test --resolver "$DNS" --trust-anchor "$T/wrong.key"
check "a trust anchor that does not match: bogus, exit 14 (got $RC)" sh -c "[ $RC = 14 ] && grep -q 'DNSSEC validation failed' '$T/wrong.err'"
run_smtpdbg "$T/noanchor" send --from a@x.example --to u@bogus.test --resolver "$DNS" --trust-anchor none --mx-port "$SINK_PORT"
check "--trust-anchor none: nothing validated, the bogus zone is used (got $RC)" [ "$RC" = 0 ]
run_smtpdbg "$T/missing" send --from a@x.example --to u@sec.test --trust-anchor "$T/nofile"
check "a trust anchor file that cannot be read: exit 2 (got $RC)" sh -c "[ $RC = 2 ] && grep -q 'cannot be read' '$T/missing.err'"
run_smtpdbg "$T/badres" send --from a@x.example --to u@sec.test --resolver 127.0.0.1:99999
check "a resolver port out of range: exit 2 (got $RC)" [ "$RC" = 2 ]
# a resolver that never answers: said in words, in bounded time
port=$(free_port)
$PY -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); time.sleep(60)' "$port" &
pids="$pids $!"
run_smtpdbg "$T/silent" send --from a@x.example --to u@sec.test --resolver 127.0.0.1:$port --trust-anchor none
check "a silent resolver: exit 14, no answer in words (got $RC)" sh -c "[ $RC = 14 ] && grep -q 'no answer from resolver 127.0.0.1@$port' '$T/silent.err'"
stop_sink
done_testing
