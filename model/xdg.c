/* xdg.c - BASE/dbfleet/LEAF by the XDG base directory variables (see xdg.h). */
#include "xdg.h"

#include <stdio.h>
#include <stdlib.h>

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
