/*
 * main - command line: "smtpdbg [options] [HOST[:PORT]]" (client REPL or
 * script), "smtpdbg sink [options] [[ADDR:]PORT]", "smtpdbg demo".
 * Maps every outcome to the exit codes in run.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/gitrev.h"
#include "cli/https.h"
#include "cli/loop.h"
#include "cli/opts.h"
#include "cli/out.h"
#include "cli/domain.h"
#include "cli/probe.h"
#include "cli/proxy.h"
#include "cli/resolve.h"
#include "cli/repl.h"
#include "cli/run.h"
#include "cli/mx.h"
#include "cli/net.h"
#include "cli/send.h"
#include "cli/sink.h"
#include "man/render.h"
#include "tls/crypto.h"
#include "tls/tls.h"
#include "session/addr.h"
#include "session/rules.h"
#include "session/xalloc.h"

struct main_opts {
	struct run_opts	 ro;
	struct sink_cfg	 sc;
	const char	*file;
	const char	*json;
	int		 json_set;
	int		 color;
	int		 history;
	int		 quiet;
	const char	*cert, *key;
	int		 grace;
	int		 exit_after_time;
	long long	 expect_messages;	/* -1: no expectation */
	const char	*replies[64];		/* --reply, in order */
	size_t		 nreplies;
	const char	*rules_file;
	unsigned long long seed;
	int		 greylist;		/* seconds; -1: off */
	const char	*rate_limit;
	int		 lint_strict;
	const char	*auth_users;
	const char	*attach_name, *attach_type;	/* for the next --attach */
	struct addr	*addrs;		/* send's parsed addresses, for the run */
	int		 helo_set;
	const char	*trust_anchor;	/* --trust-anchor */
	int		 mx;		/* probe --mx DOMAIN */
	struct domain_opts dom;
	struct send_opts so;
	struct proxy_opts px;
};

/* flush_out - before the loop waits: everything printed so far goes out */
static void
flush_out(void *arg)
{
	fflush(NULL);
}

/* The subcommands; anything else in their place is the client's HOST. */
static const struct { const char *name; unsigned bit; } subcommands[] = {
	{ "sink", OPT_SINK }, { "send", OPT_SEND }, { "probe", OPT_PROBE },
	{ "demo", OPT_DEMO }, { "proxy", OPT_PROXY }, { "ping", OPT_PING },
};
#define NSUB	(sizeof(subcommands) / sizeof(subcommands[0]))

static unsigned
mode_bit(const char *mode)
{
	size_t	 i;

	for (i = 0; mode && i < NSUB; i++)
		if (strcmp(mode, subcommands[i].name) == 0)
			return subcommands[i].bit;
	return OPT_CLIENT;
}

static void
usage(FILE *f, const char *mode)
{
	unsigned bit = mode_bit(mode);

	fprintf(f, "usage: smtpdbg [options] [HOST[:PORT]|unix:PATH]  interactive or scripted "
	    "client\n"
	    "       smtpdbg sink [options] [[ADDR:]PORT]  local sink (default 127.0.0.1:2525)\n"
	    "       smtpdbg probe [options] HOST[:PORT]   one-shot TLS check (exit 6: TLS failed)\n"
	    "       smtpdbg send [options] [HOST[:PORT]]  one-shot sender (exit status: the stage)\n"
	    "       smtpdbg ping [options] HOST[:PORT]    a session every second, timed by phase\n"
	    "       smtpdbg demo                          REPL against a built-in sink\n"
	    "       smtpdbg proxy [options] [[ADDR:]PORT] UPSTREAM  recording relay (default "
	    "127.0.0.1:2526)\n"
	    "%s options:\n", opt_mode_name(bit));
	opt_usage(f, bit);
	fprintf(f, "In the REPL, /help shows the manual; see also man smtpdbg.\n");
}

/* hint - what a user coming from swaks or s_client meant by an unknown option */
static const char *
hint(const char *name)
{
	static const struct { const char *name, *hint; } t[] = {
		{ "server", "give HOST[:PORT] as the last argument" },
		{ "host", "give HOST[:PORT] as the last argument" },
		{ "port", "give HOST[:PORT] as the last argument" },
		{ "connect", "give HOST[:PORT] as the last argument" },
		{ "auth-password", "use --auth-password-env VAR, --auth-password-file FILE or the "
		    "prompt (a secret in the arguments is visible to every user of the machine)" },
		{ "password", "use --auth-password-env VAR, --auth-password-file FILE or the "
		    "prompt" },
		{ "tls-on-connect", "--tls is implicit TLS" },
		{ "tlsc", "--tls is implicit TLS" },
		{ "protocol", "--lmtp speaks LMTP; SMTP and ESMTP need nothing" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].hint;
	return NULL;
}

/* unknown - one line for an option getopt did not know */
static void
unknown(const char *arg, const char *mode)
{
	char	 name[80];
	const char *h, *sug, *n = arg + (arg[1] == '-' ? 2 : 1);
	const struct opt_def *o;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(n, "="), n);
	if ((h = hint(name)) != NULL)
		fprintf(stderr, "smtpdbg: %s is not an option: %s\n", arg, h);
	else if ((o = opt_find(name)) != NULL && !(o->mode & mode_bit(mode)))
		fprintf(stderr, "smtpdbg: --%s is not a %s option\n", o->name, mode);
	else if ((sug = opt_suggest(name, mode_bit(mode))) != NULL)
		fprintf(stderr, "smtpdbg: unknown option %s; did you mean --%s?\n", arg, sug);
	else
		fprintf(stderr, "smtpdbg: unknown option %s (smtpdbg%s%s --help lists them)\n",
		    arg, strcmp(mode, "client") ? " " : "", strcmp(mode, "client") ? mode : "");
}

static int
no_ext(struct main_opts *m, const char *kw)
{
	static const struct { const char *kw; unsigned bit; } t[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING }, { "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME }, { "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCED }, { "DSN", SMTP_EXT_DSN },
		{ "HELP", SMTP_EXT_HELP }, { "CHUNKING", SMTP_EXT_CHUNKING },
	};
	size_t	 i;

	if (strcasecmp(kw, "STARTTLS") == 0) {
		m->sc.no_starttls = 1;
		return 0;
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(kw, t[i].kw) == 0) {
			m->sc.scfg.ext &= ~t[i].bit;
			return 0;
		}
	fprintf(stderr, "smtpdbg: --no-ext: unknown keyword %s\n", kw);
	return -1;
}

