/* xdg.c - BASE/dbfleet/LEAF by the XDG base directory variables (see xdg.h). */
#include "xdg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
	const char *var;      /* the environment variable that wins when set and not empty */
	const char *fallback; /* else under $HOME */
} bases[] = {
	[XDG_CONFIG] = {"XDG_CONFIG_HOME", ".config"},
	[XDG_STATE] = {"XDG_STATE_HOME", ".local/state"},
	[XDG_CACHE] = {"XDG_CACHE_HOME", ".cache"},
};

int xdg_path(enum xdg_kind kind, const char *leaf, char *out, size_t n)
{
	if (n == 0 || (unsigned)kind >= sizeof bases / sizeof bases[0])
		return -1;
	const char *base = getenv(bases[kind].var), *home = getenv("HOME");
	const char *sep = leaf && *leaf ? "/" : "";
	int w;
	if (base && *base)
		w = snprintf(out, n, "%s/dbfleet%s%s", base, sep, leaf ? leaf : "");
	else
		w = snprintf(out, n, "%s/%s/dbfleet%s%s", home ? home : ".", bases[kind].fallback, sep,
			     leaf ? leaf : "");
	if (w < 0 || (size_t)w >= n) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int xdg_make_parents(const char *path)
{
	char d[4096];
	if (snprintf(d, sizeof d, "%s", path) >= (int)sizeof d) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(d, 0700) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return 0;
}
