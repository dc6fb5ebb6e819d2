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

/* The server's own key for a statement id (a digest, a query_hash), to ask for its text. */
struct text_key {
	int64_t id;
	char key[68];
};

struct textcache {
	struct text_entry *e;
	size_t n, cap;
	struct text_key *keys;             /* of the last sample's statements */
	size_t nkeys, capkeys;
	int64_t want[TEXTCACHE_FETCH_MAX]; /* misses to fetch next time */
	size_t nwant;
	unsigned now;                      /* sample counter */
};

/* The text for 'id', or NULL (and 'id' is wanted next time). */
const char *textcache_get(struct textcache *tc, int64_t id);
/* Store a fetched text (copied); 0 or -1 on OOM. */
int textcache_put(struct textcache *tc, int64_t id, const char *text);
/* Forget the keys of the last sample, before recording this one's. */
void textcache_keys_reset(struct textcache *tc);
/* Remember the server key (hex only, else refused) of statement 'id'; 0, or -1. */
int textcache_key(struct textcache *tc, int64_t id, const char *key);
/* The keys of wanted texts as a quoted SQL list ('a','b'); how many. Clears the wants. */
int textcache_wanted_keys(struct textcache *tc, char *out, size_t n);

/* After a sample: count it, forget texts unused for a while. */
void textcache_tick(struct textcache *tc);
void textcache_release(struct textcache *tc);

#endif
