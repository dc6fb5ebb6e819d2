/* test_codec.c - the record encoding: round trips, deltas, frames, damage. */
#include "../../collectors/codec.h"
#include "../../collectors/record.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A sample with every kind of field: strings, -1s, fractions, arrays, owned texts. */
static void make(struct rec_snapshot *r, int variant)
{
	memset(r, 0, sizeof *r);
	r->idx = 3;
	r->seq = 10 + (uint64_t)variant;
	r->at = 1795000000.125 + variant * 2;
	r->cost_ms_s = 0.0371;
	struct db_sample *s = &r->s;
	snprintf(s->health.version, sizeof s->health.version, "PostgreSQL 15.18");
	s->health.conns_used = 40 + variant;
	s->health.conns_max = 397;
	s->health.longest_xact_s = -1;
	s->health.xact_total = 123456789012LL + variant * 1000;
	s->health.tps = 1234.5678 + variant;
	s->health.qps = -1;
	s->health.server_now = r->at + 0.000123;
	s->lag_bytes = 16.0 * 1024 * 1024 * variant;
	s->standby.lag_s = variant ? 2.5 : -1;
	s->nreplicas = 2;
	s->replicas = calloc(2, sizeof *s->replicas);
	snprintf(s->replicas[0].name, sizeof s->replicas[0].name, "walreceiver");
	snprintf(s->replicas[1].name, sizeof s->replicas[1].name, "standby-2");
	s->replicas[variant % 2].lag_bytes = 4096 * variant;
	s->nqueries = 3;
	s->queries = calloc(3, sizeof *s->queries);
	for (int i = 0; i < 3; i++) {
		struct db_query *q = &s->queries[(i + variant) % 3]; /* reordered between variants */
		q->queryid = -7000 + i;
		q->calls = 10 * i + variant;
		q->text = i == 2 ? NULL : strdup(i ? "select \x1b[2J 1" : "update t set x = x + 1");
		q->calls_s = i == 1 ? 0.1 : -1;
	}
	s->nsessions = 1;
	s->sessions = calloc(1, sizeof *s->sessions);
	s->sessions[0].pid = 4242;
	s->sessions[0].nblockers = 2;
	s->sessions[0].blockers[0] = 1;
	s->sessions[0].blockers[1] = -5;
	s->sessions[0].query = strdup("select pg_sleep(60)");
	s->sessions[0].query_age_s = -0.0;
}

/* Encode 'r' (delta on 'base'), frame, unframe, decode: the same record comes back. */
static void roundtrip(const struct rec_snapshot *r, const struct rec_snapshot *base, size_t *size)
{
	struct codec_buf pl = {0}, fr = {0};
	CHECK(codec_put_snapshot(&pl, r, base) == 0);
	CHECK(codec_frame(&fr, REC_SNAPSHOT, &pl) == 0);
	struct codec_frame f;
	CHECK(codec_unframe(fr.p, fr.len, &f) == CODEC_FRAME_OK);
	CHECK(f.type == REC_SNAPSHOT && f.size == fr.len);
	struct codec_key k;
	CHECK(codec_peek(f.type, f.payload, f.len, &k) == 0);
	CHECK(k.idx == 3 && k.seq == r->seq && k.base_seq == (base ? base->seq : 0) && k.at == r->at);
	struct rec_snapshot back;
	struct err e = {0};
	CHECK(codec_get_snapshot(f.payload, f.len, base, &back, &e) == 0);
	struct rec_snapshot want = *r;
	want.base_seq = base ? base->seq : 0;
	CHECK(codec_snapshot_equal(&back, &want));
	CHECK(back.s.queries[0].text == NULL || strcmp(back.s.queries[0].text, "") != 0);
	*size = fr.len;
	codec_snapshot_release(&back);
	codec_buf_release(&pl);
	codec_buf_release(&fr);
}

static void test_roundtrip_and_delta(void)
{
	struct rec_snapshot a, b;
	make(&a, 0);
	make(&b, 1);
	size_t key, delta, same;
	roundtrip(&a, NULL, &key);
	roundtrip(&b, NULL, &key);
	roundtrip(&b, &a, &delta);
	CHECK(delta * 2 < key); /* a delta writes what changed */
	struct rec_snapshot c;
	CHECK(codec_snapshot_copy(&c, &b) == 0);
	c.seq++;
	c.at += 2;
	roundtrip(&c, &b, &same);
	CHECK(same < 40);
	codec_snapshot_release(&a);
	codec_snapshot_release(&b);
	codec_snapshot_release(&c);
}

static void test_delta_needs_its_base(void)
{
	struct rec_snapshot a, b, back;
	make(&a, 0);
	make(&b, 1);
	struct codec_buf pl = {0};
	CHECK(codec_put_snapshot(&pl, &b, &a) == 0);
	struct err e = {0};
	CHECK(codec_get_snapshot(pl.p, pl.len, NULL, &back, &e) < 0);
	CHECK(strstr(e.msg, "missing") != NULL);
	a.seq = 99; /* not the one it names */
	CHECK(codec_get_snapshot(pl.p, pl.len, &a, &back, &e) < 0);
	codec_buf_release(&pl);
	codec_snapshot_release(&a);
	codec_snapshot_release(&b);
}

