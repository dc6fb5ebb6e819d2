/*
 * triage.c - a DBA's three questions about the selected target, on one
 * screen: why the disk fills (replication slots and the WAL each retains;
 * binary logs), whether vacuum keeps up (wraparound, what holds the xmin
 * horizon, vacuums in progress, dead tuples; InnoDB purge lag), and what
 * everyone queues behind (the lock queue as a tree: the holder, the waiting
 * DDL, the queries behind it). Its reads cost the server only while it
 * shows the target (store_watch_triage). Rows of the lock tree are their
 * sessions (pid and start), so cancel and terminate act on them.
 */
#include "private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_ITEM, C_KIND, C_SIZE, C_SHARE, C_AGE, C_INFO, C_N };

static const struct column cols[C_N] = {
	[C_ITEM] = {"ITEM", 28, 0, 0, 0, 0},
	[C_KIND] = {"KIND", 20, 0, 0, 0, 1},
	[C_SIZE] = {"SIZE", 10, 0, 1, 0, 0},
	[C_SHARE] = {"SHARE", 7, 0, 1, 0, 2},
	[C_AGE] = {"AGE", 8, 0, 1, 0, 0},
	[C_INFO] = {"DETAIL", 20, 1, 0, 0, 0},
};

/* The sections 'f' steps through: all of them, or one. */
enum { S_ALL, S_WAL, S_VACUUM, S_LOCKS, S_N };
static const char *const section_name[S_N] = {"all", "slots/WAL", "vacuum", "locks"};

#define TREE_DEPTH 16

/* A row that is no session: named by its section and what it shows, so the cursor follows it. */
static struct row *thing(struct pane *p, const char *kind, const char *name)
{
	struct row *r = table_add(&p->tab);
	if (r)
		snprintf(r->ref.key, sizeof r->ref.key, "%s:%.80s", kind, name);
	return r;
}

/* A section's first line: what it holds, in one sentence. */
static void header(struct pane *p, int section, const char *key, const char *text)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	r->ref.kind = ROW_GROUP;
	snprintf(r->ref.key, sizeof r->ref.key, "%s", key);
	char name[64];
	snprintf(name, sizeof name, "%s %s", text_utf8() ? "\u25be" : "-", section_name[section]);
	row_text(r, C_ITEM, name);
	row_text(r, C_INFO, text);
	r->attr = ROW_BOLD;
}

static void pct_cell(struct row *r, int col, double part, double whole)
{
	if (part >= 0 && whole > 0)
		row_setf(r, col, 100.0 * part / whole, "%.1f%%", 100.0 * part / whole);
	else
		row_text(r, col, "-");
}

/* ---- why the disk fills ---- */

static void slot_row(struct pane *p, const struct db_triage *t, const struct db_slot *s)
{
	struct row *r = thing(p, "slot", s->name);
	if (!r)
		return;
	char kind[40], size[32], info[256], safe[32] = "";
	snprintf(kind, sizeof kind, "%s %s", s->type, s->active ? "active" : "INACTIVE");
	fmt_bytes(size, sizeof size, (double)s->retained_bytes);
	if (s->safe_wal_size >= 0)
		fmt_bytes(safe, sizeof safe, (double)s->safe_wal_size);
	int o = snprintf(info, sizeof info, "%s%s%s%s", s->wal_status[0] ? "wal " : "", s->wal_status,
			 safe[0] ? ", safe " : "", safe);
	if (s->active_pid > 0)
		o += snprintf(info + o, sizeof info - (size_t)o, "%spid %d", o ? ", " : "", s->active_pid);
	if (s->database[0])
		o += snprintf(info + o, sizeof info - (size_t)o, "%sdb %.60s", o ? ", " : "", s->database);
	if (s->xmin_age >= 0)
		o += snprintf(info + o, sizeof info - (size_t)o, "%sxmin age %lld", o ? ", " : "", (long long)s->xmin_age);
	if (s->catalog_xmin_age >= 0)
		snprintf(info + o, sizeof info - (size_t)o, "%scatalog xmin age %lld", o ? ", " : "",
			 (long long)s->catalog_xmin_age);
	row_text(r, C_ITEM, s->name);
	row_text(r, C_KIND, kind);
	row_setf(r, C_SIZE, (double)s->retained_bytes, "%s", size);
	pct_cell(r, C_SHARE, (double)s->retained_bytes, (double)t->slot_keep_max);
	row_text(r, C_INFO, info);
	r->attr = !s->active && s->retained_bytes >= FLEET_SLOT_BYTES ? ROW_BAD
		  : !s->active || !strcmp(s->wal_status, "lost") || !strcmp(s->wal_status, "unreserved") ? ROW_WARN
		  : ROW_NORMAL;
}

