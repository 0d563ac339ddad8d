/*
 * listen - sockets, certificates and descriptor room for server legs
 * (see listen.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/listen.h"
#include "cli/loop.h"
#include "cli/store.h"
#include "cli/net.h"
#include "tls/tls.h"

int
listen_spec(const char *what, const char *defport, char *bound, size_t blen, char *err,
    size_t errlen)
{
	struct net_target t;
	char		 spec[320];
	int		 fd;

	if (what[0] == '/' || strncmp(what, "unix:", 5) == 0) {
		const char *path = what[0] == '/' ? what : what + 5;
		if ((fd = net_listen_unix(path, err, errlen)) == -1)
			return -1;
		snprintf(bound, blen, "unix:%s", path);
		return fd;
	}
	if (strspn(what, "0123456789") == strlen(what))
		snprintf(spec, sizeof(spec), "127.0.0.1:%s", what);
	else
		snprintf(spec, sizeof(spec), "%s", what);
	if (net_parse(spec, defport, &t, err, errlen) == -1)
		return -1;
	return net_listen(&t, err, errlen, bound, blen);
}

int
listen_tlsa_pin(const struct tls_ctx *ctx, char *out, size_t len)
{
	const char *f;
	size_t	 n;

	if (ctx == NULL || len < 8)
		return -1;
	n = (size_t)snprintf(out, len, "3 0 1 ");
	for (f = tls_ctx_fingerprint(ctx); *f && n + 1 < len; f++)
		if (*f != ':')
			out[n++] = (char)(*f >= 'A' && *f <= 'F' ? *f + 32 : *f);
	out[n] = '\0';
	return 0;
}

/* pin_line - a ready-to-paste DANE-EE pin of the certificate (RFC 7671:
 * usage 3, the full certificate, SHA-256) after the certificate line */
static void
pin_line(const struct tls_ctx *ctx, char *info, size_t ilen)
{
	char	 pin[160];
	size_t	 n;

	if (info == NULL || listen_tlsa_pin(ctx, pin, sizeof(pin)) == -1)
		return;
	n = strlen(info);
	snprintf(info + n, ilen - n, "\nsmtpdbg: a client pins it with --tlsa \"%s\"", pin);
}

int
listen_ctx(struct listen_ctx *lc, const char *cert, const char *key, const char *hostname,
    const char *listen, int want_expired, int want_wrongname, char *info, size_t ilen,
    char *err, size_t errlen)
{
	const char	*names[8];
	char		 host[256];
	size_t		 n = 0, i;
	struct net_target t;
	char		 e2[64];

	memset(lc, 0, sizeof(*lc));
	if (cert || key) {
		if (!cert || !key) {
			snprintf(err, errlen, "--cert and --key go together");
			return -1;
		}
		if ((lc->ctx = tls_ctx_server_files(cert, key, err, errlen)) == NULL)
			return -1;
		if (info)
			snprintf(info, ilen, "TLS certificate from %s, SHA-256 %s", cert,
			    tls_ctx_fingerprint(lc->ctx));
		pin_line(lc->ctx, info, ilen);
		return 0;
	}
	names[n++] = hostname ? hostname : "localhost";
	if (strcmp(names[0], "localhost") != 0)
		names[n++] = "localhost";
	names[n++] = "127.0.0.1";
	names[n++] = "::1";
	if (net_parse(listen, "2525", &t, e2, sizeof(e2)) == 0 && t.host[0]) {
		for (i = 0; i < n && strcmp(names[i], t.host) != 0; i++)
			;
		if (i == n && strcmp(t.host, "0.0.0.0") != 0 && strcmp(t.host, "::") != 0 &&
		    strspn(listen, "0123456789") != strlen(listen)) {
			snprintf(host, sizeof(host), "%s", t.host);
			names[n++] = host;
		}
	}
	if ((lc->ctx = tls_ctx_server_generate(names, n, -300, 30 * 86400, err, errlen)) == NULL)
		return -1;
	if (want_expired && (lc->expired = tls_ctx_server_generate(names, n, -60 * 86400, -86400,
	    err, errlen)) == NULL)
		goto fail;
	if (want_wrongname) {
		static const char *const wrong[] = { "wrong-name.smtpdbg.invalid" };
		if ((lc->wrongname = tls_ctx_server_generate(wrong, 1, -300, 30 * 86400, err,
		    errlen)) == NULL)
			goto fail;
	}
	if (info)
		snprintf(info, ilen, "TLS certificate generated for %s (ECDSA P-256, 30 days), "
		    "SHA-256 %s", names[0], tls_ctx_fingerprint(lc->ctx));
	pin_line(lc->ctx, info, ilen);
	return 0;
fail:
	listen_ctx_free(lc);
	return -1;
}

