/*
 * actions.c - the keys that change something: cancel or terminate the
 * selected session, promote the selected replica. The request is built
 * from what the pane shows (with the identity it was shown with), the
 * prompt states what will happen to which object and its blast radius, and
 * only a confirmed request goes to the action worker. Type-ahead is flushed
 * before the prompt, so keys typed earlier can never answer it.
 */
#include "ui_private.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ui_say(struct ui *ui, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof ui->msg, fmt, ap);
	va_end(ap);
	ui->msg_until = clock_mono() + 6;
}

/* Are actions off whatever is selected (a replay, read-only, a collector that takes no
 * viewers' actions)? Says why. */
static int actions_off(struct ui *ui)
{
	struct attach_status as = {.actions = 1};
	if (ui->o->attach)
		attach_get_status(ui->o->attach, &as);
	if (ui->o->replay)
		ui_say(ui, "replay: actions are off");
	else if (ui->o->read_only)
		ui_say(ui, "read-only: actions are off (--read-only or read_only = true)");
	else if (as.actions == 0) /* -1, not known yet: the attach thread sends it once it is */
		ui_say(ui, "actions are off: the collector does not take viewers' actions ([redis] viewer_actions)");
	return ui->o->replay || ui->o->read_only || as.actions == 0;
}

/* May this target be acted on at this level? Says why not. */
static int allowed(struct ui *ui, const struct collector_target *t, int server_level)
{
	if (actions_off(ui))
		return 0;
	if (t->actions == TARGET_ACTIONS_NONE || (server_level && t->actions == TARGET_ACTIONS_SESSIONS)) {
		ui_say(ui, "actions on %s are off in the config (actions = %s)", t->name,
		       t->actions == TARGET_ACTIONS_NONE ? "none" : "sessions");
		return 0;
	}
	return 1;
}

/*
 * The config's policy for target 't': targets adopted from AWS discovery
 * (and AWS-only rows) have no section of their own and take the defaults.
 * Attached, the targets are the collector's (it applies its own 'actions'):
 * the viewer's config names none of them, whatever sections it has.
 */
static const struct collector_target *policy(const struct ui *ui, size_t t)
{
	static const struct collector_target defaults = {.name = ""};
	return t < ui->o->ntargets && !ui->o->attach ? &ui->o->targets[t] : &defaults;
}

/* Open the prompt: question, blast radius, the exact SQL, and how to confirm. */
static void ask(struct ui *ui, const struct action_request *r, int destructive, const char *question,
		const char *radius)
{
	const struct collector_target *t = policy(ui, r->target);
	struct target_status st = {.name = ""};
	if (r->target != ACTION_AWS_ONLY && r->target < store_count(ui->st)) {
		struct snapshot *snap = store_get(ui->st, r->target, &st); /* the name as shown */
		snapshot_release(&snap);
	}
	char sql[512];
	struct err err = {0};
	int sql_rc = ui->col ? collector_action_sql(ui->col, r, sql, sizeof sql, &err)
		     : collector_action_sql_for(st.engine, r, sql, sizeof sql, &err); /* attached: the target as described */
	if (sql_rc < 0) {
		ui_say(ui, "%s", err.msg);
		return;
	}
	int reason = r->a.kind == ACT_SNAPSHOT;
	int typed = !reason && (t->confirm == CONFIRM_TYPED || (t->confirm == CONFIRM_DEFAULT && destructive));
	ui->prompt.req = *r;
	ui->prompt.typed = typed;
	ui->prompt.reason = reason;
	ui->prompt.input[0] = '\0';
	/* the name to type: the target's, or the AWS instance's (or cluster's) for AWS-only rows */
	snprintf(ui->prompt.expect, sizeof ui->prompt.expect, "%s",
		 st.name[0] ? st.name : r->aws_global[0] ? r->aws_global
		 : r->aws_cluster[0] && r->a.kind == ACT_FAILOVER ? r->aws_cluster : r->aws_id);
	snprintf(ui->prompt.text, sizeof ui->prompt.text, "%s\n\n%s\n\nsends: %s%s\n\n%s%s%s", question, radius,
		 sql, ui->o->dry_run ? "\n(--dry-run: it will be logged and shown, not sent)" : "",
		 reason ? "Type the reason (it is tagged on the snapshot) and Enter to confirm; Esc aborts."
		 : typed ? "Type the name \"" : "y confirms; any other key aborts. [y/N]",
		 typed ? ui->prompt.expect : "", typed ? "\" and Enter to confirm; Esc aborts." : "");
	flushinp(); /* keys typed before the prompt must not answer it */
	ui->prompt.active = 1;
}