/* With AWS on and the target an RDS/Aurora PostgreSQL instance: what CloudWatch says of its WAL. */
static void cloudwatch_row(struct pane *p, const struct cloud_instance *ci, double epoch)
{
	if (!ci || (ci->metric[CW_TXLOGS] < 0 && ci->metric[CW_SLOTLAG] < 0))
		return;
	struct row *r = thing(p, "cloudwatch", ci->id);
	if (!r)
		return;
	char logs[32], lag[32], age[32], info[200];
	fmt_bytes(logs, sizeof logs, ci->metric[CW_TXLOGS]);
	fmt_bytes(lag, sizeof lag, ci->metric[CW_SLOTLAG]);
	double at = ci->metric_at[CW_TXLOGS] > ci->metric_at[CW_SLOTLAG] ? ci->metric_at[CW_TXLOGS]
									   : ci->metric_at[CW_SLOTLAG];
	fmt_age(age, sizeof age, epoch - at);
	snprintf(info, sizeof info, "%.64s: TransactionLogsDiskUsage %s, OldestReplicationSlotLag %s",
		 ci->id, logs, lag);
	row_text(r, C_ITEM, "CloudWatch");
	row_text(r, C_KIND, "AWS/RDS");
	row_setf(r, C_SIZE, ci->metric[CW_TXLOGS], "%s", logs);
	row_setf(r, C_AGE, epoch - at, "%s", age);
	row_text(r, C_INFO, info);
}

/* MySQL/MariaDB: the binary logs, each against the oldest one a replica of the fleet still reads. */
static void binlog_section(struct pane *p, const struct db_triage *t, const char *needed)
{
	char line[300], sz[32];
	int64_t total = 0;
	for (size_t i = 0; i < t->nbinlogs; i++)
		total += t->binlogs[i].bytes;
	fmt_bytes(sz, sizeof sz, (double)total);
	if (t->nbinlogs)
		snprintf(line, sizeof line, "%zu binary log%s, %s%s%.90s", t->nbinlogs, t->nbinlogs == 1 ? "" : "s", sz,
			 needed[0] ? "; replicas still read from " : "", needed);
	else
		snprintf(line, sizeof line, "%s", t->binlog_on ? "binary logs: read at the next sample"
							 : "binary logging is off (log_bin): no binary logs");
	header(p, S_WAL, "wal", line);
	for (size_t i = 0; i < t->nbinlogs; i++) {
		const struct db_binlog *b = &t->binlogs[i];
		struct row *r = thing(p, "binlog", b->name);
		if (!r)
			break;
		char size[32];
		fmt_bytes(size, sizeof size, (double)b->bytes);
		row_text(r, C_ITEM, b->name);
		row_text(r, C_KIND, "binary log");
		row_setf(r, C_SIZE, (double)b->bytes, "%s", size);
		int kept = needed[0] && strcmp(b->name, needed) >= 0;
		row_text(r, C_INFO, !needed[0] ? "" : kept ? "a replica still needs it" : "no replica of this fleet needs it");
		r->attr = kept || !needed[0] ? ROW_NORMAL : ROW_DIM;
	}
}

static void wal_section(struct pane *p, const struct db_sample *x, const char *needed,
			const struct cloud_instance *ci)
{
	const struct db_triage *t = &x->triage;
	if (!strcmp(x->health.dialect, "mysql")) {
		binlog_section(p, t, needed);
		return;
	}
	char keep[32] = "unlimited", line[300];
	if (t->slot_keep_max >= 0)
		fmt_bytes(keep, sizeof keep, (double)t->slot_keep_max);
	int inactive = 0;
	for (size_t i = 0; i < t->nslots; i++)
		inactive += !t->slots[i].active;
	snprintf(line, sizeof line, "%zu replication slot%s, %d inactive, max_slot_wal_keep_size %s", t->nslots,
		 t->nslots == 1 ? "" : "s", inactive, keep);
	header(p, S_WAL, "wal", line);
	cloudwatch_row(p, ci, clock_wall());
	for (size_t i = 0; i < t->nslots; i++)
		slot_row(p, t, &t->slots[i]);
	if (!t->nslots) {
		struct row *r = thing(p, "slot", "");
		if (r) {
			row_text(r, C_ITEM, "no replication slots");
			r->attr = ROW_DIM;
		}
	}
}

