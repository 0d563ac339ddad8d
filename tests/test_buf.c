/* test_buf - bounded buffer and line finding. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/esc.h"
#include "session/line.h"
#include "session/xalloc.h"
#include "tests/tap.h"

int
main(void)
{
	struct buf b;

	buf_init(&b, 10);
	is_int(buf_append(&b, "hello", 5), 0, "append within the limit");
	is_int(buf_space(&b), 5, "space left");
	is_int(buf_append(&b, "worlds", 6), -1, "append past the limit is refused");
	is_int(b.len, 5, "a refused append changes nothing");
	is_int(buf_findline(&b), 0, "no line without LF");
	is_int(buf_append(&b, "\nab\n", 4), 0, "append lines");
	is_int(buf_findline(&b), 6, "first line includes its LF");
	buf_drain(&b, 6);
	is_int(buf_findline(&b), 3, "second line");
	ok(memcmp(buf_ptr(&b), "ab\n", 3) == 0, "drain moves the start");
	buf_drain(&b, 100);
	is_int(b.len, 0, "drain past the end empties");
	is_int(buf_append(&b, "0123456789", 10), 0, "full again after draining");
	is_int(buf_printf(&b, "x"), -1, "printf respects the limit");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0, "free releases");
	buf_init(&b, 1 << 20);
	{
		char big[8192];
		memset(big, 'a', sizeof(big));
		buf_append(&b, big, sizeof(big));
		buf_drain(&b, sizeof(big));
		ok(b.data == NULL, "an emptied large buffer gives its memory back");
	}
	buf_free(&b);
	/* line_classify: every byte value at every offset of a 20-byte line
	 * gives the flags a byte-by-byte reading gives. */
	{
		unsigned char	 l[22];
		int		 c, off, bad = 0;
		for (c = 0; c < 256 && !bad; c++)
			for (off = 0; off < 20 && !bad; off++) {
				unsigned want = 0, got;
				memset(l, 'a', 20);
				l[off] = (unsigned char)c;
				l[20] = '\r';
				l[21] = '\n';
				if (c == '\r') want = LINE_BARE_CR;
				else if (c == 0) want = LINE_NUL;
				else if ((c < 0x20 && c != '\t') || c == 0x7f) want = LINE_CTRL;
				else if (c >= 0x80) want = LINE_8BIT;
				got = line_classify(l, 22, 1000);
				if (got != want) {
					ok(0, "byte 0x%02x at %d: flags %#x, want %#x", c, off, got, want);
					bad = 1;
				}
			}
		if (!bad)
			ok(1, "line_classify: each byte value at each offset classified right");
	}
	/* esc_text: each byte value at each offset of a 20-byte run. */
	{
		unsigned char	 l[20];
		char		 want[128], e[8];
		int		 c, off, bad = 0;
		struct buf	 eb;
		buf_init(&eb, 1024);
		for (c = 0; c < 256 && !bad; c++) {
			if (c == '\\') snprintf(e, sizeof(e), "\\\\");
			else if (c == '\r') snprintf(e, sizeof(e), "\\r");
			else if (c == '\n') snprintf(e, sizeof(e), "\\n");
			else if (c == '\t') snprintf(e, sizeof(e), "\\t");
			else if (c < 0x20 || c > 0x7e) snprintf(e, sizeof(e), "\\x%02X", c);
			else snprintf(e, sizeof(e), "%c", c);
			for (off = 0; off < 20 && !bad; off++) {
				memset(l, 'a', 20);
				l[off] = (unsigned char)c;
				snprintf(want, sizeof(want), "%.*s%s%.*s", off, "aaaaaaaaaaaaaaaaaaaa", e,
				    19 - off, "aaaaaaaaaaaaaaaaaaaa");
				buf_drain(&eb, eb.len);
				esc_text(&eb, l, 20, 0);
				if (eb.len != strlen(want) || memcmp(buf_ptr(&eb), want, eb.len) != 0) {
					ok(0, "esc_text: byte 0x%02x at %d", c, off);
					bad = 1;
				}
			}
		}
		if (!bad)
			ok(1, "esc_text: each byte value at each offset escaped right");
		buf_free(&eb);
	}
	/* line_plain_run against its definition, byte by byte: each byte value
	 * at each offset of a 40-byte line (two and a half SSE2 blocks), then a
	 * plain line after it; bodies of every length 0..40; max_line. */
	{
		unsigned char	 l[100];
		size_t		 n, got, want, nl, wantnl, k;
		int		 c, off, bad = 0, len;
		for (c = 0; c < 256 && !bad; c++)
			for (off = 0; off < 40 && !bad; off++) {
				memset(l, 'a', 40);
				l[off] = (unsigned char)c;
				memcpy(l + 40, "\r\nbb\r\n", 6);
				n = 46;
				if (c == '.' && off == 0)
					want = 0, wantnl = 0;	/* a dot line: not plain */
				else if (c < 0x20 || c > 0x7e || c == '\\')
					want = 0, wantnl = 0;
				else
					want = 46, wantnl = 2;
				got = line_plain_run(l, n, 1000, &nl);
				if (got != want || nl != wantnl) {
					ok(0, "line_plain_run: byte 0x%02x at %d: %zu/%zu, want %zu/%zu",
					    c, off, got, nl, want, wantnl);
					bad = 1;
				}
			}
		for (len = 0; len <= 40 && !bad; len++) {
			memset(l, 'x', sizeof(l));
			l[len] = '\r';
			l[len + 1] = '\n';
			got = line_plain_run(l, (size_t)len + 2, 1000, &nl);
			if (got != (size_t)len + 2 || nl != 1) {
				ok(0, "line_plain_run: a plain body of %d bytes", len);
				bad = 1;
			}
			/* cut anywhere before the LF: no whole line */
			for (k = 0; k < (size_t)len + 2 && !bad; k++)
				if (line_plain_run(l, k, 1000, &nl) != 0 || nl != 0) {
					ok(0, "line_plain_run: %d-byte body cut at %zu", len, k);
					bad = 1;
				}
			/* max_line counts the CRLF */
			if (!bad && (line_plain_run(l, (size_t)len + 2, (size_t)len + 1, &nl) != 0 ||
			    line_plain_run(l, (size_t)len + 2, (size_t)len + 2, &nl) != (size_t)len + 2)) {
				ok(0, "line_plain_run: max_line at %d", len);
				bad = 1;
			}
		}
		if (!bad) {
			memcpy(l, "ab\r\ncd\nef\r\n", 11);	/* stops at the bare LF line */
			bad = line_plain_run(l, 11, 1000, &nl) != 4 || nl != 1;
			memcpy(l, "ab\r\n.cd\r\n", 9);	/* and at a dot line */
			bad |= line_plain_run(l, 9, 1000, &nl) != 4 || nl != 1;
			memcpy(l, "a\rb\r\n", 6);		/* a bare CR inside */
			bad |= line_plain_run(l, 6, 1000, &nl) != 0;
		}
		ok(!bad, "line_plain_run: each byte value at each offset, every length, the limit");
	}
	/* buf_extend, buf_clear, buf_puts, buf_putu */
	{
		unsigned char	*p;
		buf_init(&b, 16);
		p = buf_extend(&b, 4);
		ok(p != NULL && b.len == 4, "extend gives room and counts it");
		memcpy(p, "abcd", 4);
		ok(buf_extend(&b, 13) == NULL && b.len == 4, "extend past the limit: NULL, nothing changed");
		ok(buf_extend(&b, 0) == NULL, "extend by nothing: NULL");
		buf_puts(&b, "e");
		buf_putu(&b, 0);
		buf_putu(&b, 1234567890123ULL);
		ok(b.len == 6 && memcmp(buf_ptr(&b), "abcde0", 6) == 0,
		    "puts and putu append; putu past the limit is refused");
		buf_clear(&b);
		ok(b.len == 0 && b.data != NULL, "clear keeps the memory");
		b.max = 32;
		buf_putu(&b, 0);
		buf_puts(&b, ",");
		buf_putu(&b, 18446744073709551615ULL);
		ok(b.len == 22 && memcmp(buf_ptr(&b), "0,18446744073709551615", 22) == 0,
		    "putu: 0 and the largest value");
		buf_free(&b);
	}
	{
		/* xring_grow: a ring that wrapped keeps its order when it grows */
		size_t	 head = 0, cap = 0, n = 0, i;
		int	*r = NULL, good = 1;
		r = xring_grow(r, sizeof(*r), &head, n, &cap, 1, 4, 64);
		ok(cap == 4 && head == 0, "xring_grow: an empty ring gets its first room");
		for (i = 0; i < 4; i++)
			r[i] = (int)i;
		head = 2;	/* 2 3 0 1 in order from head: it wrapped */
		r = xring_grow(r, sizeof(*r), &head, 4, &cap, 5, 4, 64);
		ok(cap == 8 && head == 0, "xring_grow: full, it doubles and starts at 0");
		for (i = 0; i < 4; i++)
			good &= r[i] == (int)((i + 2) % 4);
		ok(good, "xring_grow: the elements in their order from the old head");
		r = xring_grow(r, sizeof(*r), &head, 4, &cap, 6, 4, 64);
		ok(cap == 8, "xring_grow: room enough, nothing moves");
		r = xring_grow(r, sizeof(*r), &head, 4, &cap, 100, 4, 64);
		ok(cap == 64 && r[3] == 1, "xring_grow: never past its max");
		free(r);
	}
	return tap_done();
}
