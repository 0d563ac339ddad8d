/*
 * mx - see mx.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/mx.h"
#include "session/dns.h"
#include "tls/crypto.h"

#define TRIES		2
#define WAIT_MS		2000

/* server - the resolver's address: IP[:PORT], [IPv6]:PORT, or resolv.conf */
static int
server(const char *spec, struct sockaddr_storage *ss, socklen_t *sl, char *err, size_t errlen)
{
	char		 host[128], line[256];
	const char	*port = "53", *c;
	FILE		*f;
	struct sockaddr_in  *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	host[0] = '\0';
	if (spec) {
		if (spec[0] == '[' && (c = strchr(spec, ']')) != NULL) {
			snprintf(host, sizeof(host), "%.*s", (int)(c - spec - 1), spec + 1);
			if (c[1] == ':')
				port = c + 2;
		} else if ((c = strchr(spec, ':')) != NULL && strchr(c + 1, ':') == NULL) {
			snprintf(host, sizeof(host), "%.*s", (int)(c - spec), spec);
			port = c + 1;
		} else
			snprintf(host, sizeof(host), "%s", spec);
	} else if ((f = fopen("/etc/resolv.conf", "r")) != NULL) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " nameserver %127s", host) == 1)
				break;
		fclose(f);
	}
	if (host[0] == '\0')
		snprintf(host, sizeof(host), "127.0.0.1");
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		*sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		*sl = sizeof(*s6);
	} else {
		snprintf(err, errlen, "resolver %s is not an IP address", host);
		return -1;
	}
	return 0;
}

/* io_wait - fd ready for events within WAIT_MS */
static int
io_wait(int fd, short events)
{
	struct pollfd	 pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, WAIT_MS) == 1;
}

/* ask_tcp - the query again over TCP (RFC 7766), for an answer too big for
 * a datagram: two octets of length, then the message, both ways */
static int
ask_tcp(const struct sockaddr_storage *ss, socklen_t sl, const unsigned char *q, int ql,
    uint16_t id, const char *name, enum dns_type t, struct dns_rr *rr, size_t n,
    char *err, size_t errlen)
{
	unsigned char	 out[2 + 512], *a = NULL;
	size_t		 want = 2, got = 0, len;
	ssize_t		 r;
	int		 fd, rc = -1;

	out[0] = (unsigned char)(ql >> 8);
	out[1] = (unsigned char)ql;
	memcpy(out + 2, q, (size_t)ql);
	snprintf(err, errlen, "%s: the answer was truncated and the resolver did not answer "
	    "over TCP", name);
	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if ((connect(fd, (const struct sockaddr *)ss, sl) == -1 && errno != EINPROGRESS) ||
	    !io_wait(fd, POLLOUT) || send(fd, out, (size_t)ql + 2, MSG_NOSIGNAL) != ql + 2)
		goto done;
	a = malloc(2 + 65535);
	while (a && got < want && io_wait(fd, POLLIN)) {
		if ((r = recv(fd, a + got, want - got, 0)) <= 0)
			goto done;
		got += (size_t)r;
		if (got == 2 && want == 2) {
			len = (size_t)(a[0] << 8 | a[1]);
			want = 2 + len;
		}
	}
	if (a == NULL || got < want || want == 2)
		goto done;
	rc = dns_parse(a + 2, want - 2, id, t, rr, n);
	if (rc == -1 || rc == -4)
		snprintf(err, errlen, "%s: a malformed answer over TCP", name);
	else if (rc == -3)
		snprintf(err, errlen, "%s: the resolver failed (SERVFAIL or worse)", name);
	if (rc == -3 || rc == -4)
		rc = -1;
done:
	free(a);
	close(fd);
	return rc;
}

/* ask - one query, answers of type t; the count, or -1 (err), -2 NXDOMAIN */
static int
ask(const struct sockaddr_storage *ss, socklen_t sl, const char *name, enum dns_type t,
    struct dns_rr *rr, size_t n, char *err, size_t errlen)
{
	unsigned char	 q[512], a[4096];
	uint16_t	 id;
	int		 fd, ql, tr, r, edns = 1;
	ssize_t		 got;
	struct pollfd	 pfd;

