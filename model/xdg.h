/* xdg.h - the one place dbfleet's config, state and cache paths are worked out. */
#ifndef DBFLEET_XDG_H
#define DBFLEET_XDG_H

#include <stddef.h>

enum xdg_kind {
	XDG_CONFIG, /* $XDG_CONFIG_HOME, else ~/.config: config, keys */
	XDG_STATE,  /* $XDG_STATE_HOME, else ~/.local/state: audit.log */
	XDG_CACHE,  /* $XDG_CACHE_HOME, else ~/.cache: cost-PROFILE.json */
};

/*
 * BASE/dbfleet/LEAF into 'out' (BASE/dbfleet when 'leaf' is NULL or "");
 * $HOME unset counts as ".". Makes no directory. 0, or -1 (out holds "")
 * when it does not fit in 'n' bytes. Any thread: reads the environment only.
 */
int xdg_path(enum xdg_kind kind, const char *leaf, char *out, size_t n);

/* Make the directories above 'path' that are missing (0700: the user's alone); 0, or -1 with errno. */
int xdg_make_parents(const char *path);

#endif
