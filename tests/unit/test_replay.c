/* test_replay.c - record files: rotation past the cap, and a file played into a real store (jumps, steps). */
#include "../../collectors/codec.h"
#include "../../collectors/record.h"
#include "check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0 1795000000.0
#define STEP 2.0
#define N 3600 /* two hours of one target at 2 s */

static void frame(FILE *f, int type, struct codec_buf *pl)
{
	struct codec_buf fr = {0};
	CHECK(codec_frame(&fr, type, pl) == 0);
	fwrite(fr.p, 1, fr.len, f);
	codec_buf_release(&fr);
	pl->len = 0;
}

/* A file: header, one target, N snapshots whose conns_used is their number (a key frame each 30). */
static void write_file(const char *path)
{
	FILE *f = fopen(path, "wb");
	struct codec_buf pl = {0};
	codec_put_header(&pl, &(struct rec_header){.version = CODEC_VERSION, .at = T0});
	frame(f, REC_HEADER, &pl);
	struct rec_target t = {.idx = 0, .at = T0, .interval_s = STEP, .timeout_s = 3};
	snprintf(t.name, sizeof t.name, "orders-db");
	snprintf(t.engine, sizeof t.engine, "postgres");
	codec_put_target(&pl, &t);
	frame(f, REC_TARGET, &pl);
	struct rec_snapshot prev = {0};
	for (int k = 1; k <= N; k++) {
		struct rec_snapshot r = {.idx = 0, .seq = (uint64_t)k, .at = T0 + k * STEP};
		r.s.health.conns_used = k;
		r.s.health.tps = k * 0.5;
		codec_put_snapshot(&pl, &r, k % 30 ? &prev : NULL);
		frame(f, REC_SNAPSHOT, &pl);
		prev = r;
	}
	fclose(f);
	codec_buf_release(&pl);
}

/* Wait (at most 10 s) until the replay says 'want'; then the conns_used the store shows. */
static int shown_after(struct replay *rp, struct store *st, unsigned long *seq, const char *want)
{
	struct replay_status rs;
	for (int i = 0; i < 1000; i++) {
		replay_get_status(rp, &rs);
		if (rs.seq != *seq && strstr(rs.message, want))
			break;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	*seq = rs.seq;
	CHECK(strstr(rs.message, want) != NULL);
	struct target_status ts;
	struct snapshot *s = store_count(st) ? store_get(st, 0, &ts) : NULL;
	int conns = s ? s->s.health.conns_used : -1;
	CHECK(!s || s->mono <= rs.now);
	snapshot_release(&s);
	return conns;
}

static void test_jumps(void)
{
	char path[] = "/tmp/dbfleet-replay-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	write_file(path);
	struct store *st = store_new(0);
	struct err e = {0};
	struct replay *rp = replay_open(st, path, &e);
	CHECK(rp != NULL);
	if (!rp)
		return;
	replay_toggle_pause(rp);
	CHECK(replay_start(rp, &e) == 0);
	unsigned long seq = 0;
	char at[32];
	/* an hour in: snapshot 1800, though the snapshots before the last 45 minutes were passed over */
	replay_goto(rp, T0 + 1800 * STEP);
	strftime(at, sizeof at, "at %H:%M:%SZ", gmtime(&(time_t){(time_t)(T0 + 1800 * STEP)}));
	CHECK(shown_after(rp, st, &seq, at) == 1800);
	struct target_status ts;
	struct snapshot *s = store_get(st, 0, &ts);
	CHECK_STR(ts.name, "orders-db");
	CHECK(ts.state == TARGET_OK);
	double hist[STORE_HISTORY];
	CHECK(store_history(st, 0, HIST_CONNS, hist, STORE_HISTORY) > 1000); /* the rings are full again */
	snapshot_release(&s);
	/* back: from the start again */
	replay_goto(rp, T0 + 100 * STEP + 1);
	strftime(at, sizeof at, "at %H:%M:%SZ", gmtime(&(time_t){(time_t)(T0 + 100 * STEP + 1)}));
	CHECK(shown_after(rp, st, &seq, at) == 100);
	/* a step plays the next record */
	replay_step(rp);
	for (int i = 0; i < 100; i++) {
		s = store_get(st, 0, NULL);
		int c = s ? s->s.health.conns_used : 0;
		snapshot_release(&s);
		if (c == 101)
			break;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	s = store_get(st, 0, NULL);
	CHECK(s && s->s.health.conns_used == 101);
	snapshot_release(&s);
	replay_close(&rp);
	nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL); /* its thread lets go of the store */
	store_free(&st);
	unlink(path);
}

/* Past the cap the file becomes FILE.1 and FILE starts again with a header; both 0600, both whole frames. */
static void test_rotation(void)
{
	char dir[] = "/tmp/dbfleet-rotate-XXXXXX", path[64], old[72];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/fleet.rec", dir);
	snprintf(old, sizeof old, "%s.1", path);
	struct store *st = store_new(1);
	store_describe(st, 0, "orders-db", "postgres", "db1:5432", 2, 3);
	struct err e = {0};
	struct recorder *r = record_start(st, path, 0.05, &e); /* 52 KB */
	CHECK(r != NULL);
	for (int k = 0; k < 3000; k++) {
		struct snapshot *s = snapshot_new();
		s->mono = clock_mono();
		s->s.health.conns_used = k;
		s->s.health.tps = k * 1.37;
		store_publish(st, 0, s);
		if (k % 200 == 0)
			nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL); /* the queue drains */
	}
	record_stop(&r, 5);
	struct stat a, b;
	CHECK(stat(path, &a) == 0 && stat(old, &b) == 0);
	CHECK((a.st_mode & 0777) == 0600 && (b.st_mode & 0777) == 0600);
	CHECK(b.st_size >= 50000 && b.st_size < 60000 && a.st_size < 60000);
	FILE *f = fopen(path, "rb");
	static uint8_t buf[70000];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0, pos = 0, frames = 0;
	if (f)
		fclose(f);
	struct codec_frame fr;
	int first = -1;
	while (pos < n && codec_unframe(buf + pos, n - pos, &fr) == CODEC_FRAME_OK) {
		first = first < 0 ? fr.type : first;
		pos += fr.size;
		frames++;
	}
	CHECK(pos == n && frames > 3 && first == REC_HEADER);
	store_free(&st);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

int main(void)
{
	RUN(test_rotation);
	RUN(test_jumps);
	return check_total_failed;
}
