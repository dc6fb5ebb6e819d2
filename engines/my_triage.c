/*
 * my_triage.c - the MySQL/MariaDB triage parts (ENGINE_TRIAGE): where
 * metadata locks can be read, purge lag (the InnoDB history list and the
 * oldest transactions), the metadata-lock queue as sessions with their
 * blockers, and the binary logs. Read only while the triage pane shows the
 * target; the SQL is in my_sql.h.
 *
 * Who waits for whom among metadata locks is worked out here, not by the
 * server: performance_schema.metadata_locks lists granted and pending locks
 * (a pending lock waits for the granted ones it conflicts with, and a shared
 * one also for a pending exclusive one queued ahead of it: DDL first); the
 * metadata_lock_info plugin lists granted locks only, so a session waiting
 * with a lock on the table (a DDL waiting to upgrade it) waits for every
 * other holder there, and a query waiting with none waits for the DDL on the
 * table its text names.
 */
#include "my_private.h"

#include <string.h>
#include <strings.h>

#define MDL_MAX 500

struct mdl {
	int id;
	char obj[140];        /* "schema.table" */
	char type[40];        /* "SHARED_READ" (the plugin's "MDL_" cut off) */
	int pending;
};

void my_triage_plan(struct my_state *c, void (*add)(void *b, int part, const char *sql), void *b)
{
	/* where the locks are changes only by an administrator's hand: asked at the first triage
	 * sample and every MY_MDL_SOURCE_EVERY after (about 1 ms of the server's time each) */
	if (c->ntriage++ % MY_MDL_SOURCE_EVERY == 0)
		add(b, MY_PART_MDL_SOURCE, c->can_digest ? MY_SQL_MDL_SOURCE_PS : MY_SQL_MDL_SOURCE);
	c->mdl_planned = 0;
	if (c->can_process) {
		add(b, MY_PART_HISTORY, MY_SQL_HISTORY);
		if (c->mdl_source == MY_MDL_PS || c->mdl_source == MY_MDL_PLUGIN) {
			/* the sessions' part reads the locks' result just before it: they go together */
			c->mdl_planned = c->mdl_source;
			add(b, MY_PART_MDL, c->mdl_source == MY_MDL_PS ? MY_SQL_MDL_PS : MY_SQL_MDL_PLUGIN);
			add(b, MY_PART_MDL_SESSIONS, MY_SQL_MDL_SESSIONS);
		}
	}
	if (c->log_bin > 0)
		add(b, MY_PART_BINLOGS, MY_SQL_BINLOGS);
}

int my_triage_part(int part)
{
	return part >= MY_PART_MDL_SOURCE && part <= MY_PART_BINLOGS;
}

static void parse_source(struct my_state *c, const struct rs *r)
{
	const char *instrument = rs_get(r, 0, MY_MDLSRC_INSTRUMENT);
	int plugin = (int)ival(r, 0, MY_MDLSRC_PLUGIN, 0) > 0;
	c->ps_on = (int)ival(r, 0, MY_MDLSRC_PS, 0) == 1;
	c->log_bin = (int)ival(r, 0, MY_MDLSRC_LOG_BIN, 0);
	c->mdl_source = c->ps_on && instrument && !strcasecmp(instrument, "YES") ? MY_MDL_PS
			: plugin ? MY_MDL_PLUGIN : MY_MDL_NONE;
}

void my_triage_notes(const struct my_state *c, struct db_triage *t)
{
	t->binlog_on = c->log_bin > 0;
	if (!c->can_process)
		snprintf(t->lock_note, sizeof t->lock_note, "the lock queue and purge lag need PROCESS"
			 " (GRANT PROCESS ON *.* TO %.64s;)", c->user);
	if (!c->can_process || c->mdl_source != MY_MDL_NONE)
		return;
	else if (!c->ps_on) {
		snprintf(t->lock_note, sizeof t->lock_note, "metadata locks cannot be read: performance_schema is off"
			 " and the metadata_lock_info plugin is not installed");
		snprintf(t->lock_fix, sizeof t->lock_fix, "fix: INSTALL SONAME 'metadata_lock_info'; (or restart with"
			 " performance_schema=ON and its wait/lock/metadata/sql/mdl instrument on)");
	} else {
		snprintf(t->lock_note, sizeof t->lock_note, "metadata locks cannot be read: performance_schema's"
			 " instrument is off and the metadata_lock_info plugin is not installed");
		snprintf(t->lock_fix, sizeof t->lock_fix, "fix: UPDATE performance_schema.setup_instruments SET ENABLED"
			 " = 'YES' WHERE NAME = 'wait/lock/metadata/sql/mdl'; or INSTALL SONAME 'metadata_lock_info';");
	}
}