	tls_sasl_crypto()->random(&id, sizeof(id));
	if ((ql = dns_query(id, name, t, q, sizeof(q))) == -1) {
		snprintf(err, errlen, "%s: not a valid domain name", name);
		return -1;
	}
	if ((fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (const struct sockaddr *)ss, sl) == -1) {
		snprintf(err, errlen, "resolver socket: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (tr = 0; tr < TRIES; tr++) {
		if (send(fd, q, (size_t)ql, 0) != ql)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, WAIT_MS) == 1) {
			if ((got = recv(fd, a, sizeof(a), 0)) <= 0)
				break;
			r = dns_parse(a, (size_t)got, id, t, rr, n);
			if (r == -1)
				continue;	/* not ours, or garbled: keep waiting */
			if (r == -5 && edns) {
				/* FORMERR: a resolver that knows no EDNS0; ask
				 * again without it (RFC 6891 7) */
				ql = dns_strip_edns(q, ql);
				edns = 0;
				tr = -1;
				break;
			}
			close(fd);
			if (r == -4)
				return ask_tcp(ss, sl, q, ql, id, name, t, rr, n, err, errlen);
			if (r <= -3)
				snprintf(err, errlen, "%s: the resolver failed (%s)", name,
				    r == -5 ? "FORMERR" : "SERVFAIL or worse");
			return r <= -3 ? -1 : r;
		}
	}
	close(fd);
	snprintf(err, errlen, "%s: no answer from the resolver", name);
	return -1;
}

static int
by_pref(const void *a, const void *b)
{
	const struct dns_rr *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

int
mx_targets(const char *domain, const char *resolver, const char *port, struct mx_target *out,
    size_t n, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t	 sl;
	struct dns_rr	 mx[16], ad[8];
	int		 nmx, na, i, j, k = 0, nomx = 0;
	char		 ip[INET6_ADDRSTRLEN];

	if (server(resolver, &ss, &sl, err, errlen) == -1)
		return -1;
	if ((nmx = ask(&ss, sl, domain, DNS_MX, mx, 16, err, errlen)) == -1)
		return -1;
	if (nmx == -2) {
		snprintf(err, errlen, "%s does not exist (NXDOMAIN)", domain);
		return -1;
	}
	if (nmx == 0) {
		/* RFC 5321 5.1: no MX: the domain itself */
		nmx = 1;
		memset(&mx[0], 0, sizeof(mx[0]));
		nomx = 1;
		snprintf(mx[0].name, sizeof(mx[0].name), "%s", domain);
	}
	qsort(mx, (size_t)nmx, sizeof(mx[0]), by_pref);
	if (nmx == 1 && mx[0].name[0] == '\0') {
		snprintf(err, errlen, "%s publishes a null MX (RFC 7505): it takes no mail", domain);
		return -1;
	}
	for (i = 0; i < nmx && (size_t)k < n; i++) {
		int types[2] = { DNS_A, DNS_AAAA }, t;
		for (t = 0; t < 2; t++) {
			if ((na = ask(&ss, sl, mx[i].name, (enum dns_type)types[t], ad, 8, err,
			    errlen)) <= 0)
				continue;
			for (j = 0; j < na && (size_t)k < n; j++) {
				inet_ntop(types[t] == DNS_A ? AF_INET : AF_INET6, ad[j].addr, ip,
				    sizeof(ip));
				snprintf(out[k].addr, sizeof(out[k].addr), types[t] == DNS_A ?
				    "%s:%s" : "[%s]:%s", ip, port);
				snprintf(out[k].host, sizeof(out[k].host), "%s", mx[i].name);
				out[k].pref = nomx ? -1 : (int)mx[i].pref;
				k++;
			}
		}
	}
	if (k == 0) {
		snprintf(err, errlen, "no address for any mail server of %s", domain);
		return -1;
	}
	return k;
}
