/* utf8.c - one UTF-8 decoder and one list of hiding characters. */
#include "utf8.h"

int utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	int n = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (!n)
		return 0;
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

int utf8_hides(uint32_t c)
{
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
	       c == 0x200F || c == 0x061C || (c >= 0x2028 && c <= 0x2029) || /* bidi, separators */
	       (c >= 0x200B && c <= 0x200D) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF ||
	       c == 0x180E || c == 0x034F || (c >= 0xFFF9 && c <= 0xFFFB) || /* zero-width, invisible */
	       c == 0x00AD ||                                                  /* soft hyphen */
	       c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 ||   /* blank fillers */
	       (c >= 0xE0000 && c <= 0xE007F);                                 /* tags */
}
