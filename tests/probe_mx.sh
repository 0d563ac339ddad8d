#!/bin/sh
# probe_mx - "smtpdbg probe --mx DOMAIN", all offline: a DNSSEC-signed test
# zone on NSD (secure, insecure and bogus children), smtpdbg sinks as the
# MX hosts on 127.0.0.x with certificates for their MX names (good,
# expired, for another name, without their intermediate), TLSA records
# that match and that do not, an MTA-STS policy over HTTPS from a local
# server with the test CA, and TLS-RPT records.
. "${top_srcdir:-.}/tests/lib.sh"
need certtool openssl
. "${top_srcdir:-.}/tests/zone.sh"
sh "${top_srcdir:-.}/tests/mkpki.sh" "$T/pki" || skip_all "certtool failed"
P=$T/pki

# cert NAME DNSNAME [template lines]: a leaf from the test intermediate
cert() {
	n=$1 dn=$2; shift 2
	{
		echo "cn = \"$dn\""; echo "dns_name = \"$dn\""; echo tls_www_server; echo signing_key
		for l in "$@"; do echo "$l"; done
		case "$*" in *_date*) ;; *) echo 'expiration_days = 30' ;; esac
	} > "$P/$n.tmpl"
	certtool --generate-privkey --key-type ecdsa --outfile "$P/$n.key" 2>/dev/null
	certtool --generate-certificate --load-privkey "$P/$n.key" --load-ca-certificate "$P/int.pem" \
		--load-ca-privkey "$P/int.key" --template "$P/$n.tmpl" --outfile "$P/$n.leaf.pem" 2>/dev/null
	cat "$P/$n.leaf.pem" "$P/int.pem" > "$P/$n.pem"
}
# tlsa FILE: "3 1 1 HEX" of the leaf's public key
tlsa() {
	h=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -hex | sed 's/.*= //')
	echo "3 1 1 $h"
}
cert mx1 mx1.sec.test
cert mx2 mx2.sec.test 'activation_date = "2019-01-01 00:00:00 UTC"' 'expiration_date = "2020-01-01 00:00:00 UTC"'
cert mx3 wrong.sec.test
cert soon mx1.soon.test 'expiration_days = 3'
cert insec mx1.insec.test
cert old mx1.old.test
cert chain mx1.chain.test
cp "$P/chain.key" "$P/chain.leaf.key"
cert plain mx1.plain.test
cert aio mx1.aio.test
cert sts mta-sts.sec.test 'dns_name = "mta-sts.good.test"' 'dns_name = "mta-sts.nopol.test"' 'dns_name = "mta-sts.redir.test"' 'dns_name = "mta-sts.html.test"' 'dns_name = "mta-sts.testing.test"'

PORT=$(free_port)
STS_PORT=$(free_port)
zone sec.test secure <<R
@ IN MX 10 mx1
@ IN MX 20 mx2
@ IN MX 30 mx3
mx1 IN A 127.0.0.2
mx2 IN A 127.0.0.3
mx3 IN A 127.0.0.4
_$PORT._tcp.mx1 IN TLSA $(tlsa "$P/mx1.leaf.pem")
_$PORT._tcp.mx2 IN TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
_mta-sts IN TXT "v=STSv1; id=20261203"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@sec.test"
mta-sts IN A 127.0.0.1
R
zone good.test secure <<R
@ IN MX 10 mx1.sec.test.
_mta-sts IN TXT "v=STSv1; id=1"
mta-sts IN A 127.0.0.1
_smtp._tls IN TXT "v=TLSRPTv1; rua=https://r.good.test/x"
R
zone insec.test insecure <<R
@ IN MX 10 mx1
mx1 IN A 127.0.0.5
_$PORT._tcp.mx1 IN TLSA $(tlsa "$P/insec.leaf.pem")
R
zone bogus.test bogus <<R
@ IN MX 10 mx1.sec.test.
R
zone soon.test secure <<R
@ IN MX 10 mx1
mx1 IN A 127.0.0.6
mx1 IN AAAA ::1
_$PORT._tcp.mx1 IN TLSA 2 0 1 $(openssl x509 -in "$P/int.pem" -outform DER | openssl dgst -sha256 -hex | sed 's/.*= //')
R
zone nomx.test secure <<R
@ IN A 127.0.0.2
R
zone null.test secure <<R
@ IN MX 0 .
R
zone dead.test secure <<R
@ IN MX 10 mx1
mx1 IN A 127.0.0.7
R
for z in nopol redir html testing; do
	zone $z.test secure <<R
