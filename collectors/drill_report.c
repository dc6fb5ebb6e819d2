/*
 * drill_report.c - a drill's report, Markdown and JSON, readable on its own
 * in a postmortem: who ran it and from where, each write outage through an
 * application endpoint (measured RTO, the RPO estimate) against the
 * objectives, every failover, switchover and promotion seen with its RTO
 * or "not measured", lag peaks, actions with their outcomes, the timeline.
 */
#include "drill.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const source_names[TL_SRC_N] = {"observed", "rds", "action", "drill"};
static const char *const kind_names[TL_KIND_N] = {"state", "role", "replication", "lag", "rds event", "action", "mark"};

/* A growing text. */
struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	for (int tries = 0; tries < 2 && !b->oom; tries++) {
		va_list ap;
		va_start(ap, fmt);
		int w = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (w < 0)
			return;
		if (b->p && b->len + (size_t)w < b->cap) {
			b->len += (size_t)w;
			return;
		}
		size_t cap = (b->cap ? b->cap : 4096) * 2 + (size_t)w;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* Text from servers or AWS in a Markdown table cell: no control characters, no '|'. */
static void cell(char *out, size_t n, const char *in)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 3 < n; p++) {
		if (*p == '|')
			out[o++] = '\\';
		out[o++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
	}
	out[o] = '\0';
}

