#!/bin/sh
# tls_verdicts - the client's TLS report against certificates made by the
# tests (certtool): every verdict, its reason, and the exit code.
. "${top_srcdir:-.}/tests/lib.sh"
need certtool
sh "${top_srcdir:-.}/tests/mkpki.sh" "$T/pki" || { echo "1..0 # SKIP certtool failed"; exit 0; }
P=$T/pki
printf '%s\n' '/expect 250 MAIL FROM:<a@example.org>' '/expect 221 QUIT' > "$T/txn"

# tls NAME CERT [CLIENT-OPTIONS...] : sink serving CERT, client --starttls
tls() {
	name=$1; cert=$2; shift 2
	start_sink "$T/s-$name" --cert "$P/$cert.pem" --key "$P/$cert.key" || return 1
	run_smtpdbg "$T/$name" --starttls "$@" "localhost:$SINK_PORT" < "$T/txn"
	stop_sink
}
verdict() {	# verdict FILE CHECK RESULT REGEX
	has "$1" "^  $2 +$3 +$4"
}

tls good good --ca-file "$P/ca.pem"
check "good chain, private CA: exit 0" [ "$RC" = 0 ]
check "good chain: trust pass, names the CA file" verdict "$T/good" trust pass "chains to a CA in .*ca\.pem \(1 CA\)"
check "good chain: hostname pass" verdict "$T/good" hostname pass "localhost matches the certificate"
check "good chain: validity pass" verdict "$T/good" validity pass "valid now; the leaf expires in (29|30) days"
check "good chain: two certificates in the right order" has "$T/good" '^Certificate chain \(2 certificates; order: each certificate is issued by the next\)'
check "good chain: SANs listed" has "$T/good" 'SAN +DNS:mail\.test, DNS:localhost, IP:127\.0\.0\.1'
check "good chain: the SNI sent is shown" has "$T/good" '^  SNI +localhost$'
check "good chain: the intermediate is marked CA" has "$T/good" 'key +ECDSA 256 bits \(SECP256R1\), CA'
fp=$(certtool --fingerprint --hash sha256 --infile "$P/good.leaf.pem" 2>/dev/null | tr a-f A-F | sed 's/../&:/g; s/:$//')
check "good chain: the SHA-256 fingerprint matches certtool's" has "$T/good" "SHA-256 +$fp"
check "the sink logged the SNI it received" has "$T/s-good" 'TLS started: TLS1\.3 .*SNI localhost'
check "after TLS the client sent EHLO again, encrypted" has "$T/good" 'C~ EHLO '
check "and reported what changed" has "$T/good" 'capabilities after TLS: -STARTTLS'
check "the prompt-less transcript marks encrypted replies" has "$T/good" 'S~ 221 2\.0\.0 Bye'

# The system-store path: a bundle of many CAs that includes ours.
cat /etc/ssl/certs/ca-certificates.crt "$P/ca.pem" > "$T/bundle.pem" 2>/dev/null || cp "$P/ca.pem" "$T/bundle.pem"
n=$(grep -c 'BEGIN CERTIFICATE' "$T/bundle.pem")
SSL_CERT_FILE=$T/bundle.pem; export SSL_CERT_FILE
tls bundle good
unset SSL_CERT_FILE
check "a system bundle holding the CA: exit 0" [ "$RC" = 0 ]
check "only the CA that names the issuer was parsed (1 of $n)" verdict "$T/bundle" trust pass "chains to a CA in the system store \($T/bundle\.pem: 1 of $n CAs name an issuer"

tls untrusted good
check "private CA not trusted by the system store: exit 6" [ "$RC" = 6 ]
check "untrusted: trust FAIL with the reason" verdict "$T/untrusted" trust FAIL "The certificate issuer is unknown"
check "untrusted: no MAIL was sent after the failed verdict" hasnt "$T/untrusted" 'C~ MAIL'
tls noverify good --no-verify
check "--no-verify: the same chain goes on, exit 0" [ "$RC" = 0 ]

