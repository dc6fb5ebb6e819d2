/*
 * pi.c - Performance Insights (JSON 1.1, PerformanceInsightsv20180227,
 * times in epoch seconds, an instance named by its DbiResourceId): one
 * instance's load over the last minutes, the wait events it is made of,
 * and its top SQL digests by average active sessions.
 *
 * A fetch is two requests: GetResourceMetrics (db.load.avg, in all and by
 * db.wait_event; small enough for one page, NextToken is not followed) and
 * DescribeDimensionKeys (db.load.avg by db.sql_tokenized, each digest
 * partitioned by wait event). PI cuts a digest's text at 500
 * bytes; for those, DescribeDimensionKeys by db.sql finds a statement of the
 * digest (db.sql.id) and GetDimensionKeyDetails gives that statement whole
 * (as far as the engine keeps it; its first PI_TEXT_MAX bytes are kept).
 * Whole texts are kept from the fetch before, so each costs its calls once.
 */
#include "aws.h"

#include "../model/model.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct aws_service AWS_PI = {"pi", "PI", "pi", NULL};

#define PI_TARGET "PerformanceInsightsv20180227."
#define PI_TRUNCATED_AT 500 /* PI returns at most a response element's first 500 bytes */
#define PI_MAYBE_CUT (PI_TRUNCATED_AT - 3) /* ... or fewer, when the cut falls inside a character */
#define PI_DETAILS_PER_FETCH 4 /* whole texts asked for in one fetch; the rest the next time */
#define PI_SQL_GROUP_LIMIT 25 /* DimensionGroup.Limit's maximum */

struct req {
	struct aws_client *cl;
	const char *region, *rid;
	double start, end;
	struct cloud_pi *out;
	struct aws_error *e;
};

static void bad(struct aws_error *e, const char *op, const char *why)
{
	e->kind = AWS_ERR_PARSE;
	snprintf(e->code, sizeof e->code, "BadResponse");
	snprintf(e->msg, sizeof e->msg, "%s: %s", op, why);
}

/* A request body's common part: which instance, over which window. */
static cJSON *body_new(const struct req *r, int window)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "ServiceType", "RDS");
	cJSON_AddStringToObject(j, "Identifier", r->rid);
	if (window) {
		cJSON_AddNumberToObject(j, "StartTime", r->start);
		cJSON_AddNumberToObject(j, "EndTime", r->end);
	}
	return j;
}

/* {"Group": g, "Dimensions": [d0, d1], "Limit": limit} */
static cJSON *group_new(const char *g, const char *d0, const char *d1, int limit)
{
	cJSON *o = cJSON_CreateObject(), *d = cJSON_AddArrayToObject(o, "Dimensions");
	cJSON_AddStringToObject(o, "Group", g);
	cJSON_AddItemToArray(d, cJSON_CreateString(d0));
	if (d1)
		cJSON_AddItemToArray(d, cJSON_CreateString(d1));
	cJSON_AddNumberToObject(o, "Limit", limit);
	return o;
}

/* POST 'j' (deleted here) as operation 'op'; the parsed answer, or NULL with r->e. */
static cJSON *call(struct req *r, const char *op, cJSON *j)
{
	char target[96], *body = cJSON_PrintUnformatted(j), *resp = NULL;
	size_t rlen = 0;
	cJSON_Delete(j);
	snprintf(target, sizeof target, PI_TARGET "%s", op);
	unsigned long before = aws_client_requests(r->cl);
	int rc = body ? aws_post(r->cl, &AWS_PI, r->region, target, body, &resp, &rlen, r->e) : -1;
	r->out->requests += (unsigned)(aws_client_requests(r->cl) - before);
	cJSON_free(body);
	if (rc < 0)
		return NULL;
	cJSON *a = cJSON_ParseWithLength(resp, rlen);
	free(resp);
	if (!cJSON_IsObject(a)) {
		cJSON_Delete(a);
		bad(r->e, op, "not a JSON object");
		return NULL;
	}
	return a;
}

/* call(), and the array 'field' its answer must have: the answer (to cJSON_Delete) with *list
 * set, or NULL with r->e filled. */
static cJSON *call_list(struct req *r, const char *op, cJSON *j, const char *field, const cJSON **list)
{
	cJSON *a = call(r, op, j);
	if (!a)
		return NULL;
	*list = cJSON_GetObjectItemCaseSensitive(a, field);
	if (!cJSON_IsArray(*list)) {
		cJSON_Delete(a);
		char why[64];
		snprintf(why, sizeof why, "no %s", field);
		bad(r->e, op, why);
		return NULL;
	}
	return a;
}

