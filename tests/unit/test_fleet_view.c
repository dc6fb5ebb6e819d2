/* Unit tests: the fleet pane's problems-first order, count line, grouping, filter, row identity; the lag pane uncut. */
#include <locale.h>
#include <stdlib.h>

#include "../../panes/private.h"
#include "check.h"

/* A store of targets described as "name state", with figures for the ones that answer. */
struct fx {
	const char *name;
	enum target_state state;
	double lag_s, xact_s;
	int conns;              /* of 100 */
	const char *tags;
	const char *endpoint;
	const char *sender;     /* a replica's primary "host:port" */
};

static struct store *make_store(const struct fx *f, size_t n)
{
	struct store *s = store_new(n);
	for (size_t i = 0; s && i < n; i++) {
		store_describe(s, i, f[i].name, "postgres", f[i].endpoint ? f[i].endpoint : "db:5432", 60, 5);
		store_set_tags(s, i, f[i].tags ? f[i].tags : "");
		if (f[i].state != TARGET_OK) {
			struct err e = {0};
			err_set(&e, ERR_FAIL, "test");
			store_set_state(s, i, f[i].state, f[i].state == TARGET_CONNECTING ? NULL : &e);
			continue;
		}
		struct snapshot *snap = snapshot_new();
		snap->mono = clock_mono();
		snap->s.lag_s = f[i].lag_s;
		snap->s.health.longest_xact_s = f[i].xact_s;
		snap->s.health.conns_used = f[i].conns;
		snap->s.health.conns_max = 100;
		if (f[i].sender) {
			snap->s.health.is_replica = 1;
			snprintf(snap->s.standby.sender_host, sizeof snap->s.standby.sender_host, "%.*s",
				 (int)strcspn(f[i].sender, ":"), f[i].sender);
			snap->s.standby.sender_port = atoi(strchr(f[i].sender, ':') + 1);
		}
		store_publish(s, i, snap);
	}
	return s;
}

static const char *name_at(const struct pane *p, int i)
{
	static char buf[128];
	const char *c = i < p->tab.nrows ? p->tab.rows[i].cell[0] : "";
	while (c && *c == ' ')
		c++;
	snprintf(buf, sizeof buf, "%s", c ? c : "");
	return buf;
}

static const struct fx mixed[] = {
	{"b-ok", TARGET_OK, 0, 1, 10, "team=web,env=prod", NULL, NULL},
	{"z-down", TARGET_DOWN, 0, 0, 0, "team=pay", NULL, NULL},
	{"y-auth", TARGET_AUTH, 0, 0, 0, NULL, NULL, NULL},
	{"x-stalled", TARGET_STALLED, 0, 0, 0, "team=pay", NULL, NULL},
	{"w-connecting", TARGET_CONNECTING, 0, 0, 0, NULL, NULL, NULL},
	{"c-lag", TARGET_OK, 120, 1, 10, "team=web", NULL, NULL},
	{"d-xact", TARGET_OK, 0, 600, 10, NULL, NULL, NULL},
	{"e-conns", TARGET_OK, 0, 1, 95, "team=pay", NULL, NULL},
	{"a-ok", TARGET_OK, 0, 1, 10, "team=web", NULL, NULL},
};
#define NMIXED (sizeof mixed / sizeof mixed[0])

static void problems_first_then_by_name(void)
{
	struct store *s = make_store(mixed, NMIXED);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	pane_recalc(p, &ctx);
	static const char *const want[] = {"z-down", "y-auth", "x-stalled", "c-lag", "d-xact", "e-conns",
					   "w-connecting", "a-ok", "b-ok"};
	CHECK(p->tab.nrows == (int)NMIXED);
	for (size_t i = 0; i < NMIXED; i++)
		CHECK_STR(name_at(p, (int)i), want[i]);
	/* the count line: every state, then the problems after a dot */
	char line[400] = "";
	for (int i = 0; i < p->nbadges; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? "|" : "", p->badge[i].text);
	CHECK_STR(line, "1 down|1 stalled|1 auth|5 ok|1 connecting|\u00b7 1 lag|1 long xact|1 conns near max");
	CHECK(p->badge[0].attr == ROW_BAD && p->badge[3].attr == ROW_GOOD);
	/* the user's sort still works: by name, descending */
	p->sort_col = 0;
	p->sort_desc = 1;
	pane_recalc(p, &ctx);
	CHECK_STR(name_at(p, 0), "z-down");
	CHECK_STR(name_at(p, (int)NMIXED - 1), "a-ok");
	pane_free(&p);
	store_free(&s);
}

