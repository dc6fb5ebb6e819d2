/*
 * interest.h - the text of viewers' interest (interest.c; serve.h has the threads and the
 * calls the attach thread makes): what a viewer's store is watched for, as lines, and the
 * collector's reading of them. Pure code, no I/O: fuzzed (tests/fuzz/fuzz_interest.c).
 *
 *   watch NAME       a pane shows target NAME's sessions, locks or digests (store_watch)
 *   triage NAME      the triage pane shows target NAME (store_watch_triage)
 *   pi REGION/ID     Performance Insights of instance REGION/ID (store_pi_watch)
 *
 * The text is outside input on the collector's side: any ACL user that may write the stream
 * writes it. A set holds at most INTEREST_LINES lines of at most INTEREST_NAME - 1 bytes of
 * name, with no control bytes; a longer text is read only up to INTEREST_TEXT_MAX bytes, and
 * what does not fit or does not parse is skipped and counted.
 */
#ifndef DBFLEET_INTEREST_H
#define DBFLEET_INTEREST_H

#include <stddef.h>

#include "store.h"

#define INTEREST_LINES 64          /* lines of one viewer's set */
#define INTEREST_NAME STORE_PI_KEY /* a target name (< 64) or "REGION/ID" (< 100), with its NUL */
#define INTEREST_TEXT_MAX 8192     /* bytes of one set read */
#define INTEREST_VIEWERS 256       /* viewers' sets a collector keeps; past that the oldest goes */
#define INTEREST_VIEWER_MAX 128    /* bytes of a viewer id */
#define INTEREST_MAXLEN "1000"     /* the interest stream's approximate MAXLEN */

enum interest_kind { INTEREST_WATCH, INTEREST_TRIAGE, INTEREST_PI };

struct interest_line {
	int kind;                  /* enum interest_kind */
	char name[INTEREST_NAME];
};

struct interest_set {
	size_t n;
	struct interest_line line[INTEREST_LINES];
	size_t skipped;            /* lines not taken: unknown kind, bad or long name, past the cap */
};

/* Read 'len' bytes of outside text into 'out' (emptied first). Never fails: what does not
 * parse is skipped and counted. */
void interest_parse(const char *text, size_t len, struct interest_set *out);

/* The lines for what 'st' is watched for now, into 'out' (NUL-terminated, cut at a whole
 * line); how many lines. Names that could not be read back (control bytes, too long) are left
 * out. Any thread. */
size_t interest_format(struct store *st, char *out, size_t n);

/* The viewer's side of the renewal: a change of what it shows goes out at once, the same set
 * again every SERVE_INTEREST_EVERY_S. */
struct interest_pub {
	double due;                /* monotonic: the next renewal */
	unsigned long sum;         /* of the lines last said due */
};

/* 1 when the viewer should publish now (interest_publish): the renewal is due, or what 'st' is
 * watched for changed since the last 1; then the next renewal is set. Any thread. */
int interest_due(struct interest_pub *p, struct store *st);

#endif
