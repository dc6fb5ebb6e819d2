/* Unit tests: the triage pane's rows from a snapshot (the lock tree, the slots, its own watch) and the fleet's slot problem. */
#include <locale.h>
#include <stdlib.h>

#include "../../engines/engine.h"
#include "../../panes/private.h"
#include "check.h"

static struct db_session node(int pid, const char *state, const char *lock, int blocker, const char *query)
{
	struct db_session s = {.pid = pid, .nblockers = blocker > 0, .blockers = {blocker}, .xact_age_s = 9,
			       .query_age_s = 3, .locks_held = -1};
	snprintf(s.state, sizeof s.state, "%s", state);
	snprintf(s.lock, sizeof s.lock, "%s", lock);
	snprintf(s.user, sizeof s.user, "app");
	snprintf(s.backend_start, sizeof s.backend_start, "2026-11-29 08:00:%02d+00", pid % 60);
	s.query = strdup(query);
	return s;
}

/* A target whose last sample read the triage parts: one idle slot holding WAL, a lock queue
 * (10 holds, 11's ALTER waits, 12 and 13 wait behind it, 20 and 21 wait for each other). */
static struct store *triage_store(void)
{
	struct store *s = store_new(1);
	store_describe(s, 0, "pg", "postgres", "db:5432", 1, 1);
	struct snapshot *snap = snapshot_new();
	snap->mono = clock_mono();
	struct db_sample *x = &snap->s;
	snprintf(x->health.dialect, sizeof x->health.dialect, "postgres");
	x->health.slots_inactive = 1;
	x->health.slot_idle_bytes = 80 << 20;
	struct db_triage *t = &x->triage;
	t->read = 1;
	t->slot_keep_max = -1;
	t->freeze_max_age = 200000000;
	t->slots = calloc(1, sizeof *t->slots);
	t->nslots = 1;
	snprintf(t->slots[0].name, sizeof t->slots[0].name, "old_replica");
	snprintf(t->slots[0].type, sizeof t->slots[0].type, "physical");
	t->slots[0].retained_bytes = 80 << 20;
	t->slots[0].xmin_age = t->slots[0].catalog_xmin_age = t->slots[0].safe_wal_size = -1;
	t->lockq = calloc(6, sizeof *t->lockq);
	t->lockq[0] = node(12, "active", "AccessShareLock on t", 11, "SELECT 1 FROM t");
	t->lockq[1] = node(10, "idle in transaction", "", 0, "UPDATE t SET x = 1");
	t->lockq[2] = node(11, "active", "AccessExclusiveLock on t", 10, "ALTER TABLE t ADD y int");
	t->lockq[3] = node(13, "active", "AccessShareLock on t", 11, "SELECT 2 FROM t");
	t->lockq[4] = node(20, "active", "ShareLock on transaction 7", 21, "UPDATE u");
	t->lockq[5] = node(21, "active", "ShareLock on transaction 8", 20, "UPDATE v");
	t->nlockq = 6;
	store_publish(s, 0, snap);
	return s;
}

static int row_of(const struct pane *p, int pid)
{
	for (int i = 0; i < p->tab.nrows; i++)
		if (p->tab.rows[i].ref.kind == ROW_ITEM && p->tab.rows[i].ref.item == pid)
			return i;
	return -1;
}

