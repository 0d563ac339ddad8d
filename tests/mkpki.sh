#!/bin/sh
# mkpki DIR - a test PKI made with certtool (gnutls-bin): a private CA, an
# intermediate, and server certificates for every verdict the TLS report
# distinguishes.  Writes DIR/NAME.pem (leaf + intermediate), DIR/NAME.key,
# DIR/NAME.leaf.pem, DIR/ca.pem, DIR/int.pem.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
q() { certtool "$@" >/dev/null 2>&1; }

key() {	# key NAME TYPE
	case $2 in
	rsa) q --generate-privkey --key-type rsa --bits 2048 --outfile "$1.key" ;;
	rsa1024) q --generate-privkey --key-type rsa --bits 1024 --outfile "$1.key" ;;
	*) q --generate-privkey --key-type "$2" --outfile "$1.key" ;;
	esac
}

cat > ca.tmpl <<T
cn = "smtpdbg test CA"
ca
cert_signing_key
expiration_days = 30
T
cat > int.tmpl <<T
cn = "smtpdbg test intermediate"
ca
cert_signing_key
expiration_days = 30
T
key ca ecdsa
q --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem
key int ecdsa
q --generate-certificate --load-privkey int.key --load-ca-certificate ca.pem \
	--load-ca-privkey ca.key --template int.tmpl --outfile int.pem

leaf() {	# leaf NAME KEYTYPE [extra template lines...]; HASH: the signature's
	name=$1; kt=$2; shift 2
	{
		echo 'cn = "mail.test"'
		echo 'dns_name = "mail.test"'
		echo 'dns_name = "localhost"'
		echo 'ip_address = "127.0.0.1"'
		echo 'tls_www_server'
		echo 'signing_key'
		case $kt in rsa*) echo 'encryption_key' ;; esac
		for l in "$@"; do echo "$l"; done
		case "$*" in *_date*) ;; *) echo 'expiration_days = 30' ;; esac
	} > "$name.tmpl"
	key "$name" "$kt"
	q --generate-certificate --load-privkey "$name.key" --load-ca-certificate int.pem \
		--load-ca-privkey int.key --template "$name.tmpl" --outfile "$name.leaf.pem" \
		${HASH:+--hash "$HASH"}
	cat "$name.leaf.pem" int.pem > "$name.pem"
}

leaf good ecdsa
leaf expired ecdsa 'activation_date = "2019-01-01 00:00:00 UTC"' \
	'expiration_date = "2020-01-01 00:00:00 UTC"'
leaf future ecdsa 'activation_date = "2090-01-01 00:00:00 UTC"' \
	'expiration_date = "2091-01-01 00:00:00 UTC"'
leaf ed25519 ed25519
leaf rsa rsa
leaf weakrsa rsa1024
HASH=SHA1 leaf sha1 ecdsa
cat > self.tmpl <<T
cn = "mail.test"
dns_name = "mail.test"
tls_www_server
signing_key
expiration_days = 30
T
key self ecdsa
q --generate-self-signed --load-privkey self.key --template self.tmpl --outfile self.pem
cp self.pem self.leaf.pem
