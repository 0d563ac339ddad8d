/*
 * test_json - the JSON reader (session/json.c): paths, unescaping, bounds,
 * and what is not JSON.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "session/json.h"
#include "tests/tap.h"

static char	 got[4096];

static void
collect(void *arg, const char *path, const char *value, int is_string)
{
	size_t	 l = strlen(got);

	snprintf(got + l, sizeof(got) - l, "%s%s=%s%s", l ? "|" : "", path, is_string ? "\"" : "",
	    value);
}

static int
flat(const char *s)
{
	got[0] = '\0';
	return json_flatten(s, strlen(s), collect, NULL);
}

int
main(void)
{
	char	 deep[200];
	size_t	 i;

	ok(flat("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":-2.5e3}}") == 0 &&
	    strcmp(got, "a=1|b.0=true|b.1=null|b.2=\"x|c.d=-2.5e3") == 0, "paths (%s)", got);
	ok(flat(" {\"s\":\"q\\\"b\\\\s\\/n\\n\"} ") == 0 && strcmp(got, "s=\"q\"b\\s/n\n") == 0,
	    "escapes, blanks around");
	ok(flat("{\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\\u0000\"}") == 0 &&
	    strcmp(got, "u=\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0,
	    "\\u escapes to UTF-8, a surrogate pair, NUL ends the text");
	ok(flat("{}") == 0 && got[0] == '\0' && flat("[]") == 0, "empty containers");
	ok(flat("{\"a\":1,}") == -1, "a trailing comma");
	ok(flat("{\"a\" 1}") == -1, "no colon");
	ok(flat("{\"a\":1} x") == -1, "text after the value");
	ok(flat("{\"a\":\"\x01\"}") == -1, "a control character in a string");
	ok(flat("{\"a\":nope}") == -1, "not a literal");
	ok(flat("{\"a\":\"unterminated}") == -1, "an unterminated string");
	ok(flat("{\"a\":\"\\x\"}") == -1, "a bad escape");
	ok(flat("") == -1 && flat("   ") == -1, "nothing");
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	deep[40] = '\0';
	ok(flat(deep) == -1, "nesting past the bound");
	{
		static char big[JSON_VALUE + 20];
		memset(big, 'a', sizeof(big));
		big[0] = '"';
		big[sizeof(big) - 2] = '"';
		big[sizeof(big) - 1] = '\0';
		ok(flat(big) == -1, "a string past the bound");
	}
	return tap_done();
}