/* The sessions a pane's rows come from: the sessions pane's, or the triage pane's lock queue. */
static const struct db_session *session_list(const struct snapshot *snap, int triage, size_t *n)
{
	*n = !snap ? 0 : triage ? snap->s.triage.nlockq : snap->s.nsessions;
	return !snap ? NULL : triage ? snap->s.triage.lockq : snap->s.sessions;
}

static const struct db_session *find_in(const struct snapshot *snap, int triage, int pid)
{
	size_t n;
	const struct db_session *s = session_list(snap, triage, &n);
	for (size_t i = 0; i < n; i++)
		if (s[i].pid == pid)
			return &s[i];
	return NULL;
}

static const struct db_session *find_pid(const struct snapshot *snap, int pid)
{
	return find_in(snap, 0, pid);
}

const struct db_session *find_session(const struct snapshot *snap, const struct row_ref *ref)
{
	const struct db_session *s = find_pid(snap, (int)ref->item);
	return s && !strcmp(s->backend_start, ref->key) ? s : NULL;
}

void session_action(const struct snapshot *snap, const struct db_session *s, int kind, struct db_action *a)
{
	const struct db_health *h = &snap->s.health;
	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->pid = s->pid;
	snprintf(a->backend_start, sizeof a->backend_start, "%s", s->backend_start);
	snprintf(a->user, sizeof a->user, "%s", s->user);
	snprintf(a->client, sizeof a->client, "%s", s->client);
	snprintf(a->server_id, sizeof a->server_id, "%s", h->server_id);
	a->server_started = h->server_started;
	a->rds = h->rds_procs;
	snprintf(a->dialect, sizeof a->dialect, "%s", h->dialect);
}

void act_session(struct ui *ui, int kind)
{
	/* the sessions pane's rows, or the triage pane's lock tree (its latest sample holds the queue) */
	int triage = ui->cur == UI_TRIAGE;
	struct pane *p = ui->panes[triage ? UI_TRIAGE : UI_SESSIONS];
	if (actions_off(ui)) /* first: read-only says so whatever is selected */
		return;
	const struct row *row = pane_selected(p);
	if ((ui->cur != UI_SESSIONS && !triage) || !row || row->ref.kind != ROW_ITEM || row->ref.item <= 0) {
		ui_say(ui, triage ? "select a session of the lock tree first"
		       : "select a session in the sessions pane (4) first");
		return;
	}
	size_t t = ui->ctx.target;
	if (t >= store_count(ui->st) || !allowed(ui, policy(ui, t), 0))
		return;
	int pid = (int)row->ref.item;
	struct target_status st;
	struct snapshot *snap = triage ? store_get(ui->st, t, &st) : store_get_detail(ui->st, t, &st);
	const struct db_session *s = find_in(snap, triage, pid);
	if (s && strcmp(s->backend_start, row->ref.key))
		s = NULL; /* the pid is another session's now */
	if (!s || s->is_self) {
		ui_say(ui, s ? "that is dbfleet's own session" : "pid %d is not in the latest sample any more", pid);
		snapshot_release(&snap);
		return;
	}
	struct action_request r = {.target = t, .dry_run = ui->o->dry_run};
	session_action(snap, s, kind, &r.a);
	char *user = text_sanitize(s->user, 40), *app = text_sanitize(s->app, 40);
	char *query = text_sanitize(s->query ? s->query : "", 60);
	snprintf(r.object, sizeof r.object, "pid %d (%.30s)", pid, user ? user : "?");
	int blocks = 0;
	size_t nlist;
	const struct db_session *list = session_list(snap, triage, &nlist);
	for (size_t i = 0; i < nlist; i++)
		for (int b = 0; b < list[i].nblockers; b++)
			blocks += list[i].blockers[b] == pid;
	char q[160], x[32], radius[512], question[400];
	fmt_age(q, sizeof q, s->query_age_s);
	fmt_age(x, sizeof x, s->xact_age_s);
	snprintf(question, sizeof question, "%s pid %d (%s, %s %s: %s%s) on %s?",
		 kind == ACT_CANCEL ? "Cancel the query of" : "Terminate", pid, user ? user : "?",
		 !strcmp(s->state, "active") ? "running" : s->state, q, query ? query : "",
		 query && strlen(query) >= 59 ? "..." : "", st.name);
	char locks[32];
	snprintf(locks, sizeof locks, s->locks_held >= 0 ? "%d" : "unknown", s->locks_held);
	snprintf(radius, sizeof radius,
		 "transaction open: %s   locks held: %s   blocks: %d session%s\nuser: %s   application: %s   client: %s\n%s",
		 s->xact_age_s >= 0 ? x : "none", locks, blocks, blocks == 1 ? "" : "s", user ? user : "?",
		 app && *app ? app : "-", s->client[0] ? s->client : "local",
		 kind == ACT_CANCEL ? "The statement is cancelled; the session stays connected."
				    : "The session is disconnected; its open transaction rolls back.");
	free(user);
	free(app);
	free(query);
	snapshot_release(&snap);
	ask(ui, &r, kind == ACT_TERMINATE, question, radius);
}

