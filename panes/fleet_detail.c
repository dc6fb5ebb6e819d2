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

/* Enter on an AWS row: what AWS says about the instance. */
void fleet_cloud_detail(struct pane *p, const struct pane_ctx *ctx, const struct row_ref *ref)
{
	static const char *const names[CW_N] = {
		"CPUUtilization %", "DatabaseConnections", "FreeableMemory bytes", "FreeStorageSpace bytes",
		"ReadIOPS", "WriteIOPS", "ReplicaLag s", "AuroraReplicaLag ms", "DiskQueueDepth",
	};
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	const struct cloud_instance *ci = cloud_of_ref(c, ref);
	if (!ci) {
		cloud_snapshot_release(&c);
		return;
	}
	char buf[4096], a[32];
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
void fleet_detail(struct pane *p, const struct pane_ctx *ctx)
{
	struct target_status st;
	struct snapshot *snap = store_get(ctx->store, p->overlay_ref.target, &st);
	store_watch(ctx->store, p->overlay_ref.target, 3 * st.interval_s); /* sessions and digests while it shows */
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
