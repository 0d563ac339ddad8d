/* test_buf - bounded buffer and line finding. */
#include "config.h"

#include <string.h>

#include "session/buf.h"
#include "session/esc.h"
#include "session/line.h"
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
	return tap_done();
}
