/* grow.c - chunks that never move. */
#include "grow.h"

#include <stdlib.h>

void grow_init(struct grow *g, size_t elem)
{
	g->elem = elem;
	for (size_t i = 0; i < GROW_CHUNKS; i++)
		atomic_init(&g->chunk[i], NULL);
}

void *grow_make(struct grow *g, size_t i)
{
	if (i / GROW_CHUNK >= GROW_CHUNKS)
		return NULL;
	if (!atomic_load(&g->chunk[i / GROW_CHUNK])) {
		void *c = calloc(GROW_CHUNK, g->elem);
		if (!c)
			return NULL;
		atomic_store_explicit(&g->chunk[i / GROW_CHUNK], c, memory_order_release);
	}
	return grow_at(g, i);
}

void grow_release(struct grow *g)
{
	for (size_t i = 0; i < GROW_CHUNKS; i++) {
		free(atomic_load(&g->chunk[i]));
		atomic_store(&g->chunk[i], NULL);
	}
}
