/* Unit tests: burn rates and the budget from injected outages, computed by hand; the state file. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../collectors/slo.h"
#include "check.h"

#define T0 1800000000.0 /* a whole minute: 30,000,000 */
#define NEAR(a, b) (fabs((a) - (b)) < 1e-3)

/*
 * Six hours of probes every 10 s, each ending at T0 + 10k + 9 (k = 0..2159), so minute m
 * holds the probes k = 6m..6m+5: 60 s. Down in minutes 180..189 (10 min, inside 6 h but not
 * the last hour) and 330..332 (3 min, inside the last hour). Seen at minute 359.
 */
static void inject(struct slo_set *s, size_t t, int slow_instead)
{
	slo_observe(s, t, 1, 5, T0 - 1); /* the first result counts nothing: no previous one */
	for (int k = 0; k < 2160; k++) {
		int m = k / 6, down = (m >= 180 && m < 190) || (m >= 330 && m < 333);
		if (slow_instead)
			slo_observe(s, t, 1, down ? 80 : 5, T0 + 10.0 * k + 9);
		else
			slo_observe(s, t, !down, down ? -1 : 5, T0 + 10.0 * k + 9);
	}
}

static void test_burn_by_hand(void)
{
	struct slo_set *s = slo_new();
	struct slo_view v;
	CHECK(slo_configure(s, 0, "orders", 99.9, 0, 7) == 0);
	CHECK(slo_configure(s, 1, "billing", 99.0, 0, 7) == 0);
	inject(s, 0, 0);
	inject(s, 1, 0);
	CHECK(slo_view_of(s, 0, T0 + 359 * 60 + 30, &v) == 1);
	/* 1 h: 180 bad of 3600 s = 5 %, over a 0.1 % budget: 50 */
	CHECK(NEAR(v.burn_1h, 50.0));
	/* 6 h: 780 bad of 21600 s = 3.611 %: 36.111 */
	CHECK(NEAR(v.burn_6h, 780.0 / 21600 / 0.001));
	CHECK(v.fast == 1);
	/* 7 days' budget: 0.1 % of 604800 s = 604.8 s; 780 spent: 1 - 780/604.8 = -0.2897 */
	CHECK(NEAR(v.budget_left, 1 - 780 / 604.8));
	CHECK(NEAR(v.observed_s, 21600));
	CHECK(slo_view_of(s, 1, T0 + 359 * 60 + 30, &v) == 1);
	/* the same outages against 99 %: 5 and 3.611, not a fast burn; 6048 s of budget */
	CHECK(NEAR(v.burn_1h, 5.0));
	CHECK(NEAR(v.burn_6h, 3.6111));
	CHECK(v.fast == 0);
	CHECK(NEAR(v.budget_left, 1 - 780 / 6048.0));
	CHECK(slo_view_of(s, 2, T0, &v) == 0); /* no objective */
	slo_free(&s);
	CHECK(s == NULL);
}

static void test_latency_counts(void)
{
	struct slo_set *s = slo_new();
	struct slo_view v;
	CHECK(slo_configure(s, 0, "orders", 99.9, 50, 1) == 0);
	inject(s, 0, 1); /* the same minutes answered in 80 ms, over the 50 ms objective */
	CHECK(slo_view_of(s, 0, T0 + 359 * 60 + 30, &v) == 1);
	CHECK(NEAR(v.burn_1h, 50.0));
	CHECK(NEAR(v.burn_6h, 780.0 / 21600 / 0.001));
	/* one day's budget: 86.4 s */
	CHECK(NEAR(v.budget_left, 1 - 780 / 86.4));
	slo_free(&s);
}

/* Time, not probe counts: a target retried every 30 s while down weighs its whole downtime. */
static void test_time_weighted(void)
{
	struct slo_set *s = slo_new();
	struct slo_view v;
	CHECK(slo_configure(s, 0, "orders", 99.0, 0, 1) == 0);
	double t = T0 - 2; /* so minute 0 holds the first 30 probes, 60 s */
	slo_observe(s, 0, 1, 1, t);
	for (int i = 0; i < 900; i++) /* 30 min up, every 2 s */
		slo_observe(s, 0, 1, 1, t += 2);
	for (int i = 0; i < 60; i++) /* 30 min down, retried every 30 s */
		slo_observe(s, 0, 0, -1, t += 30);
	CHECK(slo_view_of(s, 0, t, &v) == 1);
	CHECK(NEAR(v.burn_1h, 0.5 / 0.01)); /* half the hour bad: 50 */
	slo_observe(s, 0, 1, 1, t += 3600); /* dbfleet was not looking: at most SLO_GAP_S counted */
	CHECK(slo_view_of(s, 0, t, &v) == 1);
	CHECK(NEAR(v.observed_s, 3600 + SLO_GAP_S));
	CHECK(NEAR(v.burn_1h, 0)); /* the last hour holds that one good minute alone */
	slo_free(&s);
}