/* Ask to terminate 'pids' (n of them) on the selected target; 'what' names the set. */
static void ask_bulk(struct ui *ui, struct snapshot *snap, const struct target_status *st, const int *pids, int n,
		     const char *what)
{
	struct action_request r = {.target = ui->ctx.target, .dry_run = ui->o->dry_run};
	char radius[1200], question[300];
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		const struct db_session *s = find_pid(snap, pids[i]);
		if (!s)
			continue;
		session_action(snap, s, ACT_TERMINATE, &r.bulk[r.nbulk++]);
		if (r.nbulk <= 5 && o < sizeof radius) {
			/* one line each: a query's own line breaks must not draw lines into the prompt */
			char x[32], *user = text_sanitize(s->user, 12), *query = text_sanitize(s->query, 40);
			fmt_age(x, sizeof x, s->xact_age_s);
			o += (size_t)snprintf(radius + o, sizeof radius - o, "  pid %-7d %-12s %-20.20s xact %-7s %s\n",
					      s->pid, user ? user : "?", s->state, s->xact_age_s >= 0 ? x : "-",
					      query ? query : "");
			free(user);
			free(query);
		}
	}
	if (r.nbulk > 5 && o < sizeof radius)
		o += (size_t)snprintf(radius + o, sizeof radius - o, "  ... and %d more\n", r.nbulk - 5);
	if (o < sizeof radius)
		snprintf(radius + o, sizeof radius - o, "Each is disconnected; open transactions roll back.");
	r.a = r.bulk[0];
	snprintf(r.object, sizeof r.object, "%d sessions (%s)", r.nbulk, what);
	snprintf(question, sizeof question, "Terminate %d session%s (%s) on %s?", r.nbulk, r.nbulk == 1 ? "" : "s",
		 what, st->name);
	ask(ui, &r, 1, question, radius);
}

/* The sessions pane, its target and snapshot, or NULL with a message. */
static struct snapshot *sessions_view(struct ui *ui, struct target_status *st)
{
	struct pane *p = ui->panes[UI_SESSIONS];
	if (actions_off(ui))
		return NULL;
	if (ui->cur != UI_SESSIONS || !pane_selected(p)) {
		ui_say(ui, "select a session in the sessions pane (4) first");
		return NULL;
	}
	if (ui->ctx.target >= store_count(ui->st) || !allowed(ui, policy(ui, ui->ctx.target), 0))
		return NULL;
	struct snapshot *snap = store_get_detail(ui->st, ui->ctx.target, st);
	if (!snap)
		ui_say(ui, "no sample of %s yet", st->name);
	return snap;
}