static void cursor_stays_on_its_target(void)
{
	struct store *s = make_store(mixed, NMIXED);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	pane_recalc(p, &ctx);
	p->sel = 7; /* a-ok, index 8 in the store */
	CHECK(pane_selected(p)->ref.kind == ROW_TARGET && pane_selected(p)->ref.target == 8);
	struct err e = {0};
	err_set(&e, ERR_FAIL, "refused");
	store_set_state(s, 8, TARGET_DOWN, &e); /* it goes to the top: the cursor goes with it */
	pane_recalc(p, &ctx);
	CHECK(p->sel == 0 || p->sel == 1);
	CHECK(pane_selected(p)->ref.target == 8);
	CHECK_STR(name_at(p, p->sel), "a-ok");
	struct row_ref gone = row_ref_target(99), aws = row_ref_aws("us-east-1", "db-1");
	CHECK(pane_select(p, &gone) == -1);
	CHECK(!row_ref_eq(&gone, &aws) && !strcmp(aws.key, "us-east-1/db-1"));
	pane_free(&p);
	store_free(&s);
}

static void group_by_tag_collapse_expand(void)
{
	struct store *s = make_store(mixed, NMIXED);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	struct err e = {0};
	CHECK(fleet_set_grouping(p, "tag:team", &e) == 0);
	pane_recalc(p, &ctx);
	/* pay holds the worst (down): first; web next (lag); the untagged (auth) between by its worst */
	CHECK(p->tab.rows[0].ref.kind == ROW_GROUP);
	CHECK_STR(p->tab.rows[0].ref.key, "team=pay");
	CHECK(strstr(p->tab.rows[0].cell[0], "team=pay (3)") != NULL);
	CHECK_STR(p->tab.rows[0].cell[3], "down");
	CHECK_STR(name_at(p, 1), "z-down");
	CHECK(p->tab.rows[4].ref.kind == ROW_GROUP);
	CHECK_STR(p->tab.rows[4].ref.key, "team=(none)");
	int before = p->tab.nrows;
	p->sel = 2; /* a row of team=pay: its group folds, the cursor on its header */
	CHECK(fleet_toggle_group(p) == 1);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == before - 3 && p->sel == 0 && p->tab.rows[1].ref.kind == ROW_GROUP);
	CHECK(fleet_toggle_group(p) == 1);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == before);
	fleet_toggle_all(p);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 3); /* three headers */
	fleet_reveal(p, 0); /* a jump to b-ok opens team=web */
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 3 + 3);
	fleet_toggle_all(p);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 3);
	fleet_toggle_all(p);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == before);
	CHECK(fleet_set_grouping(p, "tag:", &e) == -1 && strstr(e.msg, "cannot group by"));
	CHECK(fleet_set_grouping(p, "colour", &e) == -1);
	char name[40];
	CHECK(fleet_set_grouping(p, "none", &e) == 0);
	fleet_next_grouping(p, name, sizeof name);
	CHECK_STR(name, "cluster");
	pane_free(&p);
	store_free(&s);
}

static void cluster_joins_replicas_to_primary(void)
{
	static const struct fx f[] = {
		{"orders", TARGET_OK, 0, 0, 1, NULL, "10.0.0.1:5432", NULL},
		{"orders-r1", TARGET_OK, 0, 0, 1, NULL, "10.0.0.2:5432", "10.0.0.1:5432"},
		{"local-p", TARGET_OK, 0, 0, 1, NULL, "localhost:6000", NULL},
		{"local-r", TARGET_OK, 45, 0, 1, NULL, "127.0.0.1:6001", "127.0.0.1:6000"},
		{"lost-r", TARGET_OK, 0, 0, 1, NULL, "10.0.0.9:5432", "10.9.9.9:5432"},
	};
	struct store *s = make_store(f, 5);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	struct err e = {0};
	CHECK(fleet_set_grouping(p, "cluster", &e) == 0);
	pane_recalc(p, &ctx);
	/* local-p's set has the lag: first; then lost-r's (named by its primary's address), then orders */
	CHECK(p->tab.nrows == 8);
	CHECK_STR(p->tab.rows[0].ref.key, "local-p");
	CHECK(strstr(p->tab.rows[0].cell[0], "(2)") && !strcmp(p->tab.rows[0].cell[3], "lag"));
	CHECK_STR(name_at(p, 1), "local-r");
	CHECK_STR(p->tab.rows[3].ref.key, "10.9.9.9:5432");
	CHECK_STR(p->tab.rows[5].ref.key, "orders");
	CHECK_STR(name_at(p, 7), "orders-r1");
	pane_free(&p);
	store_free(&s);
}

