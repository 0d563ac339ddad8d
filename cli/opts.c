/*
 * opts - command-line options (see opts.h).  Each row has a section in
 * man/smtpdbg.md; tests/test_manual.c checks both ways.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/opts.h"

const struct opt_def opt_table[] = {
	{ "file", 'f', 1, "FILE", O_FILE, OPT_CLIENT, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "run the script FILE" },
	{ "helo", 0, 1, "NAME", O_HELO, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "name for EHLO/HELO" },
	{ "ehlo", 'e', 0, NULL, O_EHLO, OPT_CLIENT, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "send EHLO after the greeting" },
	{ "timeout", 't', 1, "SECONDS", O_TIMEOUT, OPT_CS | OPT_PROXY | OPT_PING, OT_SECONDS, 0LL, 86400LL, "0", NULL,
	    "reply timeout" },
	{ "connect-timeout", 0, 1, "SECONDS", O_CONNECT_TIMEOUT, OPT_CS | OPT_PROXY | OPT_PING, OT_SECONDS, 1LL, 86400LL, "30", NULL,
	    "TCP connect timeout" },
	{ "data-lines", 0, 1, "N", O_DATA_LINES, OPT_CLIENT | OPT_SINK | OPT_SEND | OPT_DEMO | OPT_PROXY, OT_INT, -1LL, 1000000000LL, "-1", NULL,
	    "message lines shown per message (-1: all)" },
	{ "keep-going", 'k', 0, NULL, O_KEEP_GOING, OPT_CS | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "server protocol violations do not end a script" },
	{ "json", 0, 2, "FILE", O_JSON, OPT_ALL | OPT_PROXY | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "JSON Lines events (to FILE or stdout)" },
	{ "quiet", 'q', 0, NULL, O_QUIET, OPT_ALL | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "print only the outcome / summaries" },
	{ "color", 0, 2, "WHEN", O_COLOR, OPT_ALL | OPT_PROXY | OPT_PING, OT_ENUM, 0LL, 0LL, "auto", "auto|always|never",
	    "auto, always or never" },
	{ "no-history", 0, 0, NULL, O_NO_HISTORY, OPT_CLIENT | OPT_DEMO, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "do not read or write the REPL history" },
	{ "help", 'h', 0, NULL, O_HELP, OPT_ALL | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "short usage" },
	{ "completion", 0, 1, "SHELL", O_COMPLETION, OPT_CLIENT, OT_ENUM, 0LL, 0LL, NULL, "bash|zsh",
	    "print a completion script for bash or zsh" },
	{ "version", 'V', 0, NULL, O_VERSION, OPT_ALL | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "print the version" },
	{ "hostname", 0, 1, "NAME", O_HOSTNAME, OPT_SINK | OPT_PROXY, OT_STR, 0LL, 0LL, NULL, NULL,
	    "name in the greeting and EHLO reply" },
	{ "max-size", 0, 1, "BYTES", O_MAX_SIZE, OPT_SINK, OT_INT, 1LL, 1099511627776LL, "36700160", NULL,
	    "message size limit" },
	{ "max-rcpt", 0, 1, "N", O_MAX_RCPT, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 1000000LL, "1000", NULL,
	    "recipients per message" },
	{ "max-line", 0, 1, "BYTES", O_MAX_LINE, OPT_SINK | OPT_PROXY, OT_INT, 512LL, 65536LL, "2048", NULL,
	    "command line limit" },
	{ "max-errors", 0, 1, "N", O_MAX_ERRORS, OPT_SINK, OT_INT, 1LL, 1000000LL, "20", NULL,
	    "bad commands before 421" },
	{ "max-connections", 0, 1, "N", O_MAX_CONNECTIONS, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 1000000LL, "10000", NULL,
	    "concurrent sessions" },
	{ "idle-timeout", 0, 1, "SECONDS", O_IDLE_TIMEOUT, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 86400LL, "300", NULL,
	    "close idle sessions with 421" },
	{ "command-timeout", 0, 1, "SECONDS", O_COMMAND_TIMEOUT, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 86400LL, "300", NULL,
	    "time to finish a command line" },
	{ "data-timeout", 0, 1, "SECONDS", O_DATA_TIMEOUT, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 86400LL, "600", NULL,
	    "time for a whole message" },
	{ "bare-lf", 0, 1, "MODE", O_BARE_LF, OPT_SINK, OT_ENUM, 0LL, 0LL, "reject", "reject|accept|normalize",
	    "reject, accept or normalize bare LF/CR" },
	{ "no-ext", 0, 1, "KEYWORD", O_NO_EXT, OPT_SINK | OPT_PROXY, OT_STR, 0LL, 0LL, NULL, NULL,
	    "do not advertise an EHLO keyword" },
	{ "starttls", 's', 0, NULL, O_STARTTLS, OPT_CSS | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "EHLO, then STARTTLS when offered" },
	{ "tls", 0, 0, NULL, O_TLS, OPT_CS | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "implicit TLS from the start (port 465)" },
	{ "sni", 0, 1, "NAME", O_SNI, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "server name to send and verify" },
	{ "no-sni", 0, 0, NULL, O_NO_SNI, OPT_CS | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "send no server name" },
	{ "ca-file", 0, 1, "FILE", O_CA_FILE, OPT_CS | OPT_PROXY | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "trust these CAs instead of the system store" },
	{ "no-verify", 0, 0, NULL, O_NO_VERIFY, OPT_CS | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "failed TLS checks do not end a script" },
	{ "tls-priority", 0, 1, "STRING", O_TLS_PRIORITY, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "GnuTLS priority string" },
	{ "tls-min", 0, 1, "VERSION", O_TLS_MIN, OPT_CS | OPT_SINK | OPT_PING, OT_ENUM, 0LL, 0LL, NULL, "1.0|1.1|1.2|1.3",
	    "lowest TLS version (1.0 .. 1.3)" },
	{ "tls-max", 0, 1, "VERSION", O_TLS_MAX, OPT_CS | OPT_SINK | OPT_PING, OT_ENUM, 0LL, 0LL, NULL, "1.0|1.1|1.2|1.3",
	    "highest TLS version" },
	{ "cert", 0, 1, "FILE", O_CERT, OPT_BOTH | OPT_PROXY | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "certificate chain (PEM)" },
	{ "key", 0, 1, "FILE", O_KEY, OPT_BOTH | OPT_PROXY | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "private key (PEM)" },
	{ "no-plaintext", 0, 0, NULL, O_TLS_REQUIRED, OPT_CSS | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "never send MAIL/AUTH without TLS" },
	{ "tlsa", 0, 1, "RECORD", O_TLSA, OPT_CS | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "DANE TLSA record \"U S M hex\" (repeatable)" },
	{ "allow-injection", 0, 0, NULL, O_ALLOW_INJECTION, OPT_CS | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "go on after STARTTLS response injection" },
	{ "auth-user", 0, 1, "USER", O_AUTH_USER, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "AUTH as USER after EHLO (after TLS with --starttls)" },
	{ "auth-mech", 0, 1, "MECH", O_AUTH_MECH, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "force a mechanism (default: the best offered)" },
	{ "auth-authzid", 0, 1, "ID", O_AUTH_AUTHZID, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "authorization identity (PLAIN, SCRAM)" },
	{ "auth-password-env", 0, 1, "VAR", O_AUTH_PASSWORD_ENV, OPT_CS | OPT_PROXY | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "the secret from this environment variable" },
	{ "auth-password-file", 0, 1, "FILE", O_AUTH_PASSWORD_FILE, OPT_CS | OPT_PROXY | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "the secret from the first line of FILE" },
	{ "auth-plaintext-ok", 0, 0, NULL, O_AUTH_PLAINTEXT_OK, OPT_CS | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "allow credentials without TLS" },
	{ "from", 0, 1, "ADDR", O_FROM, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "envelope sender (and From:)" },
	{ "to", 0, 1, "ADDR", O_TO, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "recipient (repeatable)" },
	{ "cc", 0, 1, "ADDR", O_CC, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "recipient shown in Cc: (repeatable)" },
	{ "bcc", 0, 1, "ADDR", O_BCC, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "recipient not shown (repeatable)" },
	{ "header", 0, 1, "'NAME: VALUE'", O_HEADER, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "add a header (repeatable)" },
	{ "subject", 0, 1, "TEXT", O_SUBJECT, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "the Subject:" },
	{ "body", 0, 1, "TEXT|@FILE|-", O_BODY, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "the message text" },
	{ "attach", 0, 1, "FILE", O_ATTACH, OPT_SEND | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "attach a file (MIME, base64; repeatable)" },
	{ "attach-name", 0, 1, "NAME", O_ATTACH_NAME, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "the file name the next --attach shows" },
	{ "attach-type", 0, 1, "TYPE", O_ATTACH_TYPE, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "Content-Type of the --attach options after it" },
	{ "force", 0, 0, NULL, O_FORCE, OPT_SEND | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "send addresses smtpdbg finds malformed" },
	{ "data", 0, 1, "@FILE", O_DATA, OPT_SEND | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "send FILE as the whole message" },
	{ "raw-data", 0, 1, "@FILE", O_RAW_DATA, OPT_SEND | OPT_PING, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "send FILE's bytes exactly after 354 (no dot-stuffing)" },
	{ "quit-after", 0, 1, "STAGE", O_QUIT_AFTER, OPT_SEND | OPT_PING, OT_ENUM, 0LL, 0LL, NULL, "CONNECT|EHLO|TLS|AUTH|MAIL|RCPT|DATA|DOT|FIRST-EHLO|FIRST-HELO|HELO|STARTTLS|FROM|TO",
	    "QUIT after CONNECT, EHLO, TLS, AUTH, MAIL, RCPT, DATA or DOT" },
	{ "drop-after", 0, 1, "STAGE", O_DROP_AFTER, OPT_SEND | OPT_PING, OT_ENUM, 0LL, 0LL, NULL, "CONNECT|EHLO|TLS|AUTH|MAIL|RCPT|DATA|DOT|FIRST-EHLO|FIRST-HELO|HELO|STARTTLS|FROM|TO",
	    "close without QUIT after STAGE" },
	{ "count", 'c', 1, "N", O_COUNT, OPT_SEND | OPT_PING, OT_INT, 1LL, 1000000000LL, "1", NULL,
	    "N messages (ping: N sessions, else until Ctrl-C)" },
	{ "sessions", 0, 1, "N", O_SESSIONS, OPT_SEND, OT_INT, 1LL, 100000LL, NULL, NULL,
	    "N sessions at a time: a load run with statistics" },
	{ "per-connection", 0, 1, "K", O_PER_CONNECTION, OPT_SEND, OT_INT, 1LL, 1000000000LL, NULL, NULL,
	    "at most K messages per connection" },
	{ "rate", 0, 1, "R/s|R/m", O_RATE, OPT_SEND, OT_STR, 0LL, 0LL, NULL, NULL,
	    "start messages at a steady rate" },
	{ "size", 0, 1, "BYTES", O_SIZE, OPT_SEND | OPT_PING, OT_INT, 64LL, 1073741824LL, NULL, NULL,
	    "a generated message of BYTES bytes" },
	{ "json-messages", 0, 0, NULL, O_JSON_MESSAGES, OPT_SEND, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "with --json, one event per message" },
	{ "interval", 'i', 1, "SECONDS", O_INTERVAL, OPT_PING, OT_SECONDS, 0LL, 86400LL, "1", NULL,
	    "time from one session's start to the next" },
	{ "pipeline", 0, 0, NULL, O_PIPELINE, OPT_SEND | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "pipeline even if PIPELINING is not offered" },
	{ "no-pipeline", 0, 0, NULL, O_NO_PIPELINE, OPT_SEND | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "one command at a time" },
	{ "bdat", 0, 0, NULL, O_BDAT, OPT_SEND | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "send the message with BDAT when CHUNKING is offered" },
	{ "chunk-size", 0, 1, "BYTES", O_CHUNK_SIZE, OPT_SEND | OPT_PING, OT_INT, 1LL, 67108864LL, "65536", NULL,
	    "BDAT chunk size; implies --bdat" },
	{ "notify", 0, 1, "LIST", O_NOTIFY, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "DSN NOTIFY= for each recipient" },
	{ "ret", 0, 1, "FULL|HDRS", O_RET, OPT_SEND | OPT_PING, OT_ENUM, 0LL, 0LL, NULL, "FULL|HDRS",
	    "DSN RET=" },
	{ "envid", 0, 1, "ID", O_ENVID, OPT_SEND | OPT_PING, OT_STR, 0LL, 0LL, NULL, NULL,
	    "DSN ENVID=" },
	{ "orcpt", 0, 0, NULL, O_ORCPT, OPT_SEND | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "DSN ORCPT=rfc822;ADDR on each RCPT" },
	{ "mail-requiretls", 0, 0, NULL, O_REQUIRETLS, OPT_SEND | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "MAIL ... REQUIRETLS (RFC 8689)" },
	{ "force-ext", 0, 1, "KEYWORD", O_FORCE_EXT, OPT_SEND | OPT_PING, OT_ENUM, 0LL, 0LL, NULL, "PIPELINING|CHUNKING|8BITMIME|SMTPUTF8|SIZE|DSN|REQUIRETLS|STARTTLS",
	    "use an extension the server did not offer" },
	{ "resolver", 0, 1, "IP[:PORT]", O_RESOLVER, OPT_SEND | OPT_PROBE, OT_STR, 0LL, 0LL, NULL, NULL,
	    "DNS resolver to forward to" },
	{ "trust-anchor", 0, 1, "FILE", O_TRUST_ANCHOR, OPT_SEND | OPT_PROBE, OT_STR, 0LL, 0LL, NULL, NULL,
	    "DNSSEC trust anchor (or none)" },
	{ "mx", 0, 0, NULL, O_MX, OPT_PROBE, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "check a DOMAIN: every MX, DANE, MTA-STS, TLS-RPT" },
	{ "warn-days", 0, 1, "N", O_WARN_DAYS, OPT_PROBE, OT_INT, 0LL, 36500LL, "21", NULL,
	    "warn when a certificate expires within N days" },
	{ "crit-days", 0, 1, "N", O_CRIT_DAYS, OPT_PROBE, OT_INT, 0LL, 36500LL, "7", NULL,
	    "critical when a certificate expires within N days" },
	{ "nagios", 0, 0, NULL, O_NAGIOS, OPT_PROBE, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "monitoring-plugin output and exit codes (0-3)" },
	{ "fast", 0, 0, NULL, O_FAST, OPT_PROBE, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "probe --mx: one session per address (no versions, ciphers, groups)" },
	{ "checks", 0, 1, "LIST", O_CHECKS, OPT_PROBE, OT_STR, 0LL, 0LL, NULL, NULL,
	    "active checks: injection,smuggling,relay,plainauth,vrfy,expn,all" },
	{ "baseline", 0, 1, "FILE", O_BASELINE, OPT_PROBE, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "warn of every change since this --json run" },
	{ "rcpt", 0, 1, "ADDR", O_RCPT, OPT_PROBE, OT_STR, 0LL, 0LL, NULL, NULL,
	    "recipient for --checks smuggling (it sends mail)" },
	{ "mta-sts-port", 0, 1, "PORT", O_MTA_STS_PORT, OPT_PROBE, OT_INT, 1LL, 65535LL, "443", NULL,
	    "HTTPS port of the MTA-STS policy host (tests)" },
	{ "mx-port", 0, 1, "PORT", O_MX_PORT, OPT_SEND | OPT_PROBE, OT_INT, 1LL, 65535LL, "25", NULL,
	    "port on the MX hosts" },
	{ "tls-listen", 0, 1, "[ADDR:]PORT", O_TLS_LISTEN, OPT_SINK | OPT_PROXY, OT_STR, 0LL, 0LL, NULL, NULL,
	    "also listen for implicit TLS" },
	{ "upstream-tls", 0, 1, "MODE", O_UPSTREAM_TLS, OPT_PROXY, OT_ENUM, 0LL, 0LL, "mirror", "mirror|starttls|tls|none",
	    "TLS towards the upstream" },
	{ "client-rule", 0, 1, "RULE", O_CLIENT_RULE, OPT_PROXY, OT_STR, 0LL, 0LL, NULL, NULL,
	    "rewrite or drop a client command" },
	{ "require-starttls", 0, 0, NULL, O_REQUIRE_TLS, OPT_SINK, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "530 to MAIL before STARTTLS" },
	{ "ocsp-response", 0, 1, "FILE", O_OCSP_RESPONSE, OPT_SINK, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "staple this DER OCSP response" },
	{ "maildir", 0, 1, "DIR", O_MAILDIR, OPT_SINK | OPT_PROXY, OT_DIR, 0LL, 0LL, NULL, NULL,
	    "store messages in a Maildir (fsync before 250)" },
	{ "mbox", 0, 1, "FILE", O_MBOX, OPT_SINK | OPT_PROXY, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "append messages to an mboxrd file" },
	{ "eml-dir", 0, 1, "DIR", O_EML_DIR, OPT_SINK | OPT_PROXY, OT_DIR, 0LL, 0LL, NULL, NULL,
	    "one .eml file per message" },
	{ "no-fsync", 0, 0, NULL, O_NO_FSYNC, OPT_SINK | OPT_PROXY, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "no fsync (250 no longer means on disk)" },
	{ "json-sidecar", 0, 0, NULL, O_JSON_SIDECAR, OPT_SINK, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "write NAME.json beside each message" },
	{ "grace", 0, 1, "SECONDS", O_GRACE, OPT_SINK | OPT_PROXY, OT_INT, 0LL, 3600LL, "10", NULL,
	    "time for transactions to finish on SIGINT/SIGTERM" },
	{ "exit-after", 0, 1, "N", O_EXIT_AFTER, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 1000000000LL, NULL, NULL,
	    "stop after N messages were accepted" },
	{ "exit-after-time", 0, 1, "SECONDS", O_EXIT_AFTER_TIME, OPT_SINK | OPT_PROXY, OT_INT, 1LL, 31536000LL, NULL, NULL,
	    "stop after SECONDS" },
	{ "expect-messages", 0, 1, "N", O_EXPECT_MESSAGES, OPT_SINK | OPT_PROXY, OT_INT, 0LL, 1000000000LL, NULL, NULL,
	    "exit 1 unless exactly N were accepted" },
	{ "expect-rcpt", 0, 1, "ADDR", O_EXPECT_RCPT, OPT_SINK | OPT_PROXY, OT_STR, 0LL, 0LL, NULL, NULL,
	    "exit 1 unless mail for ADDR was accepted (repeatable)" },
	{ "reply", 0, 1, "RULE", O_REPLY, OPT_SINK | OPT_PROXY, OT_STR, 0LL, 0LL, NULL, NULL,
	    "misbehave on purpose: STAGE[#N|%N|~P][:PATTERN]=ACTION" },
	{ "rules", 0, 1, "FILE", O_RULES, OPT_SINK | OPT_PROXY, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "read --reply rules from FILE, one per line" },
	{ "seed", 0, 1, "N", O_SEED, OPT_SINK | OPT_PROXY, OT_INT, 0LL, 9223372036854775807LL, "1", NULL,
	    "seed for ~P rules (1): runs repeat" },
	{ "greylist", 0, 1, "SECONDS", O_GREYLIST, OPT_SINK, OT_INT, 0LL, 86400LL, NULL, NULL,
	    "451 to each first try; accept after SECONDS" },
	{ "rate-limit", 0, 1, "N/s", O_RATE_LIMIT, OPT_SINK, OT_STR, 0LL, 0LL, NULL, NULL,
	    "421 to connections over N per second (or N/m)" },
	{ "auth", 0, 0, NULL, O_AUTH, OPT_SINK | OPT_PROXY, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "offer AUTH (after STARTTLS); any credentials pass" },
	{ "auth-users", 0, 1, "FILE", O_AUTH_USERS, OPT_SINK | OPT_PROXY, OT_FILE, 0LL, 0LL, NULL, NULL,
	    "check AUTH against user:secret lines" },
	{ "auth-any-time", 0, 0, NULL, O_AUTH_ANY_TIME, OPT_SINK | OPT_PROXY, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "offer AUTH before STARTTLS too" },
	{ "require-auth", 0, 0, NULL, O_REQUIRE_AUTH, OPT_SINK, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "530 to MAIL before AUTH" },
	{ "show-secrets", 0, 0, NULL, O_SHOW_SECRETS, OPT_ALL | OPT_PROXY | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "show AUTH lines unmasked" },
	{ "lmtp", 0, 0, NULL, O_LMTP, OPT_BOTH | OPT_PING, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "speak LMTP (LHLO, one reply per recipient)" },
	{ "manual", 0, 0, NULL, O_MANUAL, OPT_SINK, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "you type each reply (the default is pre-filled)" },
	{ "lint-strict", 0, 0, NULL, O_LINT_STRICT, OPT_SINK, OT_FLAG, 0LL, 0LL, NULL, NULL,
	    "exit 1 when any client broke a rule" },
};
const unsigned opt_count = sizeof(opt_table) / sizeof(opt_table[0]);

/*
 * Old spellings, still taken: three options had near-identical names for
 * different things (the client insisting on TLS, the sink insisting on
 * STARTTLS, send asking for RFC 8689 REQUIRETLS).
 */
