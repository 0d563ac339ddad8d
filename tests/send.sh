#!/bin/sh
# send - "smtpdbg send" against its own sink, aiosmtpd and Postfix's
# smtp-sink: messages and attachments parsed back by Python's email
# package byte for byte, UTF-8 addresses end to end, BDAT with chunk
# boundaries everywhere, pipelining, --count, stages and their exit codes,
# guards against injection, and MX lookup through a fake resolver.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"
S() { run_smtpdbg "$@"; }	# run_smtpdbg OUT send ...

start_sink "$T/sink" --maildir "$T/md" --json-sidecar || exit 1
P=$SINK_PORT
# A pipelined group leaves in one write (each command in its own segment
# stalls Postfix by a delayed ACK); so does BDAT with its chunk.
if command -v strace >/dev/null 2>&1; then
	keep_pid=$SINK_PID
	start_sink "$T/sink-st" || exit 1
	strace -f -qq -e trace=sendto,write,sendmsg -s 400 -o "$T/st1" timeout 20 "$SMTPDBG" send -q \
	    --from a@b.example --to c@d.example --to e@d.example --body hi 127.0.0.1:$SINK_PORT >/dev/null 2>&1
	check "pipelined: MAIL, both RCPTs and DATA in one write" \
	    grep -q 'MAIL FROM:<a@b.example> SIZE=[0-9]*\\r\\nRCPT TO:<c@d.example>\\r\\nRCPT TO:<e@d.example>\\r\\nDATA\\r\\n", [0-9]*' "$T/st1"
	strace -f -qq -e trace=sendto,write,sendmsg -s 400 -o "$T/st2" timeout 20 "$SMTPDBG" send -q \
	    --bdat --from a@b.example --to c@d.example --body hi 127.0.0.1:$SINK_PORT >/dev/null 2>&1
	check "BDAT: the group with the command and its chunk in one write" \
	    grep -q 'RCPT TO:<c@d.example>\\r\\nBDAT [0-9]* LAST\\r\\nDate: ' "$T/st2"
	stop_sink
	SINK_PID=$keep_pid
fi
head -c 5000 /dev/urandom >"$T/blob.bin"
printf 'col1,col2\n1,2\n' >"$T/data.csv"
run_smtpdbg "$T/o1" send --from 'a@example.org' --to 'b@example.org' --cc 'c@example.org' \
    --bcc 'hidden@example.org' --subject 'Grüße, test' --header 'X-Test: yes' \
    --body 'line one
.leading dot
ünïcode' --attach "$T/blob.bin" --attach "$T/data.csv" 127.0.0.1:$P
check "send with two attachments: exit 0 (got $RC)" [ "$RC" = 0 ]
check "PIPELINING was used: MAIL, RCPTs and DATA went before the replies" \
    sh -c "grep -n 'C: DATA\$' '$T/o1' | cut -d: -f1 | { read d; grep -n 'S: 250 2.1.0' '$T/o1' | cut -d: -f1 | { read m; [ \"\$d\" -lt \"\$m\" ]; }; }"
check "8-bit body declared with BODY=8BITMIME" has "$T/o1" 'C: MAIL FROM:<a@example.org> SIZE=[0-9]+ BODY=8BITMIME'
$PY - "$T/md/new" "$T/blob.bin" >"$T/parse" 2>&1 <<'PYEOF'
import email, email.policy, os, sys
d = sys.argv[1]
files = [f for f in os.listdir(d) if not f.endswith('.json')]
m = email.message_from_bytes(open(os.path.join(d, files[0]), 'rb').read(), policy=email.policy.default)
print("subject:", m['subject'])
print("cc:", m['cc'], "bcc-header:", m['bcc'])
print("x-test:", m['x-test'])
parts = list(m.iter_attachments())
body = m.get_body(('plain',)).get_content()
print("body-ok:", body.replace('\r\n', '\n') == 'line one\n.leading dot\nünïcode\n', repr(body))
print("blob-ok:", parts[0].get_content() == open(sys.argv[2], 'rb').read(), parts[0].get_content_type())
print("csv:", parts[1].get_content_type(), repr(parts[1].get_content()))
PYEOF
check "the Subject decodes back (RFC 2047)" grep -q 'subject: Grüße, test' "$T/parse"
check "Cc shown, Bcc not" grep -q 'cc: c@example.org bcc-header: None' "$T/parse"
check "an added header" grep -q 'x-test: yes' "$T/parse"
check "the body, dot line and UTF-8 intact" grep -q 'body-ok: True' "$T/parse"
check "the binary attachment is byte for byte the file" grep -q 'blob-ok: True application/octet-stream' "$T/parse"
check "the CSV attachment has its type" grep -q "csv: text/csv 'col1,col2\\\\n1,2\\\\n'" "$T/parse" || diag "$T/parse"

