#!/bin/sh
# mx - a whole domain checked two ways in one run: "smtpdbg probe --mx"
# against posttls-finger, over the same hosts.  A DNSSEC-signed zone
# (NSD, tests/zone.sh) with 2 MX hosts x 2 addresses, smtpdbg sinks on
# port 25 with certificates for their MX names and matching TLSA records,
# and a validating resolver (the unbound daemon) in front of the zone, so
# that posttls-finger, which trusts its resolver's AD bit, can do DANE.
# Everything runs in a private network and mount namespace (root): port
# 25 and 53 on its own loopback, /etc/resolv.conf bind-mounted.
#
#   bench/mx.sh [RUNS]   (default 20); SMTPDBG=path to the binary
#
# Prints both tools' verdicts once, then wall time per run: smtpdbg probe
# --mx (every address in parallel; once with --fast, once with the
# version/cipher/group/plain-MAIL sessions), posttls-finger once per MX
# host (-l dane: what it checks), and once per address (-l secure).
# Not a test.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
if [ "${SMTPDBG_MX_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/mx.sh: needs root (namespaces)" >&2; exit 1; }
	for p in unbound nsd ldnsutils postfix; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' &&
			continue
		# install, but never start a daemon
		made=
		[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d;
			chmod 755 /usr/sbin/policy-rc.d; made=1; }
		echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
		[ -n "$made" ] && rm -f /usr/sbin/policy-rc.d
	done
	SMTPDBG_MX_NS=1 exec unshare -n -m --propagation private sh "$0" "$@"
fi
ip link set lo up
SMTPDBG=${SMTPDBG:-$(pwd)/build/smtpdbg}
top_srcdir=.
. bench/lib.sh		# interleave, now
rmdir "$T"
. tests/lib.sh		# T, pids and their cleanup, need, free_port
. tests/zone.sh
sh tests/mkpki.sh "$T/pki" >/dev/null
P=$T/pki
cert() {	# cert NAME DNSNAME
	printf 'cn = "%s"\ndns_name = "%s"\ntls_www_server\nsigning_key\nexpiration_days = 30\n' \
	    "$2" "$2" > "$P/$1.tmpl"
	certtool --generate-privkey --key-type ecdsa --outfile "$P/$1.key" 2>/dev/null
	certtool --generate-certificate --load-privkey "$P/$1.key" --load-ca-certificate "$P/int.pem" \
	    --load-ca-privkey "$P/int.key" --template "$P/$1.tmpl" --outfile "$P/$1.leaf.pem" 2>/dev/null
	cat "$P/$1.leaf.pem" "$P/int.pem" > "$P/$1.pem"
}
tlsa() {
	h=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -hex | sed 's/.*= //')
	echo "3 1 1 $h"
}
cert mx1 mx1.bench.test
cert mx2 mx2.bench.test
zone bench.test secure <<R
@ IN MX 10 mx1
@ IN MX 20 mx2
mx1 IN A 127.0.0.2
mx1 IN A 127.0.0.3
mx2 IN A 127.0.0.4
mx2 IN A 127.0.0.5
_25._tcp.mx1 IN TLSA $(tlsa "$P/mx1.leaf.pem")
_25._tcp.mx2 IN TLSA $(tlsa "$P/mx2.leaf.pem")
R
zone_start

# the validating resolver, on port 53 of this namespace's loopback
cat > "$T/unbound.conf" <<C
server:
  interface: 127.0.0.53
  port: 53
  username: ""
  chroot: ""
  directory: "$T"
  pidfile: "$T/unbound.pid"
  use-syslog: no
  logfile: "$T/unbound.log"
  do-not-query-localhost: no
  trust-anchor-file: "$TA"
  local-zone: "test." nodefault
  domain-insecure: ""
stub-zone:
  name: "test."
  stub-addr: 127.0.0.1@$DNS_PORT
remote-control:
  control-enable: no
C
unbound -d -c "$T/unbound.conf" 2>"$T/unbound.err" &
pids="$pids $!"
printf 'nameserver 127.0.0.53\noptions trust-ad\n' > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
i=0
while [ $i -lt 100 ] && ! grep -q ":0035 00000000:0000 0A" /proc/net/tcp; do sleep 0.05; i=$((i + 1)); done

for a in 2:mx1 3:mx1 4:mx2 5:mx2; do
	"$SMTPDBG" sink -q --cert "$P/${a#*:}.pem" --key "$P/${a#*:}.key" "127.0.0.${a%%:*}:25" \
	    >/dev/null 2>&1 &
	pids="$pids $!"
done
for ip in 2 3 4 5; do
	hex=$(printf '%02X00007F:0019' "$ip")
	i=0
	while [ $i -lt 100 ] && ! grep -q "$hex 00000000:0000 0A" /proc/net/tcp; do sleep 0.05; i=$((i + 1)); done
done

mkdir -p "$T/pf"
printf 'myhostname = localhost.localdomain\nmydomain = localdomain\nsmtp_dns_support_level = dnssec\n' \
    > "$T/pf/main.cf"
touch -d '1 hour ago' "$T/pf/main.cf"
PF=$(command -v posttls-finger || echo /usr/sbin/posttls-finger)
pf() { MAIL_CONFIG=$T/pf "$PF" -t 30 -c "$@"; }

echo "=== smtpdbg probe --mx bench.test (through the same resolver; smtpdbg validates DNSSEC itself, from the zone's trust anchor)"
"$SMTPDBG" probe --mx bench.test --trust-anchor "$TA" --ca-file "$P/ca.pem" --color=never || true
for h in mx1 mx2; do
	echo "=== posttls-finger -t 30 -c -l dane [$h.bench.test]"
	pf -l dane -F "$P/ca.pem" "[$h.bench.test]" 2>&1 || true
done
echo "=== posttls-finger -t 30 -c -l dane bench.test (the domain: the first MX that answers)"
pf -l dane -F "$P/ca.pem" bench.test 2>&1 || true

run_mx() { "$SMTPDBG" probe --mx bench.test --trust-anchor "$TA" --ca-file "$P/ca.pem" -q --fast > /dev/null || true; }
run_mxfull() { "$SMTPDBG" probe --mx bench.test --trust-anchor "$TA" --ca-file "$P/ca.pem" -q > /dev/null || true; }
run_pfhosts() {
	for h in mx1 mx2; do pf -l dane -F "$P/ca.pem" "[$h.bench.test]" > /dev/null 2>&1 || true; done
}
run_pfaddrs() {
	for ip in 2 3 4 5; do pf -l secure -F "$P/ca.pem" "[127.0.0.$ip]" > /dev/null 2>&1 || true; done
}
label() {
	case $1 in
	mx) echo "smtpdbg probe --mx --fast (4 addresses at once)" ;;
	mxfull) echo "smtpdbg probe --mx (+ versions, ciphers, groups)" ;;
	pfhosts) echo "posttls-finger -l dane, each MX host in turn (2)" ;;
	pfaddrs) echo "posttls-finger -l secure, each address in turn (4)" ;;
	esac
}
tools="mx mxfull pfhosts pfaddrs"
interleave run "$runs"
echo
per_run "bench.test: 2 MX x 2 addresses ($runs runs each)" 58 "$runs" mx
