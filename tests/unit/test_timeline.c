/* Unit tests: the timeline's ring, what counts as a change between two observations, the store's hooks. */
#include <stdlib.h>

#include <locale.h>
#include <time.h>

#include "../../collectors/timeline.h"
#include "../../panes/pane.h"
#include "check.h"

static struct db_sample replica(const char *halted, int streaming, double lag_s)
{
	struct db_sample s = {0};
	s.health.is_replica = 1;
	snprintf(s.standby.halted, sizeof s.standby.halted, "%s", halted);
	s.standby.streaming = streaming;
	snprintf(s.standby.sender_host, sizeof s.standby.sender_host, "10.0.0.1");
	s.standby.sender_port = 5432;
	s.lag_s = lag_s;
	s.lag_bytes = 0;
	return s;
}

static size_t observe(const struct db_sample *a, enum target_state sa, const struct db_sample *b,
		      enum target_state sb, const char *error, struct tl_event *out)
{
	struct tl_observation was = {sa, a}, now = {sb, b};
	return timeline_observe("replica", &was, &now, error, 1000, out, TL_OBSERVE_MAX);
}

static void ring_reads_after_a_seq_and_drops_the_oldest(void)
{
	struct timeline *t = timeline_new(4);
	struct tl_event e = {0}, out[8];
	for (int i = 0; i < 6; i++) {
		snprintf(e.text, sizeof e.text, "event %d", i);
		CHECK(timeline_add(t, &e) == (uint64_t)i + 1);
	}
	size_t n = timeline_read(t, 0, out, 8);
	CHECK(n == 4); /* 1 and 2 were dropped */
	CHECK(out[0].seq == 3);
	CHECK_STR(out[0].text, "event 2");
	CHECK(out[3].seq == 6);
	n = timeline_read(t, 4, out, 8);
	CHECK(n == 2 && out[0].seq == 5);
	CHECK(timeline_read(t, 6, out, 8) == 0);
	CHECK(timeline_read(t, 2, out, 1) == 1 && out[0].seq == 3);
	timeline_free(&t);
	CHECK(t == NULL);
	timeline_free(&t);
}

