/*
 * ce.c - Cost Explorer (JSON 1.1, signed for us-east-1 wherever we are):
 * GetCostAndUsage month to date by SERVICE and last 30 days by a tag,
 * daily, and GetCostForecast for the rest of the month. Every request is
 * billed ($0.01 a page), so the result is cached on disk and the caller
 * fetches at most hourly.
 */
#include "aws.h"

#include "../model/model.h"
#include "../model/xdg.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CE_TARGET "AWSInsightsIndexService."
#define CE_MAX_PAGES 20
#define ACC_MAX 256

struct acc {
	struct cost_group g[ACC_MAX];
	int n;
};

static void day(time_t t, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

static time_t parse_day(const char *s)
{
	struct tm tm = {0};
	if (!s || !strptime(s, "%Y-%m-%d", &tm))
		return (time_t)-1;
	return timegm(&tm);
}

static void acc_add(struct acc *a, const char *key, double usd)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->g[i].key, key)) {
			a->g[i].usd += usd;
			return;
		}
	if (a->n < ACC_MAX) {
		snprintf(a->g[a->n].key, sizeof a->g[0].key, "%s", key);
		a->g[a->n++].usd = usd;
	} else {
		a->g[ACC_MAX - 1].usd += usd; /* beyond ACC_MAX groups: summed into the last */
	}
}

static int by_usd_desc(const void *x, const void *y)
{
	double a = ((const struct cost_group *)x)->usd, b = ((const struct cost_group *)y)->usd;
	return (a < b) - (a > b);
}

/* The biggest groups; the rest summed into "(other)". */
static int acc_top(struct acc *a, struct cost_group *out, int max)
{
	qsort(a->g, (size_t)a->n, sizeof a->g[0], by_usd_desc);
	int n = 0;
	double other = 0;
	for (int i = 0; i < a->n; i++) {
		if (n < max - 1 || (i == a->n - 1 && n == max - 1))
			out[n++] = a->g[i];
		else
			other += a->g[i].usd;
	}
	if (other > 0 && n == max - 1) {
		snprintf(out[n].key, sizeof out[n].key, "(other)");
		out[n++].usd = other;
	}
	return n;
}

static double amount(const cJSON *metrics, char *unit, size_t un)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(metrics, "UnblendedCost");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "Amount");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(m, "Unit");
	if (cJSON_IsString(u) && unit)
		snprintf(unit, un, "%.7s", u->valuestring);
	return cJSON_IsString(a) ? strtod(a->valuestring, NULL) : cJSON_IsNumber(a) ? a->valuedouble : 0;
}

/*
 * Fold one GetCostAndUsage page into 'a' (per group) and, when 'daily' is
 * set, into the daily totals from 'from'. 0, or -1 if the body is not a
 * GetCostAndUsage answer. 'token' gets NextPageToken ("" at the end).
 */
