/*
 * text.c - the one terminal-safe text function, and width measuring.
 *
 * Text from a database is hostile: an application_name may hold ESC [2J or
 * an OSC 52 clipboard write. Nothing below 0x20, no DEL, no C1 control and
 * no bidi override ever leaves here raw; each is shown as visible text.
 */
#include "pane.h"

#include "../model/utf8.h"

#include <langinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static int utf8;

void text_init(void)
{
	const char *cs = nl_langinfo(CODESET);
	utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int text_utf8(void)
{
	return utf8;
}

/*
 * A code point of 0x80 or more shown as <U+hex code>: C1 controls, the
 * invisible and direction-changing ones, what the terminal cannot draw, and
 * a combining mark at the start (it would join the character drawn before
 * the text: a column separator, an escape's '>').
 */
static int must_escape(uint32_t c, int leading)
{
	if (c < 0xA0 || utf8_hides(c) || !utf8)
		return 1;
	int w = wcwidth((wchar_t)c);
	return w < 0 || (w == 0 && leading);
}

/* Append 'len' bytes if they fit in 'max'; 0 when full. */
static int put(char *out, size_t *o, size_t max, const char *s, size_t len)
{
	if (*o + len > max)
		return 0;
	memcpy(out + *o, s, len);
	*o += len;
	return 1;
}

/* Printable ASCII alone, and its length: nothing to escape (most cells of a fleet). */
static size_t plain_ascii(const char *in, int *plain)
{
	size_t n = 0;
	*plain = 1;
	for (; in[n]; n++)
		if ((unsigned char)in[n] < 0x20 || (unsigned char)in[n] > 0x7E)
			*plain = 0;
	return n;
}

char *text_sanitize(const char *in, size_t max)
{
	if (!in)
		in = "";
	int plain;
	size_t len = plain_ascii(in, &plain);
	if (plain) { /* the fast path: a copy, cut to 'max' */
		len = len < max ? len : max;
		char *copy = malloc(len + 1);
		if (copy) {
			memcpy(copy, in, len);
			copy[len] = '\0';
		}
		return copy;
	}
	char *out = malloc(max + 1);
	if (!out)
		return NULL;
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	int after_escape = 1; /* nothing shown yet: a combining mark would join what is beside the text */
	while (*s) {
		uint32_t c;
		int n = utf8_decode(s, &c);
		int ok = 1, escaped = 0;
		if (n == 0) {
			ok = utf8 ? put(out, &o, max, "\xEF\xBF\xBD", 3) : put(out, &o, max, "?", 1);
			n = 1;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			ok = put(out, &o, max, " ", 1);
		} else if (c < 0x20 || c == 0x7F) {
			char esc[2] = {'^', (char)(c == 0x7F ? '?' : c + 0x40)};
			ok = put(out, &o, max, esc, 2);
			escaped = 1;
		} else if (c >= 0x80 && must_escape(c, after_escape)) {
			char esc[16];
			int k = snprintf(esc, sizeof esc, "<U+%04X>", (unsigned)c);
			ok = put(out, &o, max, esc, (size_t)k);
			escaped = 1;
		} else {
			ok = put(out, &o, max, (const char *)s, (size_t)n);
		}
		if (!ok)
			break;
		after_escape = escaped;
		s += n;
	}
	out[o] = '\0';
	char *fit = realloc(out, o + 1); /* a cell holds what it needs, not 'max' */
	return fit ? fit : out;
}

size_t text_fit(const char *s, int cols, int *used)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;
	size_t o = 0;
	while (p[o]) {
		uint32_t c;
		int n = utf8_decode(p + o, &c);
		int cw = 1;
		if (n == 0)
			n = 1;
		else if (c >= 0x80)
			cw = wcwidth((wchar_t)c) < 0 ? 1 : wcwidth((wchar_t)c);
		if (w + cw > cols)
			break;
		w += cw;
		o += (size_t)n;
	}
	if (used)
		*used = w;
	return o;
}

int text_width(const char *s)
{
	int w;
	text_fit(s, 1 << 30, &w);
	return w;
}

char *text_sanitize_lines(const char *text, size_t cap)
{
	size_t o = 0;
	char *out = malloc(cap + 1);
	if (!out)
		return NULL;
	const char *s = text;
	while (*s && o < cap) {
		size_t len = strcspn(s, "\n");
		char *line = malloc(len + 1);
		if (!line)
			break;
		memcpy(line, s, len);
		line[len] = '\0';
		char *clean = text_sanitize(line, cap - o);
		free(line);
		if (!clean)
			break;
		size_t cl = strlen(clean);
		memcpy(out + o, clean, cl);
		o += cl;
		free(clean);
		if (s[len] == '\n' && o < cap)
			out[o++] = '\n';
		s += len + (s[len] == '\n');
	}
	out[o] = '\0';
	return out;
}
