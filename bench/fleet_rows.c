/*
 * fleet_rows.c - how long the fleet pane takes to turn 5,000 targets into
 * rows: recalc (problems first), grouped, filtered, user-sorted; the lag
 * tree over the same store; and a repaint, which draws only the rows on
 * screen. Synthetic statuses in a real store (store_new, store_describe,
 * store_set_state, store_publish), no servers. `make bench-rows`.
 *
 * usage: fleet_rows [TARGETS] [ROUNDS]
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../panes/pane.h"

/* Every 50th down, every 97th stalled, every 211th auth, every 7th a replica of the one before. */
static struct store *fleet(size_t n)
{
	struct store *s = store_new(n);
	static const char *const envs[] = {"prod", "staging", "dev"};
	for (size_t t = 0; s && t < n; t++) {
		char name[64], ep[64], tags[96];
		snprintf(name, sizeof name, "%s-%04zu", t % 3 ? "orders" : "billing", t);
		snprintf(ep, sizeof ep, "10.%zu.%zu.%zu:5432", t / 65536, t / 256 % 256, t % 256);
		snprintf(tags, sizeof tags, "team=t%02zu,env=%s", t % 40, envs[t % 3]);
		store_describe(s, t, name, t % 5 ? "postgres" : "mysql", ep, 2, 3);
		store_set_tags(s, t, tags);
		struct err e = {0};
		err_set(&e, ERR_FAIL, "connect: refused");
		if (t % 50 == 0 || t % 97 == 0 || t % 211 == 0) {
			store_set_state(s, t, t % 50 == 0 ? TARGET_DOWN : t % 97 == 0 ? TARGET_STALLED : TARGET_AUTH, &e);
			continue;
		}
		struct snapshot *snap = snapshot_new();
		snap->mono = clock_mono();
		struct db_health *h = &snap->s.health;
		h->conns_used = (int)(t % 100);
		h->conns_max = 100;
		h->tps = (double)(t % 1000);
		h->longest_xact_s = (double)(t % 400);
		snprintf(h->tls, sizeof h->tls, "TLSv1.3");
		if (t % 7 == 1) {
			h->is_replica = 1;
			snap->s.lag_s = (double)(t % 45);
			snprintf(snap->s.standby.sender_host, sizeof snap->s.standby.sender_host, "10.%zu.%zu.%zu",
				 (t - 1) / 65536, (t - 1) / 256 % 256, (t - 1) % 256);
			snap->s.standby.sender_port = 5432;
		}
		store_publish(s, t, snap);
	}
	return s;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Run 'step' 'rounds' times; print the median and the best in ms. */
static void timed(const char *what, int rounds, void (*step)(void *), void *arg)
{
	double *ms = calloc((size_t)rounds, sizeof *ms);
	if (!ms)
		return;
	for (int i = 0; i < rounds; i++) {
		double t0 = clock_mono();
		step(arg);
		ms[i] = (clock_mono() - t0) * 1000;
	}
	qsort(ms, (size_t)rounds, sizeof *ms, by_double);
	printf("  %-44s median %7.2f ms   best %7.2f ms\n", what, ms[rounds / 2], ms[0]);
	free(ms);
}

struct run {
	struct pane *p;
	struct pane_ctx ctx;
};

static void recalc(void *arg)
{
	struct run *r = arg;
	r->ctx.now = clock_mono();
	pane_recalc(r->p, &r->ctx);
}

static void repaint(void *arg)
{
	struct run *r = arg;
	pane_repaint(r->p, stdscr, 2, 0, LINES - 3, COLS, 1);
	wnoutrefresh(stdscr);
}

/* A screen of 200x60 written to /dev/null: the drawing is real, nobody watches. */
static int screen_on_null(void)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	if (!out || !in || !newterm("xterm-256color", out, in))
		return -1;
	resizeterm(60, 200);
	start_color();
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)atol(argv[1]) : 5000;
	int rounds = argc > 2 ? atoi(argv[2]) : 21;
	setlocale(LC_ALL, "C.UTF-8");
	text_init();
	struct store *s = fleet(n);
	struct run r = {.p = pane_new(&pane_fleet_ops), .ctx = {.store = s}};
	if (!s || !r.p || rounds < 1)
		return 1;
	struct err e = {0};
	printf("fleet pane, %zu targets, %d rounds each:\n", n, rounds);
	timed("recalc, problems first", rounds, recalc, &r);
	printf("  (%d rows, count line:", r.p->tab.nrows);
	for (int i = 0; i < r.p->nbadges; i++)
		printf(" %s%s", r.p->badge[i].text, i + 1 < r.p->nbadges ? "," : ")\n");
	fleet_set_grouping(r.p, "cluster", &e);
	timed("recalc, grouped by cluster (replication set)", rounds, recalc, &r);
	fleet_set_grouping(r.p, "tag:team", &e);
	timed("recalc, grouped by tag:team", rounds, recalc, &r);
	fleet_toggle_all(r.p);
	timed("recalc, grouped by tag:team, all folded", rounds, recalc, &r);
	fleet_set_grouping(r.p, "none", &e);
	fleet_set_filter(r.p, "state=down", &e);
	timed("recalc, :filter state=down", rounds, recalc, &r);
	fleet_set_filter(r.p, "tag:env=prod name=orders-1*", &e);
	timed("recalc, :filter tag:env=prod name=orders-1*", rounds, recalc, &r);
	fleet_set_filter(r.p, "", &e);
	r.p->sort_col = 7; /* TPS, the user's sort */
	timed("recalc, sorted by TPS", rounds, recalc, &r);
	r.p->sort_col = -1;
	struct run lag = {.p = pane_new(&pane_lag_ops), .ctx = {.store = s}};
	timed("lag pane recalc (the tree)", rounds, recalc, &lag);
	printf("  (%d rows)\n", lag.p->tab.nrows);
	if (screen_on_null() == 0) {
		recalc(&r);
		timed("repaint, 200x60 screen", rounds, repaint, &r);
		r.p->sel = r.p->tab.nrows - 1; /* End: the recalc fills the rows around it, repaint draws them */
		recalc(&r);
		timed("repaint, cursor on the last row", rounds, repaint, &r);
		endwin();
	}
	pane_free(&lag.p);
	pane_free(&r.p);
	store_free(&s);
	return 0;
}
