/*
 * rds.c - discovery: DescribeDBInstances and DescribeDBClusters (Query
 * protocol, 2014-10-31) with Marker pagination, 100 records a page, into
 * struct cloud_instance. Cluster membership gives Aurora roles; read
 * replica links give primary/replica for plain RDS.
 */
#include "aws.h"
#include "xml.h"

#include "../model/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RDS_VERSION "2014-10-31"
#define RDS_PAGE "100"
#define RDS_MAX_PAGES 1000 /* a buggy Marker loop must end */

static void cpy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

/* "arn:aws:rds:eu-west-1:123:db:pg1" -> "pg1"; plain ids unchanged. */
static const char *arn_tail(const char *s)
{
	const char *c = strrchr(s, ':');
	return !strncmp(s, "arn:", 4) && c ? c + 1 : s;
}

/* The account of "arn:PARTITION:rds:REGION:ACCOUNT:db:ID" (12 digits), "" if it has none. */
static void arn_account(const char *arn, char *out, size_t n)
{
	const char *p = arn;
	for (int i = 0; i < 4 && p; i++)
		p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
	out[0] = '\0';
	if (p && !strncmp(arn, "arn:", 4) && strspn(p, "0123456789") == 12 && p[12] == ':' && n > 12)
		snprintf(out, n, "%.12s", p);
}

