/*
 * vreq_fields.c - a viewer's action request as the fields of a stream entry, both ways
 * (vreq.h lists them). The collector reads them as hostile input: one table of fields
 * (name, type, member, bounds) drives both directions; a value that does not fit its member,
 * holds a NUL or a control character, or a number out of its bounds, a field twice or one
 * this version does not know, refuses the whole request. Messages name the field, never
 * quote the value.
 */
#include "vreq.h"

#include "actions.h"

#include <math.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum vtype { VT_VER, VT_KIND, VT_STR, VT_INT, VT_DBL, VT_BOOL };

struct vfield {
	const char *name;
	enum vtype t;
	size_t off, size;
	long min, max;     /* VT_INT bounds */
	int always;        /* sent even when empty: the identity, the target */
};

#define M(name, t, member, always) \
	{name, t, offsetof(struct vreq_msg, member), sizeof(((struct vreq_msg *)0)->member), 0, 0, always}
static const struct vfield top[] = {
	{"v", VT_VER, 0, 0, 0, 0, 1}, M("kind", VT_KIND, r.a.kind, 1),
	M("id", VT_STR, id, 1), M("os_user", VT_STR, os_user, 1), M("host", VT_STR, host, 1),
	M("target", VT_STR, target, 1), M("object", VT_STR, r.object, 1), M("dry_run", VT_BOOL, r.dry_run, 0),
	{"nbulk", VT_INT, offsetof(struct vreq_msg, r.nbulk), sizeof(int), 0, ACTION_BULK_MAX, 0},
	M("aws_id", VT_STR, r.aws_id, 0), M("aws_region", VT_STR, r.aws_region, 0),
	M("aws_cluster", VT_STR, r.aws_cluster, 0), M("aws_writer", VT_STR, r.aws_writer, 0),
	M("aws_global", VT_STR, r.aws_global, 0), M("aws_target", VT_STR, r.aws_target, 0),
	M("aws_account", VT_STR, r.aws_account, 0), M("snapshot_id", VT_STR, r.snapshot_id, 0),
	M("reason", VT_STR, r.reason, 0),
};
#undef M
#define TOP_V 0

#define S(name, t, member) \
	{name, t, offsetof(struct db_action, member), sizeof(((struct db_action *)0)->member), 0, 0, 0}
static const struct vfield sess[] = {
	{"pid", VT_INT, offsetof(struct db_action, pid), sizeof(int), 1, 2147483647, 0},
	S("backend_start", VT_STR, backend_start), S("user", VT_STR, user), S("client", VT_STR, client),
	S("server_id", VT_STR, server_id), S("server_started", VT_DBL, server_started), S("rds", VT_BOOL, rds),
	S("dialect", VT_STR, dialect),
};
#undef S

#define NTOP (sizeof top / sizeof top[0])
#define NSESS (sizeof sess / sizeof sess[0])

int vreq_id_ok(const char *s)
{
	return strlen(s) == VREQ_ID_LEN && strspn(s, "0123456789abcdef") == VREQ_ID_LEN;
}

