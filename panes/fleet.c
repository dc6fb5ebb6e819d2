/*
 * fleet.c - one row per target: is it up, how busy, how far behind. With
 * AWS on, each discovered instance is a row too, or lends its CloudWatch
 * figures (CPU) to the database target it is linked to (aws_instance, the
 * same name, or the same endpoint).
 */
#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { C_NAME, C_ENGINE, C_ROLE, C_STATE, C_TLS, C_CONNS, C_CPU, C_TPS, C_XACT, C_LAG, C_AGE, C_COST, C_N };

static const struct column cols[C_N] = {
	[C_NAME] = {"NAME", 18, 1, 0, 1, 0},
	[C_ENGINE] = {"ENGINE", 8, 0, 0, 1, 1},
	[C_ROLE] = {"ROLE", 7, 0, 0, 1, 0},
	[C_STATE] = {"STATE", 11, 0, 0, 1, 0},
	[C_TLS] = {"TLS", 3, 0, 0, 1, 2},
	[C_CONNS] = {"CONNS", 9, 0, 1, 1, 0},
	[C_CPU] = {"CPU", 5, 0, 1, 1, 4},
	[C_TPS] = {"TPS", 7, 0, 1, 1, 0},
	[C_XACT] = {"LONG XACT", 9, 0, 1, 1, 0},
	[C_LAG] = {"LAG", 10, 0, 1, 1, 0},
	[C_AGE] = {"AGE", 6, 0, 1, 1, 0},
	[C_COST] = {"OWN COST", 12, 0, 1, 1, 3},
};

static void fill_row(struct row *r, const struct target_status *st, const struct snapshot *snap,
		     double now)
{
	char a[32], b[32];
	row_text(r, C_NAME, st->name);
	row_text(r, C_ENGINE, st->engine);
	row_text(r, C_STATE, target_state_name(st->state));
	r->key[C_STATE] = st->state;
	r->attr = st->state == TARGET_OK ? ROW_NORMAL : st->state == TARGET_CONNECTING ? ROW_DIM : ROW_BAD;
	if (!snap)
		return;
	const struct db_health *h = &snap->s.health;
	row_text(r, C_ROLE, h->is_replica ? "replica" : "primary");
	row_text(r, C_TLS, !strcmp(h->tls, "plaintext") ? "no" : !h->tls[0] || !strcmp(h->tls, "unknown") ? "?" : "yes");
	row_setf(r, C_CONNS, h->conns_used, "%d/%d", h->conns_used, h->conns_max);
	fmt_num(a, sizeof a, h->tps);
	row_setf(r, C_TPS, h->tps, "%s", a);
	fmt_age(a, sizeof a, h->longest_xact_s);
	row_setf(r, C_XACT, h->longest_xact_s, "%s", a);
	double bytes = snap->s.lag_bytes, lag = snap->s.lag_s;
	fmt_bytes(b, sizeof b, bytes);
	if (lag > 0)
		fmt_age(a, sizeof a, lag);
	row_setf(r, C_LAG, bytes, "%s", lag > 0 ? a : b);
	if (h->is_replica && snap->s.standby.halted[0])
		row_setf(r, C_LAG, 1e18, "stopped");
	fmt_age(a, sizeof a, now - snap->mono);
	row_setf(r, C_AGE, now - snap->mono, "%s", a);
	row_setf(r, C_COST, snap->cost_ms_s, "%dq %.1fms/s", snap->s.statements, snap->cost_ms_s);
	if (st->state == TARGET_OK && now - snap->mono > 3 * st->interval_s + st->timeout_s) {
		row_text(r, C_STATE, "STALE");
		r->attr = ROW_WARN;
	}
}

static double epoch_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec;
}

double cloud_lag_s(const struct cloud_instance *ci)
{
	/* ReplicaLag is in seconds, AuroraReplicaLag in milliseconds */
	return ci->metric[CW_REPLICALAG] >= 0 ? ci->metric[CW_REPLICALAG]
	       : ci->metric[CW_AURORALAG] >= 0 ? ci->metric[CW_AURORALAG] / 1000 : -1;
}

const struct cloud_instance *fleet_cloud_of(const struct cloud_snapshot *c, const struct target_status *st)
{
	char ep[200];
	for (size_t i = 0; c && i < c->n; i++) {
		const struct cloud_instance *ci = &c->inst[i];
		snprintf(ep, sizeof ep, "%s:%d", ci->host, ci->port);
		if (st->cloud_id[0] ? !strcmp(ci->id, st->cloud_id)
				    : !strcmp(ci->id, st->name) || (ci->host[0] && !strcmp(ep, st->endpoint)))
			return ci;
	}
	return NULL;
}