/* read_first_line - a secret file: its first line, kept for the run */
static char *
read_first_line(const char *path)
{
	static char	 line[1024];
	FILE		*f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "smtpdbg: --auth-password-file: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* notify_ok - NEVER, or SUCCESS, FAILURE, DELAY joined by commas, once each */
static int
notify_ok(const char *s)
{
	static const char *const kw[] = { "SUCCESS", "FAILURE", "DELAY" };
	unsigned seen = 0;
	size_t	 n, k;

	if (strcasecmp(s, "NEVER") == 0)
		return 0;
	while (*s) {
		n = strcspn(s, ",");
		for (k = 0; k < 3; k++)
			if (n == strlen(kw[k]) && strncasecmp(s, kw[k], n) == 0)
				break;
		if (k == 3 || (seen & (1u << k)))
			return -1;
		seen |= 1u << k;
		s += n;
		if (*s == ',' && *++s == '\0')
			return -1;
	}
	return seen ? 0 : -1;
}

/* parse - options for mode ("client" or "sink"); returns optind or -1 */
static int
parse(struct main_opts *m, int argc, char **argv, const char *mode)
{
	struct option	*lo = xcalloc(opt_count + 1, sizeof(*lo));
	char		 so[64], err[400];
	size_t		 sl = 1;
	unsigned	 i;
	int		 c;
	long long	 v;
	struct opt_val	 val;

	so[0] = ':';	/* a missing argument is ':', told apart from unknown */
	opterr = 0;
	for (i = 0; i < opt_count; i++) {
		lo[i].name = opt_table[i].name;
		lo[i].has_arg = opt_table[i].has_arg;
		lo[i].val = opt_table[i].id;
		if (opt_table[i].shortopt && sl + 3 < sizeof(so)) {
			so[sl++] = (char)opt_table[i].shortopt;
			if (opt_table[i].has_arg == 1)
				so[sl++] = ':';
		}
	}
	so[sl] = '\0';
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		const struct opt_def *o = NULL;
		if (c == '?') {
			unknown(argv[optind - 1], mode);
			goto bad;
		}
		if (c == ':') {
			for (i = 0; i < opt_count; i++)
				if ((optopt && opt_table[i].id == (enum opt_id)optopt) ||
				    (optopt && opt_table[i].shortopt == optopt))
					o = &opt_table[i];
			fprintf(stderr, "smtpdbg: --%s needs %s\n", o ? o->name : "?",
			    o && o->argname ? o->argname : "an argument");
			goto bad;
		}
		for (i = 0; i < opt_count; i++)
			if ((int)opt_table[i].id == c || opt_table[i].shortopt == c)
				o = &opt_table[i];
		if (o == NULL)
			fatalx("%s: option %d not in the table", __func__, c);
		if (!(o->mode & mode_bit(mode))) {
			if (mode_bit(mode) == OPT_CLIENT && (o->mode & OPT_SINK))
				fprintf(stderr, "smtpdbg: --%s is a sink option (smtpdbg sink --%s)\n",
				    o->name, o->name);
			else if (mode_bit(mode) == OPT_CLIENT && (o->mode & OPT_SEND))
				fprintf(stderr, "smtpdbg: --%s is a send option (smtpdbg send --%s)\n",
				    o->name, o->name);
			else
				fprintf(stderr, "smtpdbg: --%s is not a %s option\n", o->name, mode);
			goto bad;
		}
		if (opt_value(o, optarg, &val, err, sizeof(err)) == -1) {
			fprintf(stderr, "smtpdbg: --%s: %s\n", o->name, err);
			goto bad;
		}
		v = val.i;
		switch (o->id) {
		case O_FILE: m->file = optarg; break;
		case O_EHLO: m->ro.auto_ehlo = 1; break;
		case O_HELO:
			m->helo_set = 1;
			/* FALLTHROUGH */
		case O_TIMEOUT:
		case O_CONNECT_TIMEOUT:
		case O_KEEP_GOING:
			if (run_opt_apply(&m->ro, o, &val, err, sizeof(err)) == -1) {
				fprintf(stderr, "smtpdbg: --%s: %s\n", o->name, err);
				goto bad;
			}
			break;
		case O_DATA_LINES:
			if (run_opt_apply(&m->ro, o, &val, err, sizeof(err)) == -1)
				fatalx("%s: %s", __func__, err);
			m->sc.data_lines = (int)v;
			m->so.data_lines_set = 1;
			break;
		case O_JSON: m->json = optarg; m->json_set = 1; break;
		case O_QUIET: m->quiet = 1; break;
		case O_COLOR:
			/* auto|always|never; --color alone is always */
			m->color = optarg == NULL || v == 1 ? 1 : v == 2 ? 0 : -1;
			break;
		case O_NO_HISTORY: m->history = 0; break;
		case O_HELP: usage(stdout, mode); exit(0);
		case O_COMPLETION:
			opt_completion(stdout, optarg);
			exit(0);
		case O_VERSION:
			/* what was built, and the libraries loaded now */
			printf("smtpdbg %s%s%s%s\n%s, %s, %s, %s, %s\n", PACKAGE_VERSION,
			    *SMTPDBG_GITREV ? " (git " : "", SMTPDBG_GITREV, *SMTPDBG_GITREV ? ")" : "",
			    tls_lib_version(), out_lib_version(), man_lib_version(),
			    resolve_lib_version(), https_lib_version());
			exit(0);
		case O_HOSTNAME:
			if (strpbrk(optarg, "\r\n") || strlen(optarg) > 200) {
				fprintf(stderr, "smtpdbg: --hostname: bad name\n");
				goto bad;
			}
			m->sc.scfg.hostname = optarg;
			break;
		case O_MAX_SIZE:
			m->sc.scfg.max_size = (uint64_t)v;
			break;
		case O_MAX_RCPT:
			m->sc.scfg.max_rcpt = (size_t)v;
			break;
		case O_MAX_LINE:
			m->sc.scfg.max_line = (size_t)v;
			m->sc.scfg.in_max = (size_t)v + 16384;
			break;
		case O_MAX_ERRORS:
			m->sc.scfg.max_errors = (unsigned)v;
			break;
		case O_MAX_CONNECTIONS:
			m->sc.max_conn = (int)v;
			break;
		case O_IDLE_TIMEOUT:
			m->sc.idle_timeout = (int)v;
			break;
		case O_BARE_LF:
			if (smtp_bare_lf_parse(optarg, &m->sc.scfg.bare_lf) == -1)
				fatalx("%s: --bare-lf %s", __func__, optarg);
			break;
		case O_NO_EXT:
			if (mode_bit(mode) == OPT_PROXY) {
				if (m->px.nstrip == sizeof(m->px.strip) / sizeof(m->px.strip[0]) ||
				    strpbrk(optarg, " \r\n") || *optarg == '\0') {
					fprintf(stderr, "smtpdbg: --no-ext: one keyword each, at most "
					    "32\n");
					goto bad;
				}
				m->px.strip[m->px.nstrip++] = optarg;
				if (strcasecmp(optarg, "STARTTLS") == 0)
					m->sc.no_starttls = 1;
				break;
			}
			if (no_ext(m, optarg) == -1) goto bad;
			break;
		case O_CLIENT_RULE:
			if (m->px.ncrules == sizeof(m->px.crules) / sizeof(m->px.crules[0])) {
				fprintf(stderr, "smtpdbg: --client-rule: at most 32\n");
				goto bad;
			}
			if (proxy_crule_parse(optarg, &m->px.crules[m->px.ncrules], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "smtpdbg: --client-rule: %s\n", err);
				goto bad;
			}
			m->px.ncrules++;
			break;
		case O_UPSTREAM_TLS:
			if (proxy_up_tls_parse(optarg, &m->px.up_tls) == -1)
				fatalx("%s: --upstream-tls %s", __func__, optarg);
			m->px.up_tls_set = 1;
			break;
		case O_STARTTLS: m->ro.starttls = 1; break;
		case O_TLS: m->ro.ccfg.tls_mode = CLIENT_TLS_IMPLICIT; break;
		case O_SNI: m->ro.ccfg.sni = optarg; break;
		case O_NO_SNI: m->ro.ccfg.no_sni = 1; break;
		case O_CA_FILE: m->ro.ccfg.tcfg.ca_file = optarg; break;
		case O_NO_VERIFY: m->ro.no_verify = 1; break;
		case O_TLS_PRIORITY: m->ro.ccfg.tcfg.priority = optarg; break;
		case O_TLS_MIN:
		case O_TLS_MAX:
			if (o->id == O_TLS_MIN)
				m->ro.ccfg.tcfg.tls_min = m->sc.tls_min = optarg;
			else
				m->ro.ccfg.tcfg.tls_max = m->sc.tls_max = optarg;
			break;
		case O_CERT: m->ro.ccfg.tcfg.cert_file = m->cert = optarg; break;
		case O_KEY: m->ro.ccfg.tcfg.key_file = m->key = optarg; break;
		case O_TLS_REQUIRED: m->ro.tls_required = 1; break;
		case O_TLSA:
			if (m->ro.ccfg.ntlsa == sizeof(m->ro.ccfg.tlsa) / sizeof(m->ro.ccfg.tlsa[0])) {
				fprintf(stderr, "smtpdbg: --tlsa: at most 16 records\n");
				goto bad;
			}
			m->ro.ccfg.tlsa[m->ro.ccfg.ntlsa++] = optarg;
			break;
		case O_ALLOW_INJECTION: m->ro.ccfg.allow_injection = 1; break;
		case O_TLS_LISTEN: m->sc.tls_listen = optarg; break;
		case O_REQUIRE_TLS: m->sc.scfg.require_tls = 1; break;
		case O_OCSP_RESPONSE: m->sc.ocsp = optarg; break;
		case O_MAILDIR:
		case O_MBOX:
		case O_EML_DIR:
			if (m->sc.store.kind != STORE_NONE) {
				fprintf(stderr, "smtpdbg: one of --maildir, --mbox, --eml-dir\n");
				goto bad;
			}
			m->sc.store.kind = o->id == O_MAILDIR ? STORE_MAILDIR :
			    o->id == O_MBOX ? STORE_MBOX : STORE_EML;
			m->sc.store.path = optarg;
			break;
		case O_NO_FSYNC: m->sc.store.no_fsync = 1; break;
		case O_JSON_SIDECAR: m->sc.store.sidecar = 1; break;
		case O_GRACE:
			m->grace = (int)v;
			break;
		case O_EXIT_AFTER:
			m->sc.exit_after = (unsigned long)v;
			break;
		case O_EXIT_AFTER_TIME:
			m->exit_after_time = (int)v;
			break;
		case O_EXPECT_MESSAGES:
			m->expect_messages = v;
			break;
		case O_EXPECT_RCPT:
			if (m->sc.nexpect_rcpt == 32) {
				fprintf(stderr, "smtpdbg: --expect-rcpt: at most 32\n");
				goto bad;
			}
			m->sc.expect_rcpt[m->sc.nexpect_rcpt++] = optarg;
			break;
		case O_REPLY:
			if (m->nreplies == sizeof(m->replies) / sizeof(m->replies[0])) {
				fprintf(stderr, "smtpdbg: --reply: at most 64 (use --rules FILE)\n");
				goto bad;
			}
			m->replies[m->nreplies++] = optarg;
			break;
		case O_RULES: m->rules_file = optarg; break;
		case O_SEED:
			m->seed = (unsigned long long)v;
			break;
		case O_GREYLIST:
			m->greylist = (int)v;
			break;
		case O_RATE_LIMIT: m->rate_limit = optarg; break;
		case O_LMTP: m->sc.scfg.lmtp = m->ro.ccfg.lmtp = 1; break;
		case O_LINT_STRICT: m->lint_strict = 1; break;
		case O_MANUAL: m->sc.manual = 1; break;
		case O_AUTH: m->sc.scfg.auth_mechs = 1; break;
		case O_AUTH_USERS: m->auth_users = optarg; m->sc.scfg.auth_mechs = 1; break;
		case O_AUTH_ANY_TIME: m->sc.scfg.auth_any_time = 1; m->sc.scfg.auth_mechs = 1; break;
		case O_REQUIRE_AUTH: m->sc.scfg.require_auth = 1; m->sc.scfg.auth_mechs = 1; break;
		case O_SHOW_SECRETS:
			m->sc.show_secrets = m->ro.auth.show_secrets = m->ro.ccfg.show_secrets = 1;
			break;
		case O_AUTH_USER: m->ro.auth.user = optarg; break;
		case O_AUTH_MECH: m->ro.auth.mech = optarg; break;
		case O_AUTH_AUTHZID: m->ro.auth.authzid = optarg; break;
		case O_AUTH_PASSWORD_ENV:
			if ((m->ro.auth.secret = getenv(optarg)) == NULL || !*m->ro.auth.secret) {
				fprintf(stderr, "smtpdbg: --auth-password-env: %s is %s\n", optarg,
				    m->ro.auth.secret ? "empty: an empty secret is never sent" :
				    "not set");
				goto bad;
			}
			break;
		case O_AUTH_PASSWORD_FILE:
			if ((m->ro.auth.secret = read_first_line(optarg)) == NULL)
				goto bad;
			if (*m->ro.auth.secret == '\0') {
				fprintf(stderr, "smtpdbg: --auth-password-file: the first line of %s is "
				    "empty: an empty secret is never sent\n", optarg);
				goto bad;
			}
			break;
		case O_AUTH_PLAINTEXT_OK: m->ro.auth_plaintext_ok = 1; break;
		case O_FROM: m->so.from = optarg; break;
		case O_TO:
		case O_CC:
		case O_BCC: {
			const char **lst = o->id == O_TO ? m->so.to : o->id == O_CC ? m->so.cc :
			    m->so.bcc;
			size_t *n = o->id == O_TO ? &m->so.nto : o->id == O_CC ? &m->so.ncc : &m->so.nbcc;
			if (*n == 256) {
				fprintf(stderr, "smtpdbg: --%s: at most 256\n", o->name);
				goto bad;
			}
			lst[(*n)++] = optarg;
			break;
		}
		case O_HEADER:
			if (m->so.nheaders == 64 || !strchr(optarg, ':') || optarg[0] == ':' ||
			    strchr(optarg, ' ') < strchr(optarg, ':')) {
				fprintf(stderr, "smtpdbg: --header \"%s\": NAME: VALUE (64 at most)\n",
				    optarg);
				goto bad;
			}
			m->so.headers[m->so.nheaders++] = optarg;
			break;
		case O_SUBJECT: m->so.subject = optarg; break;
		case O_BODY: m->so.body = optarg; break;
		case O_ATTACH:
			if (m->so.nattach == 64) {
				fprintf(stderr, "smtpdbg: --attach: at most 64\n");
				goto bad;
			}
			m->so.attach_name[m->so.nattach] = m->attach_name;
			m->so.attach_type[m->so.nattach] = m->attach_type;
			m->so.attach[m->so.nattach++] = optarg;
			m->attach_name = NULL;	/* the name is for one; the type stays */
			break;
		case O_ATTACH_NAME:
		case O_ATTACH_TYPE:
			if (strpbrk(optarg, "\r\n\"") || (o->id == O_ATTACH_TYPE &&
			    (!strchr(optarg, '/') || strpbrk(optarg, " ;")))) {
				fprintf(stderr, "smtpdbg: --%s: %s\n", o->name, o->id == O_ATTACH_TYPE ?
				    "TYPE/SUBTYPE, like application/pdf" : "no quotes, CR or LF");
				goto bad;
			}
			if (o->id == O_ATTACH_NAME)
				m->attach_name = optarg;
			else
				m->attach_type = optarg;
			break;
		case O_FORCE: m->so.force_addr = 1; break;
		case O_DATA: m->so.data_file = optarg[0] == '@' ? optarg + 1 : optarg; break;
		case O_RAW_DATA: m->so.raw_data_file = optarg[0] == '@' ? optarg + 1 : optarg; break;
		case O_QUIT_AFTER:
		case O_DROP_AFTER:
			if (send_stage_parse(optarg, o->id == O_QUIT_AFTER ? &m->so.quit_after :
			    &m->so.drop_after) == -1)
				fatalx("%s: stage %s", __func__, optarg);
			break;
		case O_COUNT:
			m->so.count = (unsigned long)v;
			m->so.count_set = 1;
			break;
		case O_SESSIONS: m->so.sessions = (unsigned)v; break;
		case O_PER_CONNECTION: m->so.per_conn = (unsigned long)v; break;
		case O_RATE:
			if (send_rate_parse(optarg, &m->so.rate) == -1) {
				fprintf(stderr, "smtpdbg: --rate: R/s, R/m or R/h (R a number above "
				    "0), like 50/s or 600/m\n");
				goto bad;
			}
			break;
		case O_SIZE: m->so.size = (size_t)v; break;
		case O_JSON_MESSAGES: m->so.json_messages = 1; break;
		case O_INTERVAL: m->so.interval_us = val.ms * 1000; break;
		case O_PIPELINE: m->so.pipeline = 1; break;
		case O_NO_PIPELINE: m->so.pipeline = 0; break;
		case O_BDAT: m->so.bdat = 1; break;
		case O_CHUNK_SIZE:
			m->so.chunk = (size_t)v;
			m->so.bdat = 1;
			break;
		case O_NOTIFY:
			if (notify_ok(optarg) == -1) {
				fprintf(stderr, "smtpdbg: --notify: NEVER, or a list of SUCCESS, FAILURE "
				    "and DELAY separated by commas (RFC 3461 4.1)\n");
				goto bad;
			}
			m->so.notify = optarg;
			break;
		case O_RET: m->so.ret = optarg; break;
		case O_ENVID: m->so.envid = optarg; break;
		case O_ORCPT: m->so.orcpt = 1; break;
		case O_REQUIRETLS: m->so.requiretls = 1; break;
		case O_FORCE_EXT:
			if (send_force_parse(optarg, &m->so.force) == -1)
				fatalx("%s: --force-ext %s", __func__, optarg);
			break;
		case O_RESOLVER: m->so.resolver = optarg; break;
		case O_TRUST_ANCHOR: m->trust_anchor = optarg; break;
		case O_MX_PORT: m->so.mx_port = optarg; m->dom.port = optarg; break;
		case O_MX: m->mx = 1; break;
		case O_WARN_DAYS: m->dom.warn_days = (int)v; break;
		case O_CRIT_DAYS: m->dom.crit_days = (int)v; break;
		case O_NAGIOS: m->dom.nagios = 1; break;
		case O_MTA_STS_PORT: m->dom.sts_port = (int)v; break;
		case O_CHECKS: {
			char e[200];
			if (domain_checks_parse(optarg, &m->dom.checks, e, sizeof(e)) == -1) {
				fprintf(stderr, "smtpdbg: %s\n", e);
				goto bad;
			}
			break;
		}
		case O_BASELINE: m->dom.baseline = optarg; break;
		case O_FAST: m->dom.fast = 1; break;
		case O_RCPT:
			if (strpbrk(optarg, "\r\n<> ") || strchr(optarg, '@') == NULL) {
				fprintf(stderr, "smtpdbg: --rcpt %s: not an address\n", optarg);
				goto bad;
			}
			m->dom.rcpt = optarg;
			break;
		case O_COMMAND_TIMEOUT:
		case O_DATA_TIMEOUT:
			if (o->id == O_COMMAND_TIMEOUT)
				m->sc.command_timeout = (int)v;
			else
				m->sc.data_timeout = (int)v;
			break;
		default:
			fatalx("%s: bad option %d", __func__, c);
		}
	}
	free(lo);
	return optind;
bad:
	free(lo);
	return -1;
}