/* ---- is vacuum keeping up ---- */

static void xmin_rows(struct pane *p, const struct db_triage *t, int mysql)
{
	for (size_t i = 0; i < t->nxmin; i++) {
		const struct db_xmin_holder *h = &t->xmin[i];
		char item[160], age[32], key[120];
		snprintf(key, sizeof key, "%.20s/%d/%.60s", h->kind, h->pid, h->name);
		struct row *r = thing(p, "xmin", key);
		if (!r)
			return;
		const char *what = mysql ? (i ? "trx" : "OLDEST TRX") : (i ? "xmin" : "OLDEST XMIN");
		if (h->pid > 0)
			snprintf(item, sizeof item, "%s %s %d", what, mysql ? "id" : "pid", h->pid);
		else
			snprintf(item, sizeof item, "%s", what);
		row_text(r, C_ITEM, item);
		row_text(r, C_KIND, h->kind);
		if (h->age >= 0)
			row_setf(r, C_SIZE, (double)h->age, "%lld", (long long)h->age);
		pct_cell(r, C_SHARE, (double)h->age, (double)t->freeze_max_age);
		fmt_age(age, sizeof age, h->age_s);
		row_setf(r, C_AGE, h->age_s, "%s", age);
		row_text(r, C_INFO, h->name);
		r->attr = i ? ROW_NORMAL : ROW_WARN;
	}
}

static void wrap_rows(struct pane *p, const struct db_triage *t)
{
	for (size_t i = 0; i < t->nwrap && i < 5; i++) {
		const struct db_wrap *w = &t->wrap[i];
		struct row *r = thing(p, "wrap", w->datname);
		if (!r)
			return;
		char info[200];
		snprintf(info, sizeof info, "multixact age %lld (%.1f%% of autovacuum_multixact_freeze_max_age),"
			 " %.2f%% of the way to wraparound", (long long)w->mxid_age,
			 t->mxid_freeze_max_age > 0 ? 100.0 * (double)w->mxid_age / (double)t->mxid_freeze_max_age : 0,
			 100.0 * (double)w->xid_age / 2147483647.0);
		row_text(r, C_ITEM, w->datname);
		row_text(r, C_KIND, "xid age");
		row_setf(r, C_SIZE, (double)w->xid_age, "%lld", (long long)w->xid_age);
		pct_cell(r, C_SHARE, (double)w->xid_age, (double)t->freeze_max_age);
		row_text(r, C_INFO, info);
		r->attr = t->freeze_max_age > 0 && w->xid_age > t->freeze_max_age ? ROW_BAD : ROW_NORMAL;
	}
}

static void vacuum_rows(struct pane *p, const struct db_triage *t)
{
	for (size_t i = 0; i < t->nvacuums; i++) {
		const struct db_vacuum *v = &t->vacuums[i];
		char key[200], info[160];
		snprintf(key, sizeof key, "%d/%s", v->pid, v->table);
		struct row *r = thing(p, "vacuum", key);
		if (!r)
			return;
		snprintf(info, sizeof info, "pid %d, db %.60s%s", v->pid, v->db,
			 v->wraparound ? ", to prevent wraparound" : "");
		row_text(r, C_ITEM, v->table);
		row_text(r, C_KIND, v->phase);
		if (v->pct >= 0)
			row_setf(r, C_SHARE, v->pct, "%.1f%%", v->pct);
		row_text(r, C_INFO, info);
		r->attr = v->wraparound ? ROW_WARN : ROW_GOOD;
	}
}