@ IN MX 10 mx1.sec.test.
_mta-sts IN TXT "v=STSv1; id=1"
mta-sts IN A 127.0.0.1
R
done
zone two.test secure <<R
@ IN MX 10 mx1.sec.test.
_mta-sts IN TXT "v=STSv1; id=1"
_mta-sts IN TXT "v=STSv1; id=2"
R
for z in old:8 chain:9 plain:10 aio:11; do
	zone ${z%:*}.test secure <<R
@ IN MX 10 mx1
mx1 IN A 127.0.0.${z#*:}
R
done
zone_start || skip_all "nsd would not start"

# mx_sink IP CERT [options]: a sink as an MX host on IP:PORT
mx_sink() {
	ip=$1 c=$2; shift 2
	"$SMTPDBG" sink --cert "$P/$c.pem" --key "$P/$c.key" "$@" "$ip:$PORT" >"$T/sink.$ip" 2>"$T/sink.$ip.err" &
	pids="$pids $!"
}
mx_sink 127.0.0.2 mx1 --tls-min 1.2
mx_sink 127.0.0.3 mx2 --tls-min 1.2
mx_sink 127.0.0.4 mx3 --tls-min 1.2
mx_sink 127.0.0.5 insec --tls-min 1.2
mx_sink 127.0.0.6 soon --tls-min 1.2
"$SMTPDBG" sink --cert "$P/soon.pem" --key "$P/soon.key" --tls-min 1.2 "[::1]:$PORT" >"$T/sink.v6" 2>"$T/sink.v6.err" &
pids="$pids $!"
mx_sink 127.0.0.8 old --tls-max 1.0
mx_sink 127.0.0.9 chain.leaf --tls-min 1.2
mx_sink 127.0.0.10 plain --no-ext STARTTLS
# aiosmtpd as an MX host, with STARTTLS
cat > "$T/aio.py" <<'PYEOF'
import asyncio, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[3] + '.pem', sys.argv[3] + '.key')
c = Controller(Sink(), hostname=sys.argv[1], port=int(sys.argv[2]), tls_context=ctx, require_starttls=False)
c.start(); print('listening', flush=True)
import time
while True: time.sleep(3600)
PYEOF
aio=no
if $PY -c 'import aiosmtpd' 2>/dev/null; then
	$PY "$T/aio.py" 127.0.0.11 "$PORT" "$P/aio" > "$T/aio.out" 2>&1 &
	pids="$pids $!"
	aio=yes
fi
# the MTA-STS policy server: HTTPS with the test CA's certificate
mkdir -p "$T/www/sec" "$T/www/good" "$T/www/redir" "$T/www/html" "$T/www/testing"
echo 'REDIRECT https://mta-sts.good.test/.well-known/mta-sts.txt' > "$T/www/redir/policy"
echo '<html>version: STSv1</html>' > "$T/www/html/policy"
printf 'version: STSv1\nmode: testing\nmx: mx9.sec.test\nmax_age: 86400\n' > "$T/www/testing/policy"
printf 'version: STSv1\r\nmode: enforce\r\nmx: *.sec.test\r\nmax_age: 86400\r\n' > "$T/www/sec/policy"
printf 'version: STSv1\nmode: enforce\nmx: mx1.sec.test\nmax_age: 604800\n' > "$T/www/good/policy"
cat > "$T/https.py" <<'PYEOF'
import http.server, ssl, sys, os
root = sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers.get('Host', '').split(':')[0]
        zone = host[len('mta-sts.'):].split('.')[0]
        f = os.path.join(root, zone, 'policy')
        if self.path != '/.well-known/mta-sts.txt' or not os.path.exists(f):
            self.send_response(404); self.send_header('Content-Length', '0'); self.end_headers(); return
        body = open(f, 'rb').read()
        if body.startswith(b'REDIRECT '):
            self.send_response(301); self.send_header('Location', body[9:].decode().strip())
            self.send_header('Content-Length', '0'); self.end_headers(); return
        self.send_response(200)
        self.send_header('Content-Type', 'text/html' if body.startswith(b'<') else 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): sys.stderr.write(self.headers.get('Host', '') + ' ' + self.path + '\n')
