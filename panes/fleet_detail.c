/* fleet_detail.c - Enter on a fleet row: every figure of a target, or what AWS says of an instance. */
#include "private.h"

#include <stdio.h>
#include <string.h>

/* Wall-clock seconds, whole: AWS's timestamps are. */
static double epoch_s(void)
{
	return (double)(long long)clock_wall();
}

struct row_ref fleet_ref_cloud(const struct cloud_instance *ci)
{
	struct row_ref r = row_ref_aws(ci->region, ci->id);
	size_t o = strlen(r.key);
	if (ci->account[0]) /* two accounts can each have an "orders-db" in the same region */
		snprintf(r.key + o, sizeof r.key - o, "/%s", ci->account);
	return r;
}

const char *fleet_account_name(const struct cloud_instance *ci)
{
	return ci->account_alias[0] ? ci->account_alias : ci->account;
}

/* "REGION/ID" or "REGION/ID/ACCOUNT" (fleet_ref_cloud): without an account, the first of that id. */
const struct cloud_instance *cloud_of_ref(const struct cloud_snapshot *c, const struct row_ref *r)
{
	size_t rl = strcspn(r->key, "/");
	const char *id = r->key + rl + (r->key[rl] == '/');
	size_t il = strcspn(id, "/");
	const char *acct = id[il] == '/' ? id + il + 1 : NULL;
	for (size_t i = 0; c && r->kind == ROW_AWS && i < c->n; i++)
		if (strlen(c->inst[i].region) == rl && !strncmp(c->inst[i].region, r->key, rl) &&
		    strlen(c->inst[i].id) == il && !strncmp(c->inst[i].id, id, il) &&
		    (!acct || !strcmp(c->inst[i].account, acct)))
			return &c->inst[i];
	return NULL;
}

#define PI_OVERLAY_SQL 5      /* digests the overlay lists; the queries pane has them all */
#define PI_OVERLAY_SQL_COLS 100

/*
 * Performance Insights' lines for an instance with PI on (the overlay
 * watches it while open: PI is read for what is shown, nothing else).
 * The bytes written.
 */
static int pi_lines(char *buf, size_t n, const struct pane_ctx *ctx, const struct cloud_instance *ci)
{
	if (!ci->pi_enabled)
		return snprintf(buf, n, "\nPerformance Insights: off\n");
	store_pi_watch(ctx->store, ci->region, ci->id, STORE_PI_WATCH_S);
	struct pi_snapshot *ps = store_pi_get(ctx->store, ci->region, ci->id);
	if (!ps)
		return snprintf(buf, n, "\nPerformance Insights: asking...\n");
	const struct cloud_pi *pi = &ps->pi;
	char age[32];
	fmt_age(age, sizeof age, epoch_s() - pi->fetched_at);
	int o = snprintf(buf, n, "\nPerformance Insights (%s, last %d min, %s ago):%s%s\n", pi->resource_id,
			 pi->window_s / 60, pi->fetched_at > 0 ? age : "-", pi->error[0] ? " " : "", pi->error);
	if (pi->load >= 0 && o < (int)n)
		o += snprintf(buf + o, n - (size_t)o, "  load %.2f average active sessions", pi->load);
	if (pi->load >= 0 && pi->vcpus > 0 && o < (int)n)
		o += snprintf(buf + o, n - (size_t)o, " of %d vCPUs (%.0f%%)", pi->vcpus, 100 * pi->load / pi->vcpus);
	for (int i = 0; i < pi->nwait && o < (int)n; i++)
		o += snprintf(buf + o, n - (size_t)o, "%s%s %.2f", i ? ", " : "\n  waits: ", pi->wait[i].name,
			      pi->wait[i].load);
	for (int i = 0; i < pi->nsql && i < PI_OVERLAY_SQL && o < (int)n; i++) {
		char sql[PI_OVERLAY_SQL_COLS + 1];
		size_t k = 0;
		for (const char *s = pi->sql[i].text; *s && k < PI_OVERLAY_SQL_COLS; s++) /* one line each */
			sql[k++] = strchr("\r\n\t", *s) ? ' ' : *s;
		sql[k] = '\0';
		o += snprintf(buf + o, n - (size_t)o, "%s  %6.2f  %s", i ? "\n" : "\n  top SQL (average active sessions):\n",
			      pi->sql[i].load, sql);
	}
	if (o < (int)n)
		o += snprintf(buf + o, n - (size_t)o, "\n");
	pi_snapshot_release(&ps);
	return o < (int)n ? o : (int)n - 1;
}

/* Enter on an AWS row: what AWS says about the instance. */
void fleet_cloud_detail(struct pane *p, const struct pane_ctx *ctx, const struct row_ref *ref)
{
	static const char *const names[CW_N] = {
		"CPUUtilization %", "DatabaseConnections", "FreeableMemory bytes", "FreeStorageSpace bytes",
		"ReadIOPS", "WriteIOPS", "ReplicaLag s", "AuroraReplicaLag ms", "DiskQueueDepth",
		"TransactionLogsDiskUsage bytes", "OldestReplicationSlotLag bytes",
	};
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	const struct cloud_instance *ci = cloud_of_ref(c, ref);
	if (!ci) {
		cloud_snapshot_release(&c);
		return;
	}
	char buf[6144], a[32];
	double epoch = epoch_s();
	int o = snprintf(buf, sizeof buf,
			 "%s (AWS RDS, %s)\naccount: %s%s%s%s\nengine: %s %s\nclass: %s\nzone: %s%s\nstatus: %s\n"
			 "role: %s%s%s%s%s\nendpoint: %s:%d\npending maintenance: %s\n\n"
			 "CloudWatch (AWS/RDS, latest point):\n",
			 ci->id, ci->region, ci->account[0] ? ci->account : "unknown", ci->account_alias[0] ? " (" : "",
			 ci->account_alias, ci->account_alias[0] ? ")" : "", ci->engine, ci->engine_version, ci->klass, ci->az,
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
	if (o < (int)sizeof buf)
		pi_lines(buf + o, sizeof buf - (size_t)o, ctx, ci);
	cloud_snapshot_release(&c);
	pane_set_overlay(p, buf);
}

void fleet_cloud_refresh(struct pane *p, const struct pane_ctx *ctx)
{
	fleet_cloud_detail(p, ctx, &p->overlay_ref);
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
void fleet_detail(struct pane *p, const struct pane_ctx *ctx)
{
	struct target_status st;
	struct snapshot *snap = store_get(ctx->store, p->overlay_ref.target, &st);
	store_watch(ctx->store, p->overlay_ref.target, 3 * st.interval_s); /* sessions and digests while it shows */
	char buf[6144], a[32], b[32];
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
	if (o >= 0 && (size_t)o < sizeof buf)
		o += fleet_slo_detail(ctx->store, p->overlay_ref.target, snap, buf + o, sizeof buf - (size_t)o);
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	const struct cloud_instance *ci = fleet_cloud_of(c, &st);
	if (ci && o >= 0 && o < (int)sizeof buf) /* an RDS instance too: what its Performance Insights see */
		pi_lines(buf + o, sizeof buf - (size_t)o, ctx, ci);
	cloud_snapshot_release(&c);
	snapshot_release(&snap);
	pane_set_overlay(p, buf);
}