static void filter_terms(void)
{
	struct store *s = make_store(mixed, NMIXED);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	struct err e = {0};
	CHECK(fleet_set_filter(p, "state=down", &e) == 0);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 1);
	CHECK_STR(name_at(p, 0), "z-down");
	CHECK(strstr(p->title, ":filter state=down (1 match)") != NULL);
	CHECK(p->nbadges >= 4 && !strcmp(p->badge[3].text, "5 ok")); /* the counts stay the fleet's */
	CHECK(fleet_set_filter(p, "tag:team=web name=*-ok", &e) == 0);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 2);
	CHECK(fleet_set_filter(p, "state=lag engine=postgres", &e) == 0);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 1);
	CHECK(fleet_set_filter(p, "engine=mysql", &e) == 0);
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 0 && strstr(p->note[0], "no row matches"));
	CHECK(fleet_set_filter(p, "state=sleepy", &e) == -1 && strstr(e.msg, "unknown state 'sleepy'"));
	CHECK(fleet_set_filter(p, "colour=red", &e) == -1 && strstr(e.msg, "unknown field 'colour'"));
	CHECK(fleet_set_filter(p, "\x1b[2J", &e) == -1);
	CHECK(fleet_set_filter(p, "", &e) == 0); /* clears: and a bad one before left it as it was */
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == (int)NMIXED);
	pane_free(&p);
	store_free(&s);
}

static void tags_of_config_and_aws(void)
{
	char v[32];
	CHECK(fleet_tag("team=payments,env=prod", "env", v, sizeof v) && !strcmp(v, "prod"));
	CHECK(fleet_tag(",env=staging,team=x,", "env", v, sizeof v) && !strcmp(v, "staging"));
	CHECK(!fleet_tag("environment=prod", "env", v, sizeof v));
	CHECK(!fleet_tag("", "env", v, sizeof v));
	unsigned f;
	struct target_status st = {.state = TARGET_OK, .interval_s = 1, .timeout_s = 1};
	struct snapshot old = {.mono = clock_mono() - 100};
	CHECK(fleet_problem(&st, &old, NULL, clock_mono(), &f) == FP_STALLED); /* ok, but its samples stopped */
	struct cloud_instance ci = {.status = "failing-over"};
	for (int m = 0; m < CW_N; m++)
		ci.metric[m] = -1;
	ci.metric[CW_CPU] = 95;
	CHECK(fleet_problem(NULL, NULL, &ci, 0, &f) == FP_AWS && (f & (1u << FP_CPU)));
}