s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2] + '.pem', sys.argv[2] + '.key')
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PYEOF
$PY "$T/https.py" "$STS_PORT" "$P/sts" "$T/www" 2>"$T/https.log" &
pids="$pids $!"
wait_port "$STS_PORT"
for ip in 2 3 4 5 6 8 9 10 v6; do
	i=0
	f=$T/sink.127.0.0.$ip.err
	[ $ip = v6 ] && f=$T/sink.v6.err
	while [ $i -lt 100 ] && ! grep -q 'listening on' "$f" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
done

mxp() { run_smtpdbg "$@" --resolver "$DNS" --trust-anchor "$TA" --mx-port "$PORT" --mta-sts-port "$STS_PORT" --ca-file "$P/ca.pem"; }

row() { grep -E "^$2 " "$1" | tr -s ' '; }
mxp "$T/sec" probe --mx sec.test
check "sec.test: CRITICAL, exit 6 (got $RC)" [ "$RC" = 6 ]
check "the MX RRset is DNSSEC-secure" has "$T/sec" '^  MX RRset: DNSSEC secure$'
check "every MX host with its TLSA name and records" sh -c "grep -q 'MX 10 mx1.sec.test: 1 IPv4 (secure), 0 IPv6 (secure); TLSA _$PORT._tcp.mx1.sec.test: 1 record (secure)' '$T/sec' && grep -q 'TLSA _$PORT._tcp.mx3.sec.test: none (secure)' '$T/sec'"
check "mx1: TLS, trusted, name, DANE-EE and MTA-STS pass: OK" [ "$(row "$T/sec" 10)" = "10 mx1.sec.test 127.0.0.2 TLS1.3 1.2,1.3 trusted match 29d pass (EE) pass OK" ]
check "mx2: expired, DANE fails (wrong TLSA), MTA-STS fails: CRITICAL" [ "$(row "$T/sec" 20)" = "20 mx2.sec.test 127.0.0.3 TLS1.3 1.2,1.3 trusted match EXPIRED FAIL FAIL CRITICAL" ]
check "mx3: the certificate names another host" [ "$(row "$T/sec" 30)" = "30 mx3.sec.test 127.0.0.4 TLS1.3 1.2,1.3 trusted MISMATCH 29d none FAIL CRITICAL" ]
check "the DANE failure in words" has "$T/sec" '^CRITICAL mx2\.sec\.test \[127\.0\.0\.3\]: DANE: no TLSA record matches'
check "the expiry in words" has "$T/sec" '^CRITICAL mx2\.sec\.test \[127\.0\.0\.3\]: certificate 0 \(CN=mx2\.sec\.test\) expired [0-9]+ days ago'
check "MTA-STS in enforce mode makes a name mismatch critical" has "$T/sec" '^CRITICAL mx3\.sec\.test \[127\.0\.0\.4\]: MTA-STS \(enforce\): the certificate is not valid for mx3\.sec\.test in the WebPKI \(name\)'
check "the policy as fetched" has "$T/sec" "policy https://mta-sts\.sec\.test:$STS_PORT/\.well-known/mta-sts\.txt: mode enforce, max_age 86400, mx \*\.sec\.test"
check "it was fetched from mta-sts.DOMAIN with the right path" has "$T/https.log" "^mta-sts\.sec\.test:$STS_PORT /\.well-known/mta-sts\.txt"
check "TLS-RPT shown" has "$T/sec" 'TLS-RPT: "v=TLSRPTv1; rua=mailto:tlsrpt@sec\.test" \(secure\), reports to mailto:tlsrpt@sec\.test'
check "the domain verdict" has "$T/sec" '^domain sec\.test: CRITICAL \(3 addresses in [0-9]+ ms\)$'
check "the SMTP sessions ended with QUIT" sh -c "grep -q 'QUIT' '$T/sink.127.0.0.2'"