# UTF-8 addresses: SMTPUTF8 used because offered; refused when hidden.
run_smtpdbg "$T/o2" send --from 'jörg@exämple.org' --to 'zoë@exämple.org' --body hi 127.0.0.1:$P
check "UTF-8 addresses go with SMTPUTF8: exit 0 (got $RC)" [ "$RC" = 0 ]
check "MAIL carries SMTPUTF8" has "$T/o2" 'C: MAIL FROM:<jörg@exämple.org> SIZE=[0-9]+ .*SMTPUTF8'
check "the sink stored the UTF-8 envelope" has "$T/sink" 'message 1 from <jörg@exämple.org> to <zoë@exämple.org>|from <jörg@exämple.org> to <zoë@exämple.org>'

# BDAT with chunk boundaries in every place (chunk sizes 1..40).
printf 'Subject: chunks\r\n\r\n.dot\r\nbare\nLF kept\r\n' >"$T/msg.eml"
ok_all=1
for c in 1 2 3 5 7 11 13 17 40; do
	run_smtpdbg "$T/o3" send --from a@b.example --to c@d.example --bdat --chunk-size $c \
	    --data @"$T/msg.eml" -q 127.0.0.1:$P
	[ "$RC" = 0 ] || ok_all=0
done
check "BDAT with chunk sizes 1..40: every message accepted" [ "$ok_all" = 1 ]
check "the BDAT data is stored exactly (no stuffing, bare LF kept)" \
    sh -c "grep -l 'Subject: chunks' '$T'/md/new/* | grep -v json | head -1 | xargs tail -c 33 | od -c | grep -q 'b   a   r   e  \\\\n   L   F'"
run_smtpdbg "$T/o4" send --from a@b.example --to c@d.example --bdat --chunk-size 10 --body x 127.0.0.1:$P
check "BDAT chunks are shown with their sizes" has "$T/o4" 'C: BDAT 10$'
check "and the last one says LAST" has "$T/o4" 'C: BDAT [0-9]+ LAST$'

# DSN parameters, and implicit TLS.
run_smtpdbg "$T/dsn" send --from a@b.example --to 'c+x@d.example' --notify SUCCESS,FAILURE \
    --ret HDRS --envid env42 --orcpt -q 127.0.0.1:$P
check "DSN: RET/ENVID on MAIL, NOTIFY/ORCPT (xtext) on RCPT" sh -c "grep -q 'MAIL FROM:<a@b.example> SIZE=[0-9]* RET=HDRS ENVID=env42' '$T/sink' && grep -q 'RCPT TO:<c+x@d.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bx@d.example' '$T/sink'"

# /bdat in a script.
printf '/expect 250 EHLO me\n/expect 250 MAIL FROM:<s@b.example>\n/expect 250 RCPT TO:<r@d.example>\n/bdat %s 7\n/expect 250\n/expect 221 QUIT\n' "$T/msg.eml" >"$T/bd.script"
run_smtpdbg "$T/bd" -f "$T/bd.script" 127.0.0.1:$P
check "/bdat FILE 7 in a script: exit 0 (got $RC)" [ "$RC" = 0 ]
check "in chunks of 7, the last one LAST" sh -c "grep -q 'C: BDAT 7\$' '$T/bd' && grep -q 'C: BDAT [0-9] LAST\$' '$T/bd'"

# --count: several messages on one connection.
run_smtpdbg "$T/o5" send --from a@b.example --to c@d.example --count 20 -q 127.0.0.1:$P
check "--count 20: exit 0 (got $RC)" [ "$RC" = 0 ]
stop_sink
check "one connection, twenty messages" sh -c "[ \$(grep -c 'message 20 from' '$T/sink') = 1 ]"

