/* Unit tests: Performance Insights on demand (the store's watch) and in the queries pane. */
#include <stdlib.h>
#include <unistd.h>

#include "../../panes/pane.h"
#include "check.h"

enum { C_MS_S = 0, C_WAIT = 5, C_QUERY = 6 }; /* the queries pane's columns */

static void watch_publish_and_forget(void)
{
	struct store *s = store_new(0);
	char keys[STORE_PI_WATCH + 1][STORE_PI_KEY];
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH) == 0 && !store_pi_take_request(s));
	store_pi_watch(s, "us-east-1", "a", 30);
	CHECK(store_pi_take_request(s) == 1 && store_pi_take_request(s) == 0); /* once: look now */
	store_pi_watch(s, "us-east-1", "a", 30);
	CHECK(store_pi_take_request(s) == 0); /* a renewal is no news */
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH) == 1);
	CHECK_STR(keys[0], "us-east-1/a");
	struct pi_snapshot *p = pi_snapshot_new();
	snprintf(p->pi.region, sizeof p->pi.region, "us-east-1");
	snprintf(p->pi.id, sizeof p->pi.id, "a");
	p->pi.load = 1.25;
	store_pi_publish(s, p);
	p = pi_snapshot_new(); /* no pane watches b: its figures are not kept */
	snprintf(p->pi.region, sizeof p->pi.region, "us-east-1");
	snprintf(p->pi.id, sizeof p->pi.id, "b");
	store_pi_publish(s, p);
	struct pi_snapshot *g = store_pi_get(s, "us-east-1", "a");
	CHECK(g && g->pi.load == 1.25 && !store_pi_get(s, "us-east-1", "b"));
	pi_snapshot_release(&g);
	CHECK(g == NULL);
	/* every slot busy: a ninth instance waits for one no pane renews */
	for (int i = 1; i < STORE_PI_WATCH; i++) {
		char id[16];
		snprintf(id, sizeof id, "x%d", i);
		store_pi_watch(s, "eu-west-1", id, i == 1 ? 0.001 : 30);
	}
	store_pi_watch(s, "eu-west-1", "ninth", 30);
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH + 1) == STORE_PI_WATCH);
	usleep(5000); /* x1's watch lapses: its slot goes to the next instance asked for */
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH + 1) == STORE_PI_WATCH - 1);
	store_pi_watch(s, "eu-west-1", "ninth", 30);
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH + 1) == STORE_PI_WATCH);
	g = store_pi_get(s, "us-east-1", "a");
	CHECK(g != NULL); /* a's figures stay while it is watched */
	pi_snapshot_release(&g);
	store_free(&s);
}

static void publish_instance(struct store *s, const char *id, int pi_on)
{
	struct cloud_snapshot *c = cloud_snapshot_new();
	c->inst = calloc(1, sizeof *c->inst);
	c->n = 1;
	snprintf(c->inst[0].id, sizeof c->inst[0].id, "%s", id);
	snprintf(c->inst[0].region, sizeof c->inst[0].region, "us-east-1");
	snprintf(c->inst[0].klass, sizeof c->inst[0].klass, "db.r6g.large");
	snprintf(c->inst[0].resource_id, sizeof c->inst[0].resource_id, "db-ABC");
	c->inst[0].pi_enabled = pi_on;
	store_cloud_publish(s, c);
}

static void publish_pi(struct store *s, const char *id)
{
	struct pi_snapshot *p = pi_snapshot_new();
	struct cloud_pi *pi = &p->pi;
	snprintf(pi->region, sizeof pi->region, "us-east-1");
	snprintf(pi->id, sizeof pi->id, "%s", id);
	pi->fetched_at = clock_wall();
	pi->window_s = 300;
	pi->load = 1.5;
	pi->vcpus = 2;
	pi->nwait = 2;
	snprintf(pi->wait[0].name, sizeof pi->wait[0].name, "CPU");
	pi->wait[0].load = 1.0;
	snprintf(pi->wait[1].name, sizeof pi->wait[1].name, "IO:DataFileRead");
	pi->wait[1].load = 0.5;
	pi->nsql = 2;
	snprintf(pi->sql[0].id, sizeof pi->sql[0].id, "T1");
	pi->sql[0].load = 1.2;
	snprintf(pi->sql[0].wait, sizeof pi->sql[0].wait, "CPU");
	snprintf(pi->sql[0].text, sizeof pi->sql[0].text, "SELECT '\x1b[31m' FROM t");
	snprintf(pi->sql[1].id, sizeof pi->sql[1].id, "T2");
	pi->sql[1].load = 0.3;
	snprintf(pi->sql[1].text, sizeof pi->sql[1].text, "UPDATE t SET x = $1");
	store_pi_publish(s, p);
}

static int has(const char *cell, const char *text)
{
	return cell && strstr(cell, text);
}

