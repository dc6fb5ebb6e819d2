/*
 * cloudwatch.c - the latest AWS/RDS metrics of a fleet with GetMetricData
 * (Query protocol 2010-08-01: JSON needs newer models than Debian's CLI
 * and moto agree on, notes/aws.md 1.4), up to 500 queries a call.
 */
#include "aws.h"
#include "xml.h"

#include "../model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const metric_names[CW_N] = {
	[CW_CPU] = "CPUUtilization", [CW_CONNS] = "DatabaseConnections",
	[CW_FREEMEM] = "FreeableMemory", [CW_FREESTORAGE] = "FreeStorageSpace",
	[CW_READIOPS] = "ReadIOPS", [CW_WRITEIOPS] = "WriteIOPS",
	[CW_REPLICALAG] = "ReplicaLag", [CW_AURORALAG] = "AuroraReplicaLag",
	[CW_DISKQUEUE] = "DiskQueueDepth",
	[CW_TXLOGS] = "TransactionLogsDiskUsage", [CW_SLOTLAG] = "OldestReplicationSlotLag",
};

/* The metrics worth asking for this instance (Aurora has its own lag). */
static int wanted(const struct cloud_instance *ci, int m)
{
	int aurora = !strncmp(ci->engine, "aurora", 6);
	if (m == CW_REPLICALAG)
		return !aurora;
	if (m == CW_AURORALAG)
		return aurora;
	if (m == CW_FREESTORAGE)
		return !aurora; /* Aurora storage grows by itself */
	if (m == CW_TXLOGS || m == CW_SLOTLAG)
		return strstr(ci->engine, "postgres") != NULL; /* WAL and slots: PostgreSQL's alone */
	return 1;
}

static void iso8601(double t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double parse_time(const char *s)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	return end ? (double)timegm(&tm) : 0;
}

/* Fold one MetricDataResults/member into the instance it names. */
static void take(const struct xnode *m, struct cloud_instance *v, size_t n)
{
	size_t i;
	int k;
	if (sscanf(xml_text(m, "Id"), "i%zu_%d", &i, &k) != 2 || i >= n || k < 0 || k >= CW_N)
		return;
	/* ScanBy TimestampDescending: the first point is the newest */
	const struct xnode *ts = xml_child(xml_child(m, "Timestamps"), "member");
	const struct xnode *val = xml_child(xml_child(m, "Values"), "member");
	if (!ts || !val)
		return;
	double t = parse_time(ts->text);
	char *end;
	double x = strtod(val->text, &end);
	if (end == val->text || t < v[i].metric_at[k])
		return;
	v[i].metric[k] = x;
	v[i].metric_at[k] = t;
}

static int add_query(char **b, size_t *len, size_t *cap, int q, size_t i, int m, const char *id)
{
	char name[96], val[32];
	int rc = 0;
#define P(suffix, value)                                                               \
	do {                                                                            \
		snprintf(name, sizeof name, "MetricDataQueries.member.%d.%s", q, suffix); \
		rc |= aws_form_add(b, len, cap, name, value);                           \
	} while (0)
	snprintf(val, sizeof val, "i%zu_%d", i, m);
	P("Id", val);
	P("MetricStat.Metric.Namespace", "AWS/RDS");
	P("MetricStat.Metric.MetricName", metric_names[m]);
	P("MetricStat.Metric.Dimensions.member.1.Name", "DBInstanceIdentifier");
	P("MetricStat.Metric.Dimensions.member.1.Value", id);
	P("MetricStat.Period", "60");
	P("MetricStat.Stat", m == CW_AURORALAG ? "Maximum" : "Average");
	P("ReturnData", "true");
#undef P
	return rc;
}

/* One GetMetricData call (all its NextToken pages) for queries [first, last). */
static int call(struct aws_client *cl, const char *region, struct cloud_instance *v, size_t n,
		const char *head, size_t headlen, struct aws_error *e)
{
	char token[2048] = "";
	for (int pages = 0; pages < 100; pages++) {
		char *body = malloc(headlen + 1), *resp = NULL;
		size_t blen = headlen, bcap = headlen + 1, rlen = 0;
		if (!body)
			return -1;
		memcpy(body, head, headlen + 1);
		if (token[0] && aws_form_add(&body, &blen, &bcap, "NextToken", token) < 0) {
			free(body);
			return -1;
		}
		int rc = aws_post(cl, &AWS_CLOUDWATCH, region, NULL, body, &resp, &rlen, e);
		free(body);
		if (rc < 0)
			return -1;
		char xerr[160];
		struct xnode *root = xml_parse(resp, rlen, xerr, sizeof xerr);
		free(resp);
		struct xnode *res = xml_child(root, "GetMetricDataResult");
		if (!res) {
			e->kind = AWS_ERR_PARSE;
			snprintf(e->code, sizeof e->code, "BadResponse");
			snprintf(e->msg, sizeof e->msg, "GetMetricData in %s: %s", region,
				 root ? "no result element in the answer" : xerr);
			xml_free(root);
			return -1;
		}
		struct xnode *list = xml_child(res, "MetricDataResults");
		for (struct xnode *m = list ? list->child : NULL; m; m = m->next)
			take(m, v, n);
		snprintf(token, sizeof token, "%s", xml_text(res, "NextToken"));
		xml_free(root);
		if (!token[0])
			return 0;
	}
	return 0;
}

int aws_cw_latest(struct aws_client *cl, const char *region, struct cloud_instance *v, size_t n,
		  double now, int window_s, struct aws_error *e)
{
	char start[32], end[32];
	iso8601(now - window_s, start, sizeof start);
	iso8601(now, end, sizeof end);
	char *b = NULL;
	size_t len = 0, cap = 0;
	int q = 0, rc = 0;
	memset(e, 0, sizeof *e);
	for (size_t i = 0; i <= n && rc == 0; i++) {
		for (int m = 0; i < n && m < CW_N; m++) {
			if (strcmp(v[i].region, region) || !wanted(&v[i], m))
				continue;
			if (!q && (aws_form_add(&b, &len, &cap, "Action", "GetMetricData") |
				   aws_form_add(&b, &len, &cap, "Version", "2010-08-01") |
				   aws_form_add(&b, &len, &cap, "StartTime", start) |
				   aws_form_add(&b, &len, &cap, "EndTime", end) |
				   aws_form_add(&b, &len, &cap, "ScanBy", "TimestampDescending")))
				goto oom;
			if (add_query(&b, &len, &cap, ++q, i, m, v[i].id))
				goto oom;
			if (q == AWS_CW_QUERIES_PER_CALL) {
				rc = call(cl, region, v, n, b, len, e);
				q = 0;
				len = 0;
			}
		}
		if (i == n && q)
			rc = call(cl, region, v, n, b, len, e);
	}
	free(b);
	return rc;
oom:
	free(b);
	e->kind = AWS_ERR_CONFIG;
	snprintf(e->msg, sizeof e->msg, "out of memory");
	return -1;
}
