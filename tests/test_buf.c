/* test_buf - bounded buffer and line finding. */
#include "config.h"

#include "session/buf.h"
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
	return tap_done();
}