mxp "$T/good" probe --mx good.test
check "good.test (one good MX, DANE and MTA-STS): OK, exit 0 (got $RC)" [ "$RC" = 0 ]
check "its row" [ "$(row "$T/good" 10)" = "10 mx1.sec.test 127.0.0.2 TLS1.3 1.2,1.3 trusted match 29d pass (EE) pass OK" ]
check "an https: TLS-RPT address" has "$T/good" 'reports to https://r\.good\.test/x'

mxp "$T/insec" probe --mx insec.test
check "insec.test: TLSA in an unsigned zone: WARNING, exit 16 (got $RC)" [ "$RC" = 16 ]
check "said as such" has "$T/insec" '^WARNING  mx1\.insec\.test \[127\.0\.0\.5\]: TLSA present but not secure \(TLSA insecure, mx1\.insec\.test insecure\): DANE senders ignore it'
check "DANE column: insecure" [ "$(row "$T/insec" 10)" = "10 mx1.insec.test 127.0.0.5 TLS1.3 1.2,1.3 trusted match 29d insecure - WARNING" ]
check "no MTA-STS, no TLS-RPT: said" sh -c "grep -q 'MTA-STS: no _mta-sts TXT record' '$T/insec' && grep -q 'TLS-RPT: no _smtp._tls TXT record' '$T/insec'"

mxp "$T/bogus" probe --mx bogus.test
check "bogus.test: the MX RRset is bogus: CRITICAL (got $RC)" [ "$RC" = 6 ]
check "with libunbound's reason" has "$T/bogus" '^CRITICAL DNSSEC: the MX records are bogus: .*signature expired'

mxp "$T/soon" probe --mx soon.test
check "soon.test: a certificate expiring in 3 days is critical by default (got $RC)" sh -c "[ $RC = 6 ] && grep -q 'expires in [23] days (--crit-days 7)' '$T/soon'"
check "an IPv4 and an IPv6 address of one MX, both probed" sh -c "grep -Eq '^10 +mx1\.soon\.test +127\.0\.0\.6 ' '$T/soon' && grep -Eq '^10 +mx1\.soon\.test +::1 ' '$T/soon' && grep -q 'MX 10 mx1.soon.test: 1 IPv4 (secure), 1 IPv6 (secure)' '$T/soon'"
check "DANE-TA (2 0 1 of the intermediate) passes on both" [ "$(grep -c ' pass (TA) ' "$T/soon")" = 2 ]
mxp "$T/nomx" probe --mx nomx.test
check "no MX: the domain itself, said (got $RC)" sh -c "grep -q 'domain nomx.test: no MX, the domain itself' '$T/nomx' && grep -Eq '^- +nomx\.test +127\.0\.0\.2 +TLS1\.3' '$T/nomx'"
mxp "$T/null" probe --mx null.test
check "a null MX: no mail, nothing probed, OK (got $RC)" sh -c "[ $RC = 0 ] && grep -q 'publishes a null MX (RFC 7505): it takes no mail' '$T/null' && grep -q '(0 addresses in' '$T/null'"
mxp "$T/soon2" probe --mx soon.test --crit-days 1 --warn-days 10
check "--crit-days 1 --warn-days 10: a warning (got $RC)" sh -c "[ $RC = 16 ] && grep -q 'expires in [23] days (--warn-days 10)' '$T/soon2'"
mxp "$T/soon3" probe --mx soon.test --crit-days 1 --warn-days 2
check "--warn-days 2: OK (got $RC)" [ "$RC" = 0 ]
mxp "$T/soon4" probe --mx soon.test --crit-days 5 --warn-days 2
check "--crit-days over --warn-days: a usage error (got $RC)" [ "$RC" = 2 ]