start_sink "$T/tl" --tls-listen 127.0.0.1:0 || exit 1
tp=$(sed -n 's/.*implicit TLS on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/tl.err")
run_smtpdbg "$T/tls" send --from a@b.example --to c@d.example --tls --no-verify -q 127.0.0.1:$tp
check "implicit TLS (--tls): exit 0 (got $RC)" [ "$RC" = 0 ]
stop_sink

# Stages and exit codes, against a sink misbehaving on purpose.
start_sink "$T/r" --reply 'RCPT:bad@*=550 5.1.1 no' --reply 'MAIL:refuse@*=553 5.7.1 no' || exit 1
P=$SINK_PORT
for c in "10 --from refuse@x.example --to a@x.example" "11 --from a@x.example --to bad@x.example" \
    "0 --from a@x.example --to a@x.example --quit-after RCPT" \
    "0 --from a@x.example --to a@x.example --drop-after MAIL"; do
	set -- $c; want=$1; shift
	run_smtpdbg "$T/st" send "$@" 127.0.0.1:$P
	check "send $* : exit $want (got $RC)" [ "$RC" = "$want" ]
done
start_sink "$T/r2" --reply 'DOT=554 5.6.0 not today' || exit 1
run_smtpdbg "$T/st2" send --from a@x.example --to a@x.example 127.0.0.1:$SINK_PORT
check "the message refused at its end: exit 13 (got $RC)" [ "$RC" = 13 ]
check "the outcome names the reply" has "$T/st2.err" 'message refused: 554'
start_sink "$T/r3" --reply 'DATA=451 4.3.0 later' --no-ext PIPELINING || exit 1
run_smtpdbg "$T/st3" send --from a@x.example --to a@x.example 127.0.0.1:$SINK_PORT
check "DATA refused with 451 (try later): exit 22 (got $RC)" [ "$RC" = 22 ]
check "without PIPELINING one command at a time" \
    sh -c "grep -n 'C: RCPT' '$T/st3' | cut -d: -f1 | { read r; grep -n 'S: 250 2.1.0' '$T/st3' | cut -d: -f1 | { read m; [ \"\$m\" -lt \"\$r\" ]; }; }"
run_smtpdbg "$T/st4" send --from a@x.example --to a@x.example --pipeline 127.0.0.1:$SINK_PORT
check "--pipeline forces it, and says so" has "$T/st4" 'PIPELINING is forced: the server did not offer it'
start_sink "$T/r5" --reply 'RCPT=450 4.2.1 mailbox busy' || exit 1
run_smtpdbg "$T/st5" send --from a@x.example --to a@x.example 127.0.0.1:$SINK_PORT
check "RCPT 450: exit 21, not 11 (got $RC)" [ "$RC" = 21 ]
run_smtpdbg "$T/st5" send --from a@x.example --to a@x.example --quit-after CONNECT -q 127.0.0.1:$SINK_PORT
check "--quit-after CONNECT: exit 0 and says so" sh -c "[ $RC = 0 ] && grep -q 'stopped after CONNECT' '$T/st5'"
run_smtpdbg "$T/st6" send --from a@x.example --to a@x.example 127.0.0.1:1
check "nothing listening: exit 3 (got $RC)" [ "$RC" = 3 ]

# Guards: CR/LF in an address or header would inject a command.
run_smtpdbg "$T/g1" send --from 'a@x.example' --to "$(printf 'b@x.example>\r\nRSET')" 127.0.0.1:$SINK_PORT
check "a recipient holding CR LF is refused before connecting: exit 2 (got $RC)" [ "$RC" = 2 ]
run_smtpdbg "$T/g2" send --from a@x.example --to b@x.example --header "$(printf 'X-A: 1\nBcc: x@evil')" 127.0.0.1:$SINK_PORT
check "a header holding LF is refused: exit 2 (got $RC)" [ "$RC" = 2 ]

# MX lookup through a resolver written here (UDP and TCP, loopback).
# big.test's answer is "too big" for UDP: TC set, the records only over TCP.
dport=$(free_port)
$PY - $dport >"$T/dns.log" 2>&1 <<'PYEOF' &
import socket, struct, sys, threading
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', port))
def name(n): return b''.join(bytes([len(p)]) + p.encode() for p in n.split('.')) + b'\0'
def answer(q, tcp):
    qid = q[:2]; i = 12; labels = []
    while q[i]:
        labels.append(q[i+1:i+1+q[i]].decode()); i += 1 + q[i]
    qname = '.'.join(labels); qtype = struct.unpack('>H', q[i+1:i+3])[0]; qend = i + 5
    ans = []
    if qtype == 15 and qname == 'mail.test':
        ans = [(15, struct.pack('>H', 20) + name('mx2.mail.test')), (15, struct.pack('>H', 10) + name('mx1.mail.test'))]
    elif qtype == 1 and qname == 'mx1.mail.test': ans = [(1, socket.inet_aton('127.0.0.2'))]
    elif qtype == 1 and qname == 'mx2.mail.test': ans = [(1, socket.inet_aton('127.0.0.1'))]
    elif qtype == 15 and qname in ('big.test', 'old.test'):
        ans = [(15, struct.pack('>H', 10) + name('mx2.mail.test'))]
    rcode = 3 if qname == 'nx.test' else 0
    if qname == 'old.test' and q[11] == 1:   # a resolver that knows no EDNS0
        rcode = 1; ans = []
    tc = 0x0200 if qname == 'big.test' and not tcp else 0
    if tc: ans = []
    print('tcp' if tcp else 'udp', qname, qtype, 'edns' if q[11] == 1 else 'no-edns', flush=True)
    h = qid + struct.pack('>HHHHH', 0x8180 | tc | rcode, 1, len(ans), 0, 0)
    body = q[12:qend]
    for t, rd in ans:
        body += b'\xc0\x0c' + struct.pack('>HHIH', t, 1, 60, len(rd)) + rd
    return h + body
def tcp():
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port)); ls.listen(8)
    while True:
        c, _ = ls.accept()
        n = struct.unpack('>H', c.recv(2, socket.MSG_WAITALL))[0]
        r = answer(c.recv(n, socket.MSG_WAITALL), True)
        c.sendall(struct.pack('>H', len(r)) + r); c.close()
