/*
 * relay - the floor for bench/proxy.sh: a TCP relay that copies bytes
 * both ways with one epoll loop and no SMTP work at all (no parsing, no
 * transcript), so no SMTP proxy can cost less per message.
 * usage: relay LISTEN-PORT UPSTREAM-PORT (loopback only)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD	65536
static int peer[MAXFD];

static int
connect_to(int port)
{
	struct sockaddr_in a;
	int	 fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	struct epoll_event ev, evs[64];
	int	 lfd, ep, one = 1, n, i, up = argc > 2 ? atoi(argv[2]) : 0;
	char	 buf[65536];

	if (argc != 3)
		return 2;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(lfd, 1024) == -1)
		return 1;
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd) {
				int c = accept(lfd, NULL, NULL), u;
				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				if ((u = connect_to(up)) < 0 || c >= MAXFD || u >= MAXFD) {
					close(c);
					if (u >= 0)
						close(u);
					continue;
				}
				peer[c] = u;
				peer[u] = c;
				ev.events = EPOLLIN;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				ev.data.fd = u;
				epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
				continue;
			}
			/* an event may be stale (its fd closed and reused in this
			 * batch): never block on it */
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				close(peer[fd]);
				close(fd);
				continue;
			}
			/* blocking writes: loopback, small messages */
			if (write(peer[fd], buf, (size_t)r) != r) {
				close(peer[fd]);
				close(fd);
			}
		}
	}
}
