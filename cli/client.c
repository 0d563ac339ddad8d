/*
 * client - the client connection driver.
 *
 * Owns: the fd (through its transport), the engine, the transcript and a
 * /data file being streamed.  Reads everything the server sends, also
 * after a half-close, until end of stream; writes the engine's output as
 * the socket accepts it.  Deadlines come from the engine and become one
 * loop timer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/loop.h"
#include "cli/net.h"
#include "session/line.h"
#include "session/xalloc.h"
#include "tls/xport.h"

struct client {
	struct client_cfg	*cfg;
	struct client_hooks	 hooks;
	struct smtp_client	*eng;
	struct xport		*xp;
	struct net_connect	*nc;
	struct tx		 tx;
	struct buf		 saved;		/* transcript text for /save */
	struct loop_timer	*deadline;
	uint64_t		 deadline_at;
	char			 target[300];
	char			 peer[128];
	int			 connected;
	int			 datafd;	/* /data file being sent, or -1 */
	size_t			 data_shown;	/* data lines shown this message */
	size_t			 data_hidden;
	struct smtp_line	 last;		/* a reply's final line, until ev_reply */
	unsigned char		 last_raw[8192 + 2];
};

static void	 client_io(int, unsigned, void *);
static void	 client_update(struct client *);

static void
hook(struct client *c, enum client_ev ev, int code)
{
	if (c->hooks.on_event)
		c->hooks.on_event(c->hooks.arg, ev, code);
}

void
client_note(struct client *c, char kind, const char *fmt, ...)
{
	char	*msg;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		return;
	}
	va_end(ap);
	c->tx.text = c->cfg->text;
	c->tx.json = c->cfg->json;
	tx_note(&c->tx, loop_now(), kind, "%s", msg);
	free(msg);
}

/* Engine events. */

static void
ev_line(void *arg, const struct smtp_line *l)
{
	struct client	*c = arg;

	tx_line(&c->tx, loop_now(), TX_S, l->raw, l->len, l->flags, -1,
	    l->code > 0 ? l->code : 0, NULL, NULL, l->dropped);
	if (l->flags & (LINE_BARE_LF | LINE_BARE_CR | LINE_NUL))
		hook(c, CLIENT_VIOLATION, 0);
}

/* ev_line_last - keep a reply's final line until ev_reply has the latency */
static void
ev_line_last(void *arg, const struct smtp_line *l)
{
	struct client	*c = arg;
	size_t		 n = l->len > sizeof(c->last_raw) ? sizeof(c->last_raw) : l->len;

	memcpy(c->last_raw, l->raw, n);
	c->last = *l;
	c->last.raw = c->last_raw;
	c->last.len = n;
	c->last.text = NULL;
}

static void
ev_line_any(void *arg, const struct smtp_line *l)
{
	if (l->last)
		ev_line_last(arg, l);
	else
		ev_line(arg, l);
}

static void
ev_reply(void *arg, const struct smtp_reply *r, const struct smtp_client_cmd *cmd)
{
	struct client	*c = arg;
	uint64_t	 now = loop_now();
	int64_t		 lat = cmd ? (int64_t)(now - cmd->sent_us) : -1;
	char		 members[128];

	if (c->last.raw) {
		tx_line(&c->tx, now, TX_S, c->last.raw, c->last.len, c->last.flags, lat,
		    r->code > 0 ? r->code : 0, r->enh,
		    smtp_client_state_name(smtp_client_state(c->eng)), c->last.dropped);
		if (c->last.flags & (LINE_BARE_LF | LINE_BARE_CR | LINE_NUL))
			hook(c, CLIENT_VIOLATION, 0);
		c->last.raw = NULL;
	}
	snprintf(members, sizeof(members), ",\"code\":%d,\"lines\":%zu,\"answers\":\"%s\"%s",
	    r->code, r->nlines, cmd ? smtp_cmd_name(cmd->verb) : "", "");
	if (lat >= 0) {
		size_t l = strlen(members);
		snprintf(members + l, sizeof(members) - l, ",\"latency_ms\":%.3f",
		    (double)lat / 1000.0);
	}
	tx_event(&c->tx, now, "reply", members);
	if (r->flags & (SMTP_REPLY_MISMATCH | SMTP_REPLY_MALFORMED | SMTP_REPLY_TOO_LONG))
		hook(c, CLIENT_VIOLATION, r->code);
	if (cmd == NULL && r->code != 421)
		hook(c, CLIENT_VIOLATION, r->code);
	hook(c, CLIENT_REPLY, r->code);
}