static void lock_tree_holder_ddl_queries(void)
{
	struct store *s = triage_store();
	struct pane *p = pane_new(&pane_triage_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .target = 0};
	pane_recalc(p, &ctx);
	int h = row_of(p, 10), ddl = row_of(p, 11), a = row_of(p, 12), b = row_of(p, 13);
	/* one tree: the holder, the DDL under it, the queries under the DDL, in order */
	CHECK(h >= 0 && ddl == h + 1 && a == h + 2 && b == h + 3);
	CHECK(h >= 0 && !strcmp(p->tab.rows[h].cell[0], "HOLDER 10") && p->tab.rows[h].attr == ROW_BAD);
	CHECK(ddl >= 0 && !strcmp(p->tab.rows[ddl].cell[0], "\u2514\u2500 11") && p->tab.rows[ddl].attr == ROW_WARN);
	CHECK(a >= 0 && !strcmp(p->tab.rows[a].cell[0], "   \u251c\u2500 12"));
	CHECK(b >= 0 && !strcmp(p->tab.rows[b].cell[0], "   \u2514\u2500 13"));
	/* a row is its session: pid and start, for cancel and terminate */
	CHECK(h >= 0 && !strcmp(p->tab.rows[h].ref.key, "2026-11-29 08:00:10+00"));
	/* a cycle has no head, and still shows, each once */
	int c1 = row_of(p, 20), c2 = row_of(p, 21);
	CHECK(c1 >= 0 && c2 == c1 + 1);
	CHECK(strstr(p->title, "triage - pg [all]") != NULL);
	int found = 0;
	for (int i = 0; i < p->tab.nrows; i++)
		found |= p->tab.rows[i].cell[5] && strstr(p->tab.rows[i].cell[5], "5 waiting behind 1 head blocker") != NULL;
	CHECK(found);
	/* the slot: red, its WAL in bytes */
	int slot = -1;
	for (int i = 0; i < p->tab.nrows; i++)
		if (p->tab.rows[i].cell[0] && !strcmp(p->tab.rows[i].cell[0], "old_replica"))
			slot = i;
	CHECK(slot >= 0 && p->tab.rows[slot].attr == ROW_BAD && !strcmp(p->tab.rows[slot].cell[2], "80 MiB"));
	CHECK(p->nbadges >= 1 && strstr(p->badge[0].text, "1 inactive slot holding WAL"));
	/* f shows the locks alone */
	CHECK(pane_command(p, PANE_FILTER_NEXT, &ctx, 10) == 1);
	CHECK(pane_command(p, PANE_FILTER_NEXT, &ctx, 10) == 1);
	CHECK(pane_command(p, PANE_FILTER_NEXT, &ctx, 10) == 1);
	pane_recalc(p, &ctx);
	CHECK(strstr(p->title, "[locks]") && p->tab.nrows == 7 && p->tab.rows[0].ref.kind == ROW_GROUP);
	pane_free(&p);
	store_free(&s);
}

/* Its reads follow attention: the triage pane watches for triage, not for sessions, and the
 * sessions pane the other way round. */
static void triage_has_a_watch_of_its_own(void)
{
	struct store *s = triage_store();
	struct pane *p = pane_new(&pane_triage_ops), *sessions = pane_new(&pane_sessions_ops);
	struct pane_ctx ctx = {.store = s, .now = clock_mono(), .target = 0};
	CHECK(!store_watched_triage(s, 0) && !store_watched(s, 0));
	pane_recalc(sessions, &ctx);
	CHECK(store_watched(s, 0) && !store_watched_triage(s, 0));
	pane_recalc(p, &ctx);
	CHECK(store_watched_triage(s, 0));
	pane_free(&p);
	pane_free(&sessions);
	store_free(&s);
}

/* The fleet: an inactive slot holding 64 MiB of WAL is a problem of its own; less is not. */
static void fleet_slot_problem(void)
{
	struct target_status st = {.state = TARGET_OK, .interval_s = 1, .timeout_s = 1};
	struct snapshot snap = {.mono = clock_mono()};
	snap.s.health.slots_inactive = 1;
	snap.s.health.slot_idle_bytes = 64 << 20;
	unsigned flags;
	CHECK(fleet_problem(&st, &snap, NULL, clock_mono(), &flags) == FP_SLOT && !strcmp(fleet_problem_name(FP_SLOT), "slot"));
	snap.s.health.slot_idle_bytes = (64 << 20) - 1;
	CHECK(fleet_problem(&st, &snap, NULL, clock_mono(), &flags) == FP_OK);
	snap.s.health.slots_inactive = 0;
	snap.s.health.slot_idle_bytes = 1LL << 40;
	CHECK(fleet_problem(&st, &snap, NULL, clock_mono(), &flags) == FP_OK);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	text_init();
	RUN(lock_tree_holder_ddl_queries);
	RUN(triage_has_a_watch_of_its_own);
	RUN(fleet_slot_problem);
	return check_total_failed;
}