static void dead_rows(struct pane *p, const struct db_triage *t)
{
	for (size_t i = 0; i < t->ndead; i++) {
		const struct db_deadtab *d = &t->dead[i];
		struct row *r = thing(p, "dead", d->table);
		if (!r)
			return;
		char n[32], age[32], info[160];
		fmt_num(n, sizeof n, (double)d->dead);
		fmt_age(age, sizeof age, d->vacuum_age_s);
		snprintf(info, sizeof info, "%lld live, last vacuum %s%s (database %.60s)", (long long)d->live,
			 d->vacuum_age_s >= 0 ? age : "never", d->vacuum_age_s >= 0 ? " ago" : "", t->dead_db);
		row_text(r, C_ITEM, d->table);
		row_text(r, C_KIND, "dead tuples");
		row_setf(r, C_SIZE, (double)d->dead, "%s", n);
		pct_cell(r, C_SHARE, (double)d->dead, (double)(d->dead + d->live));
		row_setf(r, C_AGE, d->vacuum_age_s, "%s", age);
		row_text(r, C_INFO, info);
	}
}

static void vacuum_section(struct pane *p, const struct db_sample *x)
{
	const struct db_triage *t = &x->triage;
	char line[240];
	if (!strcmp(x->health.dialect, "mysql")) {
		char h[32];
		fmt_num(h, sizeof h, (double)t->history_len);
		snprintf(line, sizeof line, "InnoDB history list length (purge lag) %s", t->history_len >= 0 ? h : "unknown");
		header(p, S_VACUUM, "vacuum", line);
		xmin_rows(p, t, 1);
		return;
	}
	int64_t oldest = t->nwrap ? t->wrap[0].xid_age : -1;
	snprintf(line, sizeof line, "oldest xid age %lld (%.1f%% of autovacuum_freeze_max_age), %zu running of %d workers", (long long)oldest,
		 t->freeze_max_age > 0 && oldest >= 0 ? 100.0 * (double)oldest / (double)t->freeze_max_age : 0,
		 t->nvacuums, t->vacuum_workers);
	header(p, S_VACUUM, "vacuum", line);
	xmin_rows(p, t, 0);
	if (!t->nxmin) {
		struct row *r = thing(p, "xmin", "");
		if (r) {
			row_text(r, C_ITEM, "xmin horizon");
			row_text(r, C_INFO, "nothing holds it back: no open transaction, prepared transaction,"
					    " slot or standby with an xmin");
			r->attr = ROW_DIM;
		}
	}
	wrap_rows(p, t);
	vacuum_rows(p, t);
	dead_rows(p, t);
}

/* ---- what everyone queues behind ---- */

struct tree {
	const struct db_session *s;
	size_t n;
	unsigned char *seen;
	long *parent;          /* each node's parent_of, worked out once */
	int last[TREE_DEPTH];
};

static long find_pid(const struct tree *tr, int pid)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->s[i].pid == pid)
			return (long)i;
	return -1;
}

/* The node 'i' hangs under: its first blocker in the queue; -1 for a head. */
static long parent_of(const struct tree *tr, size_t i)
{
	for (int b = 0; b < tr->s[i].nblockers; b++) {
		long j = find_pid(tr, tr->s[i].blockers[b]);
		if (j >= 0 && (size_t)j != i)
			return j;
	}
	return -1;
}

static void lock_row(struct pane *p, struct tree *tr, size_t i, int depth)
{
	const struct db_session *s = &tr->s[i];
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	r->ref.item = s->pid; /* a session is its pid and its start: cancel and terminate act on it */
	snprintf(r->ref.key, sizeof r->ref.key, "%s", s->backend_start);
	char item[TREE_DEPTH * 8 + 64] = "", age[32], info[512];
	size_t o = 0;
	for (int d = 1; d < depth && d < TREE_DEPTH; d++)
		o += (size_t)snprintf(item + o, sizeof item - o, "%s",
				      tr->last[d] ? "   " : text_utf8() ? "\u2502  " : "|  ");
	if (depth > 0)
		o += (size_t)snprintf(item + o, sizeof item - o, "%s",
				      text_utf8() ? (tr->last[depth] ? "\u2514\u2500 " : "\u251c\u2500 ")
						  : (tr->last[depth] ? "`- " : "|- "));
	snprintf(item + o, sizeof item - o, "%s%d", depth ? "" : "HOLDER ", s->pid);
	row_text(r, C_ITEM, item);
	row_text(r, C_KIND, s->nblockers ? (s->lock[0] ? "waits" : s->wait) : s->state);
	double a = s->nblockers ? s->query_age_s : s->xact_age_s;
	fmt_age(age, sizeof age, a);
	row_setf(r, C_AGE, a, "%s", age);
	snprintf(info, sizeof info, "%s%s%.40s@%.40s%s%.40s: %.200s", s->lock, s->lock[0] ? " | " : "", s->user,
		 s->db[0] ? s->db : s->client, s->app[0] ? " " : "", s->app,
		 s->query && s->query[0] ? s->query : "(no statement)");
	row_text(r, C_INFO, info);
	r->attr = !s->nblockers ? ROW_BAD : s->lock[0] && strstr(s->lock, "AccessExclusive") ? ROW_WARN : ROW_NORMAL;
}