static FILE *
open_json(struct main_opts *m)
{
	FILE	*f;

	if (!m->json_set)
		return NULL;
	if (m->json == NULL || strcmp(m->json, "-") == 0)
		return stdout;
	if ((f = fopen(m->json, "w")) == NULL) {
		fprintf(stderr, "smtpdbg: --json: %s: %s\n", m->json, strerror(errno));
		exit(EXIT_LOCAL);
	}
	return f;
}

/* history_path - $XDG_STATE_HOME/smtpdbg/history, creating the folders */
static char *
history_path(void)
{
	const char *base = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char	 dir[1024], *p;

	if (base && *base == '/')
		snprintf(dir, sizeof(dir), "%s/smtpdbg", base);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.local/state/smtpdbg", home);
	else
		return NULL;
	for (p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	mkdir(dir, 0700);
	p = xmalloc(strlen(dir) + 16);
	sprintf(p, "%s/history", dir);
	return p;
}

static void
defaults(struct main_opts *m)
{
	char	 host[200];

	memset(m, 0, sizeof(*m));
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0' || strchr(host, ' '))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(m->ro.ccfg.helo, sizeof(m->ro.ccfg.helo), "%s", host);
	m->ro.ccfg.connect_timeout_ms = 30000;
	m->ro.ccfg.data_lines = -1;
	m->ro.ccfg.text = 1;
	m->ro.ccfg.report = 1;
	m->sc.data_lines = -1;
	m->sc.scfg.ext = SMTP_EXT_ALL;
	m->sc.scfg.bare_lf = SMTP_BARE_REJECT;
	m->color = -1;
	m->history = 1;
	m->grace = 10;
	m->expect_messages = -1;
	m->greylist = -1;
	m->dom.port = "25";
	m->dom.sts_port = 443;
	m->dom.warn_days = 21;
	m->dom.crit_days = 7;
	m->seed = 1;
	m->so.quit_after = m->so.drop_after = -1;
	m->so.pipeline = -1;
	m->so.count = 1;
	m->so.interval_us = 1000000;
}

/* load_users - --auth-users: "user:secret" lines; # comments */
static int
load_users(struct main_opts *m)
{
	FILE	*f;
	char	 line[1024], *c;
	unsigned ln = 0;

	if (m->sc.scfg.auth_mechs == 0)
		return 0;
	/* SCRAM needs the secret to answer: offered only with a users file */
	m->sc.scfg.auth_mechs = (1u << SASL_MECH_COUNT) - 1;
	m->sc.scfg.crypto = tls_sasl_crypto();
	if (m->auth_users == NULL) {
		m->sc.scfg.auth_mechs &= ~(1u << SASL_SCRAM_SHA256 | 1u << SASL_SCRAM_SHA256_PLUS);
		return 0;
	}
	if ((f = fopen(m->auth_users, "r")) == NULL) {
		fprintf(stderr, "smtpdbg: --auth-users: %s: %s\n", m->auth_users, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((c = strchr(line, ':')) == NULL || c == line) {
			fprintf(stderr, "smtpdbg: %s:%u: not user:secret\n", m->auth_users, ln);
			fclose(f);
			return -1;
		}
		*c = '\0';
		m->sc.users = xrealloc(m->sc.users, (m->sc.nusers + 1) * sizeof(*m->sc.users));
		m->sc.users[m->sc.nusers].user = xstrdup(line);
		m->sc.users[m->sc.nusers].secret = xstrdup(c + 1);
		m->sc.nusers++;
		memset(line, 0, sizeof(line));
	}
	fclose(f);
	if (m->sc.nusers == 0) {
		fprintf(stderr, "smtpdbg: --auth-users: %s holds no user\n", m->auth_users);
		return -1;
	}
	return 0;
}

static void
free_users(struct main_opts *m)
{
	size_t	 i;

	for (i = 0; i < m->sc.nusers; i++) {
		free(m->sc.users[i].user);
		memset(m->sc.users[i].secret, 0, strlen(m->sc.users[i].secret));
		free(m->sc.users[i].secret);
	}
	free(m->sc.users);
	m->sc.users = NULL;
	m->sc.nusers = 0;
}

/* load_rules - --reply, --rules FILE, --greylist, --rate-limit; each shown */
static int
load_rules(struct main_opts *m)
{
	struct rules	*r;
	char		 err[300], line[1024], desc[400];
	size_t		 i, n;
	FILE		*f;
	unsigned	 ln = 0;

	if (m->nreplies == 0 && !m->rules_file && m->greylist < 0 && !m->rate_limit)
		return 0;
	r = rules_new(m->seed);
	m->sc.rules = r;
	for (i = 0; i < m->nreplies; i++)
		if (rules_add(r, m->replies[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "smtpdbg: --reply '%s': %s\n", m->replies[i], err);
			return -1;
		}
	if (m->rules_file) {
		if ((f = fopen(m->rules_file, "r")) == NULL) {
			fprintf(stderr, "smtpdbg: --rules: %s: %s\n", m->rules_file, strerror(errno));
			return -1;
		}
		while (fgets(line, sizeof(line), f)) {
			ln++;
			line[strcspn(line, "\r\n")] = '\0';
			n = strspn(line, " \t");
			if (line[n] == '\0' || line[n] == '#')
				continue;
			if (rules_add(r, line + n, err, sizeof(err)) == -1) {
				fprintf(stderr, "smtpdbg: %s:%u: %s\n", m->rules_file, ln, err);
				fclose(f);
				return -1;
			}
		}
		fclose(f);
	}
	if (m->greylist >= 0)
		rules_greylist(r, (unsigned)m->greylist);
	if (m->rate_limit && rules_rate(r, m->rate_limit, err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: --rate-limit: %s\n", err);
		return -1;
	}
	if (rules_stage(r, SMTP_ST_TLS) && m->sc.tls_listen == NULL) {
		fprintf(stderr, "smtpdbg: a rule for stage TLS needs an implicit-TLS listener "
		    "(--tls-listen ADDR); STARTTLS faults are at stage STARTTLS\n");
		return -1;
	}
	for (i = 0; i < rules_count(r); i++) {
		rules_describe(r, i, desc, sizeof(desc));
		fprintf(stderr, "smtpdbg: %s\n", desc);
	}
	if (m->seed != 1)
		fprintf(stderr, "smtpdbg: random choices use seed %llu\n", m->seed);
	return 0;
}

static void
drained(void)
{
	loop_quit(0);
}

/* PL - the plural s */
#define PL(n)	((n) == 1 ? "" : "s")

static int	 sink_grace;
static char	 stop_why[200];

/* enough_timer - a stop condition fired: sessions in flight may finish
 * (their QUIT gets 221) within the grace time */
static void
enough_timer(void *arg)
{
	const struct main_opts *m = arg;

	if (stop_why[0] == '\0')
		snprintf(stop_why, sizeof(stop_why), "--exit-after-time %d: %d s passed",
		    m->exit_after_time, m->exit_after_time);
	fprintf(stderr, "smtpdbg: stopping: %s; sessions in flight have %d s to finish\n",
	    stop_why, sink_grace);
	sink_drain(sink_grace, drained, 1);
}

static const struct main_opts *enough_opts;

/* enough - --exit-after: stop as on SIGTERM, from the top of the loop
 * (it is called from inside a session's callbacks, which must finish) */
static void
enough(void)
{
	snprintf(stop_why, sizeof(stop_why), "--exit-after %lu: %lu message%s accepted",
	    enough_opts->sc.exit_after, enough_opts->sc.exit_after,
	    enough_opts->sc.exit_after == 1 ? "" : "s");
	loop_add_timer(0, enough_timer, (void *)enough_opts);
}

/* sink_verdict - the CI expectations, and the JSON summary */
static int
sink_verdict(struct main_opts *m, const struct sink_stats *st)
{
	size_t	 i;
	int	 code = 0;

	if (m->expect_messages >= 0) {
		int met = (long long)st->accepted == m->expect_messages;
		fprintf(stderr, "smtpdbg: --expect-messages %lld: %lu accepted: %s\n",
		    m->expect_messages, st->accepted, met ? "met" : "NOT met");
		if (!met)
			code = EXIT_EXPECT;
	}
	for (i = 0; i < m->sc.nexpect_rcpt; i++) {
		fprintf(stderr, "smtpdbg: --expect-rcpt %s: %s\n", m->sc.expect_rcpt[i],
		    st->rcpt_seen[i] ? "met (a message for it was accepted)" :
		    "NOT met (no accepted message for it)");
		if (!st->rcpt_seen[i])
			code = EXIT_EXPECT;
	}
	if (m->lint_strict && st->lint_sessions) {
		fprintf(stderr, "smtpdbg: --lint-strict: %lu session%s had %lu lint finding%s\n",
		    st->lint_sessions, st->lint_sessions == 1 ? "" : "s", st->lint_findings,
		    st->lint_findings == 1 ? "" : "s");
		code = EXIT_EXPECT;
	}
	if (m->sc.json) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		fprintf(m->sc.json, "{\"t\":%.3f,\"event\":\"totals\",\"sessions\":%lu,"
		    "\"messages\":%lu,"
		    "\"accepted\":%lu,\"bytes\":%llu,\"rejects\":%lu,\"storage_errors\":%lu,"
		    "\"faults\":%lu,\"lint_sessions\":%lu,\"lint_findings\":%lu,"
		    "\"expectations_met\":%s}\n", (double)tv.tv_sec + (double)tv.tv_usec / 1e6,
		    st->sessions, st->messages, st->accepted,
		    st->bytes, st->rejects, st->errors, st->faults, st->lint_sessions, st->lint_findings,
		    code ? "false" : "true");
		fflush(m->sc.json);
	}
	return code;
}

static void
sink_signal(int signo, void *arg)
{
	static int	 seen;
	int		 grace = *(int *)arg;

	if (seen++) {
		fprintf(stderr, "smtpdbg: stopping now\n");
		loop_quit(0);
		return;
	}
	fprintf(stderr, "smtpdbg: stopping: no new connections; transactions in flight have "
	    "%d s to finish (signal again to stop now)\n", grace);
	sink_drain(grace, drained, 0);
}

static int
main_sink(struct main_opts *m, int argc, char **argv)
{
	char		 bound[128], err[512], info[800];
	struct sink_stats st;

	snprintf(m->sc.listen, sizeof(m->sc.listen), "%s", argc == 1 ? argv[0] : "127.0.0.1:2525");
	out_init(m->color);
	m->sc.json = open_json(m);
	m->sc.text = !m->quiet;
	m->sc.summaries = 1;
	m->sc.on_enough = enough;
	m->sc.cert = m->cert;
	m->sc.key = m->key;
	if (load_rules(m) == -1 || load_users(m) == -1) {
		rules_free(m->sc.rules);
		free_users(m);
		return EXIT_USAGE;
	}
	if (sink_start(&m->sc, bound, sizeof(bound), info, sizeof(info), err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: sink: %s\n", err);
		rules_free(m->sc.rules);
		free_users(m);
		return EXIT_CONNECT;
	}
	if (info[0])
		fprintf(stderr, "smtpdbg: %s\n", info);
	loop_signal(SIGINT, sink_signal, &m->grace);
	loop_signal(SIGTERM, sink_signal, &m->grace);
	sink_grace = m->grace;
	enough_opts = m;
	if (m->exit_after_time)
		loop_add_timer((uint64_t)m->exit_after_time * 1000, enough_timer, m);
	fprintf(stderr, "smtpdbg: sink listening on %s (Ctrl-C to stop)\n", bound);
	if (strncmp(bound, "127.", 4) != 0 && strncmp(bound, "[::1]", 5) != 0 &&
	    strncmp(bound, "unix:", 5) != 0)
		fprintf(stderr, "smtpdbg: WARNING: %s is not a loopback address: anyone who can "
		    "reach it can connect and send mail here\n", bound);
	loop_run();
	sink_stop();	/* finishes storage: the counts below are final */
	sink_stats(&st);
	fprintf(stderr, "smtpdbg: sink stopped: %lu session%s, %lu message%s, %llu byte%s, "
	    "%lu reject%s (4xx/5xx replies), %lu storage error%s, %lu repl%s changed by rules, "
	    "%lu session%s with lint findings\n", st.sessions, PL(st.sessions), st.messages,
	    PL(st.messages), st.bytes, PL(st.bytes), st.rejects, PL(st.rejects), st.errors,
	    PL(st.errors), st.faults, st.faults == 1 ? "y" : "ies", st.lint_sessions,
	    PL(st.lint_sessions));
	rules_free(m->sc.rules);
	free_users(m);
	return sink_verdict(m, &st);
}

static void
proxy_signal(int signo, void *arg)
{
	static int	 seen;
	int		 grace = *(int *)arg;

	(void)signo;
	if (seen++) {
		fprintf(stderr, "smtpdbg: stopping now\n");
		loop_quit(0);
		return;
	}
	fprintf(stderr, "smtpdbg: stopping: no new connections; sessions in flight have "
	    "%d s to finish (signal again to stop now)\n", grace);
	proxy_drain(grace, drained, 0);
}

static void
proxy_enough_timer(void *arg)
{
	(void)arg;
	fprintf(stderr, "smtpdbg: %s: no new connections; sessions in flight have %d s to "
	    "finish\n", stop_why, sink_grace);
	proxy_drain(sink_grace, drained, 1);
}

static void
proxy_enough(void)
{
	snprintf(stop_why, sizeof(stop_why), "--exit-after %lu reached",
	    enough_opts->sc.exit_after);
	loop_add_timer(0, proxy_enough_timer, NULL);
}

static void
proxy_time_up(void *arg)
{
	(void)arg;
	snprintf(stop_why, sizeof(stop_why), "--exit-after-time reached");
	proxy_enough_timer(NULL);
}

static int
main_proxy(struct main_opts *m, int argc, char **argv)
{
	char		 bound[128], err[512], info[800];
	struct sink_stats st;

	snprintf(m->sc.listen, sizeof(m->sc.listen), "%s", argc == 2 ? argv[0] : "127.0.0.1:2526");
	snprintf(m->px.upstream, sizeof(m->px.upstream), "%s", argv[argc - 1]);
	out_init(m->color);
	m->sc.json = open_json(m);
	m->sc.text = !m->quiet;
	m->sc.summaries = 1;
	m->sc.on_enough = proxy_enough;
	m->sc.cert = m->cert;
	m->sc.key = m->key;
	m->px.sc = &m->sc;
	m->px.tcfg.ca_file = m->ro.ccfg.tcfg.ca_file;
	m->px.tcfg.priority = m->ro.ccfg.tcfg.priority;
	m->px.no_verify = m->ro.no_verify;
	m->px.sni = m->ro.ccfg.sni;
	m->px.no_sni = m->ro.ccfg.no_sni;
	m->px.helo = m->ro.ccfg.helo;
	m->px.timeout_ms = m->ro.ccfg.timeout_ms;
	m->px.connect_timeout_ms = m->ro.ccfg.connect_timeout_ms;
	m->px.auth = m->ro.auth;
	m->px.auth_plaintext_ok = m->ro.auth_plaintext_ok;
	if (m->px.auth.user && m->px.auth.secret == NULL) {
		fprintf(stderr, "smtpdbg: proxy: --auth-user needs --auth-password-env VAR or "
		    "--auth-password-file FILE\n");
		return EXIT_USAGE;
	}
	if (m->px.auth.user)
		m->sc.scfg.auth_mechs = 1;	/* the client's AUTH is answered here */
	if (load_rules(m) == -1 || load_users(m) == -1) {
		rules_free(m->sc.rules);
		free_users(m);
		return EXIT_USAGE;
	}
	/* no channel binding is passed between the legs */
	m->sc.scfg.auth_mechs &= ~(1u << SASL_SCRAM_SHA256_PLUS);
	if (proxy_start(&m->px, bound, sizeof(bound), info, sizeof(info), err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: proxy: %s\n", err);
		rules_free(m->sc.rules);
		free_users(m);
		return EXIT_CONNECT;
	}
	if (info[0])
		fprintf(stderr, "smtpdbg: %s\n", info);
	loop_signal(SIGINT, proxy_signal, &m->grace);
	loop_signal(SIGTERM, proxy_signal, &m->grace);
	sink_grace = m->grace;
	enough_opts = m;
	if (m->exit_after_time)
		loop_add_timer((uint64_t)m->exit_after_time * 1000, proxy_time_up, m);
	fprintf(stderr, "smtpdbg: proxy listening on %s, relaying to %s (upstream TLS: %s; "
	    "Ctrl-C to stop)\n", bound, m->px.upstream, proxy_up_tls_name(m->px.up_tls));
	if (strncmp(bound, "127.", 4) != 0 && strncmp(bound, "[::1]", 5) != 0 &&
	    strncmp(bound, "unix:", 5) != 0)
		fprintf(stderr, "smtpdbg: WARNING: %s is not a loopback address: anyone who can "
		    "reach it can relay mail through here\n", bound);
	loop_run();
	proxy_stop();
	proxy_stats(&st);
	fprintf(stderr, "smtpdbg: proxy stopped: %lu session%s, %lu message%s relayed, %lu "
	    "accepted upstream, %llu byte%s, %lu reject%s (4xx/5xx replies to the client), "
	    "%lu storage error%s, %lu repl%s changed by rules\n", st.sessions, PL(st.sessions),
	    st.messages, PL(st.messages), st.accepted, st.bytes, PL(st.bytes), st.rejects,
	    PL(st.rejects), st.errors, PL(st.errors), st.faults, st.faults == 1 ? "y" : "ies");
	rules_free(m->sc.rules);
	free_users(m);
	while (m->px.ncrules)
		proxy_crule_free(&m->px.crules[--m->px.ncrules]);
	return sink_verdict(m, &st);
}

/* guard - a value that would inject commands or headers */
static int
guard(const char *what, const char *v)
{
	if (v && strpbrk(v, "\r\n")) {
		fprintf(stderr, "smtpdbg: send: %s holds CR or LF: it would inject another "
		    "command or header; refused\n", what);
		return -1;
	}
	return 0;
}

/* addresses - each --from/--to/--cc/--bcc as envelope and header forms;
 * the default sender is $USER@ this host's FQDN */
static int
addresses(struct main_opts *m)
{
	struct send_opts *o = &m->so;
	static struct addr from;
	struct addr	*a;
	const char	**lists[3] = { o->to, o->cc, o->bcc }, **hdr[3] = { o->to_hdr, o->cc_hdr,
			    NULL }, *names[3] = { "--to", "--cc", "--bcc" };
	size_t		 ns[3] = { o->nto, o->ncc, o->nbcc }, k, i, used = 0;
	char		 err[600], def[600], fqdn[256];

	m->addrs = xcalloc(o->nto + o->ncc + o->nbcc + 1, sizeof(*m->addrs));
	if (o->from == NULL) {
		const char *u = getenv("USER");
		struct passwd *pw;
		if ((u == NULL || *u == '\0') && (pw = getpwuid(getuid())) != NULL)
			u = pw->pw_name;
		net_fqdn(fqdn, sizeof(fqdn));
		snprintf(def, sizeof(def), "%s@%s", u && *u ? u : "smtpdbg", fqdn);
		o->from = def;
	}
	if (addr_parse(o->from, &from, 1, o->force_addr, err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: send: --from: %s\n", err);
		return -1;
	}
	o->from = from.env;
	o->from_hdr = from.hdr;
	for (k = 0; k < 3; k++)
		for (i = 0; i < ns[k]; i++) {
			a = &m->addrs[used++];
			if (addr_parse(lists[k][i], a, 0, o->force_addr, err, sizeof(err)) == -1) {
				fprintf(stderr, "smtpdbg: send: %s: %s\n", names[k], err);
				return -1;
			}
			lists[k][i] = a->env;
			if (hdr[k])
				hdr[k][i] = a->hdr;
		}
	return 0;
}

static int
main_send(struct main_opts *m, int argc, char **argv)
{
	struct send_opts *o = &m->so;
	size_t		 i;
	int		 code;

	if (o->nto + o->ncc + o->nbcc == 0 && !o->ping) {
		fprintf(stderr, "smtpdbg: send: no recipient (--to ADDR)\n");
		return EXIT_USAGE;
	}
	if (o->ping && !o->count_set)
		o->count = 0;	/* until Ctrl-C */
	if (o->size && (o->data_file || o->raw_data_file || o->body || o->nattach)) {
		fprintf(stderr, "smtpdbg: %s: --size makes the body; it takes no --data, "
		    "--raw-data, --body or --attach\n", o->ping ? "ping" : "send");
		return EXIT_USAGE;
	}
	if (o->json_messages && !m->json_set) {
		fprintf(stderr, "smtpdbg: send: --json-messages needs --json\n");
		return EXIT_USAGE;
	}

	if (guard("--subject", o->subject) || guard("--envid", o->envid))
		return EXIT_USAGE;
	for (i = 0; i < o->nheaders; i++)
		if (guard("--header", o->headers[i]))
			return EXIT_USAGE;
	if (o->data_file && (o->nattach || o->body)) {
		fprintf(stderr, "smtpdbg: send: --data FILE is the whole message; --%s would be "
		    "lost (--header and --subject edit the file's headers)\n", o->nattach ?
		    "attach" : "body");
		return EXIT_USAGE;
	}
	if (o->raw_data_file && (o->nattach || o->body || o->nheaders || o->subject)) {
		fprintf(stderr, "smtpdbg: send: --raw-data sends the file's bytes exactly; it "
		    "takes no --attach, --body, --header or --subject\n");
		return EXIT_USAGE;
	}
	if (o->data_file && o->raw_data_file) {
		fprintf(stderr, "smtpdbg: send: --data or --raw-data, not both\n");
		return EXIT_USAGE;
	}
	if (addresses(m) == -1)
		return EXIT_USAGE;
	out_init(m->color);
	m->ro.ccfg.json = open_json(m);
	m->ro.quiet = m->quiet;
	m->ro.ccfg.text = !m->quiet;
	m->ro.ccfg.report = !m->quiet;
	if (m->ro.tls_required && m->ro.ccfg.tls_mode != CLIENT_TLS_IMPLICIT)
		m->ro.starttls = 1;
	o->ro = &m->ro;
	if (argc == 1) {
		const char *t[1] = { argv[0] };
		code = send_run(o, t, NULL, 1);
	} else {
		/* No server: the MX of the first recipient's domain. */
		static struct mx_target mxt[16];
		const char *tp[16], *names[16], *rcpt = o->nto ? o->to[0] : o->ncc ? o->cc[0] :
		    o->bcc[0];
		const char *at = strrchr(rcpt, '@');
		char err[512];
		int n, k;
		if (at == NULL || at[1] == '\0') {
			fprintf(stderr, "smtpdbg: send: no server given and %s has no domain\n", rcpt);
			return EXIT_USAGE;
		}
		if (resolve_init(o->resolver, m->trust_anchor, err, sizeof(err)) == -1) {
			fprintf(stderr, "smtpdbg: send: %s\n", err);
			return EXIT_USAGE;
		}
		if ((n = mx_targets(at + 1, o->mx_port ? o->mx_port : "25", mxt, 16, err,
		    sizeof(err))) == -1) {
			fprintf(stderr, "smtpdbg: send: MX lookup: %s\n", err);
			return EXIT_MX;
		}
		for (k = 0; k < n; k++) {
			tp[k] = mxt[k].addr;
			names[k] = mxt[k].host;
		}
		if (!m->quiet) {
			out_printf("smtpdbg: mail for %s goes to, in this order:\n", at + 1);
			for (k = 0; k < n; k++)
				if (mxt[k].pref < 0)
					out_printf("  %s (no MX: the domain itself) \u2192 %s\n", mxt[k].host,
					    mxt[k].addr);
				else
					out_printf("  MX %d %s \u2192 %s\n", mxt[k].pref, mxt[k].host,
					    mxt[k].addr);
			if (m->ro.starttls || m->ro.ccfg.tls_mode == CLIENT_TLS_IMPLICIT)
				out_printf("smtpdbg: TLS sends and verifies the MX host's name "
				    "(RFC 7672 3.2.2, RFC 8461 4.1)%s\n", m->ro.ccfg.sni ?
				    ", but --sni overrides it" : "");
		}
		code = send_run(o, tp, names, (size_t)n);
	}
	if (m->ro.ccfg.json && m->ro.ccfg.json != stdout)
		fclose(m->ro.ccfg.json);
	fflush(stdout);
	return code;
}

static const char *const demo_script[] = {
	"/expect 250 EHLO demo.smtpdbg.test",
	"/caps",
	"/expect 220 STARTTLS",
	"/expect 250 MAIL FROM:<alice@example.org>",
	"/expect 250 RCPT TO:<bob@example.org>",
	"/expect 354 DATA",
	"Subject: Hello from smtpdbg",
	"Message-ID: <demo@smtpdbg.test>",
	"",
	"This message went through smtpdbg's own sink.",
	".leading dots are stuffed for you",
	".",
	"/expect 221 QUIT",
	NULL,
};


static int
main_probe(struct main_opts *m, int argc, char **argv)
{
	int	 code;

	if (argc != 1) {
		fprintf(stderr, "smtpdbg: probe: give HOST[:PORT] (or smtps://HOST[:PORT])\n");
		return EXIT_USAGE;
	}
	out_init(m->color);
	m->ro.ccfg.json = open_json(m);
	m->ro.quiet = m->quiet;
	m->ro.ccfg.text = !m->quiet;
	if ((m->dom.checks & CHECK_SMUGGLING) && m->dom.rcpt == NULL) {
		fprintf(stderr, "smtpdbg: probe: --checks smuggling sends mail: name its recipient "
		    "with --rcpt ADDR\n");
		return m->dom.nagios ? DL_UNKNOWN : EXIT_USAGE;
	}
	if (m->mx) {
		char err[600];
		if (m->dom.crit_days > m->dom.warn_days) {
			fprintf(stderr, "smtpdbg: probe: --crit-days %d is over --warn-days %d\n",
			    m->dom.crit_days, m->dom.warn_days);
			return m->dom.nagios ? DL_UNKNOWN : EXIT_USAGE;
		}
		if (resolve_init(m->so.resolver, m->trust_anchor, err, sizeof(err)) == -1) {
			fprintf(stderr, "smtpdbg: probe: %s\n", err);
			return m->dom.nagios ? DL_UNKNOWN : EXIT_USAGE;
		}
		code = domain_run(&m->ro, &m->dom, argv[0]);
	} else {
		code = probe_run(&m->ro, argv[0]);
		if (m->dom.checks) {
			int c2 = domain_checks_host(&m->ro, &m->dom, argv[0]);
			if (code == 0)
				code = c2;
		}
	}
	if (m->ro.ccfg.json && m->ro.ccfg.json != stdout)
		fclose(m->ro.ccfg.json);
	fflush(stdout);
	return code;
}

static int
main_client(struct main_opts *m, int argc, char **argv, int demo)
{
	struct run	*r;
	int		 interactive, fd = -1, code;
	char		 bound[128], err[512], *hist = NULL;

	interactive = m->file == NULL && isatty(STDIN_FILENO);
	out_init(m->color);
	m->ro.ccfg.json = open_json(m);
	m->ro.quiet = m->quiet;
	m->ro.ccfg.text = !m->quiet;
	if (m->ro.tls_required && m->ro.ccfg.tls_mode != CLIENT_TLS_IMPLICIT)
		m->ro.starttls = 1;
	if (demo) {
		memset(&m->sc, 0, sizeof(m->sc));
		m->sc.scfg.ext = SMTP_EXT_ALL;
		m->sc.scfg.hostname = "sink.smtpdbg.test";
		snprintf(m->sc.listen, sizeof(m->sc.listen), "127.0.0.1:0");
		m->sc.summaries = 1;
		m->sc.data_lines = -1;
		if (sink_start(&m->sc, bound, sizeof(bound), NULL, 0, err, sizeof(err)) == -1) {
			fprintf(stderr, "smtpdbg: demo sink: %s\n", err);
			return EXIT_LOCAL;
		}
		{
			/* the client trusts its own sink: pinned, DANE-EE (RFC 7671) */
			static char pin[160];
			if (sink_tlsa_pin(pin, sizeof(pin)) == 0) {
				m->ro.ccfg.tlsa[0] = pin;
				m->ro.ccfg.ntlsa = 1;
			}
		}
		out_printf("smtpdbg demo: a sink runs on %s in this process; the client below "
		    "talks to it.\n", bound);
		if (interactive)
			out_printf("Type SMTP commands (MAIL FROM:<a@example.org>, ...), /help, "
			    "or /quit.\n");
		m->ro.auto_ehlo = interactive;
	}
	r = run_new(&m->ro, interactive);
	if (demo)
		run_connect(r, bound);
	else if (argc == 1 && run_connect(r, argv[0]) == -1 && !interactive) {
		run_free(r);
		return EXIT_CONNECT;
	}
	if (interactive) {
		if (m->history)
			hist = history_path();
		if (repl_start(r, hist) == -1) {
			fprintf(stderr, "smtpdbg: cannot read the terminal\n");
			return EXIT_LOCAL;
		}
	} else if (demo) {
		run_script_lines(r, demo_script, "demo");
	} else {
		if (m->file && strcmp(m->file, "-") != 0) {
			if ((fd = open(m->file, O_RDONLY | O_CLOEXEC)) == -1) {
				fprintf(stderr, "smtpdbg: %s: %s\n", m->file, strerror(errno));
				return EXIT_LOCAL;
			}
		} else
			fd = STDIN_FILENO;
		run_script_fd(r, fd, m->file ? m->file : "stdin");
	}
	code = loop_run();
	if (interactive)
		repl_stop();
	run_free(r);
	if (demo)
		sink_stop();
	free(hist);
	if (fd > STDIN_FILENO)
		close(fd);
	if (m->ro.ccfg.json && m->ro.ccfg.json != stdout)
		fclose(m->ro.ccfg.json);
	fflush(stdout);
	return code;
}

/* positional - the arguments after the options: one line for a wrong count */
static int
positional(const char *mode, int argc, char **argv)
{
	size_t	 i;
	unsigned bit = mode_bit(mode);

	if (bit == OPT_CLIENT && argc >= 1 && strpbrk(argv[0], ".:/[") == NULL)
		for (i = 0; i < NSUB; i++) {
			const char *a = argv[0], *b = subcommands[i].name;
			size_t la = strlen(a), lb = strlen(b), same = 0;
			/* one letter left out, added or changed: a typo, not a host */
			while (same < la && same < lb && a[same] == b[same])
				same++;
			if ((la + 1 == lb && strcmp(a + same, b + same + 1) == 0) ||
			    (la == lb + 1 && strcmp(a + same + 1, b + same) == 0) ||
			    (la == lb && la > 2 && strcmp(a + same + 1, b + same + 1) == 0)) {
				fprintf(stderr, "smtpdbg: \"%s\": did you mean smtpdbg %s? (a host "
				    "by that name: %s:25)\n", a, b, a);
				return -1;
			}
		}
	switch (bit) {
	case OPT_DEMO:
		if (argc > 0) {
			fprintf(stderr, "smtpdbg: demo takes no HOST: it runs its own sink "
			    "(smtpdbg %s talks to that server)\n", argv[0]);
			return -1;
		}
		return 0;
	case OPT_PROXY:
		if (argc == 0 || argc > 2) {
			fprintf(stderr, "smtpdbg: proxy: give [[ADDR:]PORT] UPSTREAM (UPSTREAM: "
			    "HOST[:PORT], smtps://HOST[:PORT] or unix:/path)\n");
			return -1;
		}
		return 0;
	case OPT_PROBE:
	case OPT_PING:
		if (argc == 0) {
			fprintf(stderr, "smtpdbg: %s: give HOST[:PORT] (or smtps://HOST[:PORT])\n",
			    opt_mode_name(bit));
			return -1;
		}
		break;
	}
	if (argc > 1) {
		fprintf(stderr, "smtpdbg: %s: one %s only; \"%s\" is one too many\n",
		    opt_mode_name(bit), bit == OPT_SINK ? "[ADDR:]PORT" : "HOST[:PORT]", argv[1]);
		return -1;
	}
	return 0;
}

/* checks - what can be known wrong before connecting */
static int
checks(struct main_opts *m, const char *mode)
{
	struct tls_client_cfg *t = &m->ro.ccfg.tcfg;
	struct tls_ctx	*ctx;
	char		 err[512];
	size_t		 i;
	unsigned	 bit = mode_bit(mode);

	if (bit == OPT_SINK || bit == OPT_DEMO || bit == OPT_PROXY)
		return 0;
	if (t->priority || t->tls_min || t->tls_max || t->cert_file || t->key_file) {
		if ((ctx = tls_ctx_client(t, err, sizeof(err))) == NULL) {
			fprintf(stderr, "smtpdbg: %s\n", err);
			return -1;
		}
		tls_ctx_free(ctx);
	}
	for (i = 0; i < m->ro.ccfg.ntlsa; i++)
		if (tls_tlsa_check(m->ro.ccfg.tlsa[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "smtpdbg: --tlsa \"%s\": %s\n", m->ro.ccfg.tlsa[i], err);
			return -1;
		}
	if (m->ro.auth.user && m->ro.auth.secret == NULL && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "smtpdbg: --auth-user needs --auth-password-env VAR or "
		    "--auth-password-file FILE when there is no terminal to ask on\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct main_opts m;
	const char	*mode = "client";
	int		 ind;

	signal(SIGPIPE, SIG_IGN);
	/* A terminal sees each line at once; a file or pipe gets big writes,
	 * flushed by the loop before it waits (flush_out), so nothing is late. */
	{
		/* glibc ignores the size unless it is given the buffer too. */
		static char obuf[1 << 16];
		setvbuf(stdout, obuf, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, sizeof(obuf));
	}
	defaults(&m);
	if (loop_init() == -1) {
		fprintf(stderr, "smtpdbg: epoll: %s\n", strerror(errno));
		return EXIT_LOCAL;
	}
	loop_set_prepoll(flush_out, NULL);
	if (argc > 1 && mode_bit(argv[1]) != OPT_CLIENT) {
		mode = argv[1];
		argv++;
		argc--;
	}
	opt_aliases(argc, argv);
	if ((ind = parse(&m, argc, argv, mode)) == -1 ||
	    positional(mode, argc - ind, argv + ind) == -1 || checks(&m, mode) == -1)
		return EXIT_USAGE;
	if (m.json_set && (m.json == NULL || strcmp(m.json, "-") == 0))
		out_to_stderr();	/* stdout is JSON Lines only */
	if (!m.helo_set && mode_bit(mode) != OPT_SINK)
		net_fqdn(m.ro.ccfg.helo, sizeof(m.ro.ccfg.helo));	/* RFC 5321 4.1.1.1 */
	if (strcmp(mode, "sink") == 0)
		return main_sink(&m, argc - ind, argv + ind);
	if (strcmp(mode, "proxy") == 0)
		return main_proxy(&m, argc - ind, argv + ind);
	if (strcmp(mode, "send") == 0 || strcmp(mode, "ping") == 0) {
		int code;
		m.so.ping = strcmp(mode, "ping") == 0;
		code = main_send(&m, argc - ind, argv + ind);
		free(m.addrs);
		return code;
	}
	if (strcmp(mode, "probe") == 0)
		return main_probe(&m, argc - ind, argv + ind);
	return main_client(&m, argc - ind, argv + ind, strcmp(mode, "demo") == 0);
}
