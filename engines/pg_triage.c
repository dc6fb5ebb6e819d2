/*
 * pg_triage.c - the PostgreSQL triage parts (ENGINE_TRIAGE): replication
 * slots and the WAL they retain, wraparound, vacuums in progress, dead
 * tuples, the xmin horizon's holders and the lock queue. Read only while
 * the triage pane shows the target; the SQL is in pg_sql.h.
 */
#include "pg_private.h"

#include <string.h>

int pg_triage_part(int part)
{
	return part >= PG_PART_SLOTS && part <= PG_PART_LOCKQ;
}

const char *pg_triage_sql(int part)
{
	switch (part) {
	case PG_PART_SLOTS: return PG_SQL_SLOTS;
	case PG_PART_WRAP: return PG_SQL_WRAP;
	case PG_PART_VACUUM: return PG_SQL_VACUUM;
	case PG_PART_DEAD: return PG_SQL_DEAD;
	case PG_PART_XMIN: return PG_SQL_XMIN;
	case PG_PART_LOCKQ: return PG_SQL_LOCKQ;
	}
	return NULL;
}

/* calloc for a part's rows; NULL (nothing to do) for none. -1 on OOM through '*oom'. */
static void *rows_of(const struct rs *r, size_t size, int *oom)
{
	if (r->nrows <= 0)
		return NULL;
	void *p = calloc((size_t)r->nrows, size);
	if (!p)
		*oom = 1;
	return p;
}

static void parse_slots(const struct rs *r, struct db_triage *t, int *oom)
{
	if (!(t->slots = rows_of(r, sizeof *t->slots, oom)))
		return;
	for (int i = 0; i < r->nrows; i++) {
		struct db_slot *s = &t->slots[i];
		copy(s->name, sizeof s->name, val(r, i, PG_SLOT_NAME));
		copy(s->type, sizeof s->type, val(r, i, PG_SLOT_TYPE));
		copy(s->database, sizeof s->database, val(r, i, PG_SLOT_DB));
		s->active = bval(r, i, PG_SLOT_ACTIVE);
		s->active_pid = (int)ival(r, i, PG_SLOT_PID, 0);
		s->retained_bytes = ival(r, i, PG_SLOT_RETAINED, -1);
		copy(s->wal_status, sizeof s->wal_status, val(r, i, PG_SLOT_STATUS));
		s->safe_wal_size = ival(r, i, PG_SLOT_SAFE, -1);
		s->xmin_age = ival(r, i, PG_SLOT_XMIN, -1);
		s->catalog_xmin_age = ival(r, i, PG_SLOT_CATALOG_XMIN, -1);
	}
	t->nslots = (size_t)r->nrows;
}

static void parse_wrap(const struct rs *r, struct db_triage *t, int *oom)
{
	t->freeze_max_age = ival(r, 0, PG_WRAP_FREEZE, -1);
	t->mxid_freeze_max_age = ival(r, 0, PG_WRAP_MFREEZE, -1);
	t->vacuum_workers = (int)ival(r, 0, PG_WRAP_WORKERS, -1);
	t->slot_keep_max = ival(r, 0, PG_WRAP_KEEP, -1);
	copy(t->dead_db, sizeof t->dead_db, val(r, 0, PG_WRAP_CURDB));
	if (!(t->wrap = rows_of(r, sizeof *t->wrap, oom)))
		return;
	for (int i = 0; i < r->nrows; i++) {
		copy(t->wrap[i].datname, sizeof t->wrap[i].datname, val(r, i, PG_WRAP_DB));
		t->wrap[i].xid_age = ival(r, i, PG_WRAP_XID, -1);
		t->wrap[i].mxid_age = ival(r, i, PG_WRAP_MXID, -1);
	}
	t->nwrap = (size_t)r->nrows;
}

static void parse_vacuum(const struct rs *r, struct db_triage *t, int *oom)
{
	if (!(t->vacuums = rows_of(r, sizeof *t->vacuums, oom)))
		return;
	for (int i = 0; i < r->nrows; i++) {
		struct db_vacuum *v = &t->vacuums[i];
		v->pid = (int)ival(r, i, PG_VAC_PID, 0);
		copy(v->db, sizeof v->db, val(r, i, PG_VAC_DB));
		copy(v->table, sizeof v->table, val(r, i, PG_VAC_TABLE));
		copy(v->phase, sizeof v->phase, val(r, i, PG_VAC_PHASE));
		v->pct = dval(r, i, PG_VAC_PCT, -1);
		v->wraparound = bval(r, i, PG_VAC_WRAP);
	}
	t->nvacuums = (size_t)r->nrows;
}

