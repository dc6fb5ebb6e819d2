/*
 * slo.c - availability and latency objectives per target, and their state file.
 *
 * DESIGN
 * - Every probe result (store_publish: answered; store_set_state: down,
 *   stalled, auth) counts the seconds since the target's previous result as
 *   good or bad, at most SLO_GAP_S: time, not probe counts, so a target
 *   retried every 30 s while down weighs as much as one sampled every 2 s
 *   while up. A probe slower than slo_latency_ms is bad time too.
 * - Seconds go into per-minute buckets, a ring of SLO_MINUTES (7 days) per
 *   target with an objective (121 KiB each; none for the others). Burn
 *   rates are the bad fraction of 1 h and 6 h over the budget, 1 - SLO; the
 *   budget left is over the objective's window (at most 7 days), as a
 *   fraction of (1 - SLO) times the window's length.
 * - One mutex ('mu') guards the entries and their rings; holders add or sum
 *   numbers only. The state file is written outside it from a copy.
 * - The state file is text, one record a line with its CRC-32, appended a
 *   minute at a time (O_APPEND, 0600); loading rewrites it (a temporary
 *   file, fsync, rename) with only the last 7 days, and so does an append
 *   once a day, so it stays bounded. A file that fails to parse is renamed
 *   aside (.corrupt-TIMESTAMP) and the message says so; it never stops dbfleet.
 */
#include "slo.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLO_MAGIC "dbfleet-slo 1"
#define SLO_COMPACT_MIN 1440 /* rewrite the file once a day of appends */

struct slo_entry {
	char name[64];
	double avail, latency_ms;
	int window_days;
	double last_at;                /* wall time of the previous result, 0 none */
	struct slo_bucket *b;          /* SLO_MINUTES, at minute % SLO_MINUTES */
};

struct slo_set {
	pthread_mutex_t mu;
	struct slo_entry **e;          /* by target index; NULL: no objective */
	size_t n;
	uint32_t appended;             /* the last minute written to the file */
	uint32_t compacted;            /* the minute of the last rewrite */
};

struct slo_set *slo_new(void)
{
	struct slo_set *s = calloc(1, sizeof *s);
	if (s)
		pthread_mutex_init(&s->mu, NULL);
	return s;
}

void slo_free(struct slo_set **sp)
{
	struct slo_set *s = sp ? *sp : NULL;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i])
			free(s->e[i]->b);
		free(s->e[i]);
	}
	free(s->e);
	pthread_mutex_destroy(&s->mu);
	free(s);
	*sp = NULL;
}

int slo_configure(struct slo_set *s, size_t t, const char *name, double avail, double latency_ms, int window_days)
{
	struct slo_entry *x = calloc(1, sizeof *x);
	struct slo_bucket *b = calloc(SLO_MINUTES, sizeof *b);
	pthread_mutex_lock(&s->mu);
	if (x && b && t >= s->n) {
		struct slo_entry **e = realloc(s->e, (t + 1) * sizeof *e);
		if (e) {
			memset(e + s->n, 0, (t + 1 - s->n) * sizeof *e);
			s->e = e;
			s->n = t + 1;
		}
	}
	int ok = x && b && t < s->n && !s->e[t];
	if (ok) {
		snprintf(x->name, sizeof x->name, "%s", name);
		x->avail = avail;
		x->latency_ms = latency_ms;
		x->window_days = window_days < 1 ? 1 : window_days > 7 ? 7 : window_days;
		x->b = b;
		s->e[t] = x;
	}
	pthread_mutex_unlock(&s->mu);
	if (!ok) {
		free(x);
		free(b);
	}
	return ok ? 0 : -1;
}

static struct slo_bucket *bucket_at(struct slo_entry *x, uint32_t minute)
{
	struct slo_bucket *b = &x->b[minute % SLO_MINUTES];
	if (b->minute != minute)
		*b = (struct slo_bucket){.minute = minute};
	return b;
}