static void state_changes_but_not_the_first_sample(void)
{
	struct tl_event ev[TL_OBSERVE_MAX];
	struct db_sample a = replica("", 1, 0);
	CHECK(observe(NULL, TARGET_CONNECTING, &a, TARGET_OK, NULL, ev) == 0);
	CHECK(observe(NULL, TARGET_OK, NULL, TARGET_DOWN, "connection refused", ev) == 1);
	CHECK_STR(ev[0].text, "down: connection refused");
	CHECK(ev[0].kind == TL_STATE && ev[0].source == TL_SRC_OBSERVED && ev[0].at == 1000);
	CHECK(ev[0].level == TL_BAD);
	CHECK_STR(ev[0].state, "down");
	CHECK_STR(ev[0].target, "replica");
	CHECK(observe(NULL, TARGET_DOWN, NULL, TARGET_DOWN, "again", ev) == 0);
	CHECK(observe(NULL, TARGET_OK, NULL, TARGET_STALLED, "timeout after 2s", ev) == 1);
	CHECK_STR(ev[0].text, "stalled: timeout after 2s");
	CHECK(observe(&a, TARGET_STALLED, &a, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "up again (was stalled)");
	CHECK_STR(ev[0].state, "up");
	CHECK(ev[0].level == TL_GOOD);
	CHECK(observe(NULL, TARGET_CONNECTING, NULL, TARGET_AUTH, "role \"ghost\" does not exist", ev) == 1);
	CHECK_STR(ev[0].text, "authentication failed: role \"ghost\" does not exist");
	CHECK_STR(ev[0].state, "auth");
}

static void replication_halts_resumes_and_promotes(void)
{
	struct tl_event ev[TL_OBSERVE_MAX];
	struct db_sample a = replica("", 1, 0), b = replica("REPLAY PAUSED", 1, 0);
	CHECK(observe(&a, TARGET_OK, &a, TARGET_OK, NULL, ev) == 0);
	CHECK(observe(&a, TARGET_OK, &b, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "replication halted: REPLAY PAUSED");
	CHECK_STR(ev[0].state, "halted");
	CHECK(ev[0].kind == TL_REPLICATION);
	CHECK(observe(&b, TARGET_OK, &a, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "replication running again (was REPLAY PAUSED)");
	CHECK_STR(ev[0].state, "running");
	struct db_sample c = replica("", 0, 0);
	snprintf(c.standby.last_error, sizeof c.standby.last_error, "connection reset");
	CHECK(observe(&a, TARGET_OK, &c, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "replication not receiving from the primary: connection reset");
	struct db_sample p = {0};
	p.lag_s = p.lag_bytes = -1;
	CHECK(observe(&a, TARGET_OK, &p, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "role: replica -> primary (promoted)");
	CHECK_STR(ev[0].state, "primary");
	CHECK(ev[0].kind == TL_ROLE);
	CHECK(observe(&p, TARGET_OK, &a, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "role: primary -> replica of 10.0.0.1:5432");
}

static void lag_crossing_either_way_once(void)
{
	struct tl_event ev[TL_OBSERVE_MAX];
	struct db_sample a = replica("", 1, 5), b = replica("", 1, 45), c = replica("", 1, 50), d = replica("", 1, -1);
	CHECK(observe(&a, TARGET_OK, &b, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "lag above 30s: 45s");
	CHECK_STR(ev[0].state, "above");
	CHECK(ev[0].level == TL_WARN);
	CHECK(ev[0].kind == TL_LAG);
	CHECK(observe(&b, TARGET_OK, &c, TARGET_OK, NULL, ev) == 0);
	CHECK(observe(&c, TARGET_OK, &d, TARGET_OK, NULL, ev) == 0); /* unknown is no crossing */
	CHECK(observe(&c, TARGET_OK, &a, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "lag back under 30s: 5s");
	a.lag_bytes = 1024;
	b = a;
	b.lag_bytes = 100.0 * 1024 * 1024;
	CHECK(observe(&a, TARGET_OK, &b, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "lag above 64 MiB: 100.0 MiB");
}

static void standbys_come_and_go_on_a_primary(void)
{
	struct tl_event ev[TL_OBSERVE_MAX];
	struct db_replica r = {.name = "walreceiver", .client = "10.0.0.2"};
	struct db_sample a = {0}, b = {0};
	a.lag_s = a.lag_bytes = b.lag_s = b.lag_bytes = -1;
	a.replicas = &r;
	a.nreplicas = 1;
	CHECK(observe(&a, TARGET_OK, &b, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "standby 'walreceiver' (10.0.0.2) disconnected");
	CHECK(observe(&b, TARGET_OK, &a, TARGET_OK, NULL, ev) == 1);
	CHECK_STR(ev[0].text, "standby 'walreceiver' (10.0.0.2) connected");
}

static void cloud_diff_new_events_and_a_moved_writer(void)
{
	struct cloud_instance w = {.id = "db-1", .region = "eu-west-1", .status = "available", .role = "writer",
				   .cluster = "orders"};
	struct cloud_instance r = w;
	snprintf(r.id, sizeof r.id, "db-2");
	snprintf(r.role, sizeof r.role, "reader");
	struct cloud_instance before[2] = {w, r}, after[2] = {w, r};
	snprintf(after[0].role, sizeof after[0].role, "reader");
	snprintf(after[1].role, sizeof after[1].role, "writer");
	struct cloud_event e1 = {.at = 500, .region = "eu-west-1", .source = "db-1", .category = "failover",
				 .message = "Started cross AZ failover"};
	struct cloud_event e2 = e1;
	e2.at = 600;
	snprintf(e2.message, sizeof e2.message, "Completed failover");
	struct cloud_event ev_before[1] = {e1}, ev_after[2] = {e2, e1};
	struct cloud_snapshot was = {.inst = before, .n = 2, .events = ev_before, .nevents = 1, .events_at = 10,
				     .discovered_at = 10};
	struct cloud_snapshot now = {.inst = after, .n = 2, .events = ev_after, .nevents = 2, .events_at = 20,
				     .discovered_at = 20};
	struct tl_event out[8];
	size_t n = timeline_cloud_diff(&was, &now, 1000, out, 8);
	CHECK(n == 3);
	CHECK(out[0].kind == TL_RDS_EVENT && out[0].source == TL_SRC_RDS && out[0].at == 600);
	CHECK_STR(out[0].text, "failover: Completed failover");
	CHECK_STR(out[0].group, "orders");
	CHECK_STR(out[0].state, "failover");
	CHECK(out[0].level == TL_WARN);
	CHECK_STR(out[1].text, "role: writer -> reader in cluster orders");
	CHECK_STR(out[1].target, "db-1");
	CHECK(out[1].at == 1000 && out[1].kind == TL_ROLE);
	CHECK_STR(out[2].text, "role: reader -> writer in cluster orders");
	CHECK_STR(out[2].state, "writer");
	/* the same fetch again: nothing new; a first snapshot: every event */
	CHECK(timeline_cloud_diff(&now, &now, 1000, out, 8) == 0);
	CHECK(timeline_cloud_diff(NULL, &now, 1000, out, 8) == 2);
}

/* Two accounts with a "db-1" each, listed in another order: each is compared with its own, nothing changed. */
static void cloud_diff_keeps_accounts_apart(void)
{
	struct cloud_instance a = {.id = "db-1", .region = "eu-west-1", .account = "111111111111",
				   .status = "available", .role = "writer"};
	struct cloud_instance b = {.id = "db-1", .region = "eu-west-1", .account = "222222222222",
				   .status = "modifying", .role = "reader"};
	struct cloud_instance before[2] = {a, b}, after[3] = {b, a, a};
	snprintf(after[2].id, sizeof after[2].id, "db-2");
	struct cloud_snapshot was = {.inst = before, .n = 2}, now = {.inst = after, .n = 3};
	struct tl_event out[8];
	CHECK(timeline_cloud_diff(&was, &now, 1000, out, 8) == 0);
}

static void store_hooks_fill_the_timeline(void)
{
	struct store *s = store_new(1);
	store_describe(s, 0, "primary", "postgres", "127.0.0.1:5432", 1, 2);
	struct err e;
	err_set(&e, ERR_FAIL, "connection refused");
	store_set_state(s, 0, TARGET_DOWN, &e);
	struct snapshot *snap = snapshot_new();
	snap->s.lag_s = snap->s.lag_bytes = -1;
	store_publish(s, 0, snap);
	struct action_status a = {.id = 1, .state = ACTION_RUNNING, .target_name = "primary", .what = "cancel",
				  .object = "pid 42 (app)", .started = 900};
	store_action_put(s, &a);
	a.state = ACTION_DONE;
	a.ended = 901;
	snprintf(a.message, sizeof a.message, "cancelled");
	store_action_put(s, &a);
	store_action_put(s, &a); /* the same outcome twice: one entry */
	struct tl_event mark = {.source = TL_SRC_DRILL, .kind = TL_MARK, .at = 950, .text = "drill starts"};
	store_timeline_add(s, &mark);
	struct tl_event out[8];
	size_t n = store_timeline_read(s, 0, out, 8);
	CHECK(n == 4);
	CHECK_STR(out[0].text, "down: connection refused");
	CHECK_STR(out[1].text, "up again (was down)");
	CHECK_STR(out[2].text, "cancel pid 42 (app): done - cancelled");
	CHECK(out[2].source == TL_SRC_ACTION && out[2].at == 901);
	CHECK_STR(out[2].state, "done");
	CHECK(out[3].seq == 4 && out[3].kind == TL_MARK);
	CHECK(store_timeline_read(s, 4, out, 8) == 0);
	store_free(&s);
}

static struct tl_event event(double at, int kind, const char *target, const char *text)
{
	struct tl_event e = {.at = at, .kind = kind, .source = TL_SRC_OBSERVED};
	snprintf(e.target, sizeof e.target, "%s", target);
	snprintf(e.text, sizeof e.text, "%s", text);
	return e;
}

/* The pane's rows: newest first by time (an RDS event may arrive after newer ones), scope, kind, text. */
static void pane_orders_scopes_and_filters(void)
{
	struct store *s = store_new(2);
	store_describe(s, 0, "primary", "postgres", "db1:5432", 1, 2);
	store_describe(s, 1, "replica", "postgres", "db2:5432", 1, 2);
	struct tl_event e[] = {
		event(1764386000, TL_STATE, "primary", "down: connection refused"),
		event(1764386010, TL_REPLICATION, "replica", "replication halted: REPLAY PAUSED"),
		event(1764385990, TL_RDS_EVENT, "primary", "failover: started"), /* arrives last, happened first */
		event(1764386020, TL_MARK, "", "drill: cut the primary"),
	};
	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
		store_timeline_add(s, &e[i]);
	struct pane *p = pane_new(&pane_timeline_ops);
	struct pane_ctx ctx = {.store = s, .target = 0, .now = clock_mono(), .fleet = "prod"};
	pane_recalc(p, &ctx);
	pane_fill_all(p);
	CHECK(p->tab.nrows == 4);
	CHECK_STR(p->title, "timeline - fleet prod, 4 of 4");
	CHECK_STR(p->tab.rows[0].cell[4], "drill: cut the primary");
	CHECK_STR(p->tab.rows[1].cell[4], "replication halted: REPLAY PAUSED");
	CHECK_STR(p->tab.rows[3].cell[4], "failover: started");
	CHECK_STR(p->tab.rows[3].cell[0], "2025-11-29 03:13:10Z");
	CHECK_STR(p->tab.rows[1].cell[1], "observed");
	CHECK_STR(p->tab.rows[1].cell[2], "replication");
	CHECK_STR(p->tab.rows[1].cell[3], "replica");
	/* the selected target: its own entries and the fleet's marks */
	pane_command(p, PANE_SCOPE_NEXT, &ctx, 10);
	pane_fill_all(p);
	CHECK_STR(p->title, "timeline - target primary, 3 of 4");
	for (int i = 0; i < p->tab.nrows; i++)
		CHECK(strcmp(p->tab.rows[i].cell[3], "replica") != 0);
	/* its group: the fleet is not grouped, so its replication set (the two are not linked here) */
	pane_command(p, PANE_SCOPE_NEXT, &ctx, 10);
	CHECK(p->tab.nrows == 3);
	pane_command(p, PANE_SCOPE_NEXT, &ctx, 10);
	CHECK(p->tab.nrows == 4);
	/* grouped by a tag in the fleet pane: the group is the targets with the same value */
	store_set_tags(s, 0, "team=pay");
	store_set_tags(s, 1, "team=pay");
	timeline_set_grouping(p, "tag:team");
	pane_command(p, PANE_SCOPE_NEXT, &ctx, 10);
	pane_command(p, PANE_SCOPE_NEXT, &ctx, 10);
	CHECK_STR(p->title, "timeline - group team=pay, 4 of 4");
	store_set_tags(s, 1, "team=other");
	pane_recalc(p, &ctx);
	CHECK_STR(p->title, "timeline - group team=pay, 3 of 4");
	pane_command(p, PANE_SCOPE_NEXT, &ctx, 10);
	/* the kind: state, then role */
	pane_command(p, PANE_FILTER_NEXT, &ctx, 10);
	pane_fill_all(p);
	CHECK(p->tab.nrows == 1);
	CHECK_STR(p->title, "timeline - fleet prod, state, 1 of 4");
	pane_command(p, PANE_FILTER_NEXT, &ctx, 10);
	CHECK(p->tab.nrows == 0 && strstr(p->note[0], "nothing of this kind") != NULL);
	for (int i = 0; i < TL_KIND_N - 1; i++)
		pane_command(p, PANE_FILTER_NEXT, &ctx, 10);
	CHECK(p->tab.nrows == 4);
	/* oldest first, and new entries are read as they come */
	pane_command(p, PANE_SORT_REVERSE, &ctx, 10);
	struct tl_event late = event(1764386030, TL_LAG, "replica", "lag above 30s: 41s");
	store_timeline_add(s, &late);
	pane_recalc(p, &ctx);
	pane_fill_all(p);
	CHECK(p->tab.nrows == 5);
	CHECK_STR(p->tab.rows[0].cell[4], "failover: started");
	CHECK_STR(p->tab.rows[4].cell[4], "lag above 30s: 41s");
	/* Enter: the whole entry */
	p->sel = 4;
	pane_command(p, PANE_OPEN, &ctx, 10);
	CHECK(p->overlay && strstr(p->overlay, "2025-11-29 03:13:50Z, observed, lag") &&
	      strstr(p->overlay, "target: replica") && strstr(p->overlay, "lag above 30s: 41s"));
	pane_set_overlay(p, NULL);
	/* hostile text is shown escaped */
	struct tl_event evil = event(1764386040, TL_RDS_EVENT, "x\x1b[2J", "msg \x1b]52;c;aGk=\x07");
	store_timeline_add(s, &evil);
	pane_recalc(p, &ctx);
	pane_fill_all(p);
	CHECK_STR(p->tab.rows[5].cell[3], "x^[[2J");
	CHECK_STR(p->tab.rows[5].cell[4], "msg ^[]52;c;aGk=^G");
	pane_free(&p);
	store_free(&s);
}

/* A full ring (10,000) and its pane: how long a recalc takes, with every row's cells made. */
static void full_timeline_recalc_is_fast(void)
{
	struct store *s = store_new(1);
	store_describe(s, 0, "primary", "postgres", "db1:5432", 1, 2);
	for (int i = 0; i < STORE_TIMELINE + 500; i++) {
		struct tl_event e = event(1764386000 + i, i % TL_KIND_N, "primary", "replication halted: paused");
		store_timeline_add(s, &e);
	}
	struct pane *p = pane_new(&pane_timeline_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .fleet = "prod"};
	pane_recalc(p, &ctx); /* the first reads the store's 10,000 */
	double t0 = clock_mono();
	for (int i = 0; i < 10; i++)
		pane_recalc(p, &ctx);
	double per = (clock_mono() - t0) / 10;
	CHECK(p->tab.nrows == STORE_TIMELINE);
	printf("  timeline recalc, %d entries, rows in view: %.2f ms\n", STORE_TIMELINE, per * 1000);
	CHECK(per < 0.5); /* ASan on a shared machine; 2 ms at -O2, and the screen redraws at most 4 times a second */
	pane_free(&p);
	store_free(&s);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	text_init();
	RUN(ring_reads_after_a_seq_and_drops_the_oldest);
	RUN(state_changes_but_not_the_first_sample);
	RUN(replication_halts_resumes_and_promotes);
	RUN(lag_crossing_either_way_once);
	RUN(standbys_come_and_go_on_a_primary);
	RUN(cloud_diff_new_events_and_a_moved_writer);
	RUN(cloud_diff_keeps_accounts_apart);
	RUN(store_hooks_fill_the_timeline);
	RUN(pane_orders_scopes_and_filters);
	RUN(full_timeline_recalc_is_fast);
	return check_total_failed;
}
