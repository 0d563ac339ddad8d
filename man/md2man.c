/*
 * md2man - build-time tool: the Markdown manual on stdin becomes
 *   md2man man VERSION DATE   a man page (cmark_render_man plus .TH)
 *   md2man inc                a C string for the binary (REPL help)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

static char *
slurp(size_t *len)
{
	size_t	 cap = 65536, n = 0, r;
	char	*b = malloc(cap);

	if (b == NULL)
		return NULL;
	while ((r = fread(b + n, 1, cap - n, stdin)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(b, cap *= 2);
			if (nb == NULL) {
				free(b);
				return NULL;
			}
			b = nb;
		}
	}
	*len = n;
	return b;
}

int
main(int argc, char **argv)
{
	size_t	 len, i;
	char	*md, *man;
	cmark_node *doc;

	if (argc < 2 || (strcmp(argv[1], "man") == 0 && argc != 4) ||
	    (strcmp(argv[1], "man") != 0 && strcmp(argv[1], "inc") != 0)) {
		fprintf(stderr, "usage: md2man man VERSION DATE < in.md | md2man inc < in.md\n");
		return 2;
	}
	if ((md = slurp(&len)) == NULL) {
		fprintf(stderr, "md2man: out of memory\n");
		return 1;
	}
	if (strcmp(argv[1], "inc") == 0) {
		fputs("/* generated from man/smtpdbg.md by md2man; do not edit */\n"
		    "static const char manual_md[] =\n\"", stdout);
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)md[i];
			if (c == '\n')
				fputs(i + 1 < len ? "\\n\"\n\"" : "\\n", stdout);
			else if (c == '"' || c == '\\')
				printf("\\%c", c);
			else if (c < 0x20 || c >= 0x7f)
				printf("\\%03o", c);
			else
				putchar(c);
		}
		fputs("\";\n", stdout);
		free(md);
		return 0;
	}
	doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
	man = cmark_render_man(doc, CMARK_OPT_DEFAULT, 0);
	printf(".TH SMTPDBG 1 \"%s\" \"smtpdbg %s\" \"User Commands\"\n", argv[3], argv[2]);
	/*
	 * cmark copies code-block lines verbatim between .nf and .fi: a
	 * line starting with '.' or '\'' would be a roff request there.
	 */
	{
		char	*line = man, *nl;
		int	 nf = 0;

		for (; *line; line = nl) {
			nl = strchr(line, '\n');
			nl = nl ? nl + 1 : line + strlen(line);
			if (strncmp(line, ".nf", 3) == 0)
				nf = 1;
			else if (strncmp(line, ".fi", 3) == 0)
				nf = 0;
			else if (nf && (line[0] == '.' || line[0] == '\''))
				fputs("\\&", stdout);
			fwrite(line, 1, (size_t)(nl - line), stdout);
		}
	}
	free(man);
	cmark_node_free(doc);
	free(md);
	return ferror(stdout) ? 1 : 0;
}
