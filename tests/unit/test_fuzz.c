/*
 * Short fuzz runs (seeded, so a failure repeats): random and mutated input
 * into every parser of untrusted text, under ASan+UBSan in make check.
 * What must hold: no crash, no sanitizer report, and the sanitiser's
 * output never carries a byte below 0x20 or DEL.
 */
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../engines/my_private.h"
#include "../../panes/pane.h"
#include "../../tui/tui.h"
#include "check.h"

#define ROUNDS 20000

static unsigned seed = 12345;

static unsigned rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* Random bytes biased towards the interesting ones: ESC, C1, UTF-8 lead bytes, '=', '[', '@'. */
static size_t noise(char *buf, size_t max)
{
	static const char hot[] = "\x1b\x07\x9b\xc2\xe2\xf0\xed\xff\n\t=[]@:/?&#;%\\\"'";
	size_t n = rnd() % max;
	for (size_t i = 0; i < n; i++)
		buf[i] = rnd() % 3 ? (char)(rnd() % 256) : hot[rnd() % (sizeof hot - 1)];
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = 'x';
	return n;
}

static void sanitiser_never_passes_control_bytes(void)
{
	char in[300];
	for (int r = 0; r < ROUNDS; r++) {
		noise(in, sizeof in - 1);
		char *out = text_sanitize(in, 1 + rnd() % 200);
		CHECK(out != NULL);
		if (!out)
			return;
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			if (*p < 0x20 || *p == 0x7f) {
				CHECK(!"control byte passed the sanitiser");
				break;
			}
		int w;
		size_t fit = text_fit(out, (int)(rnd() % 40), &w);
		CHECK(fit <= strlen(out));
		free(out);
	}
}

static void config_and_keys_survive_garbage(void)
{
	char path[64], text[2000], raw[2000], err[1024];
	const char *cmds[] = {"quit", "help"};
	snprintf(path, sizeof path, "/tmp/dbfleet-fuzz-%d", (int)getpid());
	for (int r = 0; r < ROUNDS / 10; r++) {
		size_t n = noise(raw, sizeof raw - 1);
		memcpy(text, raw, n + 1);
		if (r % 2) /* well-formed sections, garbage values */
			n = (size_t)snprintf(text, sizeof text, "[dbfleet]\nrefresh = %.40s\n[target %.20s]\ndsn = %.60s\n",
					     raw, raw + n / 3, raw + n / 2);
		FILE *f = fopen(path, "w");
		fwrite(text, 1, n, f);
		fclose(f);
		struct options o;
		options_init(&o);
		int rc = config_load(&o, path, err, sizeof err);
		CHECK(rc == 0 || rc == -1);
		options_release(&o);
		struct keymap *km = keymap_new();
		rc = keymap_load(km, path, cmds, 2, err, sizeof err);
		CHECK(rc == 0 || rc == -1);
		keymap_free(&km);
	}
	unlink(path);
}

static void dsn_parsers_survive_garbage(void)
{
	char in[400];
	for (int r = 0; r < ROUNDS; r++) {
		noise(in, 200);
		char dsn[420];
		snprintf(dsn, sizeof dsn, "%s%s", r % 2 ? "mysql://" : "", in);
		struct my_dsn d;
		struct err e;
		int rc = my_dsn_parse(dsn, &d, &e);
		CHECK(rc == 0 || rc == -1);
		struct options o;
		options_init(&o);
		char err[256];
		config_add_dsn(&o, dsn, err, sizeof err);
		options_release(&o);
	}
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	text_init();
	RUN(sanitiser_never_passes_control_bytes);
	RUN(config_and_keys_survive_garbage);
	RUN(dsn_parsers_survive_garbage);
	return check_total_failed;
}