void slo_observe(struct slo_set *s, size_t t, int ok, double rtt_ms, double at)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	struct slo_entry *x = t < s->n ? s->e[t] : NULL;
	if (x && at > 0) {
		double dt = x->last_at > 0 ? at - x->last_at : 0;
		dt = dt < 0 ? 0 : dt > SLO_GAP_S ? SLO_GAP_S : dt;
		int bad = !ok || (x->latency_ms > 0 && rtt_ms > x->latency_ms);
		struct slo_bucket *b = bucket_at(x, (uint32_t)(at / 60));
		if (bad)
			b->bad_s += (float)dt;
		else
			b->good_s += (float)dt;
		x->last_at = at;
	}
	pthread_mutex_unlock(&s->mu);
}

void slo_sum(const struct slo_bucket *b, size_t n, uint32_t now_min, uint32_t minutes, double *good, double *bad)
{
	*good = *bad = 0;
	for (size_t i = 0; i < n; i++)
		if (b[i].minute && b[i].minute <= now_min && b[i].minute + minutes > now_min) {
			*good += b[i].good_s;
			*bad += b[i].bad_s;
		}
}

double slo_burn(double good, double bad, double avail)
{
	double budget = 1 - avail / 100;
	if (good + bad <= 0 || budget <= 0)
		return -1;
	return bad / (good + bad) / budget;
}

int slo_fast(double burn_1h, double burn_6h)
{
	return burn_1h >= SLO_FAST_1H && burn_6h >= SLO_FAST_6H;
}

void slo_view_finish(struct slo_view *v)
{
	v->burn_1h = slo_burn(v->good_1h, v->bad_1h, v->objective);
	v->burn_6h = slo_burn(v->good_6h, v->bad_6h, v->objective);
	v->budget_left = v->budget_s > 0 ? 1 - v->bad_window / v->budget_s : 1;
	v->fast = slo_fast(v->burn_1h, v->burn_6h);
}

int slo_view_of(struct slo_set *s, size_t t, double at, struct slo_view *out)
{
	if (!s)
		return 0;
	uint32_t now_min = (uint32_t)(at / 60);
	pthread_mutex_lock(&s->mu);
	struct slo_entry *x = t < s->n ? s->e[t] : NULL;
	if (x) {
		double g, b;
		*out = (struct slo_view){.objective = x->avail, .latency_ms = x->latency_ms, .window_days = x->window_days};
		slo_sum(x->b, SLO_MINUTES, now_min, 60, &out->good_1h, &out->bad_1h);
		slo_sum(x->b, SLO_MINUTES, now_min, 360, &out->good_6h, &out->bad_6h);
		slo_sum(x->b, SLO_MINUTES, now_min, (uint32_t)x->window_days * 1440, &g, &b);
		out->bad_window = b;
		out->budget_s = (1 - x->avail / 100) * x->window_days * 86400.0;
		out->observed_s = g + b;
		slo_view_finish(out);
	}
	pthread_mutex_unlock(&s->mu);
	return x != NULL;
}

/* ---- the state file ---- */

uint32_t slo_crc32(const void *p, size_t len)
{
	const unsigned char *c = p;
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= c[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/* A target's name as one word of the file: %XX for what is not a plain character. */
static void name_escape(const char *in, char *out, size_t n)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:@#/+";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < n; p++)
		o += (size_t)snprintf(out + o, n - o, strchr(plain, *p) ? "%c" : "%%%02X", *p);
	out[o] = '\0';
}

static int name_unescape(const char *in, size_t len, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned v = (unsigned char)in[i];
		if (in[i] == '%') {
			char hex[3] = {0};
			if (i + 2 >= len || !in[i + 1] || !in[i + 2] || !strchr("0123456789ABCDEF", in[i + 1]) ||
			    !strchr("0123456789ABCDEF", in[i + 2]))
				return -1;
			memcpy(hex, in + i + 1, 2);
			v = (unsigned)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= n || v == 0)
			return -1;
		out[o++] = (char)v;
	}
	out[o] = '\0';
	return o ? 0 : -1;
}

/* One record's line (newline included) into 'out'; its length. */
static int record_line(const char *name, const struct slo_bucket *b, char *out, size_t n)
{
	char esc[200], body[300];
	name_escape(name, esc, sizeof esc);
	int len = snprintf(body, sizeof body, "%s %u %.3f %.3f", esc, (unsigned)b->minute, b->good_s, b->bad_s);
	return snprintf(out, n, "%s %08x\n", body, (unsigned)slo_crc32(body, (size_t)len));
}

