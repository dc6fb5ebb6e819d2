/*
 * audit_text.c - the audit log's lines made safe to read (audit_text.h).
 *
 * A role or a query can carry U+202E (a name that reads backwards), a C1
 * control (0x9b is CSI for some terminals) or bytes that are not UTF-8
 * (which make the line invalid JSON). cJSON escapes only what is below
 * 0x20; this pass escapes the rest, so `cat audit.log` and `jq` both show
 * what was there.
 */
#include "audit_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode one UTF-8 sequence; its length, or 0 if invalid (overlong, surrogate, past U+10FFFF). */
static int decode(const unsigned char *s, uint32_t *cp)
{
	int n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		: s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (n <= 1) {
		*cp = s[0];
		return n;
	}
	uint32_t c = s[0] & (0x7F >> n);
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	*cp = c;
	return n;
}

/* What is written as \uXXXX: controls, and what hides or turns text around. */
static int hidden(uint32_t c)
{
	return c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0x00AD || c == 0x034F || c == 0x061C ||
	       c == 0x180E || (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
	       (c >= 0xE0000 && c <= 0xE007F);
}

char *audit_text_escape(const char *json)
{
	size_t len = strlen(json);
	char *out = malloc(len * 6 + 1); /* at worst one byte becomes \ufffd */
	if (!out)
		return NULL;
	const unsigned char *s = (const unsigned char *)json;
	size_t o = 0;
	while (*s) {
		uint32_t c;
		int n = decode(s, &c);
		if (n == 0) {
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
			s++;
			continue;
		}
		if (!hidden(c)) {
			memcpy(out + o, s, (size_t)n);
			o += (size_t)n;
		} else if (c < 0x10000) {
			o += (size_t)snprintf(out + o, 7, "\\u%04x", (unsigned)c);
		} else { /* a surrogate pair: 4 bytes in, 12 out, within the 6 a byte */
			c -= 0x10000;
			o += (size_t)snprintf(out + o, 13, "\\u%04x\\u%04x", (unsigned)(0xD800 + (c >> 10)),
					     (unsigned)(0xDC00 + (c & 0x3FF)));
		}
		s += n;
	}
	out[o] = '\0';
	return out;
}