static const char *dim(const cJSON *dims, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(dims, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The mean of a series' points ({Timestamp, Value}); -1 if it has none. */
static double mean(const cJSON *points)
{
	double sum = 0;
	int n = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, points) {
		double v = num(p, "Value");
		if (v >= 0) {
			sum += v;
			n++;
		}
	}
	return n ? sum / n : -1;
}

static int by_load_desc(const void *x, const void *y)
{
	double a = ((const struct pi_wait *)x)->load, b = ((const struct pi_wait *)y)->load;
	return (a < b) - (a > b);
}

static int sql_by_load_desc(const void *x, const void *y)
{
	double a = ((const struct pi_sql *)x)->load, b = ((const struct pi_sql *)y)->load;
	return (a < b) - (a > b);
}

/* GetResourceMetrics: the load in all, and by wait event. */
static int load(struct req *r)
{
	cJSON *j = body_new(r, 1), *q = cJSON_AddArrayToObject(j, "MetricQueries"), *m;
	cJSON_AddNumberToObject(j, "PeriodInSeconds", 60);
	cJSON_AddItemToArray(q, m = cJSON_CreateObject());
	cJSON_AddStringToObject(m, "Metric", "db.load.avg");
	cJSON_AddItemToArray(q, m = cJSON_CreateObject());
	cJSON_AddStringToObject(m, "Metric", "db.load.avg");
	cJSON_AddItemToObject(m, "GroupBy", group_new("db.wait_event", "db.wait_event.name", "db.wait_event.type", PI_WAITS));
	const cJSON *list, *x;
	cJSON *a = call_list(r, "GetResourceMetrics", j, "MetricList", &list);
	if (!a)
		return -1;
	struct cloud_pi *o = r->out;
	cJSON_ArrayForEach(x, list) {
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(x, "Key");
		const cJSON *dims = cJSON_GetObjectItemCaseSensitive(key, "Dimensions");
		double v = mean(cJSON_GetObjectItemCaseSensitive(x, "DataPoints"));
		if (strcmp(dim(key, "Metric"), "db.load.avg"))
			continue;
		if (!cJSON_IsObject(dims) || !cJSON_GetArraySize(dims)) {
			o->load = v;
		} else if (o->nwait < PI_WAITS && *dim(dims, "db.wait_event.name")) {
			struct pi_wait *w = &o->wait[o->nwait++];
			snprintf(w->name, sizeof w->name, "%s", dim(dims, "db.wait_event.name"));
			snprintf(w->type, sizeof w->type, "%s", dim(dims, "db.wait_event.type"));
			w->load = v;
		}
	}
	cJSON_Delete(a);
	if (o->nwait)
		qsort(o->wait, (size_t)o->nwait, sizeof o->wait[0], by_load_desc);
	return 0;
}

/* The wait event a digest spends most of its load in, from its Partitions. */
static void top_wait(const cJSON *pkeys, const cJSON *parts, char *out, size_t n)
{
	double best = 0;
	int i = 0;
	const cJSON *p;
	out[0] = '\0';
	cJSON_ArrayForEach(p, parts) {
		const cJSON *k = cJSON_GetArrayItem(pkeys, i++);
		if (cJSON_IsNumber(p) && p->valuedouble > best) {
			best = p->valuedouble;
			snprintf(out, n, "%s", dim(cJSON_GetObjectItemCaseSensitive(k, "Dimensions"), "db.wait_event.name"));
		}
	}
}

/* DescribeDimensionKeys by db.sql_tokenized: the top digests, each with its biggest wait. */
static int top_sql(struct req *r, const struct cloud_pi *prev)
{
	cJSON *j = body_new(r, 1);
	cJSON_AddStringToObject(j, "Metric", "db.load.avg");
	cJSON_AddItemToObject(j, "GroupBy", group_new("db.sql_tokenized", "db.sql_tokenized.id",
						      "db.sql_tokenized.statement", PI_TOP_SQL));
	cJSON_AddItemToObject(j, "PartitionBy", group_new("db.wait_event", "db.wait_event.name", NULL, PI_WAITS));
	const cJSON *keys, *x;
	cJSON *a = call_list(r, "DescribeDimensionKeys", j, "Keys", &keys);
	if (!a)
		return -1;
	const cJSON *pkeys = cJSON_GetObjectItemCaseSensitive(a, "PartitionKeys");
	struct cloud_pi *o = r->out;
	cJSON_ArrayForEach(x, keys) {
		const cJSON *dims = cJSON_GetObjectItemCaseSensitive(x, "Dimensions");
		const char *id = dim(dims, "db.sql_tokenized.id"), *text = dim(dims, "db.sql_tokenized.statement");
		if (o->nsql == PI_TOP_SQL)
			break;
		if (!*id && !*text)
			continue;
		struct pi_sql *s = &o->sql[o->nsql++];
		snprintf(s->id, sizeof s->id, "%s", id);
		s->load = num(x, "Total");
		top_wait(pkeys, cJSON_GetObjectItemCaseSensitive(x, "Partitions"), s->wait, sizeof s->wait);
		snprintf(s->text, sizeof s->text, "%s", text);
		s->full = strlen(text) < PI_MAYBE_CUT;
		for (int i = 0; !s->full && prev && s->id[0] && i < prev->nsql; i++)
			if (prev->sql[i].full && !strcmp(prev->sql[i].id, s->id)) {
				memcpy(s->text, prev->sql[i].text, sizeof s->text);
				s->full = 1;
			}
	}
	cJSON_Delete(a);
	if (o->nsql)
		qsort(o->sql, (size_t)o->nsql, sizeof o->sql[0], sql_by_load_desc);
	return 0;
}

/* One statement's whole text by its db.sql.id; 0 if it was there. */
static int details(struct req *r, const char *sql_id, struct pi_sql *s)
{
	cJSON *j = body_new(r, 0), *d;
	cJSON_AddStringToObject(j, "Group", "db.sql");
	cJSON_AddStringToObject(j, "GroupIdentifier", sql_id);
	cJSON_AddItemToObject(j, "RequestedDimensions", d = cJSON_CreateArray());
	cJSON_AddItemToArray(d, cJSON_CreateString("statement"));
	cJSON *a = call(r, "GetDimensionKeyDetails", j);
	if (!a)
		return -1;
	const cJSON *x;
	int rc = -1;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "Dimensions")) {
		const char *name = dim(x, "Dimension"), *v = dim(x, "Value");
		size_t nl = strlen(name);
		/* PROCESSING or UNAVAILABLE: keep the cut text, ask again next time */
		if (nl >= 9 && !strcmp(name + nl - 9, "statement") && !strcmp(dim(x, "Status"), "AVAILABLE") && *v) {
			snprintf(s->text, sizeof s->text, "%s", v);
			s->full = 1;
			rc = 0;
			break;
		}
	}
	cJSON_Delete(a);
	return rc;
}