mxp "$T/dead" probe --mx dead.test --connect-timeout 2
check "dead.test: no address reachable: CRITICAL (got $RC)" sh -c "[ $RC = 6 ] && grep -q '^CRITICAL no MX address of dead.test could be reached' '$T/dead'"

mxp "$T/nx" probe --mx nothere.sec.test
check "a domain that does not exist: UNKNOWN, exit 14 (got $RC)" sh -c "[ $RC = 14 ] && grep -q 'NXDOMAIN' '$T/nx'"

mxp "$T/old" probe --mx old.test
check "old.test: a TLS 1.0-only server: WARNING (got $RC)" [ "$RC" = 16 ]
check "its row: TLS1.0, versions 1.0 only" sh -c "grep -Eq '^10 +mx1\.old\.test +127\.0\.0\.8 +TLS1\.0 +1\.0 +trusted' '$T/old'"
check "said in words" has "$T/old" 'WARNING  mx1\.old\.test \[127\.0\.0\.8\]: accepts TLS 1\.0 \(RFC 8996 deprecates them\)'
check "and that TLS 1.0 is older than 1.2" has "$T/old" 'TLS1\.0 negotiated: older than TLS 1\.2'
mxp "$T/chain" probe --mx chain.test
check "chain.test: a server that sends no intermediate: WARNING (got $RC)" [ "$RC" = 16 ]
check "said plainly" has "$T/chain" 'incomplete chain: the server sent 1 certificate; the issuer CN=smtpdbg test intermediate of the last is not among them'
check "CERTIFICATE column: incomplete" sh -c "grep -Eq '^10 +mx1\.chain\.test .* incomplete +match' '$T/chain'"
mxp "$T/plain" probe --mx plain.test
check "plain.test: no STARTTLS: CRITICAL (got $RC)" [ "$RC" = 6 ]
check "its row and the reason" sh -c "grep -Eq '^10 +mx1\.plain\.test +127\.0\.0\.10 +no STARTTLS ' '$T/plain' && grep -q 'no TLS: .*STARTTLS' '$T/plain'"
check "MAIL without TLS: a note" has "$T/plain" 'note +mx1\.plain\.test \[127\.0\.0\.10\]: MAIL is accepted without STARTTLS \(250\)'
mxp "$T/cipher" probe --mx sec.test --json -q
check "TLS 1.2 ciphers and groups enumerated" $PY -c '
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])][0]
c = h["ciphers_tls12"].split(); g = h["groups_tls12"].split()
assert len(c) >= 3 and "AES-256-GCM" in c and len(set(c)) == len(c), c
assert len(g) >= 2 and "X25519" in g and len(set(g)) == len(g), g
assert h["versions"] == ["1.2", "1.3"], h["versions"]
' "$T/cipher"

for z in nopol redir html; do
	mxp "$T/$z" probe --mx $z.test
done
check "an MTA-STS record without a policy (404): CRITICAL (got $RC)" sh -c "grep -q '^CRITICAL MTA-STS: the policy https://mta-sts.nopol.test:$STS_PORT/.well-known/mta-sts.txt could not be fetched: HTTP 404, not 200' '$T/nopol'"
check "a redirect is not followed (RFC 8461 3.3)" has "$T/redir" '^CRITICAL MTA-STS: .*HTTP 301: a redirect, which RFC 8461 3\.3 forbids following'
check "a policy served as text/html is refused" has "$T/html" 'is served as "text/html", not text/plain'
mxp "$T/testing" probe --mx testing.test
check "testing mode: an MX outside the policy is a warning, not critical (got $RC)" sh -c "[ $RC = 16 ] && grep -q '^WARNING  mx1.sec.test \[127.0.0.2\]: MTA-STS (testing): mx1.sec.test matches no mx pattern' '$T/testing' && grep -q '^note     MTA-STS is in testing mode' '$T/testing'"

mxp "$T/q" probe --mx good.test -q
check "-q: only the verdict line (got $RC)" sh -c "[ $RC = 0 ] && [ \$(wc -l < '$T/q') = 1 ] && grep -Eq '^domain good\.test: OK \(1 address in [0-9]+ ms\)$' '$T/q'"
mxp "$T/two" probe --mx two.test
check "two v=STSv1 records: no policy, said as such (got $RC)" sh -c "[ $RC = 6 ] && grep -q '^CRITICAL MTA-STS: 2 v=STSv1 TXT records: RFC 8461 3.1 wants exactly one, so senders see none' '$T/two'"

