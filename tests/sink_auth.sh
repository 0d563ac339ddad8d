#!/bin/sh
# sink_auth - AUTH on the sink against real clients: swaks (PLAIN, LOGIN,
# CRAM-MD5, over STARTTLS), Python smtplib, an independent SCRAM-SHA-256
# client written here from RFC 5802, XOAUTH2/OAUTHBEARER by hand; the RFC
# 4954 error replies; and no secret in the transcript, JSON or sidecar.
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY" swaks
printf '# test users\nalice:s3cret-PW\nbob:tok.en-42\n' >"$T/users"

start_sink "$T/a" --auth-users "$T/users" --auth-any-time --maildir "$T/md" --json-sidecar \
    --json="$T/a.jsonl" || exit 1
for m in PLAIN LOGIN CRAM-MD5; do
	swaks --server 127.0.0.1:$SINK_PORT --auth $m --auth-user alice --auth-password s3cret-PW \
	    --from a@example.org --to b@example.org --timeout 10 >"$T/sw.$m" 2>&1
	check "swaks AUTH $m with the right secret: 235, and the message goes through" \
	    sh -c "grep -q '<[-~] *235 2.7.0' '$T/sw.$m' && grep -q '<[-~] *250 2.0.0 Ok: queued' '$T/sw.$m'"
	swaks --server 127.0.0.1:$SINK_PORT --auth $m --auth-user alice --auth-password wrong \
	    --from a@example.org --to b@example.org --timeout 10 >"$T/swx.$m" 2>&1
	check "swaks AUTH $m with a wrong secret: 535 5.7.8" grep -q '535 5.7.8' "$T/swx.$m"
done
timeout 20 $PY - $SINK_PORT >"$T/py" 2>&1 <<'PYEOF'
import base64, hashlib, hmac, os, smtplib, socket, sys
port = int(sys.argv[1])
s = smtplib.SMTP('127.0.0.1', port, timeout=10); s.ehlo('py')
print("smtplib login", s.login('bob', 'tok.en-42')[0]); s.quit()

def session():
    c = socket.create_connection(('127.0.0.1', port), timeout=10); f = c.makefile('rb')
    def reply():
        lines = []
        while True:
            l = f.readline(); lines.append(l.decode().rstrip())
            if l[3:4] != b'-': return lines
    reply(); c.sendall(b'EHLO py\r\n'); reply()
    return c, reply
# SCRAM-SHA-256 (RFC 5802/7677), written here independently of smtpdbg.
def scram(user, pw):
    c, reply = session()
    cnonce = base64.b64encode(os.urandom(18)).decode()
    bare = 'n=%s,r=%s' % (user, cnonce)
    c.sendall(b'AUTH SCRAM-SHA-256 ' + base64.b64encode(('n,,' + bare).encode()) + b'\r\n')
    r = reply()[0]
    if not r.startswith('334 '): return r
    sf = base64.b64decode(r[4:]).decode()
    a = dict(x.split('=', 1) for x in sf.split(','))
    salted = hashlib.pbkdf2_hmac('sha256', pw.encode(), base64.b64decode(a['s']), int(a['i']))
    ck = hmac.new(salted, b'Client Key', 'sha256').digest()
    sk = hashlib.sha256(ck).digest()
    wo = 'c=biws,r=' + a['r']
    am = (bare + ',' + sf + ',' + wo).encode()
    sig = hmac.new(sk, am, 'sha256').digest()
    proof = bytes(x ^ y for x, y in zip(ck, sig))
    c.sendall(base64.b64encode((wo + ',p=' + base64.b64encode(proof).decode()).encode()) + b'\r\n')
    r = reply()[0]
    if not r.startswith('334 '): return r
    v = base64.b64decode(r[4:]).decode()
    srvk = hmac.new(salted, b'Server Key', 'sha256').digest()
    ok = v == 'v=' + base64.b64encode(hmac.new(srvk, am, 'sha256').digest()).decode()
    c.sendall(b'\r\n')
    return reply()[0] + (' server-signature-ok' if ok else ' server-signature-BAD')
print("scram right:", scram('alice', 's3cret-PW'))
print("scram wrong:", scram('alice', 'nope'))
def one(cmd, *more):
    c, reply = session(); out = []
    c.sendall(cmd + b'\r\n'); out += reply()
    for m in more:
        c.sendall(m + b'\r\n'); out += reply()
    return ' | '.join(out)