static const struct { const char *old, *now; } aliases[] = {
	{ "tls-required", "no-plaintext" },
	{ "require-tls", "require-starttls" },
	{ "requiretls", "mail-requiretls" },
};

void
opt_aliases(int argc, char **argv)
{
	static char buf[16][80];
	size_t	 k, n, used = 0;
	int	 i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		for (k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++) {
			n = strlen(aliases[k].old);
			if (strncmp(argv[i] + 2, aliases[k].old, n) != 0 ||
			    (argv[i][2 + n] != '\0' && argv[i][2 + n] != '=') || used == 16)
				continue;
			snprintf(buf[used], sizeof(buf[used]), "--%s%s", aliases[k].now,
			    argv[i] + 2 + n);
			argv[i] = buf[used++];
			break;
		}
	}
}

const struct opt_def *
opt_find(const char *name)
{
	unsigned i;

	for (i = 0; i < opt_count; i++)
		if (strcmp(opt_table[i].name, name) == 0 ||
		    (name[0] && !name[1] && opt_table[i].shortopt == name[0]))
			return &opt_table[i];
	return NULL;
}

/* choice - the index of arg in "a|b|c", or -1 */
static int
choice(const char *choices, const char *arg)
{
	const char *p = choices;
	size_t	 n = strlen(arg), l;
	int	 i;

	for (i = 0; *p; i++) {
		l = strcspn(p, "|");
		if (l == n && strncasecmp(p, arg, n) == 0)
			return i;
		p += l;
		if (*p == '|')
			p++;
	}
	return -1;
}

