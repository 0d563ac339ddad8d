/*
 * floor - a yardstick for bench/sink.sh, not part of smtpdbg: the least
 * work an SMTP sink can do on Linux's socket API.  One epoll loop,
 * accept4, one recv and one send per batch of commands, "250" to every
 * command, "354" to DATA, "221" to QUIT, the end of data found with a
 * five-byte window; no parsing, no transcript, no limits, no checks.
 * Whatever CPU it needs per message is the kernel's and the loop's share
 * that no sink using these calls can avoid.
 *
 *	cc -O2 -o floor bench/floor.c && ./floor PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	int		 data;		/* in DATA: looking for CRLF.CRLF */
	unsigned	 win;		/* the last four bytes seen in DATA */
	char		 verb[4];	/* the first four bytes of this command */
	unsigned	 vlen;
};

static struct conn	*conns;

static void
put(char *out, size_t *o, const char *s)
{
	size_t	 n = strlen(s);

	memcpy(out + *o, s, n);
	*o += n;
}

int
main(int argc, char **argv)
{
	static char		 in[65536], out[65536];
	struct sockaddr_in	 sa = { .sin_family = AF_INET };
	struct epoll_event	 ev, evs[256];
	int			 one = 1, ls, ep, i, n;

	if (argc != 2)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	conns = calloc(1 << 16, sizeof(*conns));
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (conns == NULL || bind(ls, (void *)&sa, sizeof(sa)) || listen(ls, 4096))
		return 1;
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			int		 fd = evs[i].data.fd, quit = 0;
			size_t		 o = 0;
			ssize_t		 r, j;
			struct conn	*k;

			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= 1 << 16) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					memset(&conns[c], 0, sizeof(conns[c]));
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					(void)!send(c, "220 floor\r\n", 11, MSG_NOSIGNAL);
				}
				continue;
			}
			if ((r = recv(fd, in, sizeof(in), 0)) <= 0) {
				close(fd);
				continue;
			}
			k = &conns[fd];
			for (j = 0; j < r && o < sizeof(out) - 16; j++) {
				unsigned char ch = (unsigned char)in[j];
				if (k->data && j >= 4) {
					/* the window is in[j-4..j-1]: search the rest at once */
					char *e = memmem(in + j - 4, (size_t)(r - j + 4), "\r\n.\r\n", 5);
					if (e == NULL) {
						k->win = (unsigned)(unsigned char)in[r - 4] << 24 |
						    (unsigned)(unsigned char)in[r - 3] << 16 |
						    (unsigned)(unsigned char)in[r - 2] << 8 |
						    (unsigned char)in[r - 1];
						break;
					}
					k->data = 0;
					put(out, &o, "250 ok\r\n");
					j = e + 4 - in;
					continue;
				}
				if (k->data) {
					/* "\r\n.\r" then '\n'; DATA's own CRLF starts it */
					if (k->win == 0x0d0a2e0d && ch == '\n') {
						k->data = 0;
						put(out, &o, "250 ok\r\n");
					}
					k->win = k->win << 8 | ch;
					continue;
				}
				if (ch != '\n') {
					if (k->vlen < 4)
						k->verb[k->vlen++] = (char)ch;
					continue;
				}
				if (k->vlen == 4 && strncasecmp(k->verb, "DATA", 4) == 0) {
					put(out, &o, "354 go\r\n");
					k->data = 1;
					k->win = 0x0d0a;
				} else if (k->vlen == 4 && strncasecmp(k->verb, "QUIT", 4) == 0) {
					put(out, &o, "221 bye\r\n");
					quit = 1;
				} else
					put(out, &o, "250 ok\r\n");
				k->vlen = 0;
			}
			if (o)
				(void)!send(fd, out, o, MSG_NOSIGNAL);
			if (quit)
				close(fd);
		}
	}
}
