/*
 * lazy - see lazy.h.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

#include "tls/lazy.h"

int
lazy_load(void **handle, const char *soname, const char *const *names, void **fns, size_t n,
    char *err, size_t errlen)
{
	size_t	 i;

	if (*handle)
		return 0;
	if ((*handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "cannot load %s: %s", soname, dlerror());
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((fns[i] = dlsym(*handle, names[i])) == NULL) {
			snprintf(err, errlen, "%s has no %s", soname, names[i]);
			dlclose(*handle);
			*handle = NULL;
			return -1;
		}
	return 0;
}
