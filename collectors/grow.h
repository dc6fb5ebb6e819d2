/*
 * grow.h - an array that grows without moving its elements, so other
 * threads may keep reading element i while element j is added (chunks are
 * never reallocated; the count that makes them visible is the caller's
 * atomic). No ceiling but memory: GROW_CHUNKS * GROW_CHUNK elements.
 * Collectors only.
 */
#ifndef DBFLEET_GROW_H
#define DBFLEET_GROW_H

#include <stdatomic.h>
#include <stddef.h>

#define GROW_CHUNK 256
#define GROW_CHUNKS 4096 /* 1,048,576 elements */

struct grow {
	size_t elem;                          /* immutable: element size */
	void *_Atomic chunk[GROW_CHUNKS];
};

/* An empty array of 'elem'-sized elements. */
void grow_init(struct grow *g, size_t elem);
/* Element 'i', which grow_make() made before. */
static inline void *grow_at(const struct grow *g, size_t i)
{
	char *c = atomic_load_explicit(&g->chunk[i / GROW_CHUNK], memory_order_acquire);
	return c + (i % GROW_CHUNK) * g->elem;
}
/* Make element 'i' exist (zeroed); it, or NULL on OOM or past the end. One thread at a time. */
void *grow_make(struct grow *g, size_t i);
void grow_release(struct grow *g);

#endif