check "good chain: strength pass" verdict "$T/good" strength pass "keys and signatures meet GnuTLS's MEDIUM profile"

# Weak keys and signatures are a failed check of their own, as curl and
# Python refuse them: no MAIL unless --no-verify.
tls weakrsa weakrsa --ca-file "$P/ca.pem"
check "a 1024-bit RSA key: exit 6 (got $RC)" [ "$RC" = 6 ]
check "1024-bit RSA: strength FAIL names the certificate and its key" verdict "$T/weakrsa" strength FAIL "certificate 0 has a 1024-bit RSA key \\(under GnuTLS's MEDIUM profile\\)"
check "1024-bit RSA: trust itself passes (its own line)" verdict "$T/weakrsa" trust pass ""
check "1024-bit RSA: no MAIL was sent" hasnt "$T/weakrsa" 'C~ MAIL'
tls sha1 sha1 --ca-file "$P/ca.pem"
check "a SHA-1 signature below the root: exit 6 (got $RC)" [ "$RC" = 6 ]
check "SHA-1: strength FAIL names the signature" verdict "$T/sha1" strength FAIL "certificate 0 is signed with ECDSA-SHA1"
tls sha1nv sha1 --ca-file "$P/ca.pem" --no-verify
check "SHA-1 with --no-verify: goes on, exit 0 (got $RC)" [ "$RC" = 0 ]

tls wrongname good --ca-file "$P/ca.pem" --sni other.example
check "wrong name: exit 6" [ "$RC" = 6 ]
check "wrong name: hostname FAIL names the name and the SANs" verdict "$T/wrongname" hostname FAIL "other\.example is not in the certificate \(SAN DNS:mail\.test"
check "wrong name: trust still passes" verdict "$T/wrongname" trust pass ""

start_sink "$T/s-ip" --cert "$P/good.pem" --key "$P/good.key"
run_smtpdbg "$T/ip" --starttls --ca-file "$P/ca.pem" "127.0.0.1:$SINK_PORT" < "$T/txn"
stop_sink
check "IP literal: exit 0" [ "$RC" = 0 ]
check "IP literal: matched against the IP SAN" verdict "$T/ip" hostname pass "127\.0\.0\.1 matches the certificate \(IP SAN\)"
check "IP literal: no SNI sent" has "$T/ip" 'SNI not sent \(IP literal\)'

tls missing good --ca-file "$P/ca.pem"
cp "$P/good.leaf.pem" "$P/leafonly.pem"; cp "$P/good.key" "$P/leafonly.key"
tls leafonly leafonly --ca-file "$P/ca.pem"
check "missing intermediate: exit 6" [ "$RC" = 6 ]
check "missing intermediate: trust FAIL, issuer unknown" verdict "$T/leafonly" trust FAIL "The certificate issuer is unknown\. \(status 0x42\)"

tls expired expired --ca-file "$P/ca.pem"
check "expired: exit 6" [ "$RC" = 6 ]
check "expired: validity FAIL with the date" verdict "$T/expired" validity FAIL "certificate 0 expired on 2020-01-01 00:00 UTC"
check "expired: trust itself passes" verdict "$T/expired" trust pass ""
check "expired: the chain says EXPIRED n days ago, never negative days left" sh -c \
    "grep -Eq 'valid .*\(EXPIRED [0-9]+ days ago\)' '$T/expired' && ! grep -q -- '-[0-9]* days left' '$T/expired'"

tls future future --ca-file "$P/ca.pem"
check "not yet valid: exit 6" [ "$RC" = 6 ]
check "not yet valid: validity FAIL with the date" verdict "$T/future" validity FAIL "certificate 0 is not valid before 2090-01-01"

tls ed25519 ed25519 --ca-file "$P/ca.pem"
check "Ed25519 leaf: exit 0" [ "$RC" = 0 ]
check "Ed25519 leaf: key type shown" has "$T/ed25519" 'key +EdDSA \(Ed25519\) 256 bits'
tls rsa rsa --ca-file "$P/ca.pem"
check "RSA-2048 leaf: exit 0" [ "$RC" = 0 ]
check "RSA-2048 leaf: key type shown" has "$T/rsa" 'key +RSA 2048 bits'

