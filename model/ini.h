/*
 * ini.h - the one INI reader: dbfleet.conf(5), ~/.aws/config and ~/.aws/credentials.
 *
 * "[section]" headers, "key = value" lines, whole-line comments starting with
 * '#' or ';', blank lines; whitespace around names and values is dropped. No
 * inline comments: a value keeps every '#' and ';' (commands, DSNs). Lines have
 * no length limit. Any thread; no state between calls.
 */
#ifndef DBFLEET_INI_H
#define DBFLEET_INI_H

#include <stddef.h>

#include "err.h"

/* What the handler is given; the strings live until the handler returns. */
struct ini_line {
	const char *file;    /* the path as given to ini_read */
	int line;            /* 1-based */
	const char *section; /* "" before the first header */
	const char *key;     /* NULL on a section header line */
	const char *value;   /* NULL on a section header line */
};

/*
 * Called for each section header and each key = value, in file order.
 * Return 0 to go on, a positive number to stop reading (ini_read returns it),
 * or -1 to stop with 'e' filled: the handler words the message, position
 * included (l->file, l->line), so a nested read's message passes through.
 */
typedef int (*ini_handler)(void *ctx, const struct ini_line *l, struct err *e);

enum ini_flags {
	/* the AWS CLI's leniency: a line without '=' and text after a header's ']' are ignored */
	INI_LENIENT = 1,
};

/*
 * Read 'path' through 'fn'. 0 at the end of the file, the handler's positive
 * value when it stopped early, -1 with "FILE:LINE: message" in 'e' for a
 * malformed line (or the handler's error), -2 with "FILE: reason" in 'e' and
 * errno kept when the file cannot be opened.
 */
int ini_read(const char *path, unsigned flags, ini_handler fn, void *ctx, struct err *e);

#endif