void act_chain(struct ui *ui)
{
	struct target_status st;
	struct snapshot *snap = sessions_view(ui, &st);
	if (!snap)
		return;
	const struct row_ref *ref = &pane_selected(ui->panes[UI_SESSIONS])->ref;
	int pid = (int)ref->item;
	/* everything the selected session waits for, transitively: ending them frees it */
	int set[ACTION_BULK_MAX + 1], n = 0, too_many = 0;
	int frontier[64], nf = 0;
	const struct db_session *s = find_session(snap, ref);
	for (int b = 0; s && b < s->nblockers && nf < 64; b++)
		frontier[nf++] = s->blockers[b];
	while (nf > 0) {
		int b = frontier[--nf], seen = b == pid;
		for (int i = 0; i < n && !seen; i++)
			seen = set[i] == b;
		if (seen)
			continue;
		if (n == ACTION_BULK_MAX) {
			too_many = 1;
			break;
		}
		set[n++] = b;
		const struct db_session *bs = find_pid(snap, b);
		for (int k = 0; bs && k < bs->nblockers && nf < 64; k++)
			frontier[nf++] = bs->blockers[k];
	}
	if (!s || n == 0 || too_many) {
		ui_say(ui, too_many ? "more than %d sessions in that chain: terminate its root blockers one by one"
		       : "pid %d waits for no one: no blocker chain to end (F9 terminates it alone)",
		       too_many ? ACTION_BULK_MAX : pid);
		snapshot_release(&snap);
		return;
	}
	char what[64];
	snprintf(what, sizeof what, "the blocker chain of pid %d", pid);
	ask_bulk(ui, snap, &st, set, n, what);
	snapshot_release(&snap);
}

void act_shown(struct ui *ui)
{
	struct target_status st;
	struct snapshot *snap = sessions_view(ui, &st);
	if (!snap)
		return;
	struct pane *p = ui->panes[UI_SESSIONS];
	int set[ACTION_BULK_MAX], n = 0;
	for (int i = 0; i < p->tab.nrows; i++) {
		const struct db_session *s = find_session(snap, &p->tab.rows[i].ref);
		if (!s || s->is_self)
			continue;
		if (n == ACTION_BULK_MAX) {
			ui_say(ui, "%d sessions shown: at most %d at a time; narrow the filter (f, /)", p->tab.nrows,
			       ACTION_BULK_MAX);
			snapshot_release(&snap);
			return;
		}
		set[n++] = s->pid;
	}
	if (n)
		ask_bulk(ui, snap, &st, set, n, "every session the filter shows");
	else
		ui_say(ui, "no session shown");
	snapshot_release(&snap);
}

void act_promote(struct ui *ui)
{
	if (actions_off(ui))
		return;
	/* the replica is the row under the cursor, as the pane shows it */
	const struct row *row = ui->cur == UI_FLEET || ui->cur == UI_LAG ? pane_selected(ui->panes[ui->cur]) : NULL;
	if (!row || row->ref.kind != ROW_TARGET) {
		ui_say(ui, "select a replica in the fleet (1) or lag (2) pane first");
		return;
	}
	size_t t = row->ref.target;
	if (t >= store_count(ui->st) || !allowed(ui, policy(ui, t), 1))
		return;
	struct target_status st;
	struct snapshot *snap = store_get(ui->st, t, &st);
	if (!snap || !snap->s.health.is_replica) {
		ui_say(ui, "%s is %s: only a replica can be promoted", st.name, snap ? "a primary" : "not sampled yet");
		snapshot_release(&snap);
		return;
	}
	const struct db_standby *sb = &snap->s.standby;
	char lag[32], radius[600], question[200];
	fmt_age(lag, sizeof lag, sb->lag_s);
	struct action_request r = {.target = t, .dry_run = ui->o->dry_run};
	r.a.kind = ACT_PROMOTE;
	snprintf(r.a.server_id, sizeof r.a.server_id, "%s", snap->s.health.server_id);
	r.a.server_started = snap->s.health.server_started;
	snprintf(r.object, sizeof r.object, "replica %.60s", st.name);
	snprintf(question, sizeof question, "Promote the replica %s (%s) to a primary?", st.name, st.endpoint);
	snprintf(radius, sizeof radius,
		 "current primary: %s:%d   this replica's lag: %s%s\n"
		 "It stops following the primary and accepts writes. Nothing moves the applications or\n"
		 "fences the old primary: until that is done both take writes (split brain).",
		 sb->sender_host[0] ? sb->sender_host : "?", sb->sender_port, sb->lag_s >= 0 ? lag : "unknown",
		 sb->halted[0] ? " (replication halted)" : "");
	snapshot_release(&snap);
	ask(ui, &r, 1, question, radius);
}