static char dir[256];

static void path_in(char *out, size_t n, const char *leaf)
{
	snprintf(out, n, "%s/%s", dir, leaf);
}

static int corrupt_files(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strstr(e->d_name, ".corrupt-") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_state_file_round_trip(void)
{
	char path[300], msg[400] = "";
	path_in(path, sizeof path, "fleet.state");
	struct slo_set *s = slo_new();
	slo_configure(s, 0, "orders db", 99.9, 0, 7);
	CHECK(slo_load(s, path, T0 - 60, msg, sizeof msg) == 0); /* none yet: made */
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	inject(s, 0, 0);
	CHECK(slo_append(s, path, T0 + 360 * 60 + 1, msg, sizeof msg) == 0); /* minutes 0..359 go out */
	CHECK(slo_append(s, path, T0 + 360 * 60 + 20, msg, sizeof msg) == 0); /* nothing new */
	struct slo_set *r = slo_new();
	struct slo_view v;
	slo_configure(r, 3, "orders db", 99.9, 0, 7); /* another index: the name is the key */
	slo_configure(r, 4, "other", 99.9, 0, 7);
	CHECK(slo_load(r, path, T0 + 360 * 60 + 30, msg, sizeof msg) == 0);
	CHECK(slo_view_of(r, 3, T0 + 359 * 60 + 30, &v) == 1);
	CHECK(NEAR(v.burn_1h, 50.0));
	CHECK(NEAR(v.burn_6h, 780.0 / 21600 / 0.001));
	CHECK(slo_view_of(r, 4, T0 + 359 * 60 + 30, &v) == 1 && v.observed_s == 0);
	CHECK(corrupt_files() == 0);
	/* what the load rewrote is whole: a third reader agrees */
	struct slo_set *q = slo_new();
	slo_configure(q, 0, "orders db", 99.9, 0, 7);
	CHECK(slo_load(q, path, T0 + 360 * 60 + 40, msg, sizeof msg) == 0);
	CHECK(slo_view_of(q, 0, T0 + 359 * 60 + 30, &v) == 1 && NEAR(v.burn_1h, 50.0));
	slo_free(&s);
	slo_free(&r);
	slo_free(&q);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_corrupt_set_aside(void)
{
	char path[300], msg[400] = "";
	path_in(path, sizeof path, "bad.state");
	write_text(path, "dbfleet-slo 1\norders 30000000 60.000 0.000 deadbeef\n");
	struct slo_set *s = slo_new();
	slo_configure(s, 0, "orders", 99.9, 0, 7);
	int before = corrupt_files();
	CHECK(slo_load(s, path, T0 + 60, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "checksum") != NULL);
	CHECK(strstr(msg, "set aside") != NULL);
	CHECK(corrupt_files() == before + 1);
	char again[400] = "";
	CHECK(slo_load(s, path, T0 + 60, again, sizeof again) == 0); /* a fresh, valid file took its place */
	write_text(path, "\x01\x02 not ours");
	CHECK(slo_load(s, path, T0 + 60, msg, sizeof msg) == -1 && strstr(msg, "not a dbfleet state file"));
	slo_free(&s);
}

static void on_record(void *p, const char *name, const struct slo_bucket *x)
{
	size_t *n = p;
	(*n)++;
	CHECK_STR(name, "orders db");
	CHECK(x->minute == 30000000 && NEAR(x->good_s, 60));
}

/* A record cut short by a crash mid-write is dropped, not a corrupt file; names are escaped. */
static void test_torn_tail(void)
{
	char line[200], text[400], msg[200] = "";
	const char *body = "orders%20db 30000000 60.000 0.000";
	snprintf(line, sizeof line, "%s %08x\n", body, (unsigned)slo_crc32(body, strlen(body)));
	snprintf(text, sizeof text, "dbfleet-slo 1\n%sorders 30000001 6", line);
	size_t got = 0;
	CHECK(slo_parse(text, strlen(text), on_record, &got, msg, sizeof msg) == 0);
	CHECK(got == 1);
	CHECK(slo_crc32("123456789", 9) == 0xcbf43926u); /* the standard check value */
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/dbfleet-test-slo-%ld", (long)getpid());
	mkdir(dir, 0700);
	RUN(test_burn_by_hand);
	RUN(test_latency_counts);
	RUN(test_time_weighted);
	RUN(test_state_file_round_trip);
	RUN(test_corrupt_set_aside);
	RUN(test_torn_tail);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)!system(cmd);
	return check_total_failed;
}