/* words - "a, b or c" from "a|b|c" */
static void
words(char *b, size_t n, const char *choices)
{
	size_t	 o = 0, l;
	const char *p = choices;

	b[0] = '\0';
	while (*p && o < n) {
		l = strcspn(p, "|");
		o += (size_t)snprintf(b + o, n - o, "%s%.*s", o == 0 ? "" :
		    strchr(p + l, '|') ? ", " : " or ", (int)l, p);
		p += l;
		if (*p == '|')
			p++;
	}
}

int
opt_value(const struct opt_def *o, const char *arg, struct opt_val *v, char *err, size_t errlen)
{
	char	*end, w[300];
	double	 d;

	memset(v, 0, sizeof(*v));
	v->s = arg;
	if (arg == NULL)
		return 0;	/* an optional argument left out */
	switch (o->type) {
	case OT_FLAG:
		return 0;
	case OT_INT:
		errno = 0;
		v->i = strtoll(arg, &end, 10);
		if (*arg == '\0' || *end || errno || v->i < o->lo || v->i > o->hi) {
			snprintf(err, errlen, "\"%s\" is not a whole number from %lld to %lld", arg,
			    o->lo, o->hi);
			return -1;
		}
		return 0;
	case OT_SECONDS:
		errno = 0;
		d = strtod(arg, &end);
		if (*arg == '\0' || *end || errno || !(d >= (double)o->lo &&
		    d <= (double)o->hi) || (d > 0 && d < 0.001)) {
			snprintf(err, errlen, "\"%s\" is not a number of seconds from %lld to %lld "
			    "(fractions allowed, 1 ms at least)", arg, o->lo, o->hi);
			return -1;
		}
		v->ms = (uint64_t)(d * 1000.0 + 0.5);
		return 0;
	case OT_ENUM:
		if ((v->i = choice(o->choices, arg)) < 0) {
			words(w, sizeof(w), o->choices);
			snprintf(err, errlen, "\"%s\" is not one of %s", arg, w);
			return -1;
		}
		return 0;
	case OT_STR:
	case OT_FILE:
	case OT_DIR:
		if (*arg == '\0' && o->type != OT_STR) {
			snprintf(err, errlen, "an empty name");
			return -1;
		}
		return 0;
	}
	return 0;
}