/*
 * The AWS instance under the fleet cursor (an AWS row, or a target linked
 * to one) when AWS actions are allowed on it; -1 after saying why not.
 * '*cs' holds a reference the caller releases either way.
 */
static int selected_cloud(struct ui *ui, struct cloud_instance *out, size_t *target, struct cloud_snapshot **cs)
{
	struct pane *p = ui->panes[UI_FLEET];
	*cs = NULL;
	if (actions_off(ui))
		return -1;
	struct cloud_snapshot *c = store_cloud_get(ui->st);
	*cs = c;
	const struct row *row = pane_selected(p);
	if (ui->cur != UI_FLEET || !row || row->ref.kind == ROW_GROUP) {
		ui_say(ui, "select an AWS instance in the fleet pane (1) first");
		return -1;
	}
	if (!c) {
		ui_say(ui, "AWS is off: run with --aws to act on RDS instances");
		return -1;
	}
	const struct cloud_instance *ci = NULL;
	*target = ACTION_AWS_ONLY;
	if (row->ref.kind == ROW_AWS) {
		ci = cloud_of_ref(c, &row->ref); /* by region and id: the snapshot may have moved it */
	} else if (row->ref.kind == ROW_TARGET) {
		struct target_status st;
		struct snapshot *snap = store_get(ui->st, row->ref.target, &st);
		snapshot_release(&snap);
		ci = fleet_cloud_of(c, &st);
		*target = row->ref.target;
	}
	if (!ci) {
		ui_say(ui, "this row is not an AWS instance dbfleet discovered");
		return -1;
	}
	if (*target != ACTION_AWS_ONLY && !allowed(ui, policy(ui, *target), 1))
		return -1;
	*out = *ci;
	return 0;
}

static void aws_request(struct ui *ui, const struct cloud_instance *ci, size_t target, int kind,
			struct action_request *r)
{
	memset(r, 0, sizeof *r);
	r->target = target;
	r->dry_run = ui->o->dry_run;
	r->a.kind = kind;
	snprintf(r->aws_id, sizeof r->aws_id, "%s", ci->id);
	snprintf(r->aws_cluster, sizeof r->aws_cluster, "%s", ci->cluster);
	snprintf(r->aws_region, sizeof r->aws_region, "%s", ci->region);
	snprintf(r->aws_account, sizeof r->aws_account, "%s", ci->account);
	snprintf(r->aws_account_alias, sizeof r->aws_account_alias, "%s", ci->account_alias);
	snprintf(r->aws_profile, sizeof r->aws_profile, "%s", ci->profile);
	r->aws_multi_az = ci->multi_az;
}

/* Where an instance is, for a prompt: "us-east-1", and with several accounts "us-east-1, account data 222222222222". */
static void where(const struct ui *ui, const struct cloud_instance *ci, char *out, size_t n)
{
	int several = ui->o->cloud.nprofiles > 1 || ui->o->cloud.payer_profile[0];
	if (several || ci->account_alias[0])
		snprintf(out, n, "%s, account %s%s%s", ci->region, ci->account_alias, ci->account_alias[0] ? " " : "",
			 ci->account[0] ? ci->account : "unknown");
	else
		snprintf(out, n, "%s", ci->region);
}

