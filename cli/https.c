/*
 * https - see https.h.  libcurl's multi interface with its sockets and its
 * timer handed to the loop (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION).
 */
#include "config.h"

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/https.h"
#include "cli/loop.h"
#include "session/buf.h"
#include "tls/lazy.h"

struct xfer {
	CURL		*e;
	struct buf	 body;
	size_t		 max;
	int		 over;
	char		 ctype[128];
	char		 errbuf[CURL_ERROR_SIZE];
	struct curl_slist *resolve;
	https_cb	 cb;
	void		*arg;
};

/* libcurl, loaded when the first HTTPS fetch is asked for (tls/lazy.h) */
#define CURL_SONAME	"libcurl-gnutls.so.4"
static const char *const cu_names[] = {
	"curl_global_init",
	"curl_easy_init",
	"curl_easy_setopt",
	"curl_easy_getinfo",
	"curl_easy_cleanup",
	"curl_easy_strerror",
	"curl_multi_init",
	"curl_multi_add_handle",
	"curl_multi_remove_handle",
	"curl_multi_assign",
	"curl_multi_info_read",
	"curl_multi_setopt",
	"curl_multi_socket_action",
	"curl_slist_append",
	"curl_slist_free_all",
	"curl_version_info",
};
static void	*cu_lib;
static union {
	void	*p[16];
	struct {
		CURLcode (*global_init)(long);
		CURL *(*easy_init)(void);
		CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
		CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
		void (*easy_cleanup)(CURL *);
		const char *(*easy_strerror)(CURLcode);
		CURLM *(*multi_init)(void);
		CURLMcode (*multi_add_handle)(CURLM *, CURL *);
		CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
		CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
		CURLMsg *(*multi_info_read)(CURLM *, int *);
		CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
		CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
		struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
		void (*slist_free_all)(struct curl_slist *);
		curl_version_info_data *(*version_info)(CURLversion);
	};
} cu;
LAZY_FNS(cu_names, cu);

/* curl_load - libcurl's functions, the first time; -1 with words in err */
static int
curl_load(char *err, size_t errlen)
{
	return lazy_load(&cu_lib, CURL_SONAME, cu_names, cu.p, sizeof(cu_names) /
	    sizeof(cu_names[0]), err, errlen);
}

static CURLM		*multi;
static struct loop_timer *timer;

static void	 check_done(void);

static void
on_fd(int fd, unsigned ev, void *arg)
{
	int	 running, what = 0;

	if (ev & LOOP_IN)
		what |= CURL_CSELECT_IN;
	if (ev & LOOP_OUT)
		what |= CURL_CSELECT_OUT;
	if (ev & LOOP_ERR)
		what |= CURL_CSELECT_ERR;
	cu.multi_socket_action(multi, fd, what, &running);
	check_done();
}

static int
on_socket(CURL *e, curl_socket_t fd, int what, void *uarg, void *sockp)
{
	unsigned ev = (what == CURL_POLL_IN ? LOOP_IN : what == CURL_POLL_OUT ? LOOP_OUT :
	    what == CURL_POLL_INOUT ? LOOP_IN | LOOP_OUT : 0);

	if (what == CURL_POLL_REMOVE) {
		if (sockp)
			loop_del_fd(fd);
		cu.multi_assign(multi, fd, NULL);
		return 0;
	}
	if (sockp)
		loop_mod_fd(fd, ev);
	else {
		loop_add_fd(fd, ev, on_fd, NULL);
		cu.multi_assign(multi, fd, (void *)1);
	}
	return 0;
}

static void
on_timer(void *arg)
{
	int	 running;

	timer = NULL;
	cu.multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done();
}