static int parse_history(const struct rs *r, struct db_triage *t)
{
	t->history_len = ival(r, 0, MY_HIST_LEN, -1);
	if (r->nrows <= 0 || !rs_get(r, 0, MY_HIST_ID))
		return 0;
	if (!(t->xmin = calloc((size_t)r->nrows, sizeof *t->xmin)))
		return -1;
	for (int i = 0; i < r->nrows; i++) {
		if (!rs_get(r, i, MY_HIST_ID))
			continue;
		struct db_xmin_holder *x = &t->xmin[t->nxmin++];
		snprintf(x->kind, sizeof x->kind, "read view");
		snprintf(x->name, sizeof x->name, "%.30s@%.40s %.20s (%.20s)", val(r, i, MY_HIST_USER),
			 val(r, i, MY_HIST_HOST), val(r, i, MY_HIST_DB), val(r, i, MY_HIST_STATE));
		x->pid = (int)ival(r, i, MY_HIST_ID, 0);
		x->age = -1;
		x->age_s = dval(r, i, MY_HIST_AGE, -1);
	}
	return 0;
}

static int parse_binlogs(const struct rs *r, struct db_triage *t)
{
	if (r->nrows <= 0)
		return 0;
	if (!(t->binlogs = calloc((size_t)r->nrows, sizeof *t->binlogs)))
		return -1;
	int name = rs_col(r, "Log_name", NULL), size = rs_col(r, "File_size", NULL);
	for (int i = 0; i < r->nrows; i++) {
		copy(t->binlogs[i].name, sizeof t->binlogs[i].name, val(r, i, name < 0 ? 0 : name));
		t->binlogs[i].bytes = ival(r, i, size < 0 ? 1 : size, -1);
	}
	t->nbinlogs = (size_t)r->nrows;
	return 0;
}

static int strong(const char *type)
{
	return !strcmp(type, "EXCLUSIVE") || !strcmp(type, "SHARED_NO_READ_WRITE") || !strcmp(type, "SHARED_NO_WRITE");
}

/* Does a wanted lock of type 'want' wait for a granted 'held' on the same table (MDL's matrix, table level)? */
static int conflicts(const char *want, const char *held)
{
	if (!strcmp(want, "EXCLUSIVE"))
		return 1;
	if (!strcmp(want, "SHARED_NO_READ_WRITE"))
		return strcmp(held, "SHARED") && strcmp(held, "SHARED_HIGH_PRIO");
	if (!strcmp(want, "SHARED_NO_WRITE") || !strcmp(want, "SHARED_UPGRADABLE"))
		return !strcmp(held, "SHARED_UPGRADABLE") || strong(held) ||
		       (!strcmp(want, "SHARED_NO_WRITE") && !strncmp(held, "SHARED_WRITE", 12));
	return !strcmp(held, "EXCLUSIVE") || !strcmp(held, "SHARED_NO_READ_WRITE") ||
	       (!strncmp(want, "SHARED_WRITE", 12) && !strcmp(held, "SHARED_NO_WRITE"));
}

static size_t read_locks(const struct rs *r, struct mdl *m)
{
	size_t n = 0;
	for (int i = 0; i < r->nrows && n < MDL_MAX; i++, n++) {
		const char *type = val(r, i, MY_MDL_TYPE);
		m[n].id = (int)ival(r, i, MY_MDL_ID, 0);
		snprintf(m[n].obj, sizeof m[n].obj, "%.64s.%.64s", val(r, i, MY_MDL_SCHEMA), val(r, i, MY_MDL_TABLE));
		copy(m[n].type, sizeof m[n].type, !strncmp(type, "MDL_", 4) ? type + 4 : type);
		m[n].pending = !strcmp(val(r, i, MY_MDL_STATUS), "PENDING");
	}
	return n;
}

static int waits_for_mdl(const struct db_session *s)
{
	return !strncmp(s->wait, "Waiting for", 11) && strstr(s->wait, "metadata lock");
}

static void add_blocker(struct db_session *s, int id)
{
	for (int b = 0; b < s->nblockers; b++)
		if (s->blockers[b] == id)
			return;
	if (id != s->pid && s->nblockers < (int)(sizeof s->blockers / sizeof s->blockers[0]))
		s->blockers[s->nblockers++] = id;
}

/* performance_schema: each pending lock of 's' against the others on its table. */
static void blockers_ps(struct db_session *s, const struct mdl *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].id != s->pid || !m[i].pending)
			continue;
		snprintf(s->lock, sizeof s->lock, "MDL %.24s on %.60s", m[i].type, m[i].obj);
		for (size_t j = 0; j < n; j++)
			if (m[j].id != s->pid && !strcmp(m[j].obj, m[i].obj) &&
			    (m[j].pending ? strong(m[j].type) && !strong(m[i].type) : conflicts(m[i].type, m[j].type)))
				add_blocker(s, m[j].id);
	}
}