static int fold_page(const char *json, size_t len, struct acc *a, int tag, struct cloud_costs *c,
		     int daily, time_t from, char *token, size_t tn)
{
	cJSON *j = cJSON_ParseWithLength(json, len);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "ResultsByTime"), *x;
	if (!cJSON_IsArray(r)) {
		cJSON_Delete(j);
		return -1;
	}
	cJSON_ArrayForEach(x, r) {
		const cJSON *tp = cJSON_GetObjectItemCaseSensitive(x, "TimePeriod");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(tp, "Start");
		const cJSON *groups = cJSON_GetObjectItemCaseSensitive(x, "Groups"), *g;
		double total = 0;
		if (cJSON_IsArray(groups) && cJSON_GetArraySize(groups) > 0) {
			cJSON_ArrayForEach(g, groups) {
				const cJSON *keys = cJSON_GetObjectItemCaseSensitive(g, "Keys");
				const cJSON *k = cJSON_GetArrayItem(keys, 0);
				const char *key = cJSON_IsString(k) ? k->valuestring : "?";
				double usd = amount(cJSON_GetObjectItemCaseSensitive(g, "Metrics"), c->unit, sizeof c->unit);
				if (tag) { /* "team$payments": the value; "team$" is untagged */
					const char *d = strchr(key, '$');
					key = d ? (d[1] ? d + 1 : "(untagged)") : key;
				}
				acc_add(a, key, usd);
				total += usd;
			}
		} else {
			total = amount(cJSON_GetObjectItemCaseSensitive(x, "Total"), c->unit, sizeof c->unit);
		}
		time_t t = parse_day(cJSON_IsString(st) ? st->valuestring : NULL);
		long idx = t == (time_t)-1 ? -1 : (long)((t - from) / 86400);
		if (daily && idx >= 0 && idx < COST_DAYS)
			c->daily[idx] += total;
	}
	const cJSON *nt = cJSON_GetObjectItemCaseSensitive(j, "NextPageToken");
	snprintf(token, tn, "%s", cJSON_IsString(nt) ? nt->valuestring : "");
	cJSON_Delete(j);
	return 0;
}

