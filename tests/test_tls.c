/*
 * test_tls - the TLS transport over an in-process socket pair: a
 * non-blocking handshake, 1 MiB each way through small socket buffers
 * (partial writes, same-length retries), reads through a 16-byte buffer
 * that rely on the pending-record check, and the report.  No network.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session/buf.h"
#include "tls/report.h"
#include "tls/tls.h"
#include "tests/tap.h"

static void
nb(int fd)
{
	int	 sz = 4096;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* step - wait until one side can make progress (both fds, 1 s) */
static void
wait_any(struct xport *a, struct xport *b)
{
	struct pollfd p[2] = {
		{ a->fd, xport_want(a) == XPORT_WANT_WRITE ? POLLOUT : POLLIN, 0 },
		{ b->fd, xport_want(b) == XPORT_WANT_WRITE ? POLLOUT : POLLIN, 0 },
	};

	poll(p, 2, 1000);
}

/* transfer - n bytes from w to r; returns bytes that arrived intact */
static size_t
transfer(struct xport *w, struct xport *r, size_t n, size_t rbuf, size_t *again)
{
	struct buf	 out;
	unsigned char	 in[16384];
	size_t		 i, got = 0, bad = 0, spins = 0;
	ssize_t		 k;

	buf_init(&out, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(i * 7 + 3);
		buf_append(&out, &c, 1);
	}
	*again = 0;
	while (got < n && spins++ < 200000) {
		if (out.len > 0) {
			k = xport_write(w, buf_ptr(&out), out.len);
			if (k > 0)
				buf_drain(&out, (size_t)k);
			else if (errno == EAGAIN)
				(*again)++;
		}
		/* Drain what can be read now, including records GnuTLS holds. */
		do {
			k = xport_read(r, in, rbuf);
			if (k > 0) {
				for (i = 0; i < (size_t)k; i++)
					if (in[i] != (unsigned char)((got + i) * 7 + 3))
						bad++;
				got += (size_t)k;
			}
		} while (k > 0 || xport_pending(r) > 0);
		if (got < n)
			wait_any(w, r);
	}
	buf_free(&out);
	return bad ? 0 : got;
}

int
main(void)
{
	int		 sv[2], rc = -1, rs = -1, rounds = 0;
	char		 err[256], desc[160], sni[64];
	const char	*names[] = { "localhost", "127.0.0.1" };
	struct tls_ctx	*sctx, *cctx;
	struct tls_client_cfg ccfg;
	struct xport	*cx, *sx;
	struct tls_report rep;
	struct tls_report_opts ro;
	size_t		 again, got;

	sctx = tls_ctx_server_generate(names, 2, -300, 30 * 86400, err, sizeof(err));
	ok(sctx != NULL, "server certificate generated (%s)", sctx ? "ok" : err);
	ok(sctx && strlen(tls_ctx_fingerprint(sctx)) == 95, "fingerprint is 32 hex pairs");
	memset(&ccfg, 0, sizeof(ccfg));
	cctx = tls_ctx_client(&ccfg, err, sizeof(err));
	ok(cctx != NULL, "client context");
	if (!sctx || !cctx)
		return tap_done();
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	nb(sv[0]);
	nb(sv[1]);
	cx = xport_tls_client(sv[0], cctx, "localhost", err, sizeof(err));
	sx = xport_tls_server(sv[1], sctx, err, sizeof(err));
	while ((rc != 0 || rs != 0) && rounds++ < 1000) {
		if (rc != 0)
			rc = xport_handshake(cx);
		if (rs != 0)
			rs = xport_handshake(sx);
		if (rc == -1 || rs == -1)
			break;
		if (rc != 0 || rs != 0)
			wait_any(cx, sx);
	}
	ok(rc == 0 && rs == 0, "non-blocking handshake completes (%d rounds)", rounds);
	tls_session_desc(cx, desc, sizeof(desc));
	ok(strncmp(desc, "TLS1.3 ", 7) == 0, "session: %s", desc);
	tls_peer_sni(sx, sni, sizeof(sni));
	is_str(sni, "localhost", "the server saw the SNI");

	got = transfer(cx, sx, 1 << 20, 16384, &again);
	is_int(got, 1 << 20, "1 MiB client to server, intact");
	ok(again > 0, "small socket buffers forced %zu same-length retries", again);
	got = transfer(sx, cx, 1 << 20, 16, &again);
	is_int(got, 1 << 20, "1 MiB server to client read 16 bytes at a time: nothing "
	    "stranded inside GnuTLS");

	memset(&ro, 0, sizeof(ro));
	ro.verify_name = "localhost";
	ro.sni = "localhost";
	ok(tls_report_fill(cx, &ro, &rep, err, sizeof(err)) == 0, "report filled");
	is_int(rep.ncerts, 1, "one certificate presented");
	ok(strstr(rep.certs[0].san, "DNS:localhost") && strstr(rep.certs[0].san, "IP:127.0.0.1"),
	    "generated SANs: %s", rep.certs[0].san);
	is_int(rep.trust.v, TLS_FAIL, "self-signed: trust fails");
	is_int(rep.name.v, TLS_PASS, "name matches");
	is_int(rep.validity.v, TLS_PASS, "valid now");
	is_int(tls_report_failed(&rep), 1, "one failed check");
	{
		struct buf b;
		buf_init(&b, 1 << 20);
		tls_report_json(&rep, &b);
		buf_append(&b, "", 1);
		ok(strstr((const char *)buf_ptr(&b), "\"trust\":{\"result\":\"fail\"") != NULL,
		    "JSON carries the verdicts");
		buf_free(&b);
	}
	xport_free(cx);
	xport_free(sx);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
	return tap_done();
}