static void cpu_cell(struct row *r, const struct cloud_instance *ci)
{
	if (ci && ci->metric[CW_CPU] >= 0)
		row_setf(r, C_CPU, ci->metric[CW_CPU], "%.0f%%", ci->metric[CW_CPU]);
}

/* The newest CloudWatch timestamp of an instance, 0 if none. */
static double cw_newest(const struct cloud_instance *ci)
{
	double t = 0;
	for (int m = 0; m < CW_N; m++)
		t = ci->metric_at[m] > t ? ci->metric_at[m] : t;
	return t;
}

/* A discovered instance no database target stands for: what AWS says. */
static void fill_cloud_row(struct row *r, const struct cloud_instance *ci, double epoch)
{
	char a[32];
	row_text(r, C_NAME, ci->id);
	row_text(r, C_ENGINE, ci->engine);
	row_text(r, C_ROLE, ci->role);
	row_text(r, C_STATE, ci->status);
	r->attr = !strcmp(ci->status, "available") ? ROW_NORMAL : ROW_WARN;
	if (ci->metric[CW_CONNS] >= 0)
		row_setf(r, C_CONNS, ci->metric[CW_CONNS], "%.0f", ci->metric[CW_CONNS]);
	cpu_cell(r, ci);
	double lag = cloud_lag_s(ci);
	if (lag >= 0) {
		fmt_age(a, sizeof a, lag);
		row_setf(r, C_LAG, lag, "%s", a);
	}
	double t = cw_newest(ci);
	if (t > 0) {
		fmt_age(a, sizeof a, epoch - t);
		row_setf(r, C_AGE, epoch - t, "%s", a);
	}
}

static void fleet_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	size_t n = store_count(ctx->store);
	int up = 0;
	double newest = -1, epoch = epoch_now();
	struct cloud_snapshot *cloud = store_cloud_get(ctx->store);
	unsigned char *used = cloud && cloud->n ? calloc(cloud->n, 1) : NULL;
	for (size_t t = 0; t < n; t++) {
		struct target_status st;
		struct snapshot *snap = store_get(ctx->store, t, &st);
		const struct cloud_instance *ci = fleet_cloud_of(cloud, &st);
		if (ci && used)
			used[ci - cloud->inst] = 1;
		struct row *r = table_add(&p->tab);
		if (r) {
			r->id = (long)t;
			fill_row(r, &st, snap, ctx->now);
			cpu_cell(r, ci);
		}
		up += st.state == TARGET_OK;
		if (snap && (newest < 0 || ctx->now - snap->mono < newest))
			newest = ctx->now - snap->mono;
		snapshot_release(&snap);
	}
	size_t ncloud = 0;
	for (size_t i = 0; cloud && i < cloud->n; i++) {
		if (used && used[i])
			continue;
		struct row *r = table_add(&p->tab);
		if (r) {
			r->id = -(long)i - 1;
			fill_cloud_row(r, &cloud->inst[i], epoch);
		}
		ncloud++;
	}
	free(used);
	if (cloud)
		snprintf(p->title, sizeof p->title, "fleet - %zu targets, %zu AWS instances", n, cloud->n);
	else
		snprintf(p->title, sizeof p->title, "fleet - %zu targets", n);
	char a[32];
	fmt_age(a, sizeof a, newest);
	if (cloud && cloud->error[0]) {
		char *e = text_sanitize(cloud->error, 200);
		snprintf(p->status, sizeof p->status, "- AWS: %s", e ? e : "error");
		free(e);
	} else if (n == 0)
		snprintf(p->status, sizeof p->status, cloud ? "- from AWS" : "- discovering");
	else if (newest < 0)
		snprintf(p->status, sizeof p->status, "- %d up, no sample yet", up);
	else
		snprintf(p->status, sizeof p->status, "- %d up, newest sample %s ago", up, a);
	p->status_bad = up < (int)n || (cloud && cloud->error[0]);
	(void)ncloud;
	cloud_snapshot_release(&cloud);
}