static void test_frames_damage(void)
{
	struct rec_state s = {.idx = 1, .at = 1795000000.5, .state = 3};
	snprintf(s.error, sizeof s.error, "connection refused");
	struct codec_buf pl = {0}, fr = {0};
	CHECK(codec_put_state(&pl, &s) == 0);
	CHECK(codec_frame(&fr, REC_STATE, &pl) == 0);
	struct codec_frame f;
	for (size_t cut = 0; cut < fr.len; cut++) /* every cut-off frame is short, never a frame */
		CHECK(codec_unframe(fr.p, cut, &f) == CODEC_FRAME_SHORT);
	for (size_t i = 2; i < fr.len; i++) { /* every flipped byte is caught */
		fr.p[i] ^= 0x20;
		enum codec_scan sc = codec_unframe(fr.p, fr.len, &f);
		CHECK(sc != CODEC_FRAME_OK);
		fr.p[i] ^= 0x20;
	}
	CHECK(codec_unframe(fr.p, fr.len, &f) == CODEC_FRAME_OK);
	struct rec_state back;
	struct err e = {0};
	CHECK(codec_get_state(f.payload, f.len, &back, &e) == 0);
	CHECK(back.idx == 1 && back.at == s.at && back.state == 3);
	CHECK_STR(back.error, "connection refused");
	codec_buf_release(&pl);
	codec_buf_release(&fr);
}

/* A newer writer's field this reader does not know is skipped. */
static void test_unknown_fields(void)
{
	struct rec_state s = {.idx = 2, .at = 1.5, .state = 1};
	struct codec_buf pl = {0};
	CHECK(codec_put_state(&pl, &s) == 0);
	const uint8_t extra[] = {(15 << 3) | 2, 3, 'a', 'b', 'c', (14 << 3) | 0, 0x81, 0x01, (13 << 3) | 5, 1, 2, 3, 4};
	for (size_t i = 0; i < sizeof extra; i++) {
		uint8_t *p = realloc(pl.p, pl.len + 1);
		pl.p = p;
		pl.p[pl.len++] = extra[i];
	}
	struct rec_state back;
	struct err e = {0};
	CHECK(codec_get_state(pl.p, pl.len, &back, &e) == 0);
	CHECK(back.idx == 2 && back.state == 1);
	codec_buf_release(&pl);
}

/* Performance Insights figures: what a viewer of --serve and a replay get back, text and all. */
static void test_pi_roundtrip(void)
{
	static struct rec_pi in, back;
	memset(&in, 0, sizeof in);
	in.at = 1732871234.5;
	snprintf(in.pi.region, sizeof in.pi.region, "us-east-1");
	snprintf(in.pi.id, sizeof in.pi.id, "orders-1");
	in.pi.load = 3.25;
	in.pi.vcpus = 4;
	in.pi.window_s = 300;
	in.pi.nwait = 2;
	snprintf(in.pi.wait[1].name, sizeof in.pi.wait[1].name, "IO:DataFileRead");
	in.pi.wait[1].load = 1.5;
	in.pi.nsql = 1;
	in.pi.sql[0].full = 1;
	in.pi.sql[0].load = 2.0;
	memset(in.pi.sql[0].text, 'x', sizeof in.pi.sql[0].text - 1);
	struct codec_buf pl = {0};
	struct err e = {0};
	CHECK(codec_put_pi(&pl, &in) == 0);
	CHECK(codec_get_pi(pl.p, pl.len, &back, &e) == 0);
	CHECK(!memcmp(&in, &back, sizeof in));
	struct codec_key k;
	CHECK(codec_peek(REC_PI, pl.p, pl.len, &k) == 0 && k.at == in.at);
	codec_buf_release(&pl);
}

static void test_crc32c(void)
{
	/* the standard check value of CRC-32C */
	CHECK(codec_crc32c(0, (const uint8_t *)"123456789", 9) == 0xE3069283u);
}

/* :goto's times: UTC on the replay's day, an offset, or the TZ zone. */
static void test_goto_times(void)
{
	double ref = 1795000000; /* 2026-11-18 11:06:40Z */
	double t;
	char msg[160];
	CHECK(replay_parse_time("03:12", ref, &t, msg, sizeof msg) == 0 && t == 1794971520);
	CHECK(replay_parse_time("03:12:05Z", ref, &t, msg, sizeof msg) == 0 && t == 1794971525);
	CHECK(replay_parse_time("03:12+02:00", ref, &t, msg, sizeof msg) == 0 && t == 1794971520 - 7200);
	CHECK(replay_parse_time("23:30-05:00", ref, &t, msg, sizeof msg) == 0 && t == 1795062600);
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK(replay_parse_time("03:12 local", ref, &t, msg, sizeof msg) == 0 && t == 1794971520);
	CHECK(replay_parse_time("3:1x", ref, &t, msg, sizeof msg) < 0 && strstr(msg, "HH:MM") != NULL);
	CHECK(replay_parse_time("25:00", ref, &t, msg, sizeof msg) < 0);
	CHECK(replay_parse_time("03:12 Mars/Olympus", ref, &t, msg, sizeof msg) < 0);
}

int main(void)
{
	RUN(test_goto_times);
	RUN(test_crc32c);
	RUN(test_roundtrip_and_delta);
	RUN(test_delta_needs_its_base);
	RUN(test_frames_damage);
	RUN(test_unknown_fields);
	RUN(test_pi_roundtrip);
	return check_total_failed;
}