/* One line's fields: NAME MINUTE GOOD BAD CRC; 0 or -1. */
static int parse_line(const char *l, size_t len, char *name, size_t nname, struct slo_bucket *b)
{
	const char *sp = memrchr(l, ' ', len);
	if (!sp || len - (size_t)(sp - l) != 9 || strspn(sp + 1, "0123456789abcdef") < 8)
		return -1;
	char crc[9] = {0}, body[300], *end;
	memcpy(crc, sp + 1, 8);
	size_t blen = (size_t)(sp - l);
	if (blen >= sizeof body || slo_crc32(l, blen) != (uint32_t)strtoul(crc, NULL, 16))
		return -1;
	memcpy(body, l, blen);
	body[blen] = '\0';
	size_t nlen = strcspn(body, " ");
	if (!body[nlen] || name_unescape(body, nlen, name, nname) < 0)
		return -1;
	const char *p = body + nlen + 1;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	unsigned long m = strtoul(p, &end, 10);
	if (errno || *end != ' ' || m == 0 || m > UINT32_MAX)
		return -1;
	double g = strtod(end + 1, &end), bad = *end == ' ' ? strtod(end + 1, &end) : -1;
	if (*end || !isfinite(g) || !isfinite(bad) || g < 0 || bad < 0 || g + bad > 3600)
		return -1;
	*b = (struct slo_bucket){.minute = (uint32_t)m, .good_s = (float)g, .bad_s = (float)bad};
	return 0;
}

int slo_parse(const char *buf, size_t len, void (*rec)(void *ctx, const char *name, const struct slo_bucket *b),
	      void *ctx, char *msg, size_t n)
{
	size_t mlen = strlen(SLO_MAGIC);
	if (len < mlen + 1 || memcmp(buf, SLO_MAGIC "\n", mlen + 1)) {
		snprintf(msg, n, "not a dbfleet state file (its first line is not '%s')", SLO_MAGIC);
		return -1;
	}
	int line = 1;
	for (size_t o = mlen + 1; o < len;) {
		const char *l = buf + o, *nl = memchr(l, '\n', len - o);
		line++;
		if (!nl)
			break; /* the last record, cut short by a crash mid-write: dropped */
		char name[64];
		struct slo_bucket b;
		if (parse_line(l, (size_t)(nl - l), name, sizeof name, &b) < 0) {
			snprintf(msg, n, "line %d: a record that does not read or whose checksum fails", line);
			return -1;
		}
		rec(ctx, name, &b);
		o = (size_t)(nl - buf) + 1;
	}
	return 0;
}

struct load_ctx {
	struct slo_set *s;
	uint32_t oldest;
};

/* A record from the file: added to its target's bucket, if the target has an objective. Under mu. */
static void on_record(void *p, const char *name, const struct slo_bucket *b)
{
	struct load_ctx *c = p;
	if (b->minute < c->oldest)
		return;
	for (size_t i = 0; i < c->s->n; i++) {
		struct slo_entry *x = c->s->e[i];
		if (x && !strcmp(x->name, name)) {
			struct slo_bucket *d = bucket_at(x, b->minute);
			d->good_s += b->good_s;
			d->bad_s += b->bad_s;
			return;
		}
	}
}