/* Node 'i' and, under it, every node waiting for it first (depth-first, each once). */
static void subtree(struct pane *p, struct tree *tr, size_t i, int depth)
{
	tr->seen[i] = 1;
	lock_row(p, tr, i, depth);
	size_t kids[64], nk = 0;
	for (size_t j = 0; j < tr->n && nk < 64; j++)
		if (!tr->seen[j] && tr->parent[j] == (long)i)
			kids[nk++] = j;
	for (size_t k = 0; k < nk; k++) {
		if (tr->seen[kids[k]])
			continue;
		int d = depth + 1 < TREE_DEPTH ? depth + 1 : TREE_DEPTH - 1;
		tr->last[d] = k + 1 == nk;
		subtree(p, tr, kids[k], d);
	}
}

static void locks_section(struct pane *p, const struct db_sample *x)
{
	const struct db_triage *t = &x->triage;
	struct tree tr = {.s = t->lockq, .n = t->nlockq};
	int heads = 0, waiting = 0;
	for (size_t i = 0; i < t->nlockq; i++)
		waiting += t->lockq[i].nblockers > 0;
	tr.seen = calloc(t->nlockq ? t->nlockq : 1, 1);
	tr.parent = calloc(t->nlockq ? t->nlockq : 1, sizeof *tr.parent);
	for (size_t i = 0; tr.parent && i < t->nlockq; i++) {
		tr.parent[i] = parent_of(&tr, i);
		heads += tr.parent[i] < 0;
	}
	char line[200];
	snprintf(line, sizeof line, "lock queue: %d waiting behind %d head blocker%s", waiting, heads,
		 heads == 1 ? "" : "s");
	header(p, S_LOCKS, "locks", line);
	for (size_t i = 0; tr.seen && tr.parent && i < t->nlockq; i++)
		if (!tr.seen[i] && tr.parent[i] < 0)
			subtree(p, &tr, i, 0);
	for (size_t i = 0; tr.seen && tr.parent && i < t->nlockq; i++) /* a cycle (a deadlock being detected) has no head */
		if (!tr.seen[i])
			subtree(p, &tr, i, 0);
	free(tr.seen);
	free(tr.parent);
	if (!t->nlockq) {
		struct row *r = thing(p, "locks", "");
		if (r) {
			row_text(r, C_ITEM, t->lock_note[0] ? "lock queue unknown" : "no session waits on a lock");
			row_text(r, C_INFO, t->lock_fix);
			r->attr = ROW_DIM;
		}
	}
}

static void badges(struct pane *p, const struct db_sample *x)
{
	const struct db_triage *t = &x->triage;
	int idle = 0;
	for (size_t i = 0; i < t->nslots; i++)
		idle += !t->slots[i].active && t->slots[i].retained_bytes >= FLEET_SLOT_BYTES;
	if (idle)
		pane_badge(p, ROW_BAD, "%d inactive slot%s holding WAL", idle, idle == 1 ? "" : "s");
	if (t->nxmin) {
		const struct db_xmin_holder *h = &t->xmin[0];
		char a[32], pid[24] = "";
		fmt_age(a, sizeof a, h->age_s);
		if (h->pid > 0)
			snprintf(pid, sizeof pid, " pid %d", h->pid);
		char *name = text_sanitize(h->name, 96);
		if (!strcmp(x->health.dialect, "mysql"))
			snprintf(p->note[1], sizeof p->note[1], "oldest transaction: id %d %s (open %s): it holds purge back",
				 h->pid, name ? name : "", a);
		else
			snprintf(p->note[1], sizeof p->note[1], "oldest xmin: %s%s %s (%lld xids, %s): it holds vacuum back",
				 h->kind, pid, name ? name : "", (long long)h->age, a);
		free(name);
	}
	int waiting = 0;
	for (size_t i = 0; i < t->nlockq; i++)
		waiting += t->lockq[i].nblockers > 0;
	if (waiting)
		pane_badge(p, ROW_WARN, "%d waiting on locks", waiting);
	if (t->nvacuums)
		pane_badge(p, ROW_GOOD, "%zu vacuum%s running", t->nvacuums, t->nvacuums == 1 ? "" : "s");
}