void act_snapshot(struct ui *ui)
{
	struct cloud_instance ci;
	struct cloud_snapshot *c;
	size_t target;
	int rc = selected_cloud(ui, &ci, &target, &c);
	cloud_snapshot_release(&c);
	if (rc < 0)
		return;
	struct action_request r;
	aws_request(ui, &ci, target, ACT_SNAPSHOT, &r);
	/* dbfleet-<name>-<UTC time>: made now, so a retried request cannot make a second one */
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
	snprintf(r.snapshot_id, sizeof r.snapshot_id, "dbfleet-%.50s-%.16s", ci.cluster[0] ? ci.cluster : ci.id, when);
	snprintf(r.object, sizeof r.object, "%s %.60s", ci.cluster[0] ? "cluster" : "instance",
		 ci.cluster[0] ? ci.cluster : ci.id);
	char question[400], radius[400], at[128];
	where(ui, &ci, at, sizeof at);
	snprintf(question, sizeof question, "Take a manual snapshot %s of %s %s (%s)?", r.snapshot_id,
		 ci.cluster[0] ? "cluster" : "instance", ci.cluster[0] ? ci.cluster : ci.id, at);
	snprintf(radius, sizeof radius, "Tagged dbfleet:taken-by and dbfleet:reason. %s\nManual snapshots are kept"
		 " (and billed) until someone deletes them.", ci.cluster[0] ? "Aurora cluster snapshots do not pause"
		 " writes." : ci.multi_az ? "Multi-AZ: taken from the standby, no I/O pause." :
		 "Single-AZ: I/O may pause briefly while it starts.");
	ask(ui, &r, 0, question, radius);
}

void act_failover(struct ui *ui)
{
	struct cloud_instance ci;
	struct cloud_snapshot *c;
	size_t target;
	if (selected_cloud(ui, &ci, &target, &c) < 0) {
		cloud_snapshot_release(&c);
		return;
	}
	struct action_request r;
	aws_request(ui, &ci, target, ACT_FAILOVER, &r);
	char question[300], radius[800];
	if (ci.global[0] && !ci.global_writer) {
		/* a secondary region of a global database: a planned switchover to it */
		const struct cloud_instance *w = NULL;
		for (size_t i = 0; i < c->n; i++)
			if (!strcmp(c->inst[i].global, ci.global) && c->inst[i].global_writer && !strcmp(c->inst[i].account, ci.account))
				w = &c->inst[i];
		if (w)
			snprintf(r.aws_writer, sizeof r.aws_writer, "%s/%s", w->region, w->cluster);
		snprintf(r.aws_global, sizeof r.aws_global, "%s", ci.global);
		snprintf(r.object, sizeof r.object, "global %.60s", ci.global);
		snprintf(question, sizeof question, "Switch over Aurora global database %.60s: writer %.80s -> %.30s/%.60s?",
			 ci.global, w ? r.aws_writer : "?", ci.region, ci.cluster);
		snprintf(radius, sizeof radius, "current writer cluster: %s   target: %s in %s (a secondary)\n"
			 "planned switchover, no data loss: writes pause for a minute or two while the regions swap;"
			 " applications must write to the new region's endpoint.", w ? r.aws_writer : "unknown",
			 ci.cluster, ci.region);
	} else if (ci.cluster[0]) {
		const struct cloud_instance *w = NULL;
		for (size_t i = 0; i < c->n; i++)
			if (!strcmp(c->inst[i].cluster, ci.cluster) && !strcmp(c->inst[i].region, ci.region) &&
			    !strcmp(c->inst[i].account, ci.account) && !strcmp(c->inst[i].role, "writer"))
				w = &c->inst[i];
		snprintf(r.aws_writer, sizeof r.aws_writer, "%s", w ? w->id : "");
		if (strcmp(ci.role, "writer"))
			snprintf(r.aws_target, sizeof r.aws_target, "%s", ci.id);
		char lag[32] = "unknown";
		if (!strcmp(ci.role, "reader") && ci.metric[CW_AURORALAG] >= 0)
			fmt_age(lag, sizeof lag, ci.metric[CW_AURORALAG] / 1000);
		snprintf(r.object, sizeof r.object, "cluster %.60s", ci.cluster);
		snprintf(question, sizeof question, "Fail over Aurora cluster %s: writer %s -> %s?", ci.cluster,
			 w ? w->id : "?", r.aws_target[0] ? r.aws_target : "a reader AWS chooses");
		snprintf(radius, sizeof radius, "current writer: %s   target: %s%s   its AuroraReplicaLag: %s\n"
			 "expected write outage: about 30-60 s; connections through the writer endpoint drop and"
			 " must reconnect.", w ? w->id : "unknown", r.aws_target[0] ? r.aws_target : "(AWS chooses)",
			 r.aws_target[0] ? " (reader)" : "", lag);
	} else if (ci.multi_az) {
		snprintf(r.object, sizeof r.object, "instance %.60s", ci.id);
		snprintf(question, sizeof question, "Fail over %s to its Multi-AZ standby (reboot with failover)?", ci.id);
		snprintf(radius, sizeof radius, "current primary: %s in %s   target: its standby in another zone\n"
			 "expected write outage: about 60-120 s while the instance reboots; the endpoint stays the"
			 " same.", ci.id, ci.az[0] ? ci.az : "?");
	} else {
		ui_say(ui, "%s is neither in an Aurora cluster nor Multi-AZ: nothing to fail over to", ci.id);
		cloud_snapshot_release(&c);
		return;
	}
	cloud_snapshot_release(&c);
	char at[128];
	where(ui, &ci, at, sizeof at);
	if (strcmp(at, ci.region)) { /* several accounts: say which one acts */
		size_t o = strlen(radius);
		snprintf(radius + o, sizeof radius - o, "\nin %s, through profile %s.", at, ci.profile[0] ? ci.profile : "default");
	}
	ask(ui, &r, 1, question, radius);
}