/* Lines of every bucket of minutes in [from, to] (heap, NUL-terminated; NULL on OOM); its length in *len. */
static char *lines_of(struct slo_set *s, uint32_t from, uint32_t to, size_t *len)
{
	size_t cap = 4096, o = 0;
	char *buf = malloc(cap);
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; buf && i < s->n; i++) {
		struct slo_entry *x = s->e[i];
		for (size_t k = 0; x && k < SLO_MINUTES && buf; k++) {
			const struct slo_bucket *b = &x->b[k];
			if (!b->minute || b->minute < from || b->minute > to || (b->good_s <= 0 && b->bad_s <= 0))
				continue;
			if (o + 512 > cap) {
				char *nb = realloc(buf, cap *= 2);
				if (!nb) {
					free(buf);
					buf = NULL;
					break;
				}
				buf = nb;
			}
			o += (size_t)record_line(x->name, b, buf + o, cap - o);
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (buf)
		buf[o] = '\0';
	*len = o;
	return buf;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Rewrite the file from the set: a temporary file, fsync, rename. 0 or -1 with 'msg'. */
static int rewrite(struct slo_set *s, const char *path, uint32_t now_min, char *msg, size_t n)
{
	size_t len;
	char tmp[600];
	char *body = lines_of(s, now_min > SLO_MINUTES ? now_min - SLO_MINUTES + 1 : 1, now_min, &len);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = body ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	int rc = fd >= 0 && write_all(fd, SLO_MAGIC "\n", strlen(SLO_MAGIC) + 1) == 0 && write_all(fd, body, len) == 0 &&
			 fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		snprintf(msg, n, "cannot write the state file '%.300s': %s", path, body ? strerror(errno) : "out of memory");
		if (fd >= 0)
			unlink(tmp);
	}
	free(body);
	pthread_mutex_lock(&s->mu);
	s->compacted = now_min;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* The whole file (at most 'max' bytes) into a heap buffer; NULL with errno (ENOENT: none). */
static char *slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return NULL;
	char *buf = NULL;
	if (fstat(fd, &sb) == 0 && (size_t)sb.st_size <= max && (buf = malloc((size_t)sb.st_size + 1))) {
		ssize_t r = read(fd, buf, (size_t)sb.st_size);
		*len = r > 0 ? (size_t)r : 0;
	} else {
		errno = buf ? errno : EFBIG;
	}
	close(fd);
	return buf;
}

#define SLO_FILE_MAX ((size_t)256 << 20) /* beyond this it is not ours: set aside */

int slo_load(struct slo_set *s, const char *path, double at, char *msg, size_t n)
{
	uint32_t now_min = (uint32_t)(at / 60);
	size_t len = 0;
	int rc = 0;
	char why[200] = "";
	errno = 0;
	char *buf = slurp(path, SLO_FILE_MAX, &len);
	if (!buf && errno != ENOENT)
		snprintf(why, sizeof why, "%s", errno == EFBIG ? "larger than 256 MiB" : strerror(errno));
	struct load_ctx c = {s, now_min > SLO_MINUTES ? now_min - SLO_MINUTES + 1 : 1};
	pthread_mutex_lock(&s->mu);
	if (buf)
		(void)slo_parse(buf, len, on_record, &c, why, sizeof why); /* before a bad line: kept */
	s->appended = now_min ? now_min - 1 : 0;
	pthread_mutex_unlock(&s->mu);
	free(buf);
	if (why[0]) {
		char aside[600];
		snprintf(aside, sizeof aside, "%s.corrupt-%ld", path, (long)at);
		int moved = rename(path, aside) == 0;
		snprintf(msg, n, "state file '%.200s': %s; %s", path, why,
			 moved ? "set aside as .corrupt-TIMESTAMP, starting afresh" : "could not set it aside");
		rc = -1;
	}
	char wmsg[400] = "";
	/* the minute in progress goes out whole with the next append, not now as well */
	if (rewrite(s, path, now_min ? now_min - 1 : 0, wmsg, sizeof wmsg) < 0 && rc == 0) {
		snprintf(msg, n, "%s", wmsg);
		rc = -1;
	}
	return rc;
}

int slo_append(struct slo_set *s, const char *path, double at, char *msg, size_t n)
{
	uint32_t now_min = (uint32_t)(at / 60);
	pthread_mutex_lock(&s->mu);
	uint32_t from = s->appended + 1, compacted = s->compacted;
	int due = now_min > 0 && now_min - 1 >= from;
	if (due)
		s->appended = now_min - 1;
	pthread_mutex_unlock(&s->mu);
	if (!due)
		return 0;
	if (now_min - compacted >= SLO_COMPACT_MIN)
		return rewrite(s, path, now_min - 1, msg, n);
	size_t len;
	char *body = lines_of(s, from, now_min - 1, &len);
	int fd = body && len ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	int rc = !body ? -1 : !len ? 0 : fd >= 0 && write_all(fd, body, len) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		snprintf(msg, n, "cannot append to the state file '%.300s': %s", path, body ? strerror(errno) : "out of memory");
	free(body);
	return rc;
}