mxp "$T/chk" probe --mx good.test --checks injection,relay --json -q
check "--checks with --mx: per address, in the mx_host object (got $RC)" $PY -c '
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])][0]
assert h["checks"]["injection"] == "safe" and h["checks"]["relay"] == 250, h["checks"]
assert any("open relay" in p["text"] for p in h["problems"]), h["problems"]
' "$T/chk"
check "and documented" $PY "${top_srcdir:-.}/tests/jsondoc.py" "${top_srcdir:-.}/man/smtpdbg.md" "$T/chk"

# --baseline: every change since an earlier --json run
mxp "$T/b0" probe --mx good.test --json=$T/base.json -q
mxp "$T/b1" probe --mx good.test --baseline "$T/base.json"
check "--baseline with nothing changed: OK (got $RC)" sh -c "[ $RC = 0 ] && ! grep -q baseline '$T/b1'"
# the same run, edited: another certificate, key and protocol, a keyword gone and one new
$PY - "$T/base.json" "$T/base2.json" <<'PYEOF'
import json, sys
out = open(sys.argv[2], 'w')
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o['event'] == 'mx_host':
        o['certificates'][0]['sha256'] = '00:11'
        o['certificates'][1]['key'] = 'RSA 1024 bits'
        o['protocol'] = 'TLS1.2'
        o['ehlo'] = o['ehlo'].replace('CHUNKING', 'XFORWARD')
        o['versions'] = ['1.1', '1.2', '1.3']
        gone = dict(o); gone['mx'] = 'mx9.good.test'; gone['address'] = '192.0.2.9'
        out.write(json.dumps(gone) + '\n')
    out.write(json.dumps(o) + '\n')
PYEOF
mxp "$T/b2" probe --mx good.test --baseline "$T/base2.json" --json=$T/b2.json
check "--baseline with changes: WARNING, exit 16 (got $RC)" [ "$RC" = 16 ]
check "the certificate that changed" has "$T/b2" '^WARNING  baseline: mx1\.sec\.test \[127\.0\.0\.2\] certificates\.0\.sha256: 00:11 -> [0-9A-F:]{95}$'
check "the key" has "$T/b2" 'certificates\.1\.key: RSA 1024 bits -> ECDSA 256 bits \(SECP256R1\)$'
check "the protocol" has "$T/b2" 'protocol: TLS1\.2 -> TLS1\.3$'
check "the TLS versions" has "$T/b2" 'versions: 1\.1,1\.2,1\.3 -> 1\.2,1\.3$'
check "the EHLO keywords, word by word" has "$T/b2" 'ehlo: \+CHUNKING -XFORWARD$'
check "a host that is gone" has "$T/b2" '^WARNING  baseline: mx9\.good\.test \[192\.0\.2\.9\] is gone$'
check "nothing else is said changed" [ "$(grep -c 'baseline:' "$T/b2")" = 6 ]
check "baseline_changes in the domain object" grep -q '"baseline_changes":6' "$T/b2.json"
echo 'not json' > "$T/bad.json"
mxp "$T/b3" probe --mx good.test --baseline "$T/bad.json"
check "a baseline that is not JSON: a usage error (got $RC)" sh -c "[ $RC = 2 ] && grep -q 'line 1 is not JSON' '$T/b3.err'"