void
listen_ctx_free(struct listen_ctx *lc)
{
	tls_ctx_free(lc->ctx);
	tls_ctx_free(lc->expired);
	tls_ctx_free(lc->wrongname);
	memset(lc, 0, sizeof(*lc));
}

void
listen_peer_ip(const char *peer, char *ip, size_t len)
{
	const char *e = strrchr(peer, ':');
	size_t	 n = e && peer[0] != '(' ? (size_t)(e - peer) : strlen(peer);

	if (peer[0] == '[' && n >= 2)
		snprintf(ip, len, "%.*s", (int)(n - 2), peer + 1);
	else
		snprintf(ip, len, "%.*s", (int)n, peer);
}

int
listen_fd_limit(int max_conn, int fds_each, char *info, size_t ilen)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)max_conn * (rlim_t)fds_each + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return max_conn;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
		return max_conn;
	getrlimit(RLIMIT_NOFILE, &rl);
	max_conn = rl.rlim_cur > 128 ? (int)((rl.rlim_cur - 64) / (rlim_t)fds_each) : 64;
	if (info)
		snprintf(info + strlen(info), ilen - strlen(info), "%sopen file limit %llu: "
		    "at most %d connections", info[0] ? "; " : "",
		    (unsigned long long)rl.rlim_cur, max_conn);
	return max_conn;
}

void
listen_close(struct listener *l, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (l[i].fd != -1) {
			loop_del_fd(l[i].fd);
			close(l[i].fd);
			l[i].fd = -1;
		}
}

/* on_accept - up to 256 waiting connections at a time */
static void
on_accept(int fd, unsigned ev, void *arg)
{
	static const char busy[] = "421 4.7.0 Error: too many connections\r\n";
	struct listener	*l = arg;
	struct sockaddr_storage ss;
	socklen_t	 sl;
	int		 cfd, n;

	(void)ev;
	for (n = 0; n < 256; n++) {
		sl = sizeof(ss);
		cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1)
			return;
		if (*l->active >= (unsigned long)*l->max) {
			if (send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0)
				(void)0;
			(*l->rejects)++;
			close(cfd);
			continue;
		}
		l->cb(cfd, (struct sockaddr *)&ss, l->arg);
	}
}

int
listen_on(struct listener *l, const char *what, const char *defport, char *bound,
    size_t blen, char *err, size_t errlen)
{
	if ((l->fd = listen_spec(what, defport, bound, blen, err, errlen)) == -1)
		return -1;
	if (loop_add_fd(l->fd, LOOP_IN, on_accept, l) == -1) {
		snprintf(err, errlen, "cannot watch the listening socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static struct loop_timer *drain_timer, *drain_poll;
static void	(*drain_done)(void);
static const unsigned long *drain_active;

static void
drain_check(void *arg)
{
	drain_poll = NULL;
	if (arg == NULL && (*drain_active > 0 || store_pending() > 0)) {
		drain_poll = loop_add_timer(20, drain_check, NULL);
		return;
	}
	listen_drain_stop();
	if (drain_done)
		drain_done();
}

void
listen_drain(int grace, const unsigned long *active, void (*done)(void))
{
	drain_done = done;
	drain_active = active;
	drain_timer = loop_add_timer((uint64_t)grace * 1000, drain_check, (void *)1);
	drain_check(NULL);
}

void
listen_drain_stop(void)
{
	loop_del_timer(drain_timer);
	drain_timer = NULL;
	loop_del_timer(drain_poll);
	drain_poll = NULL;
}

void
listen_slow(struct slow_watch *w, int data, int partial, const struct sink_cfg *cfg,
    loop_timer_cb cb, void *arg)
{
	if (!data && !partial) {
		listen_slow_stop(w);
		return;
	}
	if (w->t && w->data == data)
		return;	/* already timed */
	loop_del_timer(w->t);
	w->data = data;
	w->t = loop_add_timer((uint64_t)(data ? cfg->data_timeout : cfg->command_timeout) * 1000,
	    cb, arg);
}

void
listen_slow_why(const struct slow_watch *w, const struct sink_cfg *cfg, char *why, size_t len)
{
	snprintf(why, len, "the %s did not arrive within %d s", w->data ? "message data" :
	    "command line", w->data ? cfg->data_timeout : cfg->command_timeout);
}

void
listen_slow_stop(struct slow_watch *w)
{
	loop_del_timer(w->t);
	w->t = NULL;
}
