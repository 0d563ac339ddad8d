/*
 * lazy - a shared library loaded the first time it is needed, not at
 * start-up: libcurl (MTA-STS), libunbound (DNS) and gnutls-dane (DANE)
 * bring some twenty libraries between them that most runs never use, and
 * the dynamic loader maps and relocates every one of them before main().
 */
#ifndef TLS_LAZY_H
#define TLS_LAZY_H

#include <stddef.h>

/* lazy_load - dlopen soname (once) and look up n symbols into fns;
 * 0, or -1 with words in err (the library or a symbol is missing) */
/* LAZY_FNS - after a table of names and a union u of p[] and a struct of
 * as many function pointers: fails to compile when the three differ */
#define LAZY_FNS(names, u)						\
	_Static_assert(sizeof(names) / sizeof((names)[0]) ==		\
	    sizeof((u).p) / sizeof((u).p[0]) && sizeof(u) == sizeof((u).p),	\
	    "the names and the functions of " #u " do not match")
int	 lazy_load(void **handle, const char *soname, const char *const *names, void **fns,
	    size_t n, char *err, size_t errlen);

#endif