static void
ev_sent(void *arg, enum smtp_client_sent kind, const unsigned char *p, size_t n)
{
	struct client	*c = arg;
	int		 show = 1;

	if (kind == SMTP_SENT_DATA && c->cfg->data_lines >= 0) {
		if (c->data_shown >= (size_t)c->cfg->data_lines) {
			show = 0;
			c->data_hidden++;
		} else
			c->data_shown++;
	}
	c->tx.text = show ? c->cfg->text : 0;
	if (!show)
		c->tx.save = NULL;
	tx_line(&c->tx, loop_now(), TX_C, p, n, line_classify(p, n, 0) & ~(unsigned)LINE_NOEOL &
	    ~(unsigned)LINE_8BIT, -1, 0, NULL, NULL, 0);
	c->tx.text = c->cfg->text;
	c->tx.save = &c->saved;
	if (kind == SMTP_SENT_DATA && n == 3 && memcmp(p, ".\r\n", 3) == 0) {
		if (c->data_hidden)
			client_note(c, '*', "%zu more data lines sent, not shown "
			    "(/set data-lines N)", c->data_hidden);
		c->data_shown = c->data_hidden = 0;
	}
}

static void
ev_state(void *arg, enum smtp_client_state o, enum smtp_client_state n)
{
	struct client	*c = arg;
	char		 m[96];

	snprintf(m, sizeof(m), ",\"from\":\"%s\",\"to\":\"%s\"", smtp_client_state_name(o),
	    smtp_client_state_name(n));
	tx_event(&c->tx, loop_now(), "state", m);
	hook(c, CLIENT_STATE, 0);
}

static void
ev_anomaly(void *arg, const char *msg)
{
	client_note(arg, '!', "%s", msg);
}

static void
ev_note(void *arg, const char *msg)
{
	client_note(arg, '*', "%s", msg);
}

struct client *
client_new(struct client_cfg *cfg, const struct client_hooks *hooks)
{
	struct client	*c = xcalloc(1, sizeof(*c));
	struct smtp_client_cfg ecfg;
	static const struct smtp_client_events ev = {
		ev_line_any, ev_reply, ev_sent, ev_state, ev_anomaly, ev_note,
	};

	c->cfg = cfg;
	c->hooks = *hooks;
	memset(&ecfg, 0, sizeof(ecfg));
	ecfg.timeout = cfg->timeout;
	c->eng = smtp_client_new(&ecfg, &ev, c);
	c->datafd = -1;
	buf_init(&c->saved, 64 * 1024 * 1024);
	c->tx.text = cfg->text;
	c->tx.json = cfg->json;
	c->tx.save = &c->saved;
	c->tx.t0 = loop_now();
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	net_connect_cancel(c->nc);
	if (c->xp) {
		loop_del_fd(c->xp->fd);
		xport_free(c->xp);
	}
	loop_del_timer(c->deadline);
	if (c->datafd != -1)
		close(c->datafd);
	smtp_client_free(c->eng);
	buf_free(&c->saved);
	free(c);
}

struct buf *
client_transcript(struct client *c)
{
	return &c->saved;
}

static void
on_connected(int fd, const char *peer, const char *err, void *arg)
{
	struct client	*c = arg;
	char		 m[400];

	c->nc = NULL;
	if (fd == -1) {
		client_note(c, '!', "connection to %s failed: %s", c->target, err);
		hook(c, CLIENT_CONNECT_FAILED, 0);
		return;
	}
	c->xp = xport_plain(fd);
	if (c->xp == NULL)
		fatalx("%s: out of memory", __func__);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->connected = 1;
	c->tx.t0 = loop_now();
	snprintf(m, sizeof(m), ",\"target\":\"%.200s\",\"peer\":\"%s\"", c->target, peer);
	tx_event(&c->tx, c->tx.t0, "connect", m);
	client_note(c, '*', "connected to %s (%s)", c->target, peer);
	smtp_client_connected(c->eng, c->tx.t0);
	loop_add_fd(fd, LOOP_IN, client_io, c);
	client_update(c);
	hook(c, CLIENT_CONNECTED, 0);
}

int
client_connect(struct client *c, const char *target, char *err, size_t errlen)
{
	struct net_target t;

	if (c->connected || c->nc) {
		snprintf(err, errlen, "already connected to %s (/close first)", c->target);
		return -1;
	}
	if (net_parse(target, "25", &t, err, errlen) == -1)
		return -1;
	snprintf(c->target, sizeof(c->target), "%s%s%s:%s", strchr(t.host, ':') ? "[" : "",
	    t.host, strchr(t.host, ':') ? "]" : "", t.port);
	buf_drain(&c->saved, c->saved.len);
	c->nc = net_connect(&t, c->cfg->connect_timeout, on_connected, c, err, errlen);
	return c->nc ? 0 : -1;
}