/* distance - edit distance of two short strings (a typo's size) */
static size_t
distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, row[64], prev, t;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			t = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (t + 1 < row[j])
				row[j] = t + 1;
			prev = t;
		}
	}
	return row[lb];
}

const char *
opt_suggest(const char *wrong, unsigned mode)
{
	const char *best = NULL;
	size_t	 bd = 3, d, n = strlen(wrong);
	unsigned i;

	for (i = 0; i < opt_count; i++) {
		if (!(opt_table[i].mode & mode))
			continue;
		d = distance(wrong, opt_table[i].name);
		/* a prefix is a likely abbreviation too ("--max-conn") */
		if (n >= 3 && strncmp(opt_table[i].name, wrong, n) == 0)
			d = 1;
		if (d < bd || (d == bd && best == NULL && d <= n / 3)) {
			bd = d;
			best = opt_table[i].name;
		}
	}
	return bd <= 2 ? best : NULL;
}

const char *
opt_mode_name(unsigned bit)
{
	switch (bit) {
	case OPT_SINK: return "sink";
	case OPT_SEND: return "send";
	case OPT_PROBE: return "probe";
	case OPT_DEMO: return "demo";
	case OPT_PROXY: return "proxy";
	case OPT_PING: return "ping";
	default: return "client";
	}
}

