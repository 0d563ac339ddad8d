#!/bin/sh
# postfix-setup DIR PKI SMTPD-PORT SINK-PORT LMTP-PORT - a private Postfix
# instance (never the system's): smtpd on 127.0.0.1:SMTPD-PORT with
# STARTTLS (PKI/good.pem), AUTH (alice / pw-alice-1, Cyrus sasldb, only
# inside TLS), CHUNKING, SMTPUTF8, DSN and PIPELINING; every address of
# interop.test lands in one Maildir (DIR/vmail/); mail for sink.test goes
# out through Postfix's smtp client to 127.0.0.1:SINK-PORT (STARTTLS,
# verified against PKI/ca.pem), mail for lmtp.test through its lmtp client
# to 127.0.0.1:LMTP-PORT.  Start with "postfix -c DIR/etc start", stop with
# "postfix -c DIR/etc stop".  See ../shared/REAL-MTAS.md for the traps.
set -eu
d=$1 pki=$2 port=$3 sinkport=$4 lmtpport=$5
mkdir -p "$d/etc/sasl" "$d/spool" "$d/data" "$d/vmail"
chown postfix "$d/data"
chown mail "$d/vmail"
cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
myhostname = mail.interop.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
queue_directory = $d/spool
data_directory = $d/data
maillog_file = $d/maillog
maillog_file_prefixes = /var, /dev/stdout, $d
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtputf8_enable = yes
smtpd_banner = \$myhostname ESMTP Postfix (smtpdbg test)
virtual_mailbox_domains = interop.test
virtual_mailbox_base = $d/vmail
virtual_mailbox_maps = static:all/
virtual_uid_maps = static:8
virtual_gid_maps = static:8
virtual_minimum_uid = 8
smtpd_tls_security_level = may
smtpd_tls_chain_files = $pki/good.key, $pki/good.pem
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = mail.interop.test
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
transport_maps = texthash:$d/etc/transport
smtp_tls_policy_maps = texthash:$d/etc/tls_policy
smtp_tls_CAfile = $pki/ca.pem
lmtp_tls_security_level = none
smtp_connection_cache_on_demand = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
cat >"$d/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
cat >"$d/etc/transport" <<EOF
sink.test smtp:[127.0.0.1]:$sinkport
lmtp.test lmtp:inet:127.0.0.1:$lmtpport
EOF
cat >"$d/etc/tls_policy" <<EOF
[127.0.0.1]:$sinkport secure match=localhost
EOF
# Debian's Postfix reads Cyrus's smtpd.conf from $config_directory/sasl/.
cat >"$d/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $d/etc/sasl/sasldb2
mech_list: PLAIN LOGIN CRAM-MD5
EOF
echo pw-alice-1 | saslpasswd2 -p -c -f "$d/etc/sasl/sasldb2" -u mail.interop.test alice
chown postfix "$d/etc/sasl/sasldb2"
