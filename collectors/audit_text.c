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

#include "../model/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is written as \u escapes: controls, and what hides or turns text around. */
static int hidden(uint32_t c)
{
	return c == 0x7F || (c >= 0x80 && c < 0xA0) || utf8_hides(c);
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
		int n = utf8_decode(s, &c);
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
