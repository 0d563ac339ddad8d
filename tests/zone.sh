# zone.sh - a DNSSEC-signed test zone served by NSD on a loopback port,
# sourced by the tests that need DNS (after lib.sh).
#
#   zone ZONE MODE < records   a child of "test." (ZONE is e.g. "sec.test");
#                              MODE: secure (signed, DS in test.), insecure
#                              (unsigned, no DS), bogus (signed, DS in
#                              test., but every signature expired in 2020)
#   zone_start                 signs test. and the children, starts nsd;
#                              sets DNS (127.0.0.1:PORT) and TA (test.'s
#                              key: the trust anchor for --trust-anchor)
#
# Records use the zone's $ORIGIN; TTLs are 300.  ldns-keygen and
# ldns-signzone (ldnsutils) sign; nsd serves.  The tests skip without them.
need nsd ldns-keygen ldns-signzone
Z=$T/zone
mkdir -p "$Z"
zones=

zone_head() {	# zone_head ZONE
	printf '$ORIGIN %s.\n$TTL 300\n' "$1"
	printf '@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n@ IN NS ns.test.\n'
}

zone() {
	{ zone_head "$1"; cat; } > "$Z/$1.zone"
	zones="$zones $1:$2"
}

# zsign ZONE [ldns-signzone options]: a key, the signed zone, ZONE.ds
zsign() {
	zz=$1; shift
	k=$(cd "$Z" && ldns-keygen -a ECDSAP256SHA256 -k "$zz") || return 1
	mv "$Z/$k.ds" "$Z/$zz.ds"
	(cd "$Z" && ldns-signzone -n "$@" "$zz.zone" "$k") || return 1
	rm -f "$Z/$k.private"
	cp "$Z/$k.key" "$Z/$zz.key"
}

zone_start() {
	{ zone_head test; echo 'ns IN A 127.0.0.1'; } > "$Z/test.zone"
	conf=$Z/nsd.conf
	DNS_PORT=$(free_port)
	cat > "$conf" <<C
server:
  ip-address: 127.0.0.1@$DNS_PORT
  port: $DNS_PORT
  username: ""
  chroot: ""
  zonesdir: "$Z"
  database: ""
  zonelistfile: "$Z/zone.list"
  xfrdfile: "$Z/xfrd.state"
  xfrdir: "$Z"
  pidfile: "$Z/nsd.pid"
  logfile: "$Z/nsd.log"
  server-count: 1
  tcp-count: 16
  verbosity: 1
remote-control:
  control-enable: no
C
	for zm in $zones; do
		zz=${zm%%:*} mode=${zm#*:}
		echo "${zz%.test} IN NS ns.test." >> "$Z/test.zone"
		case $mode in
		secure) zsign "$zz" || return 1 ;;
		bogus) zsign "$zz" -i 20200101000000 -e 20200201000000 || return 1 ;;
		insecure) cp "$Z/$zz.zone" "$Z/$zz.zone.signed" ;;
		esac
		[ -f "$Z/$zz.ds" ] && cat "$Z/$zz.ds" >> "$Z/test.zone"
		printf 'zone:\n  name: %s\n  zonefile: %s.zone.signed\n' "$zz" "$zz" >> "$conf"
	done
	zsign test || return 1
	printf 'zone:\n  name: test\n  zonefile: test.zone.signed\n' >> "$conf"
	TA=$Z/test.key
	DNS=127.0.0.1:$DNS_PORT
	nsd -c "$conf" -P "$Z/nsd.pid" || { diag "$Z/nsd.log"; return 1; }
	# nsd forks: its pid comes from the pid file once it is up
	i=0
	while [ $i -lt 100 ] && ! grep -q 'nsd started' "$Z/nsd.log" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	pids="$pids $(cat "$Z/nsd.pid")"
	grep -q 'nsd started' "$Z/nsd.log"
}
