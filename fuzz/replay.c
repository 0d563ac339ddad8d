/*
 * replay - runs a fuzz target over seed files without libFuzzer, so the
 * corpus is a regression test under any compiler (make check).  Prints
 * TAP: one test per file.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int n;

static void
one(const char *path)
{
	FILE	*f = fopen(path, "rb");
	uint8_t	*d;
	long	 len;

	if (f == NULL) {
		printf("not ok %d - %s: cannot open\n", ++n, path);
		return;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	d = malloc(len > 0 ? (size_t)len : 1);
	if (d == NULL || fread(d, 1, (size_t)len, f) != (size_t)len) {
		printf("not ok %d - %s: cannot read\n", ++n, path);
		fclose(f);
		free(d);
		return;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(d, (size_t)len);
	free(d);
	printf("ok %d - %s\n", ++n, path);
}

int
main(int argc, char **argv)
{
	int	 i;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **ents;
			int k, m = scandir(argv[i], &ents, NULL, alphasort);
			for (k = 0; k < m; k++) {
				char p[4096];
				if (ents[k]->d_name[0] != '.') {
					snprintf(p, sizeof(p), "%s/%s", argv[i], ents[k]->d_name);
					one(p);
				}
				free(ents[k]);
			}
			free(ents);
		} else
			one(argv[i]);
	}
	printf("1..%d\n", n);
	return 0;
}