static void queries_pane_pi_alone(void)
{
	struct store *s = store_new(0);
	publish_instance(s, "pi-a", 1);
	struct pane *p = pane_new(&pane_queries_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .aws = row_ref_aws("us-east-1", "pi-a")};
	pane_recalc(p, &ctx);
	CHECK_STR(p->title, "queries - pi-a (AWS, no database connection)");
	CHECK(p->tab.nrows == 1 && has(p->tab.rows[0].cell[C_QUERY], "from Performance Insights: asking"));
	char keys[STORE_PI_WATCH][STORE_PI_KEY];
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH) == 1); /* the pane asked for it */
	publish_pi(s, "pi-a");
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 3);
	CHECK(p->tab.rows[0].ref.kind == ROW_GROUP);
	CHECK(has(p->tab.rows[0].cell[C_QUERY], "from Performance Insights: load 1.50 average active sessions of "
					      "2 vCPUs (75%), last 5 min"));
	CHECK_STR(p->tab.rows[1].cell[C_MS_S], "1200");
	CHECK_STR(p->tab.rows[1].cell[C_WAIT], "CPU");
	CHECK_STR(p->tab.rows[1].cell[C_QUERY], "SELECT '^[[31m' FROM t"); /* through the sanitiser */
	CHECK_STR(p->tab.rows[2].cell[C_MS_S], "300");
	CHECK(has(p->note[0], "waits (average active sessions): CPU 1.00, IO:DataFileRead 0.50"));
	/* Enter on a digest: its text; on the header: every wait */
	p->sel = 1;
	pane_command(p, PANE_OPEN, &ctx, 10);
	CHECK(has(p->overlay, "Performance Insights digest T1: 1.20 average active sessions over the last 5 min, "
			      "most in CPU"));
	pane_set_overlay(p, NULL);
	p->sel = 0;
	pane_command(p, PANE_OPEN, &ctx, 10);
	CHECK(has(p->overlay, "IO:DataFileRead"));
	pane_free(&p);
	store_free(&s);
}

static void queries_pane_pi_off_asks_nothing(void)
{
	struct store *s = store_new(0);
	publish_instance(s, "plain", 0);
	struct pane *p = pane_new(&pane_queries_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .aws = row_ref_aws("us-east-1", "plain")};
	pane_recalc(p, &ctx);
	char keys[STORE_PI_WATCH][STORE_PI_KEY];
	CHECK(p->tab.nrows == 0 && has(p->note[0], "Performance Insights is off for 'plain'"));
	CHECK(store_pi_watched(s, keys, STORE_PI_WATCH) == 0);
	pane_free(&p);
	store_free(&s);
}

static void queries_pane_both_sources_each_named(void)
{
	struct store *s = store_new(1);
	store_describe(s, 0, "orders", "postgres", "db:5432", 60, 5);
	store_set_cloud_id(s, 0, "pi-a");
	struct snapshot *snap = snapshot_new();
	snap->mono = clock_mono();
	snap->s.detail = 1;
	snap->s.nqueries = 1;
	snap->s.queries = calloc(1, sizeof *snap->s.queries);
	snap->s.queries[0].queryid = 7;
	snap->s.queries[0].calls = 10;
	snap->s.queries[0].ms_s = 5000; /* busier than PI's rows: the groups keep their order */
	snap->s.queries[0].text = strdup("SELECT from_the_database");
	store_publish(s, 0, snap);
	publish_instance(s, "pi-a", 1);
	publish_pi(s, "pi-a");
	struct pane *p = pane_new(&pane_queries_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .target = 0};
	store_pi_watch(s, "us-east-1", "pi-a", 30); /* as the pane's first recalc would; then its figures stay */
	publish_pi(s, "pi-a");
	pane_recalc(p, &ctx);
	CHECK_STR(p->title, "queries - orders + Performance Insights");
	CHECK(p->tab.nrows == 5);
	/* PI's few digests first, then the database's many */
	CHECK(p->tab.rows[0].ref.kind == ROW_GROUP && has(p->tab.rows[0].cell[C_QUERY], "from Performance Insights"));
	CHECK_STR(p->tab.rows[1].cell[C_MS_S], "1200");
	CHECK(p->tab.rows[3].ref.kind == ROW_GROUP && has(p->tab.rows[3].cell[C_QUERY], "from the database"));
	CHECK_STR(p->tab.rows[4].cell[C_QUERY], "SELECT from_the_database");
	/* Enter on the database's statement is still its own */
	p->sel = 4;
	pane_command(p, PANE_OPEN, &ctx, 10);
	CHECK(has(p->overlay, "queryid 7, 10 calls") && has(p->overlay, "SELECT from_the_database"));
	pane_free(&p);
	store_free(&s);
}

int main(void)
{
	text_init();
	RUN(watch_publish_and_forget);
	RUN(queries_pane_pi_alone);
	RUN(queries_pane_pi_off_asks_nothing);
	RUN(queries_pane_both_sources_each_named);
	return check_total_failed;
}