static int
set_timer(CURLM *m, long ms, void *arg)
{
	if (timer) {
		loop_del_timer(timer);
		timer = NULL;
	}
	if (ms >= 0)
		timer = loop_add_timer((uint64_t)ms, on_timer, NULL);
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;

	if (x->body.len + n > x->max) {
		x->over = 1;
		return 0;	/* ends the transfer: CURLE_WRITE_ERROR */
	}
	buf_append(&x->body, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;

	if (n > 13 && strncasecmp(p, "content-type:", 13) == 0) {
		size_t o = 13, l;
		while (o < n && (p[o] == ' ' || p[o] == '\t'))
			o++;
		l = n - o;
		while (l && (p[o + l - 1] == '\r' || p[o + l - 1] == '\n' || p[o + l - 1] == ' '))
			l--;
		snprintf(x->ctype, sizeof(x->ctype), "%.*s", (int)l, p + o);
	}
	return n;
}

static void
finish(struct xfer *x, CURLcode rc)
{
	struct https_result r;

	memset(&r, 0, sizeof(r));
	cu.easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &r.status);
	snprintf(r.content_type, sizeof(r.content_type), "%s", x->ctype);
	r.body = (const char *)buf_ptr(&x->body);
	r.len = x->body.len;
	/* a status other than 200 says more than how the connection ended */
	if (x->over)
		snprintf(r.why, sizeof(r.why), "the body is over %zu bytes", x->max);
	else if (rc != CURLE_OK && (r.status == 0 || r.status == 200))
		snprintf(r.why, sizeof(r.why), "%s", x->errbuf[0] ? x->errbuf :
		    cu.easy_strerror(rc));
	else if (r.status >= 300 && r.status < 400)
		snprintf(r.why, sizeof(r.why), "HTTP %ld: a redirect, which RFC 8461 3.3 "
		    "forbids following", r.status);
	else if (r.status != 200)
		snprintf(r.why, sizeof(r.why), "HTTP %ld, not 200", r.status);
	else
		r.ok = 1;
	cu.multi_remove_handle(multi, x->e);
	cu.easy_cleanup(x->e);
	cu.slist_free_all(x->resolve);
	x->cb(x->arg, &r);
	buf_free(&x->body);
	free(x);
}

static void
check_done(void)
{
	CURLMsg	*m;
	int	 left;

	while ((m = cu.multi_info_read(multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE) {
			struct xfer *x;
			CURLcode rc = m->data.result;
			cu.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			finish(x, rc);
		}
}

int
https_get(const char *url, const char *host, int port, const char *addr, const char *ca_file,
    size_t max, unsigned timeout_ms, https_cb cb, void *arg, char *err, size_t errlen)
{
	struct xfer	*x;
	char		 res[400];

	if (multi == NULL) {
		if (curl_load(err, errlen) == -1)
			return -1;
		if (cu.global_init(CURL_GLOBAL_DEFAULT) != 0 || (multi = cu.multi_init()) == NULL) {
			snprintf(err, errlen, "libcurl could not start");
			return -1;
		}
		cu.multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
		cu.multi_setopt(multi, CURLMOPT_TIMERFUNCTION, set_timer);
	}
	if ((x = calloc(1, sizeof(*x))) == NULL || (x->e = cu.easy_init()) == NULL) {
		free(x);
		snprintf(err, errlen, "libcurl: out of memory");
		return -1;
	}
	buf_init(&x->body, max + 1);
	x->max = max;
	x->cb = cb;
	x->arg = arg;
	snprintf(res, sizeof(res), "%s:%d:%s%s%s", host, port, strchr(addr, ':') ? "[" : "",
	    addr, strchr(addr, ':') ? "]" : "");
	x->resolve = cu.slist_append(NULL, res);
	cu.easy_setopt(x->e, CURLOPT_URL, url);
	cu.easy_setopt(x->e, CURLOPT_RESOLVE, x->resolve);
	cu.easy_setopt(x->e, CURLOPT_PROTOCOLS_STR, "https");
	cu.easy_setopt(x->e, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(x->e, CURLOPT_SSL_VERIFYPEER, 1L);
	cu.easy_setopt(x->e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file)
		cu.easy_setopt(x->e, CURLOPT_CAINFO, ca_file);
	cu.easy_setopt(x->e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	cu.easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(x->e, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(x->e, CURLOPT_WRITEDATA, x);
	cu.easy_setopt(x->e, CURLOPT_HEADERFUNCTION, on_header);
	cu.easy_setopt(x->e, CURLOPT_HEADERDATA, x);
	cu.easy_setopt(x->e, CURLOPT_ERRORBUFFER, x->errbuf);
	cu.easy_setopt(x->e, CURLOPT_PRIVATE, x);
	cu.easy_setopt(x->e, CURLOPT_USERAGENT, "smtpdbg/" PACKAGE_VERSION " (MTA-STS)");
	if (cu.multi_add_handle(multi, x->e) != CURLM_OK) {
		cu.slist_free_all(x->resolve);
		cu.easy_cleanup(x->e);
		buf_free(&x->body);
		free(x);
		snprintf(err, errlen, "libcurl: the transfer could not start");
		return -1;
	}
	return 0;
}

const char *
https_lib_version(void)
{
	static char v[160];
	const curl_version_info_data *d;
	char	 err[128];

	if (curl_load(err, sizeof(err)) == -1) {
		snprintf(v, sizeof(v), "libcurl not loaded (%s)", err);
		return v;
	}
	d = cu.version_info(CURLVERSION_NOW);
	snprintf(v, sizeof(v), "libcurl %s (%s)", d->version, d->ssl_version ? d->ssl_version :
	    "no TLS");
	return v;
}