/* The body of a GetCostAndUsage request. */
static char *usage_body(const char *start, const char *end, const char *gtype, const char *gkey,
			const char *token)
{
	cJSON *j = cJSON_CreateObject(), *tp = cJSON_AddObjectToObject(j, "TimePeriod");
	cJSON_AddStringToObject(tp, "Start", start);
	cJSON_AddStringToObject(tp, "End", end);
	cJSON_AddStringToObject(j, "Granularity", "DAILY");
	cJSON *m = cJSON_AddArrayToObject(j, "Metrics");
	cJSON_AddItemToArray(m, cJSON_CreateString("UnblendedCost"));
	cJSON *gb = cJSON_AddArrayToObject(j, "GroupBy"), *g = cJSON_CreateObject();
	cJSON_AddStringToObject(g, "Type", gtype);
	cJSON_AddStringToObject(g, "Key", gkey);
	cJSON_AddItemToArray(gb, g);
	if (token && *token)
		cJSON_AddStringToObject(j, "NextPageToken", token);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static int post(struct aws_client *cl, const char *op, const char *body, char **resp, size_t *rlen,
		struct aws_error *e, unsigned *requests)
{
	char target[96];
	snprintf(target, sizeof target, CE_TARGET "%s", op);
	unsigned long before = aws_client_requests(cl);
	int rc = body ? aws_post(cl, &AWS_CE, "us-east-1", target, body, resp, rlen, e) : -1;
	*requests += (unsigned)(aws_client_requests(cl) - before);
	return rc;
}

/* All pages of one grouping into 'a' (and the daily totals when asked). */
static int usage(struct aws_client *cl, const char *start, const char *end, const char *gtype,
		 const char *gkey, struct acc *a, struct cloud_costs *c, int daily, time_t from,
		 struct aws_error *e)
{
	char token[1024] = "";
	for (int p = 0; p < CE_MAX_PAGES; p++) {
		char *body = usage_body(start, end, gtype, gkey, token), *resp = NULL;
		size_t rlen = 0;
		int rc = post(cl, "GetCostAndUsage", body, &resp, &rlen, e, &c->requests);
		cJSON_free(body);
		if (rc < 0)
			return -1;
		rc = fold_page(resp, rlen, a, !strcmp(gtype, "TAG"), c, daily, from, token, sizeof token);
		free(resp);
		if (rc < 0) {
			e->kind = AWS_ERR_PARSE;
			snprintf(e->code, sizeof e->code, "BadResponse");
			snprintf(e->msg, sizeof e->msg, "GetCostAndUsage: not a cost answer");
			return -1;
		}
		if (!token[0])
			return 0;
	}
	return 0;
}

int aws_ce_fetch(struct aws_client *cl, const char *tag_key, time_t now, struct cloud_costs *c,
		 struct aws_error *e)
{
	static struct acc a; /* big: one cost fetch at a time (the cloud thread) */
	char tomorrow[12], next_month[12], from[12];
	struct tm tm;
	memset(c, 0, sizeof *c);
	memset(e, 0, sizeof *e);
	c->forecast_usd = -1;
	snprintf(c->unit, sizeof c->unit, "USD");
	gmtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	time_t today = timegm(&tm);
	day(today, c->today, sizeof c->today);
	day(today + 86400, tomorrow, sizeof tomorrow);
	tm.tm_mday = 1;
	day(timegm(&tm), c->month_start, sizeof c->month_start);
	tm.tm_mon++; /* timegm normalises December + 1 */
	day(timegm(&tm), next_month, sizeof next_month);
	time_t t_from = today - (COST_DAYS - 1) * 86400;
	day(t_from, from, sizeof from);
	snprintf(c->daily_from, sizeof c->daily_from, "%s", from);
	c->ndaily = COST_DAYS;

	/* month to date by service */
	a.n = 0;
	if (usage(cl, c->month_start, tomorrow, "DIMENSION", "SERVICE", &a, c, 0, t_from, e) < 0)
		return -1;
	for (int i = 0; i < a.n; i++)
		c->mtd_usd += a.g[i].usd;
	c->nservice = acc_top(&a, c->service, COST_GROUPS);
	/* last 30 days, daily, by the tag (or by service when no tag is set) */
	a.n = 0;
	snprintf(c->tag_key, sizeof c->tag_key, "%s", tag_key ? tag_key : "");
	if (usage(cl, from, tomorrow, c->tag_key[0] ? "TAG" : "DIMENSION", c->tag_key[0] ? c->tag_key : "SERVICE",
		  &a, c, 1, t_from, e) < 0)
		return -1;
	if (c->tag_key[0])
		c->ntag = acc_top(&a, c->tag, COST_GROUPS);
	/* the rest of the month, unless today is its last day */
	if (strcmp(tomorrow, next_month)) {
		cJSON *j = cJSON_CreateObject(), *tp = cJSON_AddObjectToObject(j, "TimePeriod");
		cJSON_AddStringToObject(tp, "Start", tomorrow);
		cJSON_AddStringToObject(tp, "End", next_month);
		cJSON_AddStringToObject(j, "Metric", "UNBLENDED_COST");
		cJSON_AddStringToObject(j, "Granularity", "MONTHLY");
		char *body = cJSON_PrintUnformatted(j), *resp = NULL;
		cJSON_Delete(j);
		size_t rlen = 0;
		struct aws_error fe;
		if (post(cl, "GetCostForecast", body, &resp, &rlen, &fe, &c->requests) == 0) {
			cJSON *r = cJSON_ParseWithLength(resp, rlen);
			const cJSON *tot = cJSON_GetObjectItemCaseSensitive(r, "Total");
			const cJSON *amt = cJSON_GetObjectItemCaseSensitive(tot, "Amount");
			if (cJSON_IsString(amt))
				c->forecast_usd = c->mtd_usd + strtod(amt->valuestring, NULL);
			cJSON_Delete(r);
		} else if (fe.kind == AWS_ERR_AUTH || fe.kind == AWS_ERR_STOPPED) {
			*e = fe;
			cJSON_free(body);
			return -1;
		} /* else: no forecast (too little history is a normal answer) */
		cJSON_free(body);
		free(resp);
	} else {
		c->forecast_usd = c->mtd_usd;
	}
	c->valid = 1;
	c->fetched_at = (double)now;
	return 0;
}

int aws_ce_fetch_accounts(struct aws_client *cl, struct cloud_costs *c, struct aws_error *e)
{
	struct acc *a = malloc(sizeof *a);
	char tomorrow[12];
	time_t today = parse_day(c->today);
	if (!a || today == (time_t)-1) {
		free(a);
		memset(e, 0, sizeof *e);
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->code, sizeof e->code, "Internal");
		snprintf(e->msg, sizeof e->msg, "%s", a ? "costs by account before the month's figures" : "out of memory");
		return -1;
	}
	day(today + 86400, tomorrow, sizeof tomorrow);
	a->n = 0;
	int rc = usage(cl, c->month_start, tomorrow, "DIMENSION", "LINKED_ACCOUNT", a, c, 0, today, e);
	if (rc == 0)
		c->naccount = acc_top(a, c->account, COST_GROUPS);
	free(a);
	return rc;
}

