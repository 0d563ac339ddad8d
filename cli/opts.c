/*
 * opts - command-line options (see opts.h).  Each row has a section in
 * man/smtpdbg.md; tests/test_manual.c checks both ways.
 */
#include "config.h"

#include <stddef.h>

#include "cli/opts.h"

const struct opt_def opt_table[] = {
	{ "file", 'f', 1, "FILE", O_FILE, OPT_CLIENT, "run the script FILE" },
	{ "helo", 0, 1, "NAME", O_HELO, OPT_CLIENT, "name for EHLO/HELO" },
	{ "ehlo", 'e', 0, NULL, O_EHLO, OPT_CLIENT, "send EHLO after the greeting" },
	{ "timeout", 't', 1, "SECONDS", O_TIMEOUT, OPT_CLIENT, "reply timeout (RFC 5321 values)" },
	{ "connect-timeout", 0, 1, "SECONDS", O_CONNECT_TIMEOUT, OPT_CLIENT, "TCP connect timeout (30)" },
	{ "data-lines", 0, 1, "N", O_DATA_LINES, OPT_BOTH, "message lines shown per message (-1: all)" },
	{ "keep-going", 'k', 0, NULL, O_KEEP_GOING, OPT_CLIENT, "server protocol violations do not end a script" },
	{ "json", 0, 2, "FILE", O_JSON, OPT_BOTH, "JSON Lines events (to FILE or stdout)" },
	{ "quiet", 'q', 0, NULL, O_QUIET, OPT_BOTH, "print only the outcome / summaries" },
	{ "color", 0, 2, "WHEN", O_COLOR, OPT_BOTH, "auto, always or never" },
	{ "no-history", 0, 0, NULL, O_NO_HISTORY, OPT_CLIENT, "do not read or write the REPL history" },
	{ "help", 'h', 0, NULL, O_HELP, OPT_BOTH, "short usage" },
	{ "version", 'V', 0, NULL, O_VERSION, OPT_BOTH, "print the version" },
	{ "hostname", 0, 1, "NAME", O_HOSTNAME, OPT_SINK, "name in the greeting and EHLO reply" },
	{ "max-size", 0, 1, "BYTES", O_MAX_SIZE, OPT_SINK, "message size limit (36700160)" },
	{ "max-rcpt", 0, 1, "N", O_MAX_RCPT, OPT_SINK, "recipients per message (1000)" },
	{ "max-line", 0, 1, "BYTES", O_MAX_LINE, OPT_SINK, "command line limit (2048)" },
	{ "max-errors", 0, 1, "N", O_MAX_ERRORS, OPT_SINK, "bad commands before 421 (20)" },
	{ "max-connections", 0, 1, "N", O_MAX_CONNECTIONS, OPT_SINK, "concurrent sessions (1000)" },
	{ "idle-timeout", 0, 1, "SECONDS", O_IDLE_TIMEOUT, OPT_SINK, "close idle sessions with 421 (300)" },
	{ "bare-lf", 0, 1, "MODE", O_BARE_LF, OPT_SINK, "reject, accept or normalize bare LF/CR" },
	{ "no-ext", 0, 1, "KEYWORD", O_NO_EXT, OPT_SINK, "do not advertise an EHLO keyword" },
	{ "starttls", 's', 0, NULL, O_STARTTLS, OPT_CLIENT, "EHLO, then STARTTLS when offered" },
	{ "tls", 0, 0, NULL, O_TLS, OPT_CLIENT, "implicit TLS from the start (port 465)" },
	{ "sni", 0, 1, "NAME", O_SNI, OPT_CLIENT, "server name to send and verify" },
	{ "no-sni", 0, 0, NULL, O_NO_SNI, OPT_CLIENT, "send no server name" },
	{ "ca-file", 0, 1, "FILE", O_CA_FILE, OPT_CLIENT, "trust these CAs instead of the system store" },
	{ "no-verify", 0, 0, NULL, O_NO_VERIFY, OPT_CLIENT, "failed TLS checks do not end a script" },
	{ "tls-priority", 0, 1, "STRING", O_TLS_PRIORITY, OPT_CLIENT, "GnuTLS priority string" },
	{ "tls-min", 0, 1, "VERSION", O_TLS_MIN, OPT_CLIENT, "lowest TLS version (1.0 .. 1.3)" },
	{ "tls-max", 0, 1, "VERSION", O_TLS_MAX, OPT_CLIENT, "highest TLS version" },
	{ "cert", 0, 1, "FILE", O_CERT, OPT_BOTH, "certificate chain (PEM)" },
	{ "key", 0, 1, "FILE", O_KEY, OPT_BOTH, "private key (PEM)" },
	{ "tls-required", 0, 0, NULL, O_TLS_REQUIRED, OPT_CLIENT, "never send MAIL/AUTH without TLS" },
	{ "tlsa", 0, 1, "RECORD", O_TLSA, OPT_CLIENT, "DANE TLSA record \"U S M hex\" (repeatable)" },
	{ "allow-injection", 0, 0, NULL, O_ALLOW_INJECTION, OPT_CLIENT, "go on after STARTTLS response injection" },
	{ "tls-listen", 0, 1, "[ADDR:]PORT", O_TLS_LISTEN, OPT_SINK, "also listen for implicit TLS" },
	{ "require-tls", 0, 0, NULL, O_REQUIRE_TLS, OPT_SINK, "530 to MAIL before STARTTLS" },
	{ "ocsp-response", 0, 1, "FILE", O_OCSP_RESPONSE, OPT_SINK, "staple this DER OCSP response" },
	{ "maildir", 0, 1, "DIR", O_MAILDIR, OPT_SINK, "store messages in a Maildir (fsync before 250)" },
	{ "mbox", 0, 1, "FILE", O_MBOX, OPT_SINK, "append messages to an mboxrd file" },
	{ "eml-dir", 0, 1, "DIR", O_EML_DIR, OPT_SINK, "one .eml file per message" },
	{ "no-fsync", 0, 0, NULL, O_NO_FSYNC, OPT_SINK, "no fsync (250 no longer means on disk)" },
	{ "json-sidecar", 0, 0, NULL, O_JSON_SIDECAR, OPT_SINK, "write NAME.json beside each message" },
	{ "grace", 0, 1, "SECONDS", O_GRACE, OPT_SINK, "time for transactions to finish on SIGINT/SIGTERM (10)" },
	{ "exit-after", 0, 1, "N", O_EXIT_AFTER, OPT_SINK, "stop after N messages were accepted" },
	{ "exit-after-time", 0, 1, "SECONDS", O_EXIT_AFTER_TIME, OPT_SINK, "stop after SECONDS" },
	{ "expect-messages", 0, 1, "N", O_EXPECT_MESSAGES, OPT_SINK, "exit 1 unless exactly N were accepted" },
	{ "expect-rcpt", 0, 1, "ADDR", O_EXPECT_RCPT, OPT_SINK, "exit 1 unless mail for ADDR was accepted (repeatable)" },
	{ "reply", 0, 1, "RULE", O_REPLY, OPT_SINK, "misbehave on purpose: STAGE[#N|%N|~P][:PATTERN]=ACTION" },
	{ "rules", 0, 1, "FILE", O_RULES, OPT_SINK, "read --reply rules from FILE, one per line" },
	{ "seed", 0, 1, "N", O_SEED, OPT_SINK, "seed for ~P rules (1): runs repeat" },
	{ "greylist", 0, 1, "SECONDS", O_GREYLIST, OPT_SINK, "451 to each first try; accept after SECONDS" },
	{ "rate-limit", 0, 1, "N/s", O_RATE_LIMIT, OPT_SINK, "421 to connections over N per second (or N/m)" },
	{ "lmtp", 0, 0, NULL, O_LMTP, OPT_SINK, "speak LMTP (LHLO, one reply per recipient)" },
	{ "lint-strict", 0, 0, NULL, O_LINT_STRICT, OPT_SINK, "exit 1 when any client broke a rule" },
};
const unsigned opt_count = sizeof(opt_table) / sizeof(opt_table[0]);
