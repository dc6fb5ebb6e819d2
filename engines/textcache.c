/* textcache.c - statement texts by id, fetched on demand. */
#include "textcache.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Room for one more element in a doubling array: the (maybe moved) array, or NULL on OOM. */
static void *grow(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : first;
	void *na = realloc(arr, ncap * elem);
	if (na)
		*cap = ncap;
	return na;
}

static struct text_entry *find(struct textcache *tc, int64_t id)
{
	for (size_t i = 0; i < tc->n; i++)
		if (tc->e[i].id == id)
			return &tc->e[i];
	return NULL;
}

const char *textcache_get(struct textcache *tc, int64_t id)
{
	struct text_entry *e = find(tc, id);
	if (e) {
		e->last_used = tc->now;
		return e->text;
	}
	for (size_t i = 0; i < tc->nwant; i++)
		if (tc->want[i] == id)
			return NULL;
	if (tc->nwant < TEXTCACHE_FETCH_MAX)
		tc->want[tc->nwant++] = id;
	return NULL;
}

int textcache_put(struct textcache *tc, int64_t id, const char *text)
{
	if (find(tc, id))
		return 0;
	struct text_entry *ne = grow(tc->e, tc->n, &tc->cap, sizeof *ne, 64);
	if (!ne)
		return -1;
	tc->e = ne;
	char *t = strdup(text);
	if (!t)
		return -1;
	tc->e[tc->n++] = (struct text_entry){id, t, tc->now};
	return 0;
}

void textcache_tick(struct textcache *tc)
{
	size_t o = 0;
	tc->now++;
	for (size_t i = 0; i < tc->n; i++) {
		if (tc->now - tc->e[i].last_used > TEXTCACHE_KEEP)
			free(tc->e[i].text);
		else
			tc->e[o++] = tc->e[i];
	}
	tc->n = o;
}

void textcache_keys_reset(struct textcache *tc)
{
	tc->nkeys = 0;
}

int textcache_key(struct textcache *tc, int64_t id, const char *key)
{
	const char *hex = key + (key[0] == '0' && (key[1] == 'x' || key[1] == 'X') ? 2 : 0);
	size_t len = strlen(key);
	/* the key is pasted into SQL: hex digits only, and it must fit */
	if (!*hex || strspn(hex, "0123456789abcdefABCDEF") != strlen(hex) || len >= sizeof tc->keys[0].key)
		return -1;
	struct text_key *nk = grow(tc->keys, tc->nkeys, &tc->capkeys, sizeof *nk, 256);
	if (!nk)
		return -1;
	tc->keys = nk;
	tc->keys[tc->nkeys].id = id;
	memcpy(tc->keys[tc->nkeys++].key, key, len + 1);
	return 0;
}

int textcache_wanted_keys(struct textcache *tc, char *out, size_t n)
{
	size_t o = 0;
	int k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < tc->nwant; i++)
		for (size_t j = 0; j < tc->nkeys; j++)
			if (tc->keys[j].id == tc->want[i] && o + sizeof tc->keys[0].key + 4 < n) {
				o += (size_t)snprintf(out + o, n - o, "%s'%s'", k++ ? "," : "", tc->keys[j].key);
				break;
			}
	tc->nwant = 0;
	return k;
}

void textcache_release(struct textcache *tc)
{
	for (size_t i = 0; i < tc->n; i++)
		free(tc->e[i].text);
	free(tc->e);
	free(tc->keys);
	memset(tc, 0, sizeof *tc);
}
