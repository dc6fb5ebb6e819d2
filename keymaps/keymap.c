/* keymap.c - parse key-binding files and look keys up. */
#include "keymap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct binding {
	int key;
	int cmd;
};

struct keymap {
	struct binding b[KM_MAX_BINDINGS];
	size_t n;
};

static const struct {
	const char *name;
	int key;
} named[] = {
	{"Up", KM_UP}, {"Down", KM_DOWN}, {"Left", KM_LEFT}, {"Right", KM_RIGHT},
	{"PgUp", KM_PGUP}, {"PgDn", KM_PGDN}, {"Home", KM_HOME}, {"End", KM_END},
	{"Enter", KM_ENTER}, {"Tab", KM_TAB}, {"BTab", KM_BTAB}, {"Esc", KM_ESC},
	{"BSpace", KM_BACKSPACE}, {"Delete", KM_DELETE}, {"Space", ' '},
	{"F1", KM_F1}, {"F2", KM_F2}, {"F3", KM_F3}, {"F4", KM_F4}, {"F5", KM_F5},
	{"F6", KM_F6}, {"F7", KM_F7}, {"F8", KM_F8}, {"F9", KM_F9}, {"F10", KM_F10},
};

struct keymap *keymap_new(void)
{
	return calloc(1, sizeof(struct keymap));
}

void keymap_free(struct keymap **km)
{
	if (km) {
		free(*km);
		*km = NULL;
	}
}

int keymap_key_parse(const char *s)
{
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcmp(s, named[i].name) == 0)
			return named[i].key;
	if (strncmp(s, "prompt:", 7) == 0) {
		int k = keymap_key_parse(s + 7);
		return k < 0 || (k & (KM_PROMPT | KM_REPLAY)) ? -1 : KM_PROMPT | k;
	}
	if (strncmp(s, "replay:", 7) == 0) {
		int k = keymap_key_parse(s + 7);
		return k < 0 || (k & (KM_PROMPT | KM_REPLAY)) ? -1 : KM_REPLAY | k;
	}
	if (strncmp(s, "C-", 2) == 0 && s[2] >= 'a' && s[2] <= 'z' && !s[3])
		return KM_CTRL(s[2]);
	if (s[0] > 0x20 && s[0] < 0x7f && !s[1])
		return s[0];
	return -1;
}

void keymap_key_name(int key, char *out, size_t n)
{
	if (key & (KM_PROMPT | KM_REPLAY)) {
		char in[16];
		keymap_key_name(key & ~(KM_PROMPT | KM_REPLAY), in, sizeof in);
		snprintf(out, n, "%s:%s", key & KM_PROMPT ? "prompt" : "replay", in);
		return;
	}
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].key == key) {
			snprintf(out, n, "%s", named[i].name);
			return;
		}
	if (key > 0 && key < 0x20)
		snprintf(out, n, "C-%c", key + 'a' - 1);
	else if (key > 0x20 && key < 0x7f)
		snprintf(out, n, "%c", key);
	else
		snprintf(out, n, "<%d>", key);
}

static int bind(struct keymap *km, int key, int cmd)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].key == key) {
			if (cmd < 0) {
				memmove(&km->b[i], &km->b[i + 1], (km->n - i - 1) * sizeof km->b[0]);
				km->n--;
			} else {
				km->b[i].cmd = cmd;
			}
			return 0;
		}
	if (cmd < 0)
		return 0;
	if (km->n == KM_MAX_BINDINGS)
		return -1;
	km->b[km->n++] = (struct binding){key, cmd};
	return 0;
}

/* One line: "key command", comments with '#'. 0 ok, -1 with 'msg'. */
static int parse_line(struct keymap *km, char *line, const char *const *commands, size_t ncmd,
		      char *msg, size_t mlen)
{
	char *hash = strchr(line, '#'); /* comments; the '#' key is not bindable */
	if (hash)
		*hash = '\0';
	char *key = strtok(line, " \t\r\n");
	if (!key)
		return 0;
	char *cmd = strtok(NULL, " \t\r\n");
	char *extra = strtok(NULL, " \t\r\n");
	if (!cmd || extra) {
		snprintf(msg, mlen, "expected 'KEY COMMAND'");
		return -1;
	}
	int k = keymap_key_parse(key), c = -1;
	if (k < 0) {
		snprintf(msg, mlen, "unknown key name '%.40s'", key);
		return -1;
	}
	if (strcmp(cmd, "none") != 0) {
		for (size_t i = 0; i < ncmd && c < 0; i++)
			if (strcmp(commands[i], cmd) == 0)
				c = (int)i;
		if (c < 0) {
			snprintf(msg, mlen, "unknown command '%.40s'", cmd);
			return -1;
		}
	}
	if (bind(km, k, c) < 0) {
		snprintf(msg, mlen, "too many bindings");
		return -1;
	}
	return 0;
}

int keymap_load(struct keymap *km, const char *path, const char *const *commands, size_t ncmd,
		char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? -2 : -1;
	}
	char line[512], msg[128];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (parse_line(km, line, commands, ncmd, msg, sizeof msg) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int keymap_lookup(const struct keymap *km, int key)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].key == key)
			return km->b[i].cmd;
	return -1;
}

size_t keymap_keys_for(const struct keymap *km, int cmd, int *keys, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < km->n && n < max; i++)
		if (km->b[i].cmd == cmd)
			keys[n++] = km->b[i].key;
	return n;
}