if [ $aio = yes ]; then
	i=0
	while [ $i -lt 100 ] && ! grep -q listening "$T/aio.out"; do sleep 0.05; i=$((i + 1)); done
	mxp "$T/aio" probe --mx aio.test --checks injection,smuggling,vrfy --rcpt postmaster@aio.test
	check "aiosmtpd as the MX: TLS, trusted, its name (got $RC)" sh -c "grep -Eq '^10 +mx1\.aio\.test +127\.0\.0\.11 +TLS1\.3 +1\.2,1\.3 +trusted +match +29d +none +- +OK' '$T/aio'"
	check "aiosmtpd: not open to STARTTLS command injection" has "$T/aio" 'mx1\.aio\.test \[127\.0\.0\.11\]: STARTTLS command injection: not vulnerable'
	check "aiosmtpd: no smuggling variant ends its data" has "$T/aio" 'mx1\.aio\.test \[127\.0\.0\.11\]: SMTP smuggling: no variant ended the data'
	check "aiosmtpd: the domain is OK (got $RC)" [ "$RC" = 0 ]
fi

mxp "$T/fast" probe --mx good.test --fast --json
check "--fast: one session per address, no versions asked (got $RC)" sh -c "[ $RC = 0 ] && grep -q '\"versions\":\[\]' '$T/fast' && grep -q '\"ciphers_tls12\":\"\"' '$T/fast'"

# the monitoring plugin conventions
mxp "$T/n1" probe --mx good.test --nagios
check "--nagios OK: exit 0 (got $RC)" [ "$RC" = 0 ]
check "one status line with perfdata" sh -c "[ \$(wc -l < '$T/n1') = 1 ] && grep -Eq '^SMTP MX OK - good\.test: 1 address, 1 with TLS \| addresses=1 tls=1 cert_days=29;21;7 time=[0-9.]+s$' '$T/n1'"
mxp "$T/n2" probe --mx sec.test --nagios
check "--nagios CRITICAL: exit 2 (got $RC)" sh -c "[ $RC = 2 ] && grep -q '^SMTP MX CRITICAL - sec.test: 3 addresses, 3 with TLS; mx2.sec.test \[127.0.0.3\]: DANE' '$T/n2'"
mxp "$T/n3" probe --mx insec.test --nagios
check "--nagios WARNING: exit 1 (got $RC)" [ "$RC" = 1 ]
mxp "$T/n4" probe --mx nothere.sec.test --nagios
check "--nagios UNKNOWN: exit 3 (got $RC)" [ "$RC" = 3 ]

# JSON: one object per address and a summary
mxp "$T/j" probe --mx sec.test --json -q
check "--json -q: exit 6 (got $RC)" [ "$RC" = 6 ]
check "--json: three mx_host objects and one domain object" sh -c "[ \$(grep -c '\"event\":\"mx_host\"' '$T/j') = 3 ] && [ \$(grep -c '\"event\":\"domain\"' '$T/j') = 1 ]"
check "every line is JSON, with the fields a monitor reads" $PY -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
h = {e["mx"]: e for e in ev if e["event"] == "mx_host"}
d = [e for e in ev if e["event"] == "domain"][0]
assert h["mx1.sec.test"]["dane"] == "pass" and h["mx1.sec.test"]["mta_sts"] == "pass"
assert h["mx2.sec.test"]["min_days"] < 0 and h["mx2.sec.test"]["status"] == "CRITICAL"
assert h["mx1.sec.test"]["certificates"][0]["subject"].startswith("CN=mx1.sec.test")
assert len(h["mx1.sec.test"]["certificates"]) == 2
assert "STARTTLS" not in h["mx1.sec.test"]["ehlo"].split() and h["mx1.sec.test"]["starttls"]
assert d["status"] == "CRITICAL" and d["mta_sts_mode"] == "enforce" and d["mx_dnssec"] == "secure"
assert d["tlsrpt"] == "mailto:tlsrpt@sec.test"
assert d["mta_sts_dnssec"] == "secure" and d["tlsrpt_dnssec"] == "secure"
assert h["mx1.sec.test"]["tlsa_dnssec"] == "secure" and h["mx3.sec.test"]["tlsa_records"] == 0
assert h["mx1.sec.test"]["tlsa_records"] == 1
' "$T/j"
check "every object and field is documented in the manual" $PY "${top_srcdir:-.}/tests/jsondoc.py" \
    "${top_srcdir:-.}/man/smtpdbg.md" --need mx_host,domain "$T/j"
check "-q --json: nothing else on stdout" sh -c "! grep -v '^{' '$T/j'"
done_testing
