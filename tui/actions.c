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

void ui_say(struct ui *ui, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof ui->msg, fmt, ap);
	va_end(ap);
	ui->msg_until = store_now() + 6;
}

/* May this target be acted on at this level? Says why not. */
static int allowed(struct ui *ui, const struct collector_target *t, int server_level)
{
	if (ui->o->read_only) {
		ui_say(ui, "read-only: actions are off (--read-only or read_only = true)");
		return 0;
	}
	if (t->actions == TARGET_ACTIONS_NONE || (server_level && t->actions == TARGET_ACTIONS_SESSIONS)) {
		ui_say(ui, "actions on %s are off in the config (actions = %s)", t->name,
		       t->actions == TARGET_ACTIONS_NONE ? "none" : "sessions");
		return 0;
	}
	return 1;
}

/* Open the prompt: question, blast radius, the exact SQL, and how to confirm. */
static void ask(struct ui *ui, const struct action_request *r, int destructive, const char *question,
		const char *radius)
{
	const struct collector_target *t = &ui->o->targets[r->target];
	char sql[512];
	struct err err = {0};
	if (collector_action_sql(ui->col, r, sql, sizeof sql, &err) < 0) {
		ui_say(ui, "%s", err.msg);
		return;
	}
	int typed = t->confirm == CONFIRM_TYPED || (t->confirm == CONFIRM_DEFAULT && destructive);
	ui->prompt.req = *r;
	ui->prompt.typed = typed;
	ui->prompt.input[0] = '\0';
	snprintf(ui->prompt.expect, sizeof ui->prompt.expect, "%s", t->name);
	snprintf(ui->prompt.text, sizeof ui->prompt.text, "%s\n\n%s\n\nsends: %s%s\n\n%s", question, radius, sql,
		 ui->o->dry_run ? "\n(--dry-run: it will be logged and shown, not sent)" : "",
		 typed ? "Type the target's name and Enter to confirm; Esc aborts."
		       : "y confirms; any other key aborts. [y/N]");
	flushinp(); /* keys typed before the prompt must not answer it */
	ui->prompt.active = 1;
}

static const struct db_session *find_session(const struct snapshot *snap, int pid)
{
	for (size_t i = 0; snap && i < snap->s.nsessions; i++)
		if (snap->s.sessions[i].pid == pid)
			return &snap->s.sessions[i];
	return NULL;
}

void act_session(struct ui *ui, int kind)
{
	struct pane *p = ui->panes[UI_SESSIONS];
	if (ui->o->read_only) { /* first: read-only says so whatever is selected */
		allowed(ui, NULL, 0);
		return;
	}
	if (ui->cur != UI_SESSIONS || p->sel >= p->tab.nrows) {
		ui_say(ui, "select a session in the sessions pane (4) first");
		return;
	}
	size_t t = ui->ctx.target;
	if (t >= ui->o->ntargets || !allowed(ui, &ui->o->targets[t], 0))
		return;
	int pid = (int)p->tab.rows[p->sel].id;
	struct target_status st;
	struct snapshot *snap = store_get(ui->st, t, &st);
	const struct db_session *s = find_session(snap, pid);
	if (!s || s->is_self) {
		ui_say(ui, s ? "that is dbfleet's own session" : "pid %d is not in the latest sample any more", pid);
		snapshot_release(&snap);
		return;
	}
	const struct db_health *h = &snap->s.health;
	struct action_request r = {.target = t, .dry_run = ui->o->dry_run};
	r.a.kind = kind;
	r.a.pid = pid;
	snprintf(r.a.backend_start, sizeof r.a.backend_start, "%s", s->backend_start);
	snprintf(r.a.user, sizeof r.a.user, "%s", s->user);
	snprintf(r.a.client, sizeof r.a.client, "%s", s->client);
	snprintf(r.a.server_id, sizeof r.a.server_id, "%s", h->server_id);
	r.a.server_started = h->server_started;
	r.a.rds = h->rds_procs;
	char *user = text_sanitize(s->user, 40), *app = text_sanitize(s->app, 40);
	char *query = text_sanitize(s->query ? s->query : "", 60);
	snprintf(r.object, sizeof r.object, "pid %d (%.30s)", pid, user ? user : "?");
	int blocks = 0;
	for (size_t i = 0; i < snap->s.nsessions; i++)
		for (int b = 0; b < snap->s.sessions[i].nblockers; b++)
			blocks += snap->s.sessions[i].blockers[b] == pid;
	char q[160], x[32], radius[512], question[400];
	fmt_age(q, sizeof q, s->query_age_s);
	fmt_age(x, sizeof x, s->xact_age_s);
	snprintf(question, sizeof question, "%s pid %d (%s, %s %s: %s%s) on %s?",
		 kind == ACT_CANCEL ? "Cancel the query of" : "Terminate", pid, user ? user : "?",
		 !strcmp(s->state, "active") ? "running" : s->state, q, query ? query : "",
		 query && strlen(query) >= 59 ? "..." : "", st.name);
	snprintf(radius, sizeof radius,
		 "transaction open: %s   blocks: %d session%s   user: %s   application: %s   client: %s\n%s",
		 s->xact_age_s >= 0 ? x : "none", blocks, blocks == 1 ? "" : "s", user ? user : "?",
		 app && *app ? app : "-", s->client[0] ? s->client : "local",
		 kind == ACT_CANCEL ? "The statement is cancelled; the session stays connected."
				    : "The session is disconnected; its open transaction rolls back.");
	free(user);
	free(app);
	free(query);
	snapshot_release(&snap);
	ask(ui, &r, kind == ACT_TERMINATE, question, radius);
}

void act_promote(struct ui *ui)
{
	size_t t = ui->ctx.target;
	if (ui->o->read_only) {
		allowed(ui, NULL, 1);
		return;
	}
	if (ui->cur != UI_FLEET && ui->cur != UI_LAG) {
		ui_say(ui, "select a replica in the fleet (1) or lag (2) pane first");
		return;
	}
	if (t >= ui->o->ntargets || !allowed(ui, &ui->o->targets[t], 1))
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

int prompt_key(struct ui *ui, int ch)
{
	int confirm = 0;
	if (ui->prompt.typed) {
		size_t len = strlen(ui->prompt.input);
		if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
			if (len)
				ui->prompt.input[len - 1] = '\0';
			return 1;
		}
		if (ch >= 32 && ch < 127) {
			if (len + 1 < sizeof ui->prompt.input) {
				ui->prompt.input[len] = (char)ch;
				ui->prompt.input[len + 1] = '\0';
			}
			return 1;
		}
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			confirm = !strcmp(ui->prompt.input, ui->prompt.expect);
			if (!confirm)
				ui_say(ui, "aborted: the name typed was not %s; nothing sent", ui->prompt.expect);
		} else {
			ui_say(ui, "aborted: nothing sent");
		}
	} else {
		confirm = ch == 'y' || ch == 'Y';
		if (!confirm)
			ui_say(ui, "aborted: nothing sent");
	}
	ui->prompt.active = 0;
	if (confirm) {
		struct err err = {0};
		int id = collector_act(ui->col, &ui->prompt.req, &err);
		if (id < 0)
			ui_say(ui, "%s", err.msg);
		else
			ui_say(ui, "action #%d on %s %s: see the actions pane (6)", id, ui->prompt.req.object,
			       ui->prompt.req.dry_run ? "logged (dry run)" : "started");
	}
	return 1;
}