/* Enter on an AWS row: what AWS says about the instance. */
static void cloud_detail(struct pane *p, const struct pane_ctx *ctx, size_t i)
{
	static const char *const names[CW_N] = {
		"CPUUtilization %", "DatabaseConnections", "FreeableMemory bytes", "FreeStorageSpace bytes",
		"ReadIOPS", "WriteIOPS", "ReplicaLag s", "AuroraReplicaLag ms", "DiskQueueDepth",
	};
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	if (!c || i >= c->n) {
		cloud_snapshot_release(&c);
		return;
	}
	const struct cloud_instance *ci = &c->inst[i];
	char buf[4096], a[32];
	double epoch = epoch_now();
	int o = snprintf(buf, sizeof buf,
			 "%s (AWS RDS, %s)\nengine: %s %s\nclass: %s\nzone: %s%s\nstatus: %s\n"
			 "role: %s%s%s%s%s\nendpoint: %s:%d\npending maintenance: %s\n\n"
			 "CloudWatch (AWS/RDS, latest point):\n",
			 ci->id, ci->region, ci->engine, ci->engine_version, ci->klass, ci->az,
			 ci->multi_az ? " (Multi-AZ)" : "", ci->status, ci->role[0] ? ci->role : "-",
			 ci->cluster[0] ? ", cluster " : "", ci->cluster, ci->source[0] ? ", replica of " : "",
			 ci->source, ci->host, ci->port, ci->maintenance[0] ? ci->maintenance : "none");
	for (int m = 0; m < CW_N && o < (int)sizeof buf; m++) {
		if (ci->metric[m] < 0)
			continue;
		fmt_age(a, sizeof a, epoch - ci->metric_at[m]);
		o += snprintf(buf + o, sizeof buf - (size_t)o, "  %-24s %14.2f  (%s old)\n", names[m],
			      ci->metric[m], a);
	}
	cloud_snapshot_release(&c);
	pane_set_overlay(p, buf);
}

static void fmt_or_dash(char *out, size_t n, double v, int decimals, const char *unit)
{
	if (v < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.*f%s", decimals, v, unit);
}

/* Enter: every figure of the selected target, with the notes and error;
 * rewritten with every sample while it is open. */
static void detail(struct pane *p, const struct pane_ctx *ctx)
{
	struct target_status st;
	struct snapshot *snap = store_get(ctx->store, (size_t)p->overlay_id, &st);
	char buf[4096], a[32], b[32];
	int o = snprintf(buf, sizeof buf, "%s (%s, %s)\nstate: %s %s\n", st.name, st.engine,
			 st.endpoint, target_state_name(st.state), st.error);
	if (snap) {
		const struct db_health *h = &snap->s.health;
		char hit[16], tps[24], qps[24], xid[48];
		fmt_age(a, sizeof a, h->uptime_s);
		fmt_bytes(b, sizeof b, (double)h->db_size_bytes);
		/* a figure the engine does not know (-1) reads "-" */
		fmt_or_dash(hit, sizeof hit, h->cache_hit_pct, 2, "%");
		fmt_or_dash(tps, sizeof tps, h->tps, 1, "");
		fmt_or_dash(qps, sizeof qps, h->qps, 1, "");
		xid[0] = '\0';
		if (h->xid_age >= 0) /* PostgreSQL's alone */
			snprintf(xid, sizeof xid, "xid age: %lld\n", (long long)h->xid_age);
		o += snprintf(buf + o, sizeof buf - (size_t)o,
			      "version: %s\nrole: %s\nuptime: %s\nconnections: %d of %d usable\n"
			      "active: %d\nidle in transaction: %d\nwaiting on a lock: %d\n"
			      "cache hit: %s\n%sdatabase size: %s\n"
			      "transactions/s: %s\nstatements/s: %s\nconnection encryption: %s\n",
			      h->version, h->is_replica ? "replica" : "primary", a, h->conns_used,
			      h->conns_max, h->active, h->idle_in_xact, h->waiting_on_lock,
			      hit, xid, b, tps, qps, h->tls);
		o += snprintf(buf + o, sizeof buf - (size_t)o,
			      "dbfleet's cost: %d statements per refresh, %.2f ms/s\n%s\n%s\n",
			      snap->s.statements, snap->cost_ms_s, snap->s.privilege_note,
			      snap->s.queries_note);
	}
	(void)o;
	snapshot_release(&snap);
	pane_set_overlay(p, buf);
}

static int fleet_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	if (cmd != PANE_OPEN || p->sel >= p->tab.nrows)
		return 0;
	long id = p->tab.rows[p->sel].id;
	if (id < 0) {
		cloud_detail(p, ctx, (size_t)(-id - 1));
		return 1;
	}
	ctx->target = (size_t)id;
	p->overlay_id = id;
	detail(p, ctx);
	p->overlay_refresh = detail;
	return 1;
}

const struct pane_ops pane_fleet_ops = {
	.name = "fleet",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.recalc = fleet_recalc,
	.on_command = fleet_command,
};
