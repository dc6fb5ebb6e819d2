/*
 * codec.c - frames, varints and the table-driven field encoder behind
 * codec.h. Each record type is a table of fields (codec_tables.c: tag, type,
 * offset); one encoder writes the fields that differ from a base (zero for
 * a key frame) and one decoder starts from a copy of the base and applies
 * what it reads. Every length and count read is checked against what is
 * left of the buffer before it is used.
 */
#include "codec_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffers, varints ---- */

void codec_buf_release(struct codec_buf *b)
{
	free(b->p);
	*b = (struct codec_buf){0};
}

static int buf_room(struct codec_buf *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void put_bytes(struct codec_buf *b, const void *p, size_t n)
{
	if (buf_room(b, n) == 0 && n) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	}
}

static size_t varint_to(uint8_t *o, uint64_t v)
{
	size_t n = 0;
	do {
		o[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

static void put_varint(struct codec_buf *b, uint64_t v)
{
	uint8_t t[10];
	put_bytes(b, t, varint_to(t, v));
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static void put_le(struct codec_buf *b, uint64_t v, int n)
{
	uint8_t t[8];
	for (int i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	put_bytes(b, t, (size_t)n);
}

static int get_varint(struct rd *r, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->pos >= r->n)
			return -1;
		uint8_t c = r->p[r->pos++];
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

static int get_le(struct rd *r, int n, uint64_t *v)
{
	if (r->n - r->pos < (size_t)n)
		return -1;
	*v = 0;
	for (int i = 0; i < n; i++)
		*v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
	r->pos += (size_t)n;
	return 0;
}

/* ---- CRC32C, bitwise table ---- */

uint32_t codec_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static _Atomic int ready;
	if (!ready) { /* racing threads write the same values */
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- frames ---- */

int codec_frame(struct codec_buf *out, int type, const struct codec_buf *payload)
{
	if (payload->oom || payload->len > CODEC_PAYLOAD_MAX)
		return -1;
	uint8_t head[CODEC_FRAME_HEAD_MAX] = {0xDB, 0xF1, (uint8_t)type};
	size_t h = 3 + varint_to(head + 3, payload->len);
	uint32_t crc = codec_crc32c(codec_crc32c(0, head + 2, h - 2), payload->p, payload->len);
	for (int i = 0; i < 4; i++)
		head[h++] = (uint8_t)(crc >> (8 * i));
	put_bytes(out, head, h);
	put_bytes(out, payload->p, payload->len);
	return out->oom ? -1 : 0;
}

enum codec_scan codec_unframe(const uint8_t *p, size_t n, struct codec_frame *f)
{
	if (n >= 1 && p[0] != 0xDB)
		return CODEC_FRAME_BAD;
	if (n >= 2 && p[1] != 0xF1)
		return CODEC_FRAME_BAD;
	struct rd r = {p, n < CODEC_FRAME_HEAD_MAX ? n : CODEC_FRAME_HEAD_MAX, 3};
	uint64_t len;
	if (n < 3 || get_varint(&r, &len) < 0)
		return n < CODEC_FRAME_HEAD_MAX ? CODEC_FRAME_SHORT : CODEC_FRAME_BAD;
	if (len > CODEC_PAYLOAD_MAX || r.pos > 8)
		return CODEC_FRAME_BAD;
	size_t h = r.pos + 4;
	if (n < h || n - h < len)
		return CODEC_FRAME_SHORT;
	uint32_t crc = codec_crc32c(codec_crc32c(0, p + 2, r.pos - 2), p + h, (size_t)len);
	uint32_t want = (uint32_t)p[r.pos] | (uint32_t)p[r.pos + 1] << 8 | (uint32_t)p[r.pos + 2] << 16 |
			(uint32_t)p[r.pos + 3] << 24;
	if (crc != want)
		return CODEC_FRAME_BAD;
	*f = (struct codec_frame){.type = p[2], .payload = p + h, .len = (size_t)len, .size = h + (size_t)len};
	return CODEC_FRAME_OK;
}

/* ---- fields ---- */

#define WIRE_VARINT 0
#define WIRE_FIX64 1
#define WIRE_LEN 2
#define WIRE_FIX32 5
#define AT(obj, off) ((char *)(obj) + (off))
#define CAT(obj, off) ((const char *)(obj) + (off))
#define INT_DBL_MAX 9007199254740992.0 /* 2^53: whole numbers a double holds exactly */
#define MS_MAX 8796093022208.0          /* 2^43 ms (278 years): k / 1000 * 1000 rounds back to k */

static void put_key(struct codec_buf *b, unsigned tag, int wire) { put_varint(b, (uint64_t)tag << 3 | (unsigned)wire); }

static void put_double(struct codec_buf *b, unsigned tag, double v)
{
	if (fabs(v) < INT_DBL_MAX && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
		put_key(b, tag, WIRE_VARINT);
		put_varint(b, zigzag((int64_t)v));
	} else if (!isnan(v) && fabs(v) <= 3.4e38 && (double)(float)v == v) {
		float f = (float)v;
		uint32_t u;
		memcpy(&u, &f, 4);
		put_key(b, tag, WIRE_FIX32);
		put_le(b, u, 4);
	} else {
		uint64_t u;
		memcpy(&u, &v, 8);
		put_key(b, tag, WIRE_FIX64);
		put_le(b, u, 8);
	}
}

static int64_t int_of(const struct fdesc *f, const void *p)
{
	int32_t i32;
	int64_t i64;
	uint32_t u32;
	uint64_t u64;
	switch (f->type) {
	case FT_I32: memcpy(&i32, p, 4); return i32;
	case FT_U32: memcpy(&u32, p, 4); return u32;
	case FT_I64: memcpy(&i64, p, 8); return i64;
	default: memcpy(&u64, p, 8); return (int64_t)u64;
	}
}

static void set_int(const struct fdesc *f, void *p, int64_t v)
{
	int32_t i32 = (int32_t)(uint32_t)v;
	uint64_t u64 = (uint64_t)v;
	if (f->type == FT_I32 || f->type == FT_U32)
		memcpy(p, &i32, 4);
	else
		memcpy(p, &u64, 8);
}

static const char *pstr_of(const void *p)
{
	const char *s;
	memcpy(&s, p, sizeof s);
	return s;
}

/* 1 if field 'f' of 'a' and 'b' (NULL: all zero) holds the same value. */
static int field_same(const struct fdesc *f, const void *a, const void *b)
{
	const char *pa = CAT(a, f->off), *pb = b ? CAT(b, f->off) : NULL;
	static const char zero[8];
	switch (f->type) {
	case FT_STR: return !strncmp(pa, pb ? pb : "", f->size);
	case FT_PSTR: {
		const char *sa = pstr_of(pa), *sb = pb ? pstr_of(pb) : NULL;
		return sa == sb || (sa && sb && !strcmp(sa, sb));
	}
	case FT_I32ARR: case FT_DBLARR:
		if (pb)
			return !memcmp(pa, pb, f->size);
		for (size_t i = 0; i < f->size; i++)
			if (pa[i])
				return 0;
		return 1;
	default: {
		size_t w = f->type == FT_I32 || f->type == FT_U32 ? 4 : 8;
		return !memcmp(pa, pb ? pb : zero, w);
	}
	}
}

static void put_field(struct codec_buf *b, const struct fdesc *f, const void *obj, const void *base)
{
	const char *p = CAT(obj, f->off);
	double d;
	switch (f->type) {
	case FT_DBL:
		memcpy(&d, p, 8);
		put_double(b, f->tag, d);
		break;
	case FT_MS:
		memcpy(&d, p, 8);
		put_key(b, f->tag, WIRE_VARINT);
		put_varint(b, zigzag(isfinite(d) && fabs(d * 1000) < MS_MAX ? llround(d * 1000) : 0));
		break;
	case FT_STR: {
		size_t len = strnlen(p, f->size);
		put_key(b, f->tag, WIRE_LEN);
		put_varint(b, len);
		put_bytes(b, p, len);
		break;
	}
	case FT_PSTR: {
		const char *s = pstr_of(p);
		put_key(b, f->tag, s ? WIRE_LEN : WIRE_VARINT);
		put_varint(b, s ? strlen(s) : 0);
		if (s)
			put_bytes(b, s, strlen(s));
		break;
	}
	case FT_I32ARR: case FT_DBLARR:
		put_key(b, f->tag, WIRE_LEN);
		put_varint(b, f->size);
		put_bytes(b, p, f->size); /* host order: little-endian machines write LE (checked in codec_tables.c) */
		break;
	default:
		put_key(b, f->tag, WIRE_VARINT);
		if (f->flags & FD_DIFF) /* a counter: what it grew by since the base (wrapping, never overflowing) */
			put_varint(b, zigzag((int64_t)((uint64_t)int_of(f, p) - (uint64_t)(base ? int_of(f, CAT(base, f->off)) : 0))));
		else
			put_varint(b, f->type == FT_U32 || f->type == FT_U64 ? (uint64_t)int_of(f, p) : zigzag(int_of(f, p)));
	}
}

/* Read the value of a field of wire type 'wire' into 'obj' (f: its descriptor); 0 or -1. */
static int get_field(struct rd *r, const struct fdesc *f, int wire, void *obj)
{
	char *p = AT(obj, f->off);
	uint64_t v, len;
	double d;
	float fl;
	if (f->type == FT_STR || f->type == FT_I32ARR || f->type == FT_DBLARR || (f->type == FT_PSTR && wire == WIRE_LEN)) {
		if (wire != WIRE_LEN || get_varint(r, &len) < 0 || len > r->n - r->pos)
			return -1;
		const char *s = (const char *)r->p + r->pos;
		r->pos += (size_t)len;
		if (f->type == FT_STR) {
			size_t k = strnlen(s, len < f->size - 1 ? (size_t)len : f->size - 1); /* a NUL ends it */
			memcpy(p, s, k);
			memset(p + k, 0, f->size - k);
		} else if (f->type == FT_PSTR) {
			char *dup = malloc((size_t)len + 1), *old = (char *)pstr_of(p);
			if (!dup)
				return -1;
			memcpy(dup, s, (size_t)len);
			dup[len] = '\0';
			free(old);
			memcpy(p, &dup, sizeof dup);
		} else {
			if (len != f->size)
				return -1;
			memcpy(p, s, f->size);
		}
		return 0;
	}
	if (f->type == FT_PSTR) { /* a varint: no text */
		char *old = (char *)pstr_of(p), *none = NULL;
		free(old);
		memcpy(p, &none, sizeof none);
		return wire == WIRE_VARINT && get_varint(r, &v) == 0 ? 0 : -1;
	}
	if (wire == WIRE_FIX64 && f->type == FT_DBL) {
		if (get_le(r, 8, &v) < 0)
			return -1;
		memcpy(p, &v, 8);
		return 0;
	}
	if (wire == WIRE_FIX32 && f->type == FT_DBL) {
		if (get_le(r, 4, &v) < 0)
			return -1;
		uint32_t u = (uint32_t)v;
		memcpy(&fl, &u, 4);
		d = fl;
		memcpy(p, &d, 8);
		return 0;
	}
	if (wire != WIRE_VARINT || get_varint(r, &v) < 0)
		return -1;
	if (f->type == FT_DBL || f->type == FT_MS) {
		int64_t i = unzigzag(v);
		double lim = f->type == FT_MS ? MS_MAX : INT_DBL_MAX;
		if ((double)i >= lim || (double)i <= -lim)
			return -1;
		d = f->type == FT_MS ? (double)i / 1000 : (double)i;
		memcpy(p, &d, 8);
	} else {
		/* a counter adds to the value it holds: the base's (or zero, in a key frame or a new element) */
		int64_t x = f->flags & FD_DIFF ? (int64_t)((uint64_t)int_of(f, p) + (uint64_t)unzigzag(v))
			  : f->type == FT_U32 || f->type == FT_U64 ? (int64_t)v : unzigzag(v);
		set_int(f, p, x);
	}
	return 0;
}

static int skip_field(struct rd *r, int wire)
{
	uint64_t v;
	switch (wire) {
	case WIRE_VARINT: return get_varint(r, &v);
	case WIRE_FIX64: return get_le(r, 8, &v);
	case WIRE_FIX32: return get_le(r, 4, &v);
	case WIRE_LEN:
		if (get_varint(r, &v) < 0 || v > r->n - r->pos)
			return -1;
		r->pos += (size_t)v;
		return 0;
	default: return -1;
	}
}

/* ---- arrays ---- */

static size_t arr_count(const struct adesc *a, const void *obj)
{
	if (!obj)
		return 0;
	if (a->inline_cap) {
		int n;
		memcpy(&n, CAT(obj, a->n_off), sizeof n);
		return n < 0 ? 0 : (size_t)n > a->inline_cap ? a->inline_cap : (size_t)n;
	}
	size_t n;
	memcpy(&n, CAT(obj, a->n_off), sizeof n);
	return n;
}

static char *arr_items(const struct adesc *a, const void *obj)
{
	if (!obj)
		return NULL;
	if (a->inline_cap)
		return (char *)CAT(obj, a->ptr_off);
	char *p;
	memcpy(&p, CAT(obj, a->ptr_off), sizeof p);
	return p;
}

static void set_count(const struct adesc *a, void *obj, size_t n)
{
	if (a->inline_cap) {
		int i = (int)n;
		memcpy(AT(obj, a->n_off), &i, sizeof i);
	} else {
		memcpy(AT(obj, a->n_off), &n, sizeof n);
	}
}

void msg_release(const struct mdesc *m, void *obj)
{
	for (size_t i = 0; i < m->nf; i++)
		if (m->f[i].type == FT_PSTR) {
			free((char *)pstr_of(CAT(obj, m->f[i].off)));
			char *none = NULL;
			memcpy(AT(obj, m->f[i].off), &none, sizeof none);
		}
	for (size_t i = 0; i < m->na; i++) {
		const struct adesc *a = &m->a[i];
		size_t n = arr_count(a, obj);
		char *items = arr_items(a, obj);
		for (size_t k = 0; items && k < n; k++)
			msg_release(a->elem, items + k * a->elem_size);
		if (!a->inline_cap) {
			free(items);
			items = NULL;
			memcpy(AT(obj, a->ptr_off), &items, sizeof items);
		}
		set_count(a, obj, 0);
	}
}

int msg_copy(const struct mdesc *m, void *dst, const void *src)
{
	for (size_t i = 0; i < m->nf; i++) {
		const struct fdesc *f = &m->f[i];
		if (f->type != FT_PSTR) {
			size_t w = f->type == FT_STR || f->type >= FT_I32ARR ? f->size
				   : f->type == FT_I32 || f->type == FT_U32 ? 4 : 8;
			memcpy(AT(dst, f->off), CAT(src, f->off), w);
			continue;
		}
		const char *s = pstr_of(CAT(src, f->off));
		char *d = s ? strdup(s) : NULL;
		memcpy(AT(dst, f->off), &d, sizeof d);
		if (s && !d)
			return -1;
	}
	for (size_t i = 0; i < m->na; i++) {
		const struct adesc *a = &m->a[i];
		size_t n = arr_count(a, src);
		char *from = arr_items(a, src), *to = a->inline_cap ? AT(dst, a->ptr_off) : n ? calloc(n, a->elem_size) : NULL;
		if (!a->inline_cap)
			memcpy(AT(dst, a->ptr_off), &to, sizeof to);
		set_count(a, dst, to ? n : 0);
		if (n && !to)
			return -1;
		for (size_t k = 0; k < n; k++)
			if (msg_copy(a->elem, to + k * a->elem_size, from + k * a->elem_size) < 0)
				return -1;
	}
	return 0;
}

int msg_equal(const struct mdesc *m, const void *a, const void *b)
{
	for (size_t i = 0; i < m->nf; i++)
		if (!field_same(&m->f[i], a, b))
			return 0;
	for (size_t i = 0; i < m->na; i++) {
		const struct adesc *ad = &m->a[i];
		size_t n = arr_count(ad, a);
		if (n != arr_count(ad, b))
			return 0;
		for (size_t k = 0; k < n; k++)
			if (!msg_equal(ad->elem, arr_items(ad, a) + k * ad->elem_size, arr_items(ad, b) + k * ad->elem_size))
				return 0;
	}
	return 1;
}

/* The base element for items[i]: the one with the same identity, else the same place; -1 none. */
static long base_of(const struct adesc *a, const char *items, size_t i, const char *bitems, size_t nb)
{
	if (!a->same)
		return i < nb ? (long)i : -1;
	const char *e = items + i * a->elem_size;
	for (size_t k = 0; k < nb; k++) {
		size_t j = (i + k) % nb; /* most lists keep their order: look there first */
		if (a->same(e, bitems + j * a->elem_size))
			return (long)j;
	}
	return -1;
}

static void put_msg(struct codec_buf *b, const struct mdesc *m, const void *obj, const void *base);

/* An element as a length-delimited message: its place, its base (if not the same place), its fields. */
static void put_elem(struct codec_buf *b, const struct adesc *a, size_t i, long j, const void *e, const void *be)
{
	put_key(b, a->elem_tag, WIRE_LEN);
	size_t start = b->len;
	put_key(b, ELEM_TAG_POS, WIRE_VARINT);
	put_varint(b, i);
	if (j != (long)i) {
		put_key(b, ELEM_TAG_BASE, WIRE_VARINT);
		put_varint(b, (uint64_t)(j + 1));
	}
	put_msg(b, a->elem, e, be);
	if (b->oom)
		return;
	size_t len = b->len - start;
	uint8_t t[10];
	size_t k = varint_to(t, len);
	if (buf_room(b, k) < 0)
		return;
	memmove(b->p + start + k, b->p + start, len);
	memcpy(b->p + start, t, k);
	b->len += k;
}

static void put_array(struct codec_buf *b, const struct adesc *a, const void *obj, const void *base)
{
	size_t n = arr_count(a, obj), nb = arr_count(a, base);
	const char *items = arr_items(a, obj), *bitems = arr_items(a, base);
	if (n != nb) {
		put_key(b, a->count_tag, WIRE_VARINT);
		put_varint(b, n);
	}
	for (size_t i = 0; i < n; i++) {
		long j = base_of(a, items, i, bitems, nb);
		const void *e = items + i * a->elem_size, *be = j >= 0 ? bitems + (size_t)j * a->elem_size : NULL;
		/* an element past the base's count is always written, even all zero: the decoder
		 * bounds a count by the bytes that follow it */
		if (i < nb && j == (long)i && msg_equal(a->elem, e, be))
			continue;
		put_elem(b, a, i, j, e, be);
	}
}

static void put_msg(struct codec_buf *b, const struct mdesc *m, const void *obj, const void *base)
{
	for (size_t i = 0; i < m->nf; i++)
		if ((m->f[i].flags & FD_ALWAYS) || !field_same(&m->f[i], obj, base))
			put_field(b, &m->f[i], obj, base);
	for (size_t i = 0; i < m->na; i++)
		put_array(b, &m->a[i], obj, base);
}

int msg_put(struct codec_buf *out, const struct mdesc *m, const void *obj, const void *base)
{
	put_msg(out, m, obj, base);
	return out->oom ? -1 : 0;
}

/* Change an array's count to 'n': new elements zero, dropped ones released. Bounded by the caller. */
static int resize(const struct adesc *a, void *obj, size_t n)
{
	size_t old = arr_count(a, obj);
	char *items = arr_items(a, obj);
	if (a->inline_cap && n > a->inline_cap)
		return -1;
	for (size_t k = n; k < old; k++)
		msg_release(a->elem, items + k * a->elem_size);
	if (!a->inline_cap && n != old) {
		char *p = n ? realloc(items, n * a->elem_size) : (free(items), NULL);
		if (n && !p)
			return -1;
		if (n > old)
			memset(p + old * a->elem_size, 0, (n - old) * a->elem_size);
		memcpy(AT(obj, a->ptr_off), &p, sizeof p);
	} else if (n > old) {
		memset(items + old * a->elem_size, 0, (n - old) * a->elem_size);
	}
	set_count(a, obj, n);
	return 0;
}

static int get_msg(struct rd *r, const struct mdesc *m, void *obj, const void *base, int depth);

/* One element message into its place in 'obj' (its base from 'base'). */
static int get_elem(struct rd *r, const struct adesc *a, void *obj, const void *base, int depth)
{
	uint64_t len, key, pos = UINT64_MAX, bi = UINT64_MAX;
	if (get_varint(r, &len) < 0 || len > r->n - r->pos)
		return -1;
	struct rd sub = {r->p + r->pos, (size_t)len, 0};
	r->pos += (size_t)len;
	/* its place and base come first (the encoder writes them so) */
	size_t mark = 0;
	while (sub.pos < sub.n) {
		mark = sub.pos;
		if (get_varint(&sub, &key) < 0)
			return -1;
		if ((key >> 3) == ELEM_TAG_POS && (key & 7) == WIRE_VARINT) {
			if (get_varint(&sub, &pos) < 0)
				return -1;
		} else if ((key >> 3) == ELEM_TAG_BASE && (key & 7) == WIRE_VARINT) {
			if (get_varint(&sub, &bi) < 0)
				return -1;
		} else {
			sub.pos = mark;
			break;
		}
	}
	size_t n = arr_count(a, obj), nb = arr_count(a, base);
	if (pos >= n || (bi != UINT64_MAX && bi > nb))
		return -1;
	char *e = arr_items(a, obj) + pos * a->elem_size;
	const char *be = NULL;
	if (bi != UINT64_MAX) { /* a base other than the same place: start again from it */
		msg_release(a->elem, e);
		memset(e, 0, a->elem_size);
		be = bi ? arr_items(a, base) + (bi - 1) * a->elem_size : NULL;
		if (be && msg_copy(a->elem, e, be) < 0)
			return -1;
	}
	return get_msg(&sub, a->elem, e, NULL, depth + 1);
}

static int get_msg(struct rd *r, const struct mdesc *m, void *obj, const void *base, int depth)
{
	if (depth > 2)
		return -1;
	while (r->pos < r->n) {
		uint64_t key;
		if (get_varint(r, &key) < 0)
			return -1;
		unsigned tag = (unsigned)(key >> 3);
		int wire = (int)(key & 7), done = 0;
		for (size_t i = 0; i < m->nf && !done; i++)
			if (m->f[i].tag == tag) {
				if (get_field(r, &m->f[i], wire, obj) < 0)
					return -1;
				done = 1;
			}
		for (size_t i = 0; i < m->na && !done; i++) {
			const struct adesc *a = &m->a[i];
			uint64_t v;
			if (a->count_tag == tag) {
				/* each element past the base's count is written (3 bytes at least): a count cannot outgrow the input */
				if (wire != WIRE_VARINT || get_varint(r, &v) < 0 || v > arr_count(a, base) + (r->n - r->pos) / 3 ||
				    v > ARRAY_BYTES_MAX / a->elem_size || resize(a, obj, (size_t)v) < 0)
					return -1;
				done = 1;
			} else if (a->elem_tag == tag) {
				if (wire != WIRE_LEN || get_elem(r, a, obj, base, depth) < 0)
					return -1;
				done = 1;
			}
		}
		if (!done && skip_field(r, wire) < 0)
			return -1;
	}
	return 0;
}

int msg_get(const uint8_t *p, size_t n, const struct mdesc *m, void *obj, const void *base, struct err *err)
{
	if (base ? msg_copy(m, obj, base) < 0 : 0) {
		msg_release(m, obj);
		return err_set(err, ERR_FAIL, "out of memory");
	}
	struct rd r = {p, n, 0};
	if (get_msg(&r, m, obj, base, 0) < 0) {
		msg_release(m, obj);
		return err_set(err, ERR_FAIL, "malformed record at byte %zu of %zu", r.pos, n);
	}
	return 0;
}

int msg_peek(const uint8_t *p, size_t n, const struct mdesc *m, void *obj)
{
	struct rd r = {p, n, 0};
	while (r.pos < r.n) {
		uint64_t key;
		if (get_varint(&r, &key) < 0)
			return -1;
		const struct fdesc *f = NULL;
		for (size_t i = 0; i < m->nf && !f; i++)
			if (m->f[i].tag == key >> 3 && (m->f[i].flags & FD_ALWAYS) && m->f[i].type != FT_PSTR)
				f = &m->f[i];
		if (f ? get_field(&r, f, (int)(key & 7), obj) < 0 : skip_field(&r, (int)(key & 7)) < 0)
			return -1;
	}
	return 0;
}