int vreq_new_id(char *out)
{
	unsigned char rnd[VREQ_ID_LEN / 2];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

/* ---- encoding (the viewer) ---- */

/* Copy 'len' bytes of 's' into the fields' buffer, NUL-terminated; NULL when full. */
static const char *keep(struct vreq_fields *f, const char *s, size_t len)
{
	if (f->used + len + 1 > sizeof f->buf)
		return NULL;
	char *p = f->buf + f->used;
	memcpy(p, s, len);
	p[len] = '\0';
	f->used += len + 1;
	return p;
}

static int add(struct vreq_fields *f, const char *name, const char *val, struct err *e)
{
	size_t len = strlen(val);
	const char *n = f->n < VREQ_MAX_FIELDS ? keep(f, name, strlen(name)) : NULL;
	const char *v = n ? keep(f, val, len) : NULL;
	if (!v)
		return err_set(e, ERR_CONFIG, "action request too large to send");
	f->name[f->n] = n;
	f->val[f->n] = v;
	f->vlen[f->n++] = len;
	return 0;
}

/* One field of 'base' as text; "" for an empty string or a zero number (not sent). */
static void field_text(const struct vfield *d, const void *base, char *out, size_t n)
{
	const char *p = (const char *)base + d->off;
	switch (d->t) {
	case VT_VER: snprintf(out, n, "%s", VREQ_VERSION); break;
	case VT_KIND: {
		int k;
		memcpy(&k, p, sizeof k);
		snprintf(out, n, "%s", action_kind_name(k));
		break;
	}
	case VT_STR: snprintf(out, n, "%.*s", (int)d->size, p); break;
	case VT_INT:
	case VT_BOOL: {
		int v;
		memcpy(&v, p, sizeof v);
		if (v)
			snprintf(out, n, "%d", v);
		else
			out[0] = '\0';
		break;
	}
	case VT_DBL: {
		double v;
		memcpy(&v, p, sizeof v);
		if (v != 0)
			snprintf(out, n, "%.17g", v);
		else
			out[0] = '\0';
		break;
	}
	}
}

/* Every non-empty field of one session, its names prefixed ("a.", "b3."). */
static int add_session(struct vreq_fields *f, const char *prefix, const struct db_action *a, struct err *e)
{
	for (size_t i = 0; i < NSESS; i++) {
		char name[40], val[VREQ_FIELD_MAX];
		field_text(&sess[i], a, val, sizeof val);
		snprintf(name, sizeof name, "%s%s", prefix, sess[i].name);
		if (val[0] && add(f, name, val, e) < 0)
			return -1;
	}
	return 0;
}

int vreq_encode(const struct vreq_msg *m, struct vreq_fields *f, struct err *e)
{
	f->n = f->used = 0;
	if (m->r.a.kind < ACT_CANCEL || m->r.a.kind > ACT_FAILOVER)
		return err_set(e, ERR_CONFIG, "no such action to send");
	for (size_t i = 0; i < NTOP; i++) {
		char val[VREQ_FIELD_MAX];
		field_text(&top[i], m, val, sizeof val);
		if ((val[0] || top[i].always) && add(f, top[i].name, val, e) < 0)
			return -1;
	}
	if (m->r.nbulk > 0) {
		for (int b = 0; b < m->r.nbulk && b < ACTION_BULK_MAX; b++) {
			char prefix[16];
			snprintf(prefix, sizeof prefix, "b%d.", b);
			if (add_session(f, prefix, &m->r.bulk[b], e) < 0)
				return -1;
		}
		return 0;
	}
	return add_session(f, "a.", &m->r.a, e);
}

/* ---- parsing (the collector: hostile input) ---- */

/* 'v' (len bytes) as a whole decimal integer in [lo, hi]. */
static int parse_int(const char *v, size_t len, long lo, long hi, int *out)
{
	char buf[24];
	if (!len || len >= sizeof buf)
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	char *end;
	long x = strtol(buf, &end, 10);
	if (*end || end == buf || x < lo || x > hi || (buf[0] != '-' && (buf[0] < '0' || buf[0] > '9')))
		return -1;
	*out = (int)x;
	return 0;
}

static int parse_dbl(const char *v, size_t len, double *out)
{
	char buf[40];
	if (!len || len >= sizeof buf)
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	char *end;
	double x = strtod(buf, &end);
	if (*end || end == buf || !isfinite(x) || x < 0 || x > 1e12)
		return -1;
	*out = x == 0 ? 0 : x; /* not -0 */
	return 0;
}

/* The action kind named by 'v', 0 when none is. */
static int kind_of(const char *v, size_t len)
{
	for (int k = ACT_CANCEL; k <= ACT_FAILOVER; k++)
		if (strlen(action_kind_name(k)) == len && !memcmp(action_kind_name(k), v, len))
			return k;
	return 0;
}

/* Set field 'd' of 'base' from value 'v'; -1 with 'e' naming 'name'. */
static int set_field(const struct vfield *d, void *base, const char *name, const char *v, size_t len, struct err *e)
{
	char *p = (char *)base + d->off;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return err_set(e, ERR_REFUSED, "field '%.40s' holds a control character", name);
	switch (d->t) {
	case VT_STR:
		if (len >= d->size)
			return err_set(e, ERR_REFUSED, "field '%.40s' is too long (%zu bytes, at most %zu)", name, len,
				       d->size - 1);
		memcpy(p, v, len);
		p[len] = '\0';
		return 0;
	case VT_VER:
		return len == strlen(VREQ_VERSION) && !memcmp(v, VREQ_VERSION, len)
		       ? 0 : err_set(e, ERR_REFUSED, "request version is not " VREQ_VERSION);
	case VT_KIND: {
		int k = kind_of(v, len);
		if (!k)
			return err_set(e, ERR_REFUSED, "unknown action kind");
		memcpy(p, &k, sizeof k);
		return 0;
	}
	case VT_INT: {
		int x;
		if (parse_int(v, len, d->min, d->max, &x) < 0)
			return err_set(e, ERR_REFUSED, "field '%.40s' is not a number in %ld..%ld", name, d->min, d->max);
		memcpy(p, &x, sizeof x);
		return 0;
	}
	case VT_BOOL: {
		if (len != 1 || (v[0] != '0' && v[0] != '1'))
			return err_set(e, ERR_REFUSED, "field '%.40s' is not 0 or 1", name);
		int x = v[0] == '1';
		memcpy(p, &x, sizeof x);
		return 0;
	}
	case VT_DBL: {
		double x;
		if (parse_dbl(v, len, &x) < 0)
			return err_set(e, ERR_REFUSED, "field '%.40s' is not a time in seconds", name);
		memcpy(p, &x, sizeof x);
		return 0;
	}
	}
	return -1;
}

/* "a." -> 0, "b0." .. "b15." -> 1 + N; the rest of the name in *rest. -1: not a session field. */
static int session_slot(const char *name, size_t len, const char **rest)
{
	if (len > 2 && name[0] == 'a' && name[1] == '.') {
		*rest = name + 2;
		return 0;
	}
	if (len < 3 || name[0] != 'b' || name[1] < '0' || name[1] > '9')
		return -1;
	int n = name[1] - '0';
	size_t i = 2;
	if (name[2] >= '0' && name[2] <= '9' && n) /* no leading zeros */
		n = n * 10 + (name[i++] - '0');
	if (i >= len || name[i] != '.' || n >= ACTION_BULK_MAX)
		return -1;
	*rest = name + i + 1;
	return 1 + n;
}

/* What the seen fields must add up to, by kind. */
static int check_whole(const struct vreq_msg *m, const unsigned char *seen_top, unsigned bulk_seen, struct err *e)
{
	if (!seen_top[TOP_V])
		return err_set(e, ERR_REFUSED, "no version field 'v'");
	if (!vreq_id_ok(m->id))
		return err_set(e, ERR_REFUSED, "field 'id' is not 32 lowercase hex digits");
	int k = m->r.a.kind;
	if (!k)
		return err_set(e, ERR_REFUSED, "no field 'kind'");
	if (bulk_seen >> (m->r.nbulk + 1)) /* slot 1 + N for bN. */
		return err_set(e, ERR_REFUSED, "a session past 'nbulk'");
	if (m->r.nbulk && (bulk_seen & 1))
		return err_set(e, ERR_REFUSED, "fields 'a.' and 'nbulk' together");
	if (k == ACT_SNAPSHOT || k == ACT_FAILOVER) {
		if (!m->r.aws_id[0] || !m->r.aws_region[0])
			return err_set(e, ERR_REFUSED, "no fields 'aws_id' and 'aws_region' for %s", action_kind_name(k));
		if (k == ACT_SNAPSHOT && (!m->r.snapshot_id[0] || !m->r.reason[0]))
			return err_set(e, ERR_REFUSED, "no fields 'snapshot_id' and 'reason' for snapshot");
		return 0;
	}
	if (!m->target[0])
		return err_set(e, ERR_REFUSED, "no field 'target' for %s", action_kind_name(k));
	if (k == ACT_PROMOTE) {
		if (m->r.nbulk)
			return err_set(e, ERR_REFUSED, "promote names no sessions");
		return 0;
	}
	if (m->r.nbulk) {
		for (int b = 0; b < m->r.nbulk; b++)
			if (m->r.bulk[b].pid <= 0)
				return err_set(e, ERR_REFUSED, "session %d of %d has no field 'pid'", b, m->r.nbulk);
		return 0;
	}
	if (m->r.a.pid <= 0)
		return err_set(e, ERR_REFUSED, "no field 'a.pid' for %s", action_kind_name(k));
	return 0;
}

/* One name/value pair into 'm'. */
static int parse_one(const char *name, size_t nlen, const char *v, size_t vlen, struct vreq_msg *m,
		     unsigned char *seen_top, unsigned char seen_sess[][NSESS], unsigned *bulk_seen, struct err *e)
{
	char nm[48];
	if (!nlen || nlen >= sizeof nm)
		return err_set(e, ERR_REFUSED, "a field name this version does not know");
	memcpy(nm, name, nlen);
	nm[nlen] = '\0';
	if (strspn(nm, "abcdefghijklmnopqrstuvwxyz0123456789_.") < nlen) /* quoted below: no other bytes */
		return err_set(e, ERR_REFUSED, "a field name this version does not know");
	const char *rest;
	int slot = session_slot(nm, nlen, &rest);
	if (slot >= 0) {
		struct db_action *a = slot ? &m->r.bulk[slot - 1] : &m->r.a;
		for (size_t i = 0; i < NSESS; i++)
			if (!strcmp(rest, sess[i].name)) {
				if (seen_sess[slot][i]++)
					return err_set(e, ERR_REFUSED, "field '%s' twice", nm);
				*bulk_seen |= 1u << slot; /* bit 0: "a." */
				return set_field(&sess[i], a, nm, v, vlen, e);
			}
	} else {
		for (size_t i = 0; i < NTOP; i++)
			if (!strcmp(nm, top[i].name)) {
				if (seen_top[i]++)
					return err_set(e, ERR_REFUSED, "field '%s' twice", nm);
				return set_field(&top[i], m, nm, v, vlen, e);
			}
	}
	return err_set(e, ERR_REFUSED, "unknown field '%.40s'", nm);
}

int vreq_parse(size_t n, const char *const *names, const size_t *nlens, const char *const *vals,
	       const size_t *vlens, struct vreq_msg *m, struct err *e)
{
	memset(m, 0, sizeof *m);
	if (n > VREQ_MAX_FIELDS)
		return err_set(e, ERR_REFUSED, "too many fields (%zu)", n);
	unsigned char seen_top[NTOP] = {0}, seen_sess[1 + ACTION_BULK_MAX][NSESS];
	unsigned bulk_seen = 0;
	memset(seen_sess, 0, sizeof seen_sess);
	for (size_t i = 0; i < n; i++)
		if (parse_one(names[i], nlens[i], vals[i], vlens[i], m, seen_top, seen_sess, &bulk_seen, e) < 0)
			return -1;
	if (check_whole(m, seen_top, bulk_seen, e) < 0)
		return -1;
	int k = m->r.a.kind;
	if (m->r.nbulk) { /* 'a' is bulk[0], as the sessions pane makes it */
		for (int b = 0; b < m->r.nbulk; b++)
			m->r.bulk[b].kind = k;
		m->r.a = m->r.bulk[0];
	} else if (k == ACT_SNAPSHOT || k == ACT_FAILOVER) {
		memset(&m->r.a, 0, sizeof m->r.a);
		m->r.a.kind = k;
	}
	return 0;
}
