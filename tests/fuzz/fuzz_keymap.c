/*
 * fuzz_keymap - key files (keymap_load in keymaps/keymap.c): the user's file
 * loads or is refused with a message, and a key's name reads back as
 * the same key. Input: the file's bytes (its start is also a key name).
 */
#include "../../keymaps/keymap.h"
#include "fuzz.h"

static const char *const commands[] = {"quit", "help", "refresh", "cancel", "terminate", "promote", "filter",
				       "sort", "pane-next", "pane-prev", "select-up", "select-down"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, "keys");
	char err[1024];
	err[0] = '\0';
	struct keymap *km = keymap_new();
	FUZZ_ASSERT(km != NULL);
	int rc = keymap_load(km, path, commands, sizeof commands / sizeof commands[0], err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -1); /* -2 is for a missing file only */
	FUZZ_ASSERT(memchr(err, '\0', sizeof err) && (rc == 0 || err[0]));
	for (int k = 0; k < 512; k += 37) /* every lookup answers a command of the table or -1 */
		FUZZ_ASSERT(keymap_lookup(km, k) >= -1 && keymap_lookup(km, k) < (int)(sizeof commands / sizeof commands[0]));
	keymap_free(&km);
	FUZZ_ASSERT(km == NULL);
	/* a key's name, as the help overlay writes it, reads back as the same key */
	char *name = fuzz_cstr(data, size < 32 ? size : 32), back[64];
	int key = keymap_key_parse(name);
	if (key >= 0) {
		keymap_key_name(key, back, sizeof back);
		FUZZ_ASSERT(keymap_key_parse(back) == key);
	}
	free(name);
	unlink(path);
	return 0;
}
