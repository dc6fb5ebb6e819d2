/*
 * textcache.h - statement texts by id, kept per connection (engines only).
 *
 * Engines read counters for every statement but texts only for the few the
 * collector shows: a miss is remembered and fetched with the next sample.
 */
#ifndef DBFLEET_TEXTCACHE_H
#define DBFLEET_TEXTCACHE_H

#include <stddef.h>
#include <stdint.h>

#define TEXTCACHE_FETCH_MAX 200
#define TEXTCACHE_KEEP 30 /* samples an unused text is kept */

struct text_entry {
	int64_t id;
	char *text;
	unsigned last_used;
};

struct textcache {
	struct text_entry *e;
	size_t n, cap;
	int64_t want[TEXTCACHE_FETCH_MAX]; /* misses to fetch next time */
	size_t nwant;
	unsigned now;                      /* sample counter */
};

/* The text for 'id', or NULL (and 'id' is wanted next time). */
const char *textcache_get(struct textcache *tc, int64_t id);
/* Store a fetched text (copied); 0 or -1 on OOM. */
int textcache_put(struct textcache *tc, int64_t id, const char *text);
/* After a sample: count it, forget texts unused for a while. */
void textcache_tick(struct textcache *tc);
void textcache_release(struct textcache *tc);

#endif
