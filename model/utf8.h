/*
 * utf8.h - what the screen's sanitiser (panes/text.c) and the audit log
 * (collectors/audit_text.c) both need to know of outside text: one UTF-8
 * decoder and one list of the characters that hide or turn text around.
 */
#ifndef DBFLEET_UTF8_H
#define DBFLEET_UTF8_H

#include <stdint.h>

/* Decode one sequence at 's'; its length (1-4), or 0 if invalid (overlong, surrogate, past U+10FFFF). */
int utf8_decode(const unsigned char *s, uint32_t *cp);
/*
 * 1 for a character that changes how the text around it reads or shows
 * nothing: bidi controls (a name that reads backwards), zero-width and
 * invisible characters, blank fillers and tag characters (two names that
 * look the same but are not), line and paragraph separators, the soft hyphen.
 */
int utf8_hides(uint32_t c);

#endif