static void utc(char *out, size_t n, double epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	if (epoch <= 0 || !gmtime_r(&t, &tm))
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static double rto_of(const struct drill_outage *o)
{
	return o->first_ok > 0 ? o->first_ok - o->last_ok : -1;
}

static const char *verdict(double measured, double objective)
{
	return objective <= 0 || measured < 0 ? "" : measured <= objective ? "met" : "MISSED";
}

/* 1 if 'e' is a failover, a switchover or a promotion. */
static int is_switch(const struct tl_event *e)
{
	if (e->kind == TL_ROLE)
		return !strcmp(e->state, "primary") || !strcmp(e->state, "writer");
	if (e->kind == TL_RDS_EVENT)
		return strstr(e->state, "failover") || strstr(e->text, "failover") || strstr(e->text, "Failover");
	if (e->kind == TL_ACTION)
		return strstr(e->text, "promote") || strstr(e->text, "failover");
	return 0;
}

/* The outage a switch at 'at' belongs to, or NULL: measured only where an endpoint was probed. */
static const struct drill_outage *outage_of(const struct drill_facts *f, double at)
{
	for (size_t i = 0; i < f->nout; i++) {
		const struct drill_outage *o = &f->out[i];
		double end = o->first_ok > 0 ? o->first_ok : f->ended;
		if (at >= o->last_ok - DRILL_GRACE_S && at <= end + DRILL_GRACE_S)
			return o;
	}
	return NULL;
}

int drill_set_lag(const struct db_sample *w, double *lag_s, double *lag_bytes)
{
	if (w->health.is_replica || !w->nreplicas)
		return 0;
	*lag_s = w->lag_s; /* derive.c: a writer's worst standby */
	*lag_bytes = w->lag_bytes;
	if (*lag_s < 0 && *lag_bytes == 0) /* PostgreSQL's replay_lag is NULL once standbys caught up */
		*lag_s = 0;
	return 1;
}

static const char *lag_from(const struct drill_outage *o)
{
	return o->lag_fleet ? "fleet's worst: no standby of the endpoint's writer sampled" : "the endpoint's writer's standbys";
}

static void md_head(struct buf *b, const struct drill_facts *f)
{
	char a[40], z[40];
	utc(a, sizeof a, f->started);
	utc(z, sizeof z, f->ended);
	put(b, "# Drill '%s' on fleet '%s'\n\n", f->name, f->fleet);
	put(b, "- Started: %s\n- Ended: %s\n- Duration: %.0f s\n", a, z, f->ended - f->started);
	put(b, "- Run by: %s on host %s, terminal %s, %s%s\n", f->user, f->host, f->tty[0] ? f->tty : "none",
	    f->ssh[0] ? "SSH from " : "locally (no SSH_CONNECTION)", f->ssh);
	put(b, "- Application endpoints probed for writes: %d (every second during the drill)\n\n", f->probed);
}

static void md_outages(struct buf *b, const struct drill_facts *f)
{
	put(b, "## Write unavailability through the application endpoints\n\n");
	put(b, "RTO is measured from the last write that went through before the failure to the first one after, "
	       "through the endpoint applications use. RPO is an estimate: the worst lag of the standbys of the "
	       "writer the endpoint pointed at, last sampled at or before the last good write (the data an "
	       "asynchronous replica may not have had); the worst replica lag in the whole fleet where none of "
	       "that writer's standbys was sampled, as the cell says.\n\n");
	if (!f->nout) {
		put(b, "%s\n\n", f->probed ? "No write failed during the drill."
					   : "Not measured: no target is marked app_endpoint = yes.");
		return;
	}
	put(b, "| Endpoint | Last write before | First write after | RTO measured | RTO objective | RPO estimate "
	       "(replica lag) | RPO objective | First error |\n|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < f->nout; i++) {
		const struct drill_outage *o = &f->out[i];
		char a[40], z[40], name[140], err[340], rto[64], rpo[160], ro[48] = "-", po[48] = "-";
		utc(a, sizeof a, o->last_ok);
		utc(z, sizeof z, o->first_ok);
		cell(name, sizeof name, o->name);
		cell(err, sizeof err, o->error);
		double r = rto_of(o);
		if (r >= 0)
			snprintf(rto, sizeof rto, "%.1f s", r);
		else
			snprintf(rto, sizeof rto, "still failing at the end (more than %.0f s)", f->ended - o->last_ok);
		char ls[32] = "time unknown";
		if (o->lag_s >= 0)
			snprintf(ls, sizeof ls, "%.1f s", o->lag_s);
		if (o->lag_s >= 0 || o->lag_bytes >= 0)
			snprintf(rpo, sizeof rpo, "%s, %.0f bytes (estimate, %s)", ls, o->lag_bytes, lag_from(o));
		else
			snprintf(rpo, sizeof rpo, "unknown (no replica lag sampled)");
		if (o->rto_obj > 0)
			snprintf(ro, sizeof ro, "%.0f s %s", o->rto_obj, verdict(r, o->rto_obj));
		if (o->rpo_obj > 0)
			snprintf(po, sizeof po, "%.0f s %s", o->rpo_obj, verdict(o->lag_s, o->rpo_obj));
		put(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, a, z, rto, ro, rpo, po, err);
	}
	put(b, "\n");
}

static void md_switches(struct buf *b, const struct drill_facts *f)
{
	put(b, "## Failovers, switchovers and promotions seen\n\n");
	int any = 0;
	for (size_t i = 0; i < f->nev; i++) {
		const struct tl_event *e = &f->ev[i];
		if (!is_switch(e))
			continue;
		if (!any++)
			put(b, "| Time | Source | Object | What | Write unavailability (RTO) |\n|---|---|---|---|---|\n");
		const struct drill_outage *o = outage_of(f, e->at);
		char at[40], obj[140], text[540], rto[160];
		utc(at, sizeof at, e->at);
		cell(obj, sizeof obj, e->target);
		cell(text, sizeof text, e->text);
		if (o && rto_of(o) >= 0)
			snprintf(rto, sizeof rto, "%.1f s through %.64s", rto_of(o), o->name);
		else if (o)
			snprintf(rto, sizeof rto, "writes through %.64s still failing at the end", o->name);
		else
			snprintf(rto, sizeof rto, "not measured (%s)", f->probed ? "no write outage through a probed endpoint"
										 : "no application endpoint probed");
		put(b, "| %s | %s | %s | %s | %s |\n", at, source_names[e->source % TL_SRC_N], obj, text, rto);
	}
	put(b, "%s\n", any ? "" : "None seen.\n");
}

static void md_peaks(struct buf *b, const struct drill_facts *f)
{
	put(b, "## Replication lag peaks\n\n");
	int any = 0;
	for (size_t i = 0; i < f->npeaks; i++) {
		const struct drill_peak *p = &f->peaks[i];
		if (p->lag_s <= 0 && p->lag_bytes <= 0)
			continue;
		if (!any++)
			put(b, "| Target | Lag (time) | at | Lag (bytes) | at |\n|---|---|---|---|---|\n");
		char name[140], a[40], z[40];
		cell(name, sizeof name, p->name);
		utc(a, sizeof a, p->at_s);
		utc(z, sizeof z, p->at_bytes);
		put(b, "| %s | %.1f s | %s | %.0f | %s |\n", name, p->lag_s > 0 ? p->lag_s : 0, a,
		    p->lag_bytes > 0 ? p->lag_bytes : 0, z);
	}
	put(b, "%s\n", any ? "" : "No replica lag was sampled above zero.\n");
}

/* The actions (kind) or the whole timeline (kind < 0). */
static void md_events(struct buf *b, const struct drill_facts *f, int kind)
{
	put(b, kind == TL_ACTION ? "## Actions and their outcomes\n\n" : "## Timeline\n\n");
	int any = 0;
	for (size_t i = 0; i < f->nev; i++) {
		const struct tl_event *e = &f->ev[i];
		if (kind >= 0 && e->kind != kind)
			continue;
		if (!any++)
			put(b, "| Time | Source | Kind | Object | State | Text |\n|---|---|---|---|---|---|\n");
		char at[40], obj[140], st[60], text[540];
		utc(at, sizeof at, e->at);
		cell(obj, sizeof obj, e->target);
		cell(st, sizeof st, e->state);
		cell(text, sizeof text, e->text);
		put(b, "| %s | %s | %s | %s | %s | %s |\n", at, source_names[e->source % TL_SRC_N],
		    kind_names[e->kind % TL_KIND_N], obj, st, text);
	}
	put(b, "%s\n", any ? "" : "None.\n");
}

char *drill_report_md(const struct drill_facts *f)
{
	struct buf b = {0};
	md_head(&b, f);
	md_outages(&b, f);
	md_switches(&b, f);
	md_peaks(&b, f);
	md_events(&b, f, TL_ACTION);
	md_events(&b, f, -1);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* ---- JSON ---- */

static cJSON *json_event(const struct tl_event *e)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "at", e->at);
	cJSON_AddStringToObject(j, "source", source_names[e->source % TL_SRC_N]);
	cJSON_AddStringToObject(j, "kind", kind_names[e->kind % TL_KIND_N]);
	cJSON_AddStringToObject(j, "object", e->target);
	cJSON_AddStringToObject(j, "group", e->group);
	cJSON_AddStringToObject(j, "state", e->state);
	cJSON_AddStringToObject(j, "text", e->text);
	return j;
}

