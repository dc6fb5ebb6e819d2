/*
 * redis_reply.c - RESP replies from an untrusted server: a scanner that caps their size in
 * front of hiredis' redisReader, which has no cap of its own.
 *
 * redisReader buffers a bulk string until all of it is there and allocates an array's
 * element table as soon as it reads the header ("*2000000000"), so a server could make it
 * allocate without end. The scanner sees every byte before the reader does. It keeps no
 * payload: only the header line in progress, the payload bytes still to skip, and how many
 * items the reply still owes (1 at the start; an array of N adds N - 1). So it knows where a
 * reply ends without a stack. A bulk length, or an array count times 3 (the smallest item,
 * "+\r\n"), that would take the reply past the cap is refused at its header, before the
 * reader allocates or buffers anything for it. Only the forms hiredis 0.14 reads (RESP2:
 * + - : $ *) pass; lengths must be plain digits or "-1", the form both sides read alike.
 */
#include "redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void resp_scan_init(struct resp_scan *s, size_t max)
{
	memset(s, 0, sizeof *s);
	s->max = max;
	s->owed = 1;
}

/* One item of the reply in progress is complete. */
static void item_done(struct resp_scan *s)
{
	if (--s->owed == 0) {
		s->owed = 1;
		s->used = 0;
	}
}

/* "-1" -> -1, digits -> their value (<= 10^18), anything else -> -2. */
static long long header_number(const char *p, size_t n)
{
	if (n == 2 && p[0] == '-' && p[1] == '1')
		return -1;
	if (n == 0 || n > 18)
		return -2;
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -2;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* A header line ended (s->line holds it without CRLF for $ and *). */
static int header_done(struct resp_scan *s, char *msg, size_t msglen)
{
	if (s->type != '$' && s->type != '*') {
		item_done(s);
		return 0;
	}
	long long v = header_number(s->line, s->line_len);
	if (v == -2) {
		snprintf(msg, msglen, "malformed reply: bad %s length", s->type == '$' ? "string" : "array");
		return -1;
	}
	if (v == -1 || (s->type == '*' && v == 0)) {
		item_done(s);
		return 0;
	}
	unsigned long long need = s->type == '$' ? (unsigned long long)v + 2 : (unsigned long long)v * 3;
	if (need > s->max - s->used) {
		snprintf(msg, msglen, "reply larger than %zu bytes refused (%s of %lld)", s->max,
			 s->type == '$' ? "a string" : "an array", v);
		return -1;
	}
	if (s->type == '$') {
		s->skip = v + 2;
	} else {
		s->owed += (unsigned long long)v;
		item_done(s); /* the header itself */
	}
	return 0;
}

int resp_scan_feed(struct resp_scan *s, const char *p, size_t n, char *msg, size_t msglen)
{
	size_t i = 0;
	while (i < n) {
		if (s->skip > 0) {
			size_t take = (size_t)s->skip < n - i ? (size_t)s->skip : n - i;
			s->skip -= (long long)take;
			s->used += take;
			i += take;
			if (s->skip == 0)
				item_done(s);
			continue;
		}
		char c = p[i++];
		if (++s->used > s->max) {
			snprintf(msg, msglen, "reply larger than %zu bytes refused", s->max);
			return -1;
		}
		if (!s->in_line) {
			if (!strchr("+-:$*", c) || c == '\0') {
				snprintf(msg, msglen, "not a Redis reply (byte 0x%02x)", (unsigned char)c);
				return -1;
			}
			s->type = c;
			s->in_line = 1;
			s->line_len = 0;
			continue;
		}
		int was_cr = s->line_len > 0 && s->line[s->line_len - 1] == '\r';
		if (c == '\n' && was_cr) {
			s->in_line = 0;
			s->line_len--;
			if (header_done(s, msg, msglen) < 0)
				return -1;
			continue;
		}
		if (s->type == '$' || s->type == '*') {
			if (s->line_len + 1 >= sizeof s->line) {
				snprintf(msg, msglen, "malformed reply: bad %s length",
					 s->type == '$' ? "string" : "array");
				return -1;
			}
			s->line[s->line_len++] = c;
		} else {
			/* a status, error or integer line: only its last byte matters (CR?) */
			s->line[0] = c;
			s->line_len = 1;
		}
	}
	return 0;
}

int resp_reader_init(struct resp_reader *r, size_t max)
{
	resp_scan_init(&r->scan, max);
	r->rd = redisReaderCreate();
	return r->rd ? 0 : -1;
}

void resp_reader_release(struct resp_reader *r)
{
	if (r->rd)
		redisReaderFree(r->rd);
	r->rd = NULL;
}

int resp_reader_feed(struct resp_reader *r, const char *p, size_t n, char *msg, size_t msglen)
{
	if (resp_scan_feed(&r->scan, p, n, msg, msglen) < 0)
		return -1;
	if (redisReaderFeed(r->rd, p, n) != REDIS_OK) {
		snprintf(msg, msglen, "%s", r->rd->errstr[0] ? r->rd->errstr : "out of memory");
		return -1;
	}
	return 0;
}

int resp_reader_next(struct resp_reader *r, redisReply **out, char *msg, size_t msglen)
{
	void *reply = NULL;
	*out = NULL;
	if (redisReaderGetReply(r->rd, &reply) != REDIS_OK) {
		snprintf(msg, msglen, "malformed reply: %s", r->rd->errstr);
		return -1;
	}
	if (!reply)
		return 0;
	*out = reply;
	return 1;
}