/* Whole texts for the digests PI cut: their statements' ids by db.sql, then each one's text. */
static int whole_texts(struct req *r)
{
	struct cloud_pi *o = r->out;
	int want = 0;
	for (int i = 0; i < o->nsql; i++)
		want += !o->sql[i].full && o->sql[i].id[0];
	if (!want)
		return 0;
	cJSON *j = body_new(r, 1);
	cJSON_AddStringToObject(j, "Metric", "db.load.avg");
	cJSON_AddItemToObject(j, "GroupBy", group_new("db.sql", "db.sql.id", "db.sql.tokenized_id", PI_SQL_GROUP_LIMIT));
	cJSON *a = call(r, "DescribeDimensionKeys", j);
	if (!a)
		return -1;
	int asked = 0;
	for (int i = 0; i < o->nsql && asked < PI_DETAILS_PER_FETCH; i++) {
		struct pi_sql *s = &o->sql[i];
		const cJSON *x;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "Keys")) {
			const cJSON *dims = cJSON_GetObjectItemCaseSensitive(x, "Dimensions");
			if (s->full || !s->id[0] || strcmp(dim(dims, "db.sql.tokenized_id"), s->id) ||
			    !*dim(dims, "db.sql.id"))
				continue;
			asked++;
			struct aws_error de;
			struct aws_error *keep = r->e;
			r->e = &de;
			int rc = details(r, dim(dims, "db.sql.id"), s);
			r->e = keep;
			if (rc < 0 && (de.kind == AWS_ERR_AUTH || de.kind == AWS_ERR_STOPPED)) {
				*r->e = de;
				cJSON_Delete(a);
				return -1;
			}
			break; /* one statement of the digest is enough */
		}
	}
	cJSON_Delete(a);
	return 0;
}

int aws_pi_fetch(struct aws_client *cl, const char *region, const char *resource_id, time_t now, int window_s,
		 const struct cloud_pi *prev, struct cloud_pi *out, struct aws_error *e)
{
	memset(e, 0, sizeof *e);
	out->load = -1;
	out->nwait = out->nsql = 0;
	out->requests = 0;
	out->window_s = window_s;
	out->error[0] = '\0';
	snprintf(out->resource_id, sizeof out->resource_id, "%s", resource_id);
	if (!*resource_id) {
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->code, sizeof e->code, "NoResourceId");
		snprintf(e->msg, sizeof e->msg, "DescribeDBInstances gave no DbiResourceId");
		return -1;
	}
	struct req r = {cl, region, resource_id, (double)(now - window_s), (double)now, out, e};
	if (load(&r) < 0 || top_sql(&r, prev) < 0 || whole_texts(&r) < 0)
		return -1;
	out->fetched_at = (double)now;
	return 0;
}