static void num_or_null(cJSON *j, const char *k, double v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(j, k, v);
	else
		cJSON_AddNullToObject(j, k);
}

static cJSON *json_outage(const struct drill_outage *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "endpoint", o->name);
	cJSON_AddNumberToObject(j, "last_write_before", o->last_ok);
	cJSON_AddNumberToObject(j, "first_failed_write", o->first_fail);
	num_or_null(j, "first_write_after", o->first_ok > 0 ? o->first_ok : -1);
	num_or_null(j, "rto_s", rto_of(o));
	num_or_null(j, "rto_objective_s", o->rto_obj > 0 ? o->rto_obj : -1);
	cJSON_AddStringToObject(j, "rto_verdict", verdict(rto_of(o), o->rto_obj));
	num_or_null(j, "rpo_estimate_lag_s", o->lag_s);
	num_or_null(j, "rpo_estimate_lag_bytes", o->lag_bytes);
	cJSON_AddStringToObject(j, "rpo_estimate_from", o->lag_fleet ? "fleet" : "endpoint_replication_set");
	num_or_null(j, "rpo_objective_s", o->rpo_obj > 0 ? o->rpo_obj : -1);
	cJSON_AddStringToObject(j, "rpo_verdict", verdict(o->lag_s, o->rpo_obj));
	cJSON_AddStringToObject(j, "first_error", o->error);
	return j;
}

