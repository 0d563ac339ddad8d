/*
 * test_manual - every command-line option and every REPL command has a
 * section in the manual, and every such section names a real one.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/opts.h"
#include "cli/run.h"
#include "man/render.h"
#include "tests/tap.h"

/* says_default - "default" (any case) then, past ':', '(', '`' and spaces,
 * the value as a whole token: a "1" elsewhere in the text does not count */
static int
says_default(const char *text, const char *v)
{
	const char *p;
	size_t	 n = strlen(v);

	for (p = text; (p = strcasestr(p, "default")) != NULL; p += 7) {
		const char *q = p + 7;
		q += strspn(q, " \n:(`");
		if (strncmp(q, v, n) == 0 && !isalnum((unsigned char)q[n]) &&
		    !(q[n] == '.' && isdigit((unsigned char)q[n + 1])))
			return 1;
	}
	return 0;
}

int
main(void)
{
	char		*heads = man_headings(), *line, *save = NULL, want[128];
	const char *const *cmds;
	unsigned	 i;
	char		*text = NULL;

	ok(heads != NULL, "manual has sections");
	for (i = 0; i < opt_count; i++) {
		/* the whole name: "--force" is not "--force-ext" */
		char *h = malloc(strlen(heads) + 2), *at;
		int found = 0;
		sprintf(h, "\n%s", heads);
		snprintf(want, sizeof(want), "--%s", opt_table[i].name);
		for (at = strstr(h, want); at && !found; at = strstr(at + 1, want))
			found = (at[-1] == '\n' || at[-1] == ' ') &&
			    strchr(" [\n", at[strlen(want)]) != NULL;
		ok(found, "option --%s is in the manual", opt_table[i].name);
		free(h);
	}
	/* Each section says what the table says: the argument, the default,
	 * every choice. */
	for (i = 0; i < opt_count; i++) {
		const struct opt_def *o = &opt_table[i];
		char	 arg[64];
		const char *c;
		snprintf(want, sizeof(want), "--%s", o->name);
		if (man_help(want, 0, &text) == -1) {
			ok(0, "--%s has a section", o->name);
			continue;
		}
		if (o->argname) {
			snprintf(arg, sizeof(arg), "--%s%s%s", o->name, o->has_arg == 2 ? "[=" : " ",
			    o->argname);
			ok(strstr(text, arg) != NULL, "the heading of --%s names %s", o->name, arg);
		}
		if (o->dflt)
			ok(says_default(text, o->dflt), "the section of --%s says \"default %s\"",
			    o->name, o->dflt);
		for (c = o->choices; c && *c; c += strcspn(c, "|"), c += *c == '|') {
			snprintf(arg, sizeof(arg), "%.*s", (int)strcspn(c, "|"), c);
			ok(strstr(text, arg) != NULL, "the section of --%s names the choice %s",
			    o->name, arg);
		}
		free(text);
		text = NULL;
	}
	for (cmds = run_cmd_names(); *cmds; cmds++) {
		snprintf(want, sizeof(want), "\n/%s", *cmds);
		char *h = malloc(strlen(heads) + 2);
		sprintf(h, "\n%s", heads);
		ok(strstr(h, want) != NULL, "command /%s is in the manual", *cmds);
		free(h);
		ok(man_help(*cmds, 0, &text) == 0 && strstr(text, *cmds) != NULL,
		    "/help %s renders its section", *cmds);
		free(text);
	}
	/* The other way: each documented option or command exists. */
	for (line = strtok_r(heads, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		const char *p = line;
		int found = 0;
		if (p[0] == '-' && p[1] != '-') {
			p = strstr(p, "--");
			if (p == NULL)
				continue;
		}
		if (p[0] == '-' && p[1] == '-') {
			sscanf(p + 2, "%63[a-z-]", name);
			for (i = 0; i < opt_count; i++)
				found |= strcmp(opt_table[i].name, name) == 0;
			ok(found, "manual section %s is a real option", line);
		} else if (p[0] == '/') {
			sscanf(p + 1, "%63[a-z]", name);
			for (cmds = run_cmd_names(); *cmds; cmds++)
				found |= strcmp(*cmds, name) == 0;
			ok(found, "manual section %s is a real command", line);
		}
	}
	/* The protocol violations table is the manual's, word for word. */
	{
		const char *src = man_source(), *sec = strstr(src, "\n# PROTOCOL VIOLATIONS\n");
		const char *fat = sec ? strstr(sec, "\nFatal") : NULL;
		const char *warn = fat ? strstr(fat, "\nWarnings") : NULL;
		const char *end = sec ? strstr(sec + 1, "\n# ") : NULL;
		const char *w;
		int	 fatal;
		size_t	 k;
		ok(sec && fat && warn && end && warn < end,
		    "the manual has PROTOCOL VIOLATIONS with Fatal and Warnings");
		for (k = 0; sec && fat && warn && end && (w = client_violation_row(k, &fatal)); k++) {
			const char *at = strstr(fat, w);
			ok(at && at < end && (fatal ? at < warn : at > warn),
			    "violation \"%s\" is listed as %s", w, fatal ? "fatal" : "a warning");
		}
	}
	ok(man_help("exit", 0, &text) == 0 && strstr(text, "70") != NULL,
	    "/help exit finds EXIT STATUS");
	free(text);
	ok(man_help("--timeout", 0, &text) == 0 && strstr(text, "RFC 5321") != NULL,
	    "/help --timeout finds the option");
	free(text);
	ok(man_help("no-such-topic", 0, &text) == -1, "unknown topic is refused");
	ok(man_help("raw", 1, &text) == 0 && strstr(text, "\033[1m") != NULL,
	    "colour rendering uses bold headings");
	free(text);
	free(heads);
	return tap_done();
}