void
client_close(struct client *c, const char *why)
{
	if (c->nc) {
		net_connect_cancel(c->nc);
		c->nc = NULL;
	}
	if (!c->connected)
		return;
	if (why)
		client_note(c, '*', "%s", why);
	loop_del_fd(c->xp->fd);
	xport_free(c->xp);
	c->xp = NULL;
	c->connected = 0;
	if (c->datafd != -1) {
		close(c->datafd);
		c->datafd = -1;
	}
	loop_del_timer(c->deadline);
	c->deadline = NULL;
	c->deadline_at = 0;
	tx_event(&c->tx, loop_now(), "close", "");
	smtp_client_close(c->eng);
	hook(c, CLIENT_CLOSED, 0);
}

int
client_is_connected(const struct client *c)
{
	return c->connected;
}

int
client_is_connecting(const struct client *c)
{
	return c->nc != NULL;
}

enum smtp_client_state
client_state(const struct client *c)
{
	return smtp_client_state(c->eng);
}

size_t
client_waiting(const struct client *c)
{
	return c->connected ? smtp_client_waiting(c->eng) + (c->datafd != -1) : 0;
}

int
client_last_code(const struct client *c)
{
	return smtp_client_last_code(c->eng);
}

const struct caps *
client_caps(const struct client *c)
{
	return smtp_client_caps(c->eng);
}

const char *
client_peer(const struct client *c)
{
	return c->connected ? c->target : NULL;
}

static void
on_deadline(void *arg)
{
	struct client *c = arg;

	c->deadline = NULL;
	c->deadline_at = 0;
	client_note(c, '!', "timeout: no reply within %d s in state %s",
	    c->cfg->timeout ? c->cfg->timeout : 300,
	    smtp_client_state_name(smtp_client_state(c->eng)));
	hook(c, CLIENT_TIMEOUT, 0);
}

/* pump_data - move more of a /data file into the engine */
static void
pump_data(struct client *c)
{
	unsigned char	 chunk[16384];
	struct buf	*out = smtp_client_output(c->eng);
	ssize_t		 r;

	while (c->datafd != -1 && out->len < 65536 && smtp_client_state(c->eng) == SMTP_C_DATA) {
		r = read(c->datafd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			client_note(c, '!', "reading the data file: %s", strerror(errno));
			close(c->datafd);
			c->datafd = -1;
			hook(c, CLIENT_LOCAL_ERROR, 0);
			return;
		}
		if (r == 0) {
			close(c->datafd);
			c->datafd = -1;
			smtp_client_data_end(c->eng, loop_now());
			hook(c, CLIENT_DATA_DONE, 0);
			return;
		}
		smtp_client_data(c->eng, chunk, (size_t)r, loop_now());
	}
}

/* client_update - write what we can, then set poll interest and timer */
static void
client_update(struct client *c)
{
	struct buf	*out;
	ssize_t		 w;
	uint64_t	 dl;

	if (!c->connected)
		return;
	pump_data(c);
	out = smtp_client_output(c->eng);
	while (out->len > 0) {
		w = xport_write(c->xp, buf_ptr(out), out->len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_note(c, '!', "write failed: %s", strerror(errno));
			client_close(c, NULL);
			return;
		}
		buf_drain(out, (size_t)w);
		pump_data(c);
	}
	if (!c->connected)
		return;
	loop_mod_fd(c->xp->fd, LOOP_IN | (out->len ? LOOP_OUT : 0));
	dl = smtp_client_deadline(c->eng);
	if (dl != c->deadline_at) {
		loop_del_timer(c->deadline);
		c->deadline = dl ? loop_timer_at(dl, on_deadline, c) : NULL;
		c->deadline_at = dl;
	}
}

static void
client_io(int fd, unsigned ev, void *arg)
{
	struct client	*c = arg;
	unsigned char	 b[16384];
	ssize_t		 r;
	int		 rounds = 0;

	if (ev & LOOP_IN) {
		while (c->connected && rounds++ < 16) {
			r = xport_read(c->xp, b, sizeof(b));
			if (r > 0) {
				smtp_client_feed(c->eng, b, (size_t)r, loop_now());
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (r < 0)
				client_note(c, '!', "read failed: %s", strerror(errno));
			smtp_client_eof(c->eng, loop_now());
			client_close(c, "connection closed by server");
			return;
		}
	}
	client_update(c);
}

int
client_command(struct client *c, const char *line, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected (use /connect HOST[:PORT])");
		return -1;
	}
	if (smtp_client_command(c->eng, line, strlen(line), loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	client_update(c);
	return 0;
}

int
client_data_line(struct client *c, const char *line, size_t n, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (smtp_client_data_line(c->eng, line, n, loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	client_update(c);
	return 0;
}

int
client_raw(struct client *c, const void *p, size_t n, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (smtp_client_raw(c->eng, p, n, loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	client_update(c);
	return 0;
}

int
client_data_file(struct client *c, const char *path, char *err, size_t errlen)
{
	int	 fd;

	if (!c->connected || smtp_client_state(c->eng) != SMTP_C_DATA) {
		snprintf(err, errlen, "not in message data");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->datafd = fd;
	client_update(c);
	return 0;
}
