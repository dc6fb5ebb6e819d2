/* codec_private.h - the field tables behind codec.c (collectors/ internal: codec.c, codec_tables.c). */
#ifndef DBFLEET_CODEC_PRIVATE_H
#define DBFLEET_CODEC_PRIVATE_H

#include "codec.h"

/* A reader over [p, p+n); 'pos' never passes 'n'. */
struct rd {
	const uint8_t *p;
	size_t n, pos;
};

/* Field types: how a struct member is written (see codec.h). */
enum ft {
	FT_I32, FT_U32, FT_I64, FT_U64,
	FT_DBL,     /* double */
	FT_MS,      /* double seconds, kept to the millisecond */
	FT_STR,     /* char[size], NUL-terminated */
	FT_PSTR,    /* char *, owned, NULL allowed */
	FT_I32ARR,  /* int[size / 4], as raw little-endian bytes */
	FT_DBLARR,  /* double[size / 8], the same */
};

#define FD_ALWAYS 1 /* written even when equal to the base: the record's key */
#define FD_DIFF 2   /* an integer written as its difference from the base's (FT_I64 counters) */

struct fdesc {
	unsigned tag;
	unsigned char type;   /* enum ft */
	unsigned char flags;
	size_t off, size;
};

struct mdesc;

/* An array of messages: a heap pointer + size_t count, or inline (inline_cap) + int count. */
struct adesc {
	unsigned count_tag, elem_tag;
	size_t ptr_off, n_off, inline_cap, elem_size;
	const struct mdesc *elem;
	int (*same)(const void *a, const void *b); /* same identity (delta base); NULL: by place */
};

struct mdesc {
	const struct fdesc *f;
	size_t nf;
	const struct adesc *a;
	size_t na;
};

/* In an element's message: its place in the array, and its base (1 + index; 0 none) if not the same place. */
#define ELEM_TAG_POS 1
#define ELEM_TAG_BASE 2
#define ARRAY_BYTES_MAX ((size_t)64 << 20) /* one decoded array at most */

/* Write the fields of 'obj' that differ from 'base' (NULL: zero); 0 or -1 (OOM). */
int msg_put(struct codec_buf *out, const struct mdesc *m, const void *obj, const void *base);
/* 'obj' = a copy of 'base' (NULL: as the caller zeroed it) with the fields read applied; 0 or -1 with 'err'. */
int msg_get(const uint8_t *p, size_t n, const struct mdesc *m, void *obj, const void *base, struct err *err);
/* Only the FD_ALWAYS fields (not strings) into 'obj'; 0 or -1. */
int msg_peek(const uint8_t *p, size_t n, const struct mdesc *m, void *obj);
int msg_copy(const struct mdesc *m, void *dst, const void *src);
void msg_release(const struct mdesc *m, void *obj);
int msg_equal(const struct mdesc *m, const void *a, const void *b);

#endif