int edit_input(char *in, size_t n, int ch)
{
	size_t len = strlen(in);
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			in[len - 1] = '\0';
		return 1;
	}
	if (ch < 32 || ch >= 127)
		return 0;
	if (len + 1 < n) {
		in[len] = (char)ch;
		in[len + 1] = '\0';
	}
	return 1;
}

/* Send the confirmed request to the action worker and say so. */
static void prompt_confirmed(struct ui *ui)
{
	struct err err = {0};
	if (ui->o->attach) { /* the collector runs it; its outcome comes back on the stream */
		if (attach_submit_action(ui->o->attach, &ui->prompt.req, &err) < 0)
			ui_say(ui, "%s", err.msg);
		else
			ui_say(ui, "action on %s sent to the collector%s: its outcome shows in the actions pane (6)",
			       ui->prompt.req.object, ui->prompt.req.dry_run ? " (dry run)" : "");
		return;
	}
	int id = collector_act(ui->col, &ui->prompt.req, &err);
	if (id < 0)
		ui_say(ui, "%s", err.msg);
	else
		ui_say(ui, "action #%d on %s %s: see the actions pane (6)", id, ui->prompt.req.object,
		       ui->prompt.req.dry_run ? "logged (dry run)" : "started");
}

/* Whether the answer confirms the open prompt; says why not when it closes it unconfirmed. */
static int prompt_confirms(struct ui *ui, enum prompt_answer a)
{
	if (ui->prompt.reason) {
		int confirm = a == PROMPT_ACCEPT && ui->prompt.input[0];
		if (confirm)
			snprintf(ui->prompt.req.reason, sizeof ui->prompt.req.reason, "%s", ui->prompt.input);
		else
			ui_say(ui, "aborted: nothing sent%s", a == PROMPT_CANCEL ? "" : " (a reason is needed)");
		return confirm;
	}
	if (ui->prompt.typed && a == PROMPT_ACCEPT) {
		if (!strcmp(ui->prompt.input, ui->prompt.expect))
			return 1;
		ui_say(ui, "aborted: the name typed was not %s; nothing sent", ui->prompt.expect);
		return 0;
	}
	if (!ui->prompt.typed && a == PROMPT_YES)
		return 1; /* y/N: only "yes" confirms, Enter and every other key take the default, No */
	ui_say(ui, "aborted: nothing sent");
	return 0;
}

void prompt_answer(struct ui *ui, enum prompt_answer a)
{
	if (!ui->prompt.active) {
		ui_say(ui, "that key answers a confirmation prompt, and none is open");
		return;
	}
	size_t len = strlen(ui->prompt.input);
	if (a == PROMPT_ERASE && (ui->prompt.reason || ui->prompt.typed)) {
		if (len)
			ui->prompt.input[len - 1] = '\0';
		return;
	}
	ui->prompt.active = 0;
	if (prompt_confirms(ui, a))
		prompt_confirmed(ui);
}

int prompt_key(struct ui *ui, int key)
{
	/* where a name or a reason is typed, printable text is text whatever the table binds */
	if ((ui->prompt.reason || ui->prompt.typed) && key >= 32 && key < 127)
		return edit_input(ui->prompt.input, sizeof ui->prompt.input, key);
	return 0;
}