/* The oldest binary log of this primary a replica target still reads (its Relay_Master_Log_File):
 * what the primary and its replicas say, combined. "" if no replica target reports one. */
static void oldest_needed(const struct pane_ctx *ctx, const struct target_status *primary, char *out, size_t n)
{
	char ep[128], sender[128];
	endpoint_norm_target(primary->endpoint, ep, sizeof ep);
	out[0] = '\0';
	for (size_t t = 0; t < store_count(ctx->store); t++) {
		struct target_status st;
		struct snapshot *snap = store_get(ctx->store, t, &st);
		const struct db_standby *sb = snap && snap->s.health.is_replica ? &snap->s.standby : NULL;
		if (sb && sb->source_log[0]) {
			endpoint_norm(sb->sender_host, sb->sender_port, sender, sizeof sender);
			if (!strcmp(sender, ep) && (!out[0] || strcmp(sb->source_log, out) < 0))
				snprintf(out, n, "%s", sb->source_log);
		}
		snapshot_release(&snap);
	}
}

static void triage_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct target_status st;
	struct snapshot *snap = store_get(ctx->store, ctx->target, &st);
	store_watch_triage(ctx->store, ctx->target, 3 * st.interval_s); /* read while this shows */
	pane_status_of(p, &st, snap, ctx->now);
	snprintf(p->title, sizeof p->title, "triage - %s [%s]", st.name, section_name[p->filter % S_N]);
	if (!strcmp(st.engine, "odbc")) {
		snprintf(p->note[0], sizeof p->note[0], "triage reads PostgreSQL and MySQL/MariaDB targets of their"
			 " own engines; an ODBC target has no triage reads");
	} else if (!snap || !snap->s.triage.read) {
		snprintf(p->note[0], sizeof p->note[0], "reading slots, vacuum and lock queue: at the next sample");
	} else {
		const struct db_sample *x = &snap->s;
		if (x->triage.note[0] || x->triage.lock_note[0])
			snprintf(p->note[0], sizeof p->note[0], "%.120s%s%.120s", x->triage.note,
				 x->triage.note[0] && x->triage.lock_note[0] ? "; " : "", x->triage.lock_note);
		snprintf(p->note[2], sizeof p->note[2], "%s", x->triage.lock_fix);
		badges(p, x);
		int f = p->filter % S_N;
		char needed[96] = "";
		if (f == S_ALL || f == S_WAL) {
			struct cloud_snapshot *cloud = store_cloud_get(ctx->store);
			oldest_needed(ctx, &st, needed, sizeof needed);
			wal_section(p, x, needed, cloud ? fleet_cloud_of(cloud, &st) : NULL);
			cloud_snapshot_release(&cloud);
		}
		if (f == S_ALL || f == S_VACUUM)
			vacuum_section(p, x);
		if (f == S_ALL || f == S_LOCKS)
			locks_section(p, x);
	}
	snapshot_release(&snap);
}

static int triage_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	(void)ctx;
	if (cmd == PANE_FILTER_NEXT) {
		p->filter = (p->filter + 1) % S_N;
		return 1;
	}
	if (cmd == PANE_OPEN && pane_selected(p)) {
		const struct row *r = pane_selected(p);
		char buf[PANE_OVERLAY_MAX];
		snprintf(buf, sizeof buf, "%s\n%s  %s  %s  %s\n\n%s", r->cell[C_ITEM] ? r->cell[C_ITEM] : "",
			 r->cell[C_KIND] ? r->cell[C_KIND] : "", r->cell[C_SIZE] ? r->cell[C_SIZE] : "",
			 r->cell[C_SHARE] ? r->cell[C_SHARE] : "", r->cell[C_AGE] ? r->cell[C_AGE] : "",
			 r->cell[C_INFO] ? r->cell[C_INFO] : "");
		pane_set_overlay(p, buf);
		return 1;
	}
	return 0;
}

const struct pane_ops pane_triage_ops = {
	.name = "triage",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.unsortable = 1,
	.recalc = triage_recalc,
	.on_command = triage_command,
};