/* Two accounts with an "orders-db" each in the same region: two rows, each under its account, each its own object. */
static void accounts_group_and_name_their_rows(void)
{
	struct store *s = store_new(0);
	struct cloud_snapshot *c = cloud_snapshot_new();
	CHECK(s && c && (c->inst = calloc(3, sizeof *c->inst)));
	const char *ids[3] = {"orders-db", "orders-db", "etl-db"}, *acct[3] = {"111111111111", "222222222222",
										"222222222222"};
	for (int i = 0; i < 3; i++) {
		struct cloud_instance *ci = &c->inst[i];
		snprintf(ci->id, sizeof ci->id, "%s", ids[i]);
		snprintf(ci->region, sizeof ci->region, "us-east-1");
		snprintf(ci->engine, sizeof ci->engine, "postgres");
		snprintf(ci->status, sizeof ci->status, "available");
		snprintf(ci->account, sizeof ci->account, "%s", acct[i]);
		for (int m = 0; m < CW_N; m++)
			ci->metric[m] = -1;
	}
	snprintf(c->inst[0].account_alias, sizeof c->inst[0].account_alias, "payments");
	c->n = 3;
	store_cloud_publish(s, c);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	struct err e = {0};
	CHECK(fleet_set_grouping(p, "account", &e) == 0);
	pane_recalc(p, &ctx);
	/* groups by name: the id where no alias is set */
	CHECK(p->tab.nrows == 5 && p->tab.rows[0].ref.kind == ROW_GROUP && p->tab.rows[3].ref.kind == ROW_GROUP);
	CHECK_STR(p->tab.rows[0].ref.key, "222222222222");
	CHECK_STR(p->tab.rows[3].ref.key, "payments");
	CHECK_STR(name_at(p, 4), "orders-db");
	CHECK_STR(p->tab.rows[4].cell[pane_fleet_ops.ncols - 1], "payments"); /* the ACCOUNT column, last */
	CHECK_STR(p->tab.rows[2].cell[pane_fleet_ops.ncols - 1], "222222222222");
	CHECK(!row_ref_eq(&p->tab.rows[2].ref, &p->tab.rows[4].ref));
	struct cloud_snapshot *now = store_cloud_get(s);
	CHECK(cloud_of_ref(now, &p->tab.rows[2].ref) == &now->inst[1]);
	CHECK(cloud_of_ref(now, &p->tab.rows[4].ref) == &now->inst[0]);
	struct row_ref bare = row_ref_aws("us-east-1", "etl-db"); /* no account: the one of that id */
	CHECK(cloud_of_ref(now, &bare) == &now->inst[2]);
	/* a database target named orders-db is linked to its own account's instance ([target] aws_account) */
	struct target_status st = {.name = "orders-db"};
	CHECK(fleet_cloud_of(now, &st) == &now->inst[0]);
	snprintf(st.cloud_account, sizeof st.cloud_account, "222222222222");
	CHECK(fleet_cloud_of(now, &st) == &now->inst[1]);
	snprintf(st.cloud_account, sizeof st.cloud_account, "payments");
	CHECK(fleet_cloud_of(now, &st) == &now->inst[0]);
	snprintf(st.cloud_account, sizeof st.cloud_account, "333333333333");
	CHECK(fleet_cloud_of(now, &st) == NULL);
	cloud_snapshot_release(&now);
	pane_free(&p);
	store_free(&s);
}

