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
int	 lazy_load(void **handle, const char *soname, const char *const *names, void **fns,
	    size_t n, char *err, size_t errlen);

#endif