tls self self --sni mail.test
check "self-signed: exit 6" [ "$RC" = 6 ]
check "self-signed: trust FAIL" verdict "$T/self" trust FAIL ""

tls12() { tls tls12 good --ca-file "$P/ca.pem" --tls-max 1.2; }
tls12
check "--tls-max 1.2 negotiates TLS 1.2" has "$T/tls12" '^  protocol +TLS1\.2$'

# DANE, offline: records given on the command line.
r311=$(danetool --tlsa-rr --host=x --load-certificate "$P/good.leaf.pem" 2>/dev/null |
	sed -n 's/.*( 03 01 01 \([0-9a-f]*\) ).*/\1/p')
r201=$(certtool --fingerprint --hash sha256 --infile "$P/int.pem" 2>/dev/null | tr -d ':')
tls dane good --tlsa "3 1 1 $r311"
check "DANE 3 1 1 match: pass at depth 0" verdict "$T/dane" DANE pass "record 1 \(3 1 1\) matches the certificate at depth 0"
check "DANE-EE match: the session is trusted without the CA, exit 0" [ "$RC" = 0 ]
check "DANE-EE match: trust pass, says why" verdict "$T/dane" trust pass "authenticated by a DANE-EE record"
tls dane2 good --tlsa "3 1 1 $(printf '%064d' 0)" --tlsa "2 0 1 $r201"
check "DANE 2 0 1 match (after a wrong record): pass at depth 1" verdict "$T/dane2" DANE pass "record 2 \(2 0 1\) matches the certificate at depth 1"
check "DANE-TA match: trusted without the CA, name still checked, exit 0" [ "$RC" = 0 ]
tls dane4 good --tlsa "3 1 1 $r311" --sni other.example
check "DANE-EE ignores the name (RFC 7672): exit 0" [ "$RC" = 0 ]
check "DANE-EE: hostname n/a, says why" verdict "$T/dane4" hostname n/a "not checked for DANE-EE"
tls dane5 expired --tlsa "3 1 1 $(danetool --tlsa-rr --host=x --load-certificate "$P/expired.leaf.pem" 2>/dev/null | sed -n 's/.*( 03 01 01 \([0-9a-f]*\) ).*/\1/p')"
check "DANE-EE ignores expiry (RFC 7672): exit 0" [ "$RC" = 0 ]
check "DANE-EE: the expiry is still shown" verdict "$T/dane5" validity n/a "certificate 0 expired on 2020-01-01.*ignored for DANE-EE"
r211=$(danetool --tlsa-rr --host=x --ca --load-certificate "$P/int.pem" 2>/dev/null |
	sed -n 's/.*( 02 01 01 \([0-9a-f]*\) ).*/\1/p')
tls dane211 good --tlsa "2 1 1 $r211"
check "DANE 2 1 1 (the intermediate's key): pass at depth 1, exit 0" verdict "$T/dane211" DANE pass "record 1 \(2 1 1\) matches the certificate at depth 1"
tls dane211bad good --tlsa "2 1 1 $(echo "$r211" | tr 0-9a-f 1-9a-f0)"
check "DANE 2 1 1 mismatch: exit 6" [ "$RC" = 6 ]
tls dane3 good --ca-file "$P/ca.pem" --tlsa "3 1 1 $(echo "$r311" | tr 0-9a-f 1-9a-f0)"
check "DANE mismatch: exit 6" [ "$RC" = 6 ]
check "DANE mismatch: FAIL with the reason" verdict "$T/dane3" DANE FAIL "no TLSA record matches"