/* Fold 'n' groups into 'a' (keys added up). */
static void acc_groups(struct acc *a, const struct cost_group *g, int n)
{
	for (int i = 0; i < n; i++)
		acc_add(a, g[i].key, g[i].usd);
}

int aws_ce_add(struct cloud_costs *sum, const struct cloud_costs *one, const char *label)
{
	struct acc *a = malloc(sizeof *a);
	if (!a)
		return -1;
	if (!sum->valid) {
		memset(sum, 0, sizeof *sum);
		snprintf(sum->month_start, sizeof sum->month_start, "%s", one->month_start);
		snprintf(sum->today, sizeof sum->today, "%s", one->today);
		snprintf(sum->unit, sizeof sum->unit, "%s", one->unit);
		snprintf(sum->tag_key, sizeof sum->tag_key, "%s", one->tag_key);
		snprintf(sum->daily_from, sizeof sum->daily_from, "%s", one->daily_from);
		sum->ndaily = one->ndaily;
		sum->from_cache = 1;
		sum->valid = 1;
	}
	sum->mtd_usd += one->mtd_usd;
	sum->forecast_usd = sum->forecast_usd < 0 || one->forecast_usd < 0 ? -1 : sum->forecast_usd + one->forecast_usd;
	a->n = 0;
	acc_groups(a, sum->service, sum->nservice);
	acc_groups(a, one->service, one->nservice);
	sum->nservice = acc_top(a, sum->service, COST_GROUPS);
	a->n = 0;
	acc_groups(a, sum->tag, sum->ntag);
	acc_groups(a, one->tag, one->ntag);
	sum->ntag = acc_top(a, sum->tag, COST_GROUPS);
	a->n = 0;
	acc_groups(a, sum->account, sum->naccount);
	acc_add(a, label, one->mtd_usd);
	sum->naccount = acc_top(a, sum->account, COST_GROUPS);
	/* the same days when both start on the same day (fetched the same day); else the first's */
	for (int i = 0; !strcmp(sum->daily_from, one->daily_from) && i < one->ndaily && i < COST_DAYS; i++)
		sum->daily[i] += one->daily[i];
	sum->fetched_at = sum->fetched_at > one->fetched_at || !sum->fetched_at ? one->fetched_at : sum->fetched_at;
	sum->from_cache &= one->from_cache;
	sum->requests += one->requests;
	free(a);
	return 0;
}

/* ---- the disk cache: the summed figures as JSON ---- */

static cJSON *groups_json(const struct cost_group *g, int n)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "key", g[i].key);
		cJSON_AddNumberToObject(o, "usd", g[i].usd);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int groups_read(const cJSON *a, struct cost_group *g)
{
	int n = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, a) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key");
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "usd");
		if (n == COST_GROUPS || !cJSON_IsString(k) || !cJSON_IsNumber(u))
			break;
		snprintf(g[n].key, sizeof g[n].key, "%s", k->valuestring);
		g[n++].usd = u->valuedouble;
	}
	return n;
}