static int grow(struct cloud_instance **v, size_t *n, size_t *cap)
{
	if (*n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 128;
	struct cloud_instance *p = realloc(*v, c * sizeof *p);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

static void parse_instance(const struct xnode *x, const char *region, struct cloud_instance *ci)
{
	memset(ci, 0, sizeof *ci);
	for (int m = 0; m < CW_N; m++)
		ci->metric[m] = -1;
	cpy(ci->id, sizeof ci->id, xml_text(x, "DBInstanceIdentifier"));
	cpy(ci->region, sizeof ci->region, region);
	arn_account(xml_text(x, "DBInstanceArn"), ci->account, sizeof ci->account);
	cpy(ci->engine, sizeof ci->engine, xml_text(x, "Engine"));
	cpy(ci->engine_version, sizeof ci->engine_version, xml_text(x, "EngineVersion"));
	cpy(ci->klass, sizeof ci->klass, xml_text(x, "DBInstanceClass"));
	cpy(ci->az, sizeof ci->az, xml_text(x, "AvailabilityZone"));
	cpy(ci->status, sizeof ci->status, xml_text(x, "DBInstanceStatus"));
	cpy(ci->cluster, sizeof ci->cluster, xml_text(x, "DBClusterIdentifier"));
	cpy(ci->source, sizeof ci->source, arn_tail(xml_text(x, "ReadReplicaSourceDBInstanceIdentifier")));
	cpy(ci->host, sizeof ci->host, xml_text(x, "Endpoint/Address"));
	ci->port = atoi(xml_text(x, "Endpoint/Port"));
	ci->multi_az = !strcmp(xml_text(x, "MultiAZ"), "true");
	cpy(ci->resource_id, sizeof ci->resource_id, xml_text(x, "DbiResourceId"));
	ci->pi_enabled = !strcmp(xml_text(x, "PerformanceInsightsEnabled"), "true");
	size_t o = 0;
	struct xnode *tl = xml_child(x, "TagList");
	for (struct xnode *t = tl ? tl->child : NULL; t && o < sizeof ci->tags - 2; t = t->next) {
		int w = snprintf(ci->tags + o, sizeof ci->tags - o, "%s%s=%s,", o ? "" : ",", xml_text(t, "Key"),
				 xml_text(t, "Value"));
		if (w < 0 || (size_t)w >= sizeof ci->tags - o) { /* too many tags to keep: keep what fits */
			ci->tags[o] = '\0';
			break;
		}
		o += (size_t)w;
	}
	if (ci->source[0])
		cpy(ci->role, sizeof ci->role, "replica");
	else if (!ci->cluster[0])
		cpy(ci->role, sizeof ci->role, "primary");
}

/* Extra form fields for a page (DescribeEvents' window), or NULL. */
struct extra {
	const char *k[2], *v[2];
};

/*
 * POST one page of 'action' and parse it; the Result element's node in
 * '*result' (caller frees '*root'). 0 or -1 with 'e'.
 */
static int page(struct aws_client *cl, const char *region, const char *action, const char *marker,
		const struct extra *x, struct xnode **root, struct xnode **result, struct aws_error *e)
{
	char *body = NULL, *resp = NULL, rname[96];
	size_t blen = 0, bcap = 0, rlen = 0;
	int rc = aws_form_add(&body, &blen, &bcap, "Action", action) |
		 aws_form_add(&body, &blen, &bcap, "Version", RDS_VERSION) |
		 aws_form_add(&body, &blen, &bcap, "MaxRecords", RDS_PAGE);
	if (marker && *marker)
		rc |= aws_form_add(&body, &blen, &bcap, "Marker", marker);
	for (int i = 0; x && i < 2 && x->k[i]; i++)
		rc |= aws_form_add(&body, &blen, &bcap, x->k[i], x->v[i]);
	if (rc) {
		free(body);
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->msg, sizeof e->msg, "out of memory");
		return -1;
	}
	rc = aws_post(cl, &AWS_RDS, region, NULL, body, &resp, &rlen, e);
	free(body);
	if (rc < 0)
		return -1;
	char xerr[160];
	*root = xml_parse(resp, rlen, xerr, sizeof xerr);
	free(resp);
	snprintf(rname, sizeof rname, "%sResult", action);
	*result = xml_child(*root, rname);
	if (!*result) {
		e->kind = AWS_ERR_PARSE;
		snprintf(e->code, sizeof e->code, "BadResponse");
		snprintf(e->msg, sizeof e->msg, "%s in %s: %s", action, region,
			 *root ? "no result element in the answer" : xerr);
		xml_free(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

/*
 * Every item of 'list' in every page of 'action' (Marker to Marker), each
 * given to 'fn': 0 goes on, 1 has had enough, -1 is out of memory. 0 or -1
 * with 'e'.
 */
typedef int (*item_fn)(const struct xnode *item, void *arg);

static int each_item(struct aws_client *cl, const char *region, const char *action, const struct extra *x,
		     const char *list, item_fn fn, void *arg, struct aws_error *e)
{
	char marker[1024] = "";
	for (int pages = 0; pages < RDS_MAX_PAGES; pages++) {
		struct xnode *root, *res;
		if (page(cl, region, action, marker, x, &root, &res, e) < 0)
			return -1;
		struct xnode *l = xml_child(res, list);
		int rc = 0;
		for (struct xnode *it = l ? l->child : NULL; it && rc == 0; it = it->next)
			rc = fn(it, arg);
		cpy(marker, sizeof marker, xml_text(res, "Marker"));
		xml_free(root);
		if (rc < 0) {
			e->kind = AWS_ERR_CONFIG;
			snprintf(e->msg, sizeof e->msg, "out of memory");
			return -1;
		}
		if (rc > 0 || !marker[0])
			break;
	}
	return 0;
}

/* The instances of this region so far, for the calls that add to them. */
struct found {
	struct cloud_instance *v;
	size_t from, n;
	const char *region;
};

/* Writer/reader of each Aurora instance from its cluster's member list. */
static int cluster_item(const struct xnode *c, void *arg)
{
	const struct found *f = arg;
	struct xnode *mem = xml_child(c, "DBClusterMembers");
	for (struct xnode *m = mem ? mem->child : NULL; m; m = m->next) {
		const char *id = xml_text(m, "DBInstanceIdentifier");
		int w = !strcmp(xml_text(m, "IsClusterWriter"), "true");
		for (size_t i = f->from; i < f->n; i++)
			if (!strcmp(f->v[i].id, id))
				cpy(f->v[i].role, sizeof f->v[i].role, w ? "writer" : "reader");
	}
	return 0;
}

int aws_arn_cluster(const char *arn, char *region, size_t rn, char *id, size_t idn)
{
	/* arn:aws:rds:REGION:ACCOUNT:cluster:ID */
	const char *p = arn;
	for (int i = 0; i < 3 && p; i++)
		p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
	const char *tail = p ? strstr(p, ":cluster:") : NULL;
	if (!p || !tail || strncmp(arn, "arn:", 4))
		return -1;
	snprintf(region, rn, "%.*s", (int)strcspn(p, ":"), p);
	snprintf(id, idn, "%s", tail + 9);
	return 0;
}

/* Which Aurora global database each cluster is in, and whether it writes.
 * (The API names each list item GlobalClusterMember, as it names each member.) */
static int global_item(const struct xnode *g, void *arg)
{
	const struct found *f = arg;
	const char *gid = xml_text(g, "GlobalClusterIdentifier");
	struct xnode *mem = xml_child(g, "GlobalClusterMembers");
	for (struct xnode *m = mem ? mem->child : NULL; m; m = m->next) {
		char mreg[32], mid[64];
		if (aws_arn_cluster(xml_text(m, "DBClusterArn"), mreg, sizeof mreg, mid, sizeof mid) < 0)
			continue;
		int w = !strcmp(xml_text(m, "IsWriter"), "true");
		for (size_t i = f->from; i < f->n; i++)
			if (!strcmp(f->v[i].cluster, mid) && !strcmp(f->v[i].region, mreg)) {
				cpy(f->v[i].global, sizeof f->v[i].global, gid);
				f->v[i].global_writer = w;
			}
	}
	return 0;
}

/* What AWS will do to each instance at its next maintenance (an instance's
 * own, or its cluster's): DescribePendingMaintenanceActions, resources by ARN. */
static int maintenance_item(const struct xnode *r, void *arg)
{
	const struct found *f = arg;
	const char *arn = xml_text(r, "ResourceIdentifier");
	struct xnode *a = xml_path(r, "PendingMaintenanceActionDetails/PendingMaintenanceAction");
	char creg[32], cid[64], what[160];
	const char *when = xml_text(a, "CurrentApplyDate");
	if (!*when)
		when = xml_text(a, "AutoAppliedAfterDate");
	snprintf(what, sizeof what, "%.40s: %.80s%s%.10s%s", xml_text(a, "Action"), xml_text(a, "Description"),
		 *when ? " (" : "", when, *when ? ")" : "");
	int cluster = aws_arn_cluster(arn, creg, sizeof creg, cid, sizeof cid) == 0;
	const char *db = strstr(arn, ":db:");
	for (size_t i = f->from; a && i < f->n; i++)
		if (cluster ? !strcmp(f->v[i].cluster, cid) && !strcmp(f->v[i].region, creg)
			    : db && !strcmp(db + 4, f->v[i].id))
			cpy(f->v[i].maintenance, sizeof f->v[i].maintenance, what);
	return 0;
}

struct discovering {
	struct cloud_instance **v;
	size_t *n, *cap, max;
	const char *region;
	int clusters, full;
	aws_rds_keep_fn keep;
	void *keep_arg;
};

/* Parsed into the next free slot, kept only if 'keep' says so; past 'max' the rest is not read. */
static int instance_item(const struct xnode *x, void *arg)
{
	struct discovering *d = arg;
	if (*d->n >= d->max) {
		d->full = 1;
		return 1;
	}
	if (grow(d->v, d->n, d->cap) < 0)
		return -1;
	struct cloud_instance *ci = &(*d->v)[*d->n];
	parse_instance(x, d->region, ci);
	if (d->keep && !d->keep(ci, d->keep_arg))
		return 0;
	d->clusters |= ci->cluster[0] != '\0';
	(*d->n)++;
	return 0;
}

int aws_rds_discover(struct aws_client *cl, const char *region, struct cloud_instance **v,
		     size_t *n, size_t *cap, struct aws_error *e)
{
	return aws_rds_discover_max(cl, region, v, n, cap, SIZE_MAX, NULL, NULL, e) < 0 ? -1 : 0;
}

int aws_rds_discover_max(struct aws_client *cl, const char *region, struct cloud_instance **v, size_t *n,
			 size_t *cap, size_t max, aws_rds_keep_fn keep, void *keep_arg, struct aws_error *e)
{
	struct discovering d = {v, n, cap, max, region, 0, 0, keep, keep_arg};
	size_t from = *n;
	if (*n >= max)
		return 1;
	if (each_item(cl, region, "DescribeDBInstances", NULL, "DBInstances", instance_item, &d, e) < 0)
		return -1;
	struct found f = {*v, from, *n, region};
	/* pending maintenance is optional: a denied call is not an error */
	struct aws_error ge;
	if (*n > from && each_item(cl, region, "DescribePendingMaintenanceActions", NULL, "PendingMaintenanceActions",
				   maintenance_item, &f, &ge) < 0 && ge.kind == AWS_ERR_STOPPED) {
		*e = ge;
		return -1;
	}
	/* only ask for clusters when some instance is in one */
	if (!d.clusters)
		return d.full;
	if (each_item(cl, region, "DescribeDBClusters", NULL, "DBClusters", cluster_item, &f, e) < 0)
		return -1;
	/* global databases are optional: an account without them, or a denied call, is not an error */
	if (each_item(cl, region, "DescribeGlobalClusters", NULL, "GlobalClusters", global_item, &f, &ge) < 0 &&
	    ge.kind == AWS_ERR_STOPPED) {
		*e = ge;
		return -1;
	}
	return d.full;
}

int aws_host_is_dns_name(const char *h)
{
	size_t len = strlen(h), label = 0;
	if (!len || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = h[i];
		if (ch == '.' || ch == '\0') {
			if (!label || label > 63 || h[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			   (ch == '-' && label)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

struct events {
	struct cloud_event **v;
	size_t *n, *cap, max;
	const char *region;
};

static int event_item(const struct xnode *ev, void *arg)
{
	struct events *a = arg;
	if (*a->n >= a->max)
		return 1;
	if (*a->n == *a->cap) {
		size_t c = *a->cap ? *a->cap * 2 : 64;
		struct cloud_event *p = realloc(*a->v, c * sizeof *p);
		if (!p)
			return -1;
		*a->v = p;
		*a->cap = c;
	}
	struct cloud_event *ce = &(*a->v)[(*a->n)++];
	memset(ce, 0, sizeof *ce);
	struct tm tm = {0};
	ce->at = strptime(xml_text(ev, "Date"), "%Y-%m-%dT%H:%M:%S", &tm) ? (double)timegm(&tm) : 0;
	cpy(ce->region, sizeof ce->region, a->region);
	cpy(ce->source, sizeof ce->source, xml_text(ev, "SourceIdentifier"));
	cpy(ce->type, sizeof ce->type, xml_text(ev, "SourceType"));
	cpy(ce->category, sizeof ce->category, xml_text(ev, "EventCategories/EventCategory"));
	cpy(ce->message, sizeof ce->message, xml_text(ev, "Message"));
	return *a->n >= a->max;
}

int aws_rds_events(struct aws_client *cl, const char *region, int minutes, struct cloud_event **v, size_t *n,
		   size_t *cap, size_t max, struct aws_error *e)
{
	char dur[16];
	snprintf(dur, sizeof dur, "%d", minutes);
	struct extra x = {{"Duration", NULL}, {dur, NULL}};
	struct events a = {v, n, cap, max, region};
	return *n >= max ? 0 : each_item(cl, region, "DescribeEvents", &x, "Events", event_item, &a, e);
}