# OCSP staples made with openssl ocsp: good, revoked, signed by a stranger.
if command -v openssl >/dev/null 2>&1; then
	serial=$(certtool -i --infile "$P/good.leaf.pem" | sed -n 's/.*Serial Number (hex): \([0-9a-f]*\).*/\1/p' | tr a-f A-F)
	printf 'V\t301231235959Z\t\t%s\tunknown\t/CN=mail.test\n' "$serial" > "$T/index.good"
	printf 'R\t301231235959Z\t260101000000Z\t%s\tunknown\t/CN=mail.test\n' "$serial" > "$T/index.revoked"
	openssl ocsp -issuer "$P/int.pem" -cert "$P/good.leaf.pem" -reqout "$T/req.der" -no_nonce >/dev/null 2>&1
	for k in good revoked; do
		openssl ocsp -index "$T/index.$k" -rsigner "$P/int.pem" -rkey "$P/int.key" -CA "$P/int.pem" \
			-reqin "$T/req.der" -respout "$T/$k.der" -ndays 7 >/dev/null 2>&1
	done
	openssl ocsp -index "$T/index.good" -rsigner "$P/self.pem" -rkey "$P/self.key" -CA "$P/int.pem" \
		-reqin "$T/req.der" -respout "$T/stranger.der" -ndays 7 >/dev/null 2>&1
	ocsp() {	# ocsp NAME RESPONSE
		start_sink "$T/s-$1" --cert "$P/good.pem" --key "$P/good.key" --ocsp-response "$2" || return 1
		run_smtpdbg "$T/$1" --starttls --ca-file "$P/ca.pem" "localhost:$SINK_PORT" < "$T/txn"
		stop_sink
	}
	ocsp ocspgood "$T/good.der"
	check "OCSP staple good: exit 0" [ "$RC" = 0 ]
	check "OCSP staple good: pass, signature checked" verdict "$T/ocspgood" OCSP pass "stapled response: good, signed by the issuer"
	ocsp ocsprevoked "$T/revoked.der"
	check "OCSP staple revoked: exit 6" [ "$RC" = 6 ]
	check "OCSP staple revoked: FAIL with the date" verdict "$T/ocsprevoked" OCSP FAIL "stapled response: the certificate is REVOKED on 2026-01-01"
	ocsp ocspstranger "$T/stranger.der"
	check "OCSP staple signed by a stranger: exit 6" [ "$RC" = 6 ]
	check "OCSP staple signed by a stranger: FAIL" verdict "$T/ocspstranger" OCSP FAIL "stapled response is not signed by the certificate.s issuer"
fi

# A client certificate is shown by the sink.
start_sink "$T/s-cc" || exit 1
run_smtpdbg "$T/cc" --starttls --no-verify --cert "$P/rsa.pem" --key "$P/rsa.key" "localhost:$SINK_PORT" < "$T/txn"
stop_sink
check "client certificate: the session works" [ "$RC" = 0 ]
check "the sink names the client certificate" has "$T/s-cc" 'client certificate CN=mail\.test'

# JSON and /cert pem
start_sink "$T/s-json" --cert "$P/good.pem" --key "$P/good.key"
printf '%s\n' "/cert pem $T/chain.pem" '/expect 221 QUIT' > "$T/in"
run_smtpdbg "$T/json" --starttls --ca-file "$P/ca.pem" --json="$T/ev.jsonl" "localhost:$SINK_PORT" < "$T/in"
stop_sink
check "/cert pem writes the presented chain" [ "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" = 2 ]
check "the written leaf is the served one" sh -c "certtool -i --infile '$T/chain.pem' 2>/dev/null | grep -q 'mail.test'"
check "the JSON tls event holds session, chain and verdicts" $PY -c "
import json
ev=[json.loads(l) for l in open('$T/ev.jsonl')]
t=[e for e in ev if e['event']=='tls'][0]
assert t['session']['protocol'].startswith('TLS1.')
assert len(t['chain'])==2 and t['chain'][0]['san'].startswith('DNS:mail.test')
assert t['verdicts']['trust']['result']=='pass' and t['verdicts']['ocsp']['result']=='n/a'
assert any(e['event']=='line' and e.get('tls') for e in ev)
"
done_testing