int aws_ce_cache_save(const char *path, const struct cloud_costs *c)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddNumberToObject(j, "fetched_at", c->fetched_at);
	cJSON_AddStringToObject(j, "month_start", c->month_start);
	cJSON_AddStringToObject(j, "today", c->today);
	cJSON_AddStringToObject(j, "unit", c->unit);
	cJSON_AddNumberToObject(j, "mtd", c->mtd_usd);
	cJSON_AddNumberToObject(j, "forecast", c->forecast_usd);
	cJSON_AddStringToObject(j, "tag_key", c->tag_key);
	cJSON_AddStringToObject(j, "daily_from", c->daily_from);
	cJSON_AddItemToObject(j, "service", groups_json(c->service, c->nservice));
	cJSON_AddItemToObject(j, "tag", groups_json(c->tag, c->ntag));
	cJSON_AddItemToObject(j, "account", groups_json(c->account, c->naccount));
	cJSON_AddStringToObject(j, "scope", c->scope);
	cJSON_AddItemToObject(j, "daily", cJSON_CreateDoubleArray(c->daily, c->ndaily));
	char *s = cJSON_Print(j);
	cJSON_Delete(j);
	if (!s)
		return -1;
	/* write a temporary file and rename: a reader never sees half a cache */
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	/* 0600 whatever the umask: what the account spends is nobody else's business */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc = -1;
	if (fd >= 0 && !f)
		close(fd);
	if (f) {
		rc = fputs(s, f) < 0 ? -1 : 0;
		rc |= fclose(f);
		if (rc == 0)
			rc = rename(tmp, path);
		if (rc)
			unlink(tmp);
	}
	cJSON_free(s);
	return rc;
}

int aws_ce_cache_load(const char *path, const char *tag_key, struct cloud_costs *c)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char buf[32768];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	cJSON *j = cJSON_ParseWithLength(buf, n);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version");
	const cJSON *tk = cJSON_GetObjectItemCaseSensitive(j, "tag_key");
	int rc = -1;
	if (cJSON_IsNumber(v) && v->valueint == 1 && cJSON_IsString(tk) &&
	    !strcmp(tk->valuestring, tag_key ? tag_key : "")) {
		memset(c, 0, sizeof *c);
		const cJSON *x;
#define NUM(name, dst) if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(j, name))) dst = x->valuedouble
#define STR(name, dst) if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(j, name))) \
		snprintf(dst, sizeof dst, "%s", x->valuestring)
		NUM("fetched_at", c->fetched_at);
		NUM("mtd", c->mtd_usd);
		NUM("forecast", c->forecast_usd);
		STR("month_start", c->month_start);
		STR("today", c->today);
		STR("unit", c->unit);
		STR("tag_key", c->tag_key);
		STR("daily_from", c->daily_from);
		STR("scope", c->scope);
#undef NUM
#undef STR
		c->nservice = groups_read(cJSON_GetObjectItemCaseSensitive(j, "service"), c->service);
		c->ntag = groups_read(cJSON_GetObjectItemCaseSensitive(j, "tag"), c->tag);
		c->naccount = groups_read(cJSON_GetObjectItemCaseSensitive(j, "account"), c->account);
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "daily")) {
			if (c->ndaily == COST_DAYS || !cJSON_IsNumber(x))
				break;
			c->daily[c->ndaily++] = x->valuedouble;
		}
		c->valid = c->fetched_at > 0;
		c->from_cache = 1;
		rc = c->valid ? 0 : -1;
	}
	cJSON_Delete(j);
	return rc;
}

int aws_ce_cache_path(const char *profile, char *out, size_t n)
{
	char dir[700];
	if (xdg_path(XDG_CACHE, NULL, dir, sizeof dir) < 0)
		return -1;
	char parent[700];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	/* one file per profile: accounts differ */
	char safe[64];
	size_t i = 0;
	for (const char *p = profile && *profile ? profile : "default"; *p && i < sizeof safe - 1; p++)
		safe[i++] = (char)(strchr("/.", *p) ? '_' : *p);
	safe[i] = '\0';
	snprintf(out, n, "%s/cost-%s.json", dir, safe);
	return 0;
}