void
opt_usage(FILE *f, unsigned bit)
{
	unsigned i;
	char	 name[80], w[300];

	for (i = 0; i < opt_count; i++) {
		const struct opt_def *o = &opt_table[i];
		if (!(o->mode & bit))
			continue;
		snprintf(name, sizeof(name), "%c%c%s--%s%s%s%s", o->shortopt ? '-' : ' ',
		    o->shortopt ? o->shortopt : ' ', o->shortopt ? ", " : "  ", o->name,
		    o->has_arg == 2 ? "[=" : o->has_arg ? " " : "",
		    o->argname ? o->argname : "", o->has_arg == 2 ? "]" : "");
		w[0] = '\0';
		if (o->type == OT_ENUM && o->argname && strchr(o->argname, '|') == NULL) {
			words(w, sizeof(w), o->choices);
			fprintf(f, "  %-30s %s: %s%s%s%s\n", name, o->help, w, o->dflt ? " (" : "",
			    o->dflt ? o->dflt : "", o->dflt ? ")" : "");
		} else
			fprintf(f, "  %-30s %s%s%s%s\n", name, o->help, o->dflt ? " (" : "",
			    o->dflt ? o->dflt : "", o->dflt ? ")" : "");
	}
}

/* spaced - "a|b|c" as "a b c" */
static void
spaced(FILE *f, const char *choices)
{
	for (; *choices; choices++)
		fputc(*choices == '|' ? ' ' : *choices, f);
}

