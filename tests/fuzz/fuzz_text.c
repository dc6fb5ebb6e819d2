/*
 * fuzz_text - the sanitiser (panes/text.c) with a real oracle: its output is
 * valid UTF-8 and holds no C0, DEL, C1, ESC or bidi control, stays within
 * 'max' bytes, and the width text_width reports is the width curses draws
 * (getcurx after waddstr on an off-screen newterm, TERM=xterm-256color).
 * Input: one byte for 'max', then the text.
 */
#include <curses.h>
#include <locale.h>

#include "../../panes/pane.h"
#include "fuzz.h"

static WINDOW *pad;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	setlocale(LC_ALL, "C.UTF-8");
	text_init();
	FUZZ_ASSERT(text_utf8());
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	FUZZ_ASSERT(out && in);
	SCREEN *scr = newterm("xterm-256color", out, in);
	FUZZ_ASSERT(scr != NULL);
	pad = newpad(1, 4096); /* wider than any output: no wrap */
	FUZZ_ASSERT(pad != NULL);
	return 0;
}

/* Strict UTF-8 decoding, independent of text.c's: length, or 0 if invalid. */
static int decode(const unsigned char *s, uint32_t *cp)
{
	int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (!n)
		return 0;
	uint32_t c = n == 1 ? s[0] : s[0] & (0x7F >> n);
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

static int forbidden(uint32_t c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || /* C0, ESC, DEL, C1 */
	       c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069); /* bidi marks, embeddings, overrides, isolates */
}

/* What the sanitiser gives back is safe to draw; 'nl': newlines allowed. */
static void check_clean(const char *out, int nl)
{
	const unsigned char *s = (const unsigned char *)out;
	while (*s) {
		uint32_t c;
		int n = decode(s, &c);
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(!forbidden(c) || (nl && c == '\n'));
		s += n;
	}
}

/* The width text_width reports is the width curses draws. */
static void check_width(const char *out)
{
	werase(pad);
	wmove(pad, 0, 0);
	waddstr(pad, out);
	int drawn = getcurx(pad), said = text_width(out);
	if (drawn != said) {
		fprintf(stderr, "text_width %d, curses drew %d:", said, drawn);
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			fprintf(stderr, " %02x", *p);
		fputc('\n', stderr);
	}
	FUZZ_ASSERT(drawn == said);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t max = 1 + data[0];
	char *in = fuzz_cstr(data + 1, size - 1);
	char *out = text_sanitize(in, max);
	FUZZ_ASSERT(out != NULL);
	FUZZ_ASSERT(strlen(out) <= max);
	check_clean(out, 0);
	check_width(out);
	int cols = data[0] % 64, used;
	size_t fit = text_fit(out, cols, &used);
	FUZZ_ASSERT(fit <= strlen(out) && used <= cols);
	uint32_t c;
	FUZZ_ASSERT(!out[fit] || decode((const unsigned char *)out + fit, &c) > 0); /* cut between characters */
	free(out);
	out = text_sanitize_lines(in, max);
	FUZZ_ASSERT(out != NULL && strlen(out) <= max);
	check_clean(out, 1);
	free(out);
	free(in);
	return 0;
}