/* The table a waiter holds a lock on (a DDL waiting to upgrade it), or NULL. */
static const struct mdl *held_by(int id, const struct mdl *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].id == id && (!strcmp(m[i].type, "SHARED_UPGRADABLE") || strong(m[i].type)))
			return &m[i];
	return NULL;
}

static int ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '$';
}

/* 1 if 'query' names the table of 'obj' ("schema.table") as a whole identifier. */
static int names_table(const char *query, const char *obj)
{
	const char *table = strchr(obj, '.');
	table = table ? table + 1 : obj;
	size_t len = strlen(table);
	for (const char *q = query; len && q && (q = strcasestr(q, table)); q += len)
		if ((q == query || !ident_char(q[-1])) && !ident_char(q[len]))
			return 1;
	return 0;
}

/* The plugin (granted locks only): a DDL waits for the other holders of its table; a query
 * with no lock waits for the waiting DDL whose table its text names (the one DDL if none does). */
static void blockers_plugin(struct db_session *w, size_t nw, struct db_session *s, const struct mdl *m, size_t n)
{
	const struct mdl *own = held_by(s->pid, m, n);
	if (own) {
		snprintf(s->lock, sizeof s->lock, "MDL upgrade on %.60s", own->obj);
		for (size_t j = 0; j < n; j++)
			if (m[j].id != s->pid && !strcmp(m[j].obj, own->obj))
				add_blocker(s, m[j].id);
		return;
	}
	int ddl = 0, one = 0;
	for (size_t k = 0; k < nw; k++) {
		const struct mdl *d = waits_for_mdl(&w[k]) ? held_by(w[k].pid, m, n) : NULL;
		if (!d || w[k].pid == s->pid)
			continue;
		ddl++;
		one = w[k].pid;
		if (names_table(s->query, d->obj)) {
			add_blocker(s, w[k].pid);
			snprintf(s->lock, sizeof s->lock, "MDL on %.60s", d->obj);
		}
	}
	if (!s->nblockers && ddl == 1)
		add_blocker(s, one);
}

/* The sessions in the queue (waiting, or waited for) into t->lockq; the rest freed. */
static int keep_queue(struct db_session *all, size_t n, struct db_triage *t)
{
	unsigned char *in = calloc(n ? n : 1, 1);
	if (!in)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < all[i].nblockers; b++)
			for (size_t j = 0; j < n; j++)
				if (all[j].pid == all[i].blockers[b])
					in[i] = in[j] = 1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i])
			all[m++] = all[i];
		else
			free(all[i].query);
	}
	free(in);
	t->lockq = all;
	t->nlockq = m;
	return 0;
}

/* 'r' is the sessions' result; 'locks' the metadata locks' just before it in the batch. */
static int parse_queue(struct my_state *c, const struct rs *locks, const struct rs *r, struct db_triage *t)
{
	struct mdl *m = calloc(MDL_MAX, sizeof *m);
	struct db_session *s = calloc(r->nrows > 0 ? (size_t)r->nrows : 1, sizeof *s);
	if (!m || !s) {
		free(m);
		free(s);
		return -1;
	}
	size_t nm = read_locks(locks, m), ns = 0;
	int rc = 0;
	for (int i = 0; i < r->nrows && rc == 0; i++) {
		rc = my_fill_session(&s[ns], r, i);
		s[ns].locks_held = -1;
		ns++;
	}
	for (size_t i = 0; i < ns && rc == 0; i++) {
		if (!waits_for_mdl(&s[i]))
			continue;
		if (c->mdl_planned == MY_MDL_PS)
			blockers_ps(&s[i], m, nm);
		else
			blockers_plugin(s, ns, &s[i], m, nm);
		if (!s[i].lock[0])
			copy(s[i].lock, sizeof s[i].lock, s[i].wait);
	}
	free(m);
	if (rc == 0)
		return keep_queue(s, ns, t);
	t->lockq = s; /* what was read is freed with the sample */
	t->nlockq = ns;
	return -1;
}

int my_parse_triage(struct my_state *c, int part, const struct rs *r, struct db_sample *out)
{
	struct db_triage *t = &out->triage;
	switch (part) {
	case MY_PART_MDL_SOURCE:
		parse_source(c, r);
		return 0;
	case MY_PART_HISTORY:
		return parse_history(r, t);
	case MY_PART_MDL:
		return 0; /* read with the sessions that follow it */
	case MY_PART_MDL_SESSIONS:
		return parse_queue(c, r - 1, r, t);
	case MY_PART_BINLOGS:
		return parse_binlogs(r, t);
	}
	return 0;
}