static void json_switches(cJSON *root, const struct drill_facts *f)
{
	cJSON *sw = cJSON_AddArrayToObject(root, "switches");
	for (size_t i = 0; i < f->nev; i++) {
		if (!is_switch(&f->ev[i]))
			continue;
		cJSON *j = json_event(&f->ev[i]);
		const struct drill_outage *o = outage_of(f, f->ev[i].at);
		num_or_null(j, "rto_s", o ? rto_of(o) : -1);
		cJSON_AddStringToObject(j, "rto", o ? (rto_of(o) >= 0 ? "measured" : "still failing") : "not measured");
		cJSON_AddStringToObject(j, "measured_through", o ? o->name : "");
		cJSON_AddItemToArray(sw, j);
	}
}

char *drill_report_json(const struct drill_facts *f)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "fleet", f->fleet);
	cJSON_AddStringToObject(root, "drill", f->name);
	cJSON_AddNumberToObject(root, "started", f->started);
	cJSON_AddNumberToObject(root, "ended", f->ended);
	cJSON *by = cJSON_AddObjectToObject(root, "run_by");
	cJSON_AddStringToObject(by, "user", f->user);
	cJSON_AddStringToObject(by, "host", f->host);
	cJSON_AddStringToObject(by, "tty", f->tty);
	cJSON_AddStringToObject(by, "ssh_connection", f->ssh);
	cJSON_AddNumberToObject(root, "endpoints_probed", f->probed);
	cJSON *out = cJSON_AddArrayToObject(root, "outages");
	for (size_t i = 0; i < f->nout; i++)
		cJSON_AddItemToArray(out, json_outage(&f->out[i]));
	json_switches(root, f);
	cJSON *pk = cJSON_AddArrayToObject(root, "lag_peaks");
	for (size_t i = 0; i < f->npeaks; i++) {
		const struct drill_peak *p = &f->peaks[i];
		if (p->lag_s <= 0 && p->lag_bytes <= 0)
			continue;
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "target", p->name);
		cJSON_AddNumberToObject(j, "lag_s", p->lag_s > 0 ? p->lag_s : 0);
		cJSON_AddNumberToObject(j, "lag_s_at", p->at_s);
		cJSON_AddNumberToObject(j, "lag_bytes", p->lag_bytes > 0 ? p->lag_bytes : 0);
		cJSON_AddNumberToObject(j, "lag_bytes_at", p->at_bytes);
		cJSON_AddItemToArray(pk, j);
	}
	cJSON *act = cJSON_AddArrayToObject(root, "actions"), *tl = cJSON_AddArrayToObject(root, "timeline");
	for (size_t i = 0; i < f->nev; i++) {
		if (f->ev[i].kind == TL_ACTION)
			cJSON_AddItemToArray(act, json_event(&f->ev[i]));
		cJSON_AddItemToArray(tl, json_event(&f->ev[i]));
	}
	char *s = cJSON_Print(root);
	cJSON_Delete(root);
	return s;
}

/* ---- files ---- */

static int write_file(const char *path, const char *text)
{
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	int rc = w == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) < 0 || (rc == 0 && rename(tmp, path) < 0))
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* mkdir -p, 0700, for a path under $XDG_STATE_HOME. */
static int make_dirs(const char *dir)
{
	char p[512];
	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	return mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int drill_report_write(const struct drill_facts *f, const char *dir, char *path, size_t n, char *msg, size_t nmsg)
{
	char stamp[32], base[600], json[620];
	time_t t = (time_t)f->started;
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&t, &tm));
	snprintf(base, sizeof base, "%.400s/%s-%s-%s", dir, f->fleet, f->name, stamp);
	snprintf(path, n, "%s.md", base);
	snprintf(json, sizeof json, "%s.json", base);
	char *md = drill_report_md(f), *js = drill_report_json(f);
	int rc = md && js ? 0 : -1;
	if (rc < 0)
		snprintf(msg, nmsg, "drill report: out of memory");
	else if (make_dirs(dir) < 0 || write_file(path, md) < 0 || write_file(json, js) < 0) {
		snprintf(msg, nmsg, "cannot write the drill report '%.300s': %s", path, strerror(errno));
		rc = -1;
	}
	free(md);
	free(js);
	return rc;
}