threading.Thread(target=tcp, daemon=True).start()
while True:
    q, a = s.recvfrom(2048)
    s.sendto(answer(q, False), a)
PYEOF
pids="$pids $!"
sleep 0.3
start_sink "$T/mxs" || exit 1
run_smtpdbg "$T/mx" send --from a@x.example --to user@mail.test --resolver 127.0.0.1:$dport --trust-anchor none \
    --mx-port $SINK_PORT --connect-timeout 3
check "MX lookup: tried mx1 (10) first, then mx2 (20); delivered: exit 0 (got $RC)" [ "$RC" = 0 ]
check "the order is shown, MX by MX" sh -c "grep -A2 'mail for mail.test goes to, in this order:' '$T/mx' | tr '\n' ' ' | grep -Eq 'MX 10 mx1\.mail\.test → 127\.0\.0\.2:[0-9]+ +MX 20 mx2\.mail\.test → 127\.0\.0\.1:[0-9]+'"
check "and the fallback" has "$T/mx" 'trying the next mail server: 127.0.0.1'
run_smtpdbg "$T/nx" send --from a@x.example --to user@nx.test --resolver 127.0.0.1:$dport --trust-anchor none
check "a domain that does not exist: exit 14 (got $RC)" sh -c "[ $RC = 14 ] && grep -q NXDOMAIN '$T/nx.err'"
run_smtpdbg "$T/big" send --from a@x.example --to user@big.test --resolver 127.0.0.1:$dport --trust-anchor none \
    --mx-port $SINK_PORT --connect-timeout 3
check "a truncated UDP answer is asked again over TCP and delivered: exit 0 (got $RC)" \
    sh -c "[ $RC = 0 ] && grep -q '^udp big.test 15' '$T/dns.log' && grep -q '^tcp big.test 15' '$T/dns.log'"
run_smtpdbg "$T/old" send --from a@x.example --to user@old.test --resolver 127.0.0.1:$dport --trust-anchor none \
    --mx-port $SINK_PORT --connect-timeout 3
check "FORMERR to EDNS0: asked again without it and delivered: exit 0 (got $RC)" \
    sh -c "[ $RC = 0 ] && grep -q '^udp old.test 15 edns' '$T/dns.log' && grep -q '^udp old.test 15 no-edns' '$T/dns.log'"
# (after old.test's FORMERR, libunbound remembers the server as knowing
# no EDNS0: only the queries before it count)
check "queries carry an EDNS0 OPT record" sh -c "! sed '/old\.test/,\$d' '$T/dns.log' | grep -q no-edns"
stop_sink
# TLS to an MX: the MX host's name is sent and verified, not the address.
start_sink "$T/mxs2" --hostname mx2.mail.test || exit 1
run_smtpdbg "$T/mxtls" send --from a@x.example --to user@mail.test --resolver 127.0.0.1:$dport --trust-anchor none \
    --mx-port $SINK_PORT --connect-timeout 3 --starttls --no-verify
check "MX with STARTTLS: delivered (got $RC)" [ "$RC" = 0 ]
check "SNI is the MX host's name" has "$T/mxtls" 'SNI mx2\.mail\.test'
check "and the hostname verdict checks that name" grep -Eq '^  hostname +pass' "$T/mxtls"
stop_sink

# aiosmtpd and Postfix's smtp-sink as the server.
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	ap=$(free_port)
	/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$ap -c aiosmtpd.handlers.Sink >/dev/null 2>&1 &
	pids="$pids $!"
	wait_port $ap
	run_smtpdbg "$T/aio" send --from a@x.example --to b@x.example --attach "$T/data.csv" 127.0.0.1:$ap
	check "aiosmtpd: accepted (exit $RC)" [ "$RC" = 0 ]
fi
if [ -x /usr/sbin/smtp-sink ]; then
	sp=$(free_port)
	/usr/sbin/smtp-sink -u nobody 127.0.0.1:$sp 10 >/dev/null 2>&1 &
	pids="$pids $!"
	wait_port $sp
	run_smtpdbg "$T/pf" send --from a@x.example --to b@x.example --count 5 127.0.0.1:$sp
	check "Postfix smtp-sink: five messages, pipelined (exit $RC)" [ "$RC" = 0 ]
fi
done_testing