static const unsigned modes[] = { OPT_CLIENT, OPT_SINK, OPT_SEND, OPT_PROBE, OPT_DEMO, OPT_PROXY,
	OPT_PING };

/* subcommands - the names of the modes but the client's (modes[0]), sep
 * between them */
static void
subcommands(FILE *f, char sep)
{
	unsigned k;

	for (k = 1; k < sizeof(modes) / sizeof(modes[0]); k++) {
		if (k > 1)
			fputc(sep, f);
		fputs(opt_mode_name(modes[k]), f);
	}
}

static void
bash_completion(FILE *f)
{
	unsigned i, k;

	fprintf(f, "# bash completion for smtpdbg, made from its option table\n"
	    "_smtpdbg() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	    "\tlocal mode=client opts\n"
	    "\tcase ${COMP_WORDS[1]} in ");
	subcommands(f, '|');
	fprintf(f, ") mode=${COMP_WORDS[1]} ;; esac\n"
	    "\t[[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD-2]}\n"
	    "\t[[ $cur == = ]] && { prev=${COMP_WORDS[COMP_CWORD-1]}; cur=; }\n"
	    "\tcase $prev in\n");
	for (i = 0; i < opt_count; i++) {
		const struct opt_def *o = &opt_table[i];
		if (o->has_arg == 0 || (o->has_arg == 2 && o->type != OT_ENUM))
			continue;
		if (o->type == OT_FILE || o->type == OT_DIR) {
			fprintf(f, "\t--%s%s%c) COMPREPLY=($(compgen -%c -- \"$cur\")); return ;;\n",
			    o->name, o->shortopt ? "|-" : "", o->shortopt ? o->shortopt : ' ',
			    o->type == OT_DIR ? 'd' : 'f');
		} else if (o->type == OT_ENUM) {
			fprintf(f, "\t--%s) COMPREPLY=($(compgen -W \"", o->name);
			spaced(f, o->choices);
			fprintf(f, "\" -- \"$cur\")); return ;;\n");
		} else
			fprintf(f, "\t--%s%s%c) return ;;\n", o->name, o->shortopt ? "|-" : "",
			    o->shortopt ? o->shortopt : ' ');
	}
	fprintf(f, "\tesac\n\tcase $mode in\n");
	for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		fprintf(f, "\t%s) opts=\"", opt_mode_name(modes[k]));
		for (i = 0; i < opt_count; i++)
			if (opt_table[i].mode & modes[k])
				fprintf(f, "%s--%s%s", i ? " " : "", opt_table[i].name,
				    opt_table[i].has_arg == 2 ? "=" : "");
		fprintf(f, "\" ;;\n");
	}
	fprintf(f, "\tesac\n"
	    "\tif [[ $cur == -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	    "\t\t[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null\n"
	    "\telif [[ $COMP_CWORD == 1 ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"");
	subcommands(f, ' ');
	fprintf(f, "\" -A hostname -- \"$cur\"))\n"
	    "\telse\n"
	    "\t\tCOMPREPLY=($(compgen -A hostname -- \"$cur\"))\n"
	    "\tfi\n"
	    "}\n"
	    "complete -F _smtpdbg smtpdbg\n");
}

/* zsh_spec - one _arguments spec; quotes and brackets in help are dropped */
static void
zsh_spec(FILE *f, const struct opt_def *o)
{
	const char *h;

	fprintf(f, " \\\n\t\t'--%s%s[", o->name, o->has_arg == 2 ? "=-" : o->has_arg ? "=" : "");
	for (h = o->help; *h; h++)
		if (*h != '\'' && *h != '[' && *h != ']' && *h != ':')
			fputc(*h, f);
	fputc(']', f);
	if (o->has_arg) {
		fprintf(f, ":%s:", o->argname ? o->argname : "value");
		if (o->type == OT_FILE)
			fprintf(f, "_files");
		else if (o->type == OT_DIR)
			fprintf(f, "_files -/");
		else if (o->type == OT_ENUM) {
			fputc('(', f);
			spaced(f, o->choices);
			fputc(')', f);
		}
	}
	fputc('\'', f);
}

static void
zsh_completion(FILE *f)
{
	unsigned i, k;

	fprintf(f, "#compdef smtpdbg\n# zsh completion for smtpdbg, made from its option table\n"
	    "local mode=client\n"
	    "case $words[2] in\n");
	subcommands(f, '|');
	fprintf(f, ") mode=$words[2]; shift words; (( CURRENT-- )) ;;\n"
	    "esac\n"
	    "case $mode in\n");
	for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		fprintf(f, "%s)\n\t_arguments -s -S", opt_mode_name(modes[k]));
		for (i = 0; i < opt_count; i++)
			if (opt_table[i].mode & modes[k])
				zsh_spec(f, &opt_table[i]);
		if (modes[k] == OPT_CLIENT) {
			fprintf(f, " \\\n\t\t'1:host or subcommand:(");
			subcommands(f, ' ');
			fprintf(f, ")'");
		}
		else if (modes[k] != OPT_DEMO)
			fprintf(f, " \\\n\t\t'1:%s:_hosts'", modes[k] == OPT_SINK ?
			    "address" : "host");
		fprintf(f, "\n\t;;\n");
	}
	fprintf(f, "esac\n");
}

int
opt_completion(FILE *f, const char *shell)
{
	if (strcmp(shell, "bash") == 0)
		bash_completion(f);
	else if (strcmp(shell, "zsh") == 0)
		zsh_completion(f);
	else
		return -1;
	return 0;
}