static void parse_dead(const struct rs *r, struct db_triage *t, int *oom)
{
	if (!(t->dead = rows_of(r, sizeof *t->dead, oom)))
		return;
	for (int i = 0; i < r->nrows; i++) {
		struct db_deadtab *d = &t->dead[i];
		copy(d->table, sizeof d->table, val(r, i, PG_DEAD_TABLE));
		d->dead = ival(r, i, PG_DEAD_DEAD, 0);
		d->live = ival(r, i, PG_DEAD_LIVE, 0);
		d->vacuum_age_s = dval(r, i, PG_DEAD_VACUUMED, -1);
	}
	t->ndead = (size_t)r->nrows;
}

static void parse_xmin(const struct rs *r, struct db_triage *t, int *oom)
{
	if (!(t->xmin = rows_of(r, sizeof *t->xmin, oom)))
		return;
	for (int i = 0; i < r->nrows; i++) {
		struct db_xmin_holder *x = &t->xmin[i];
		copy(x->kind, sizeof x->kind, val(r, i, PG_XMIN_KIND));
		copy(x->name, sizeof x->name, val(r, i, PG_XMIN_NAME));
		x->pid = (int)ival(r, i, PG_XMIN_PID, 0);
		copy(x->backend_start, sizeof x->backend_start, val(r, i, PG_XMIN_START));
		x->age = ival(r, i, PG_XMIN_AGE, -1);
		x->age_s = dval(r, i, PG_XMIN_AGE_S, -1);
	}
	t->nxmin = (size_t)r->nrows;
}

/* "{12,34}" -> blockers */
void pg_parse_pids(const char *s, struct db_session *x)
{
	while (*s && x->nblockers < (int)(sizeof x->blockers / sizeof x->blockers[0])) {
		while (*s == '{' || *s == ',')
			s++;
		char *end;
		long pid = strtol(s, &end, 10);
		if (end == s)
			break;
		x->blockers[x->nblockers++] = (int)pid;
		s = end;
	}
}

static void parse_lockq(const struct rs *r, struct db_triage *t, int *oom)
{
	if (!(t->lockq = rows_of(r, sizeof *t->lockq, oom)))
		return;
	for (int i = 0; i < r->nrows; i++) {
		struct db_session *x = &t->lockq[i];
		x->pid = (int)ival(r, i, PG_LQ_PID, 0);
		copy(x->user, sizeof x->user, val(r, i, PG_LQ_USER));
		copy(x->db, sizeof x->db, val(r, i, PG_LQ_DB));
		copy(x->app, sizeof x->app, val(r, i, PG_LQ_APP));
		copy(x->client, sizeof x->client, val(r, i, PG_LQ_CLIENT));
		copy(x->state, sizeof x->state, val(r, i, PG_LQ_STATE));
		copy(x->wait, sizeof x->wait, val(r, i, PG_LQ_WAIT));
		copy(x->backend_start, sizeof x->backend_start, val(r, i, PG_LQ_START));
		x->query_age_s = dval(r, i, PG_LQ_QAGE, -1);
		x->xact_age_s = dval(r, i, PG_LQ_XAGE, -1);
		pg_parse_pids(val(r, i, PG_LQ_BY), x);
		copy(x->lock, sizeof x->lock, val(r, i, PG_LQ_LOCK));
		x->locks_held = -1;
		t->nlockq = (size_t)i + 1; /* counted as filled: the release frees what is there */
		if (!(x->query = strdup(val(r, i, PG_LQ_QUERY)))) {
			*oom = 1;
			return;
		}
	}
}

int pg_parse_triage(int part, const struct rs *r, struct db_triage *t)
{
	int oom = 0;
	switch (part) {
	case PG_PART_SLOTS: parse_slots(r, t, &oom); break;
	case PG_PART_WRAP: parse_wrap(r, t, &oom); break;
	case PG_PART_VACUUM: parse_vacuum(r, t, &oom); break;
	case PG_PART_DEAD: parse_dead(r, t, &oom); break;
	case PG_PART_XMIN: parse_xmin(r, t, &oom); break;
	case PG_PART_LOCKQ: parse_lockq(r, t, &oom); break;
	}
	return oom ? -1 : 0;
}