xo = base64.b64encode(b'user=bob\x01auth=Bearer tok.en-42\x01\x01')
print("xoauth2 right:", one(b'AUTH XOAUTH2 ' + xo))
xb = base64.b64encode(b'user=bob\x01auth=Bearer bad\x01\x01')
print("xoauth2 wrong:", one(b'AUTH XOAUTH2 ' + xb, b''))
ob = base64.b64encode(b'n,a=bob,\x01auth=Bearer tok.en-42\x01\x01')
print("oauthbearer right:", one(b'AUTH OAUTHBEARER ' + ob))
print("cancel:", one(b'AUTH LOGIN', b'*'))
print("bad base64:", one(b'AUTH PLAIN !!!!'))
print("unknown mech:", one(b'AUTH GSSAPI'))
print("twice:", one(b'AUTH PLAIN ' + base64.b64encode(b'\0bob\0tok.en-42'), b'AUTH PLAIN =')) 
print("in a transaction:", one(b'MAIL FROM:<a@b>', b'AUTH PLAIN ='))
print("too long:", one(b'AUTH LOGIN', b'A' * 13000, b'NOOP'))
PYEOF
check "smtplib login: 235" grep -q 'smtplib login 235' "$T/py"
check "SCRAM-SHA-256 from an independent client: 235, and the server's signature checks out" \
    grep -q 'scram right: 235 2.7.0 Authentication successful server-signature-ok' "$T/py"
check "SCRAM-SHA-256 with a wrong password: 535" grep -q 'scram wrong: 535 5.7.8' "$T/py"
check "XOAUTH2 with the right token: 235" grep -q 'xoauth2 right: 235' "$T/py"
check "XOAUTH2 with a wrong one: the JSON error, then 535" grep -q 'xoauth2 wrong: 334 eyJ.* | 535 5.7.8' "$T/py"
check "OAUTHBEARER: 235" grep -q 'oauthbearer right: 235' "$T/py"
check "cancel with *: 501 5.7.0" grep -q 'cancel: 334 VXNlcm5hbWU6 | 501 5.7.0' "$T/py"
check "a response that is not base64: 501 5.5.2" grep -q 'bad base64: 501 5.5.2' "$T/py"
check "an unknown mechanism: 504 5.5.4" grep -q 'unknown mech: 504 5.5.4' "$T/py"
check "AUTH twice: 503 5.5.1" grep -q 'twice: 235 .* | 503 5.5.1 Error: already authenticated' "$T/py"
check "AUTH inside a transaction: 503 5.5.1" grep -q 'in a transaction: 250 .* | 503 5.5.1' "$T/py"
check "a 13000-octet AUTH line: 500 5.5.6, and the session goes on" \
    grep -q 'too long: 334 VXNlcm5hbWU6 | 500 5.5.6 .* | 250 2.0.0 Ok' "$T/py"
stop_sink
check "the transcript says who authenticated, how" has "$T/a" 'AUTH CRAM-MD5 as "alice": accepted'
check "and masks the credential lines" has "$T/a" 'C: AUTH PLAIN \*\*\*\*$'
check "no secret in the transcript" hasnt "$T/a" 's3cret-PW|tok\.en-42|czNjcmV0LVBX|dG9rLmVuLTQy'
check "no secret in the JSON events" hasnt "$T/a.jsonl" 's3cret-PW|tok\.en-42|czNjcmV0LVBX|dG9rLmVuLTQy'
check "the sidecar names the mechanism and the user" sh -c "cat '$T/md/new/'*.json | grep -q '\"auth\":{\"mech\":\"PLAIN\",\"user\":\"alice\"}'"
check "and holds no secret" sh -c "! cat '$T/md/new/'*.json | grep -Eq 's3cret-PW|tok\.en-42|czNjcmV0LVBX|dG9rLmVuLTQy'"

# Defaults: AUTH only after STARTTLS; --require-auth; --show-secrets.
start_sink "$T/b" --auth --require-auth || exit 1
timeout 10 $PY - $SINK_PORT >"$T/b.py" 2>&1 <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10); s.ehlo('x')
print("plain ehlo offers auth:", s.has_extn('auth'))
print("mail:", s.mail('a@b'))
print("auth in clear:", s.docmd('AUTH PLAIN', 'AGEAYg=='))
s.starttls(); s.ehlo('x')
print("after tls:", s.esmtp_features.get('auth'))
print("any credentials:", s.login('who', 'ever')[0])
print("mail:", s.mail('a@b')[0])
PYEOF
check "AUTH is not offered before STARTTLS" grep -q 'plain ehlo offers auth: False' "$T/b.py"
check "--require-auth: MAIL first gets 530 5.7.0" grep -q "mail: (530, b'5.7.0 Authentication required')" "$T/b.py"
check "AUTH in the clear: 538 5.7.11" grep -q 'auth in clear: (538' "$T/b.py"
check "after STARTTLS it is offered, SCRAM only with --auth-users" \
    grep -Eq "after tls: +PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER$" "$T/b.py"
check "without --auth-users any credentials pass, then MAIL" \
    sh -c "grep -q 'any credentials: 235' '$T/b.py' && grep -q 'mail: 250' '$T/b.py'"
stop_sink
start_sink "$T/c" --auth-any-time --show-secrets || exit 1
swaks --server 127.0.0.1:$SINK_PORT --auth PLAIN --auth-user carol --auth-password visible-pw \
    --from a@b --to c@d --quit-after AUTH --timeout 10 >/dev/null 2>&1
stop_sink
check "--show-secrets shows the AUTH line as sent" has "$T/c" 'C: AUTH PLAIN AGNhcm9sAHZpc2libGUtcHc='
done_testing