/* The lag pane's AWS tree: a read replica sits under its source in its own account, not another's orders-db. */
static void lag_tree_keeps_accounts_apart(void)
{
	struct store *s = store_new(0);
	struct cloud_snapshot *c = cloud_snapshot_new();
	CHECK(s && c && (c->inst = calloc(3, sizeof *c->inst)));
	const char *ids[3] = {"orders-db", "orders-db", "orders-db-r"}, *acct[3] = {"111111111111", "222222222222",
										   "222222222222"};
	const char *status[3] = {"available", "modifying", "available"}, *role[3] = {"primary", "primary", "replica"};
	for (int i = 0; i < 3; i++) {
		struct cloud_instance *ci = &c->inst[i];
		snprintf(ci->id, sizeof ci->id, "%s", ids[i]);
		snprintf(ci->region, sizeof ci->region, "us-east-1");
		snprintf(ci->account, sizeof ci->account, "%s", acct[i]);
		snprintf(ci->status, sizeof ci->status, "%s", status[i]);
		snprintf(ci->role, sizeof ci->role, "%s", role[i]);
		for (int m = 0; m < CW_N; m++)
			ci->metric[m] = -1;
	}
	snprintf(c->inst[2].source, sizeof c->inst[2].source, "orders-db");
	c->n = 3;
	store_cloud_publish(s, c);
	struct pane *lag = pane_new(&pane_lag_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	pane_recalc(lag, &ctx);
	CHECK(lag->tab.nrows == 3);
	int root = -1; /* data's orders-db (modifying): its replica is the next row */
	for (int i = 0; i < lag->tab.nrows; i++)
		if (lag->tab.rows[i].cell[2] && !strcmp(lag->tab.rows[i].cell[2], "modifying"))
			root = i;
	CHECK(root >= 0 && root + 1 < lag->tab.nrows && strstr(lag->tab.rows[root + 1].cell[0], "orders-db-r"));
	pane_free(&lag);
	store_free(&s);
}

static void figures_only_for_rows_in_view(void)
{
	struct store *s = make_store(mixed, NMIXED);
	struct pane *p = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	p->nvisible = 1; /* a screen one row high: the cursor's row and a page around it are made */
	pane_recalc(p, &ctx);
	enum { CONNS = 5 };
	CHECK_STR(name_at(p, 8), "b-ok");
	CHECK(p->tab.rows[8].cell[CONNS] == NULL && p->tab.rows[8].pending > 0);
	CHECK(p->tab.rows[8].key[CONNS] == 10); /* its sort keys are there all the same */
	p->sel = 8;
	pane_recalc(p, &ctx);
	CHECK(p->tab.rows[8].pending == 0);
	CHECK_STR(p->tab.rows[8].cell[CONNS], "10/100");
	CHECK(p->tab.rows[0].cell[CONNS] == NULL); /* z-down has no figures, filled or not */
	snprintf(p->search, sizeof p->search, "95/100"); /* a text filter reads every row's cells */
	p->sel = 0;
	pane_recalc(p, &ctx);
	CHECK(p->tab.nrows == 1);
	CHECK_STR(name_at(p, 0), "e-conns");
	pane_free(&p);
	store_free(&s);
}

static void sampling_follows_attention(void)
{
	struct store *s = make_store(mixed, NMIXED);
	struct pane *fleet = pane_new(&pane_fleet_ops), *sessions = pane_new(&pane_sessions_ops),
		    *queries = pane_new(&pane_queries_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .target = 5};
	pane_recalc(fleet, &ctx);
	for (size_t t = 0; t < NMIXED; t++)
		CHECK(!store_watched(s, t)); /* the fleet pane alone asks for nothing more */
	pane_recalc(sessions, &ctx);
	CHECK(store_watched(s, 5) && !store_watched(s, 6));
	ctx.target = 6;
	pane_recalc(queries, &ctx);
	CHECK(store_watched(s, 6) && !store_watched(s, 8));
	struct row_ref a_ok = row_ref_target(8);
	CHECK(pane_select(fleet, &a_ok) >= 0);
	CHECK(pane_command(fleet, PANE_OPEN, &ctx, 10) == 1); /* the details overlay of a-ok */
	CHECK(fleet->overlay && strstr(fleet->overlay, "a-ok (postgres"));
	CHECK(store_watched(s, 8) && ctx.target == 8);
	pane_free(&fleet);
	pane_free(&sessions);
	pane_free(&queries);
	store_free(&s);
}

static void lag_pane_has_no_row_limit(void)
{
	enum { N = 300 };
	struct fx f[N];
	char names[N][24];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "bulk-%03d", i);
		f[i] = (struct fx){.name = names[i], .state = TARGET_DOWN};
	}
	struct store *s = make_store(f, N);
	struct pane *lag = pane_new(&pane_lag_ops), *fleet = pane_new(&pane_fleet_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono()};
	pane_recalc(lag, &ctx);
	pane_recalc(fleet, &ctx);
	CHECK(lag->tab.nrows == N && fleet->tab.nrows == N);
	CHECK(lag->tab.rows[N - 1].ref.kind == ROW_TARGET && lag->tab.rows[N - 1].ref.target == N - 1);
	pane_free(&lag);
	pane_free(&fleet);
	store_free(&s);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8"); /* the count line's middle dot is UTF-8's */
	text_init();
	RUN(problems_first_then_by_name);
	RUN(cursor_stays_on_its_target);
	RUN(group_by_tag_collapse_expand);
	RUN(cluster_joins_replicas_to_primary);
	RUN(filter_terms);
	RUN(tags_of_config_and_aws);
	RUN(accounts_group_and_name_their_rows);
	RUN(lag_tree_keeps_accounts_apart);
	RUN(figures_only_for_rows_in_view);
	RUN(sampling_follows_attention);
	RUN(lag_pane_has_no_row_limit);
	return check_total_failed;
}
