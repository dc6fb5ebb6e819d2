/*
 * keymap.h - key bindings as data: "key  command" lines (tmux's key tables).
 *
 * Keys are plain characters or named keys; the UI translates its terminal
 * key codes into these. Commands are names the caller knows; the keymap
 * only maps a key to a command's index in the caller's table.
 */
#ifndef DBFLEET_KEYMAP_H
#define DBFLEET_KEYMAP_H

#include <stddef.h>

enum keymap_key {
	KM_KEY_BASE = 0x110000, /* past every Unicode code point */
	KM_UP, KM_DOWN, KM_LEFT, KM_RIGHT, KM_PGUP, KM_PGDN, KM_HOME, KM_END,
	KM_ENTER, KM_TAB, KM_BTAB, KM_ESC, KM_BACKSPACE, KM_DELETE,
	KM_F1, KM_F2, KM_F3, KM_F4, KM_F5, KM_F6, KM_F7, KM_F8, KM_F9, KM_F10,
	KM_KEY_LAST,
};
#define KM_CTRL(c) ((c) & 0x1f) /* C-l is 12, as the terminal sends it */
#define KM_PROMPT 0x1000000     /* "prompt:KEY": KEY while a confirmation prompt is open */
#define KM_REPLAY 0x2000000     /* "replay:KEY": KEY during --replay, before its plain binding */
#define KM_MAX_BINDINGS 256

struct keymap;

struct keymap *keymap_new(void);
void keymap_free(struct keymap **km);

/*
 * Load bindings from 'path' on top of what is there. 'commands' names the
 * commands; "none" unbinds a key. Returns 0, -1 with "FILE:LINE: message"
 * in 'err', or -2 if the file does not exist.
 */
int keymap_load(struct keymap *km, const char *path, const char *const *commands, size_t ncmd,
		char *err, size_t errlen);
/* The command index bound to 'key', or -1. */
int keymap_lookup(const struct keymap *km, int key);
/* Keys bound to command 'cmd', in file order; count (at most 'max'). */
size_t keymap_keys_for(const struct keymap *km, int cmd, int *keys, size_t max);

/* "C-l", "Tab", "q" -> key code; -1 if unknown. */
int keymap_key_parse(const char *name);
/* key code -> its name as files spell it. */
void keymap_key_name(int key, char *out, size_t n);

#endif
