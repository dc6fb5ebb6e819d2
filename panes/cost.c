/*
 * cost.c - what the fleet costs: Cost Explorer's month to date and
 * forecast, the month by service, the last 30 days by the configured tag,
 * a daily bar chart, and each discovered instance's on-demand estimate
 * from its class (a price table, dated, overridable in the config).
 */
#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { C_WHAT, C_NAME, C_USD, C_SHARE, C_N };

static const struct column cols[C_N] = {
	[C_WHAT] = {"WHAT", 9, 0, 0, 1, 0},
	[C_NAME] = {"NAME", 30, 1, 0, 1, 0},
	[C_USD] = {"USD", 14, 0, 1, 1, 0},
	[C_SHARE] = {"SHARE", 26, 0, 0, 0, 1},
};

#define BAR_CELLS 24

/* A bar of 'v' out of 'max' in BAR_CELLS cells (eighths with UTF-8). */
static void bar(char *out, size_t n, double v, double max)
{
	static const char *const eighths[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
	size_t o = 0;
	int units = max > 0 && v > 0 ? (int)(v / max * BAR_CELLS * 8 + 0.5) : 0;
	out[0] = '\0';
	for (int i = 0; i < units / 8 && o + 4 < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s", text_utf8() ? "\u2588" : "#");
	if (units % 8 && o + 4 < n)
		snprintf(out + o, n - o, "%s", text_utf8() ? eighths[units % 8] : "");
}

static void add(struct pane *p, const char *what, const char *name, double usd, const char *fmt_usd,
		double max, long id)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	char b[BAR_CELLS * 4 + 1];
	r->ref.item = id; /* a line of a report: no object to follow */
	row_text(r, C_WHAT, what);
	row_text(r, C_NAME, name);
	row_setf(r, C_USD, usd, "%s", fmt_usd);
	bar(b, sizeof b, usd, max);
	row_text(r, C_SHARE, b);
}

static void group_rows(struct pane *p, const char *what, const struct cost_group *g, int n, long *id)
{
	double max = 0;
	char usd[32];
	for (int i = 0; i < n; i++)
		max = g[i].usd > max ? g[i].usd : max;
	for (int i = 0; i < n; i++) {
		snprintf(usd, sizeof usd, "%.2f", g[i].usd);
		add(p, what, g[i].key, g[i].usd, usd, max, (*id)++);
	}
}

static void cost_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	long id = 0;
	char usd[48], name[160];
	snprintf(p->title, sizeof p->title, "cost");
	if (!c) {
		snprintf(p->status, sizeof p->status, "- AWS is off: run with --aws (see dbfleet(1))");
		p->status_bad = 0;
		return;
	}
	const struct cloud_costs *k = &c->costs;
	if (k->valid) {
		char fc[48] = "unknown", age[32];
		if (k->forecast_usd >= 0)
			snprintf(fc, sizeof fc, "%.2f %s", k->forecast_usd, k->unit);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		fmt_age(age, sizeof age, (double)ts.tv_sec - k->fetched_at);
		snprintf(p->title, sizeof p->title, "cost - month to date %.2f %s, forecast %s", k->mtd_usd,
			 k->unit, fc);
		char *scope = text_sanitize(k->scope, 120); /* names from the config and AWS */
		snprintf(p->status, sizeof p->status, "- Cost Explorer %s ago%s%s%s", age,
			 k->from_cache ? " (disk cache)" : "", k->scope[0] ? ": " : "", scope ? scope : "");
		free(scope);
		group_rows(p, "ACCOUNT", k->account, k->naccount, &id); /* several accounts: which spends what */
		group_rows(p, "SERVICE", k->service, k->nservice, &id);
		if (k->tag_key[0]) {
			char what[32];
			snprintf(what, sizeof what, "TAG %.20s", k->tag_key);
			group_rows(p, what, k->tag, k->ntag, &id);
		}
	} else {
		snprintf(p->status, sizeof p->status, "- %s", c->cost_error[0] ? "" : "asking Cost Explorer...");
	}
	if (c->cost_error[0]) {
		char *e = text_sanitize(c->cost_error, 220);
		snprintf(p->status, sizeof p->status, "- %s", e ? e : "Cost Explorer error");
		free(e);
	}
	p->status_bad = c->cost_error[0] != '\0';
	/* each instance's estimate from its class */
	double max = 0;
	for (size_t i = 0; i < c->n; i++)
		max = c->inst[i].hourly_usd * 730 > max ? c->inst[i].hourly_usd * 730 : max;
	for (size_t i = 0; i < c->n; i++) {
		const struct cloud_instance *ci = &c->inst[i];
		snprintf(name, sizeof name, "%s (%s%s)", ci->id, ci->klass, ci->multi_az ? ", Multi-AZ" : "");
		if (ci->hourly_usd >= 0)
			snprintf(usd, sizeof usd, "~%.0f/mo", ci->hourly_usd * 730);
		else
			snprintf(usd, sizeof usd, "class unpriced");
		add(p, "INSTANCE", name, ci->hourly_usd >= 0 ? ci->hourly_usd * 730 : -1, usd, max, id++);
	}
	if (k->valid) {
		max = 0;
		for (int i = 0; i < k->ndaily; i++)
			max = k->daily[i] > max ? k->daily[i] : max;
		struct tm tm = {0};
		time_t day0 = strptime(k->daily_from, "%Y-%m-%d", &tm) ? timegm(&tm) : 0;
		for (int i = 0; day0 && i < k->ndaily; i++) {
			time_t t = day0 + (time_t)i * 86400;
			struct tm d;
			gmtime_r(&t, &d);
			strftime(name, sizeof name, "%Y-%m-%d %a", &d);
			snprintf(usd, sizeof usd, "%.2f", k->daily[i]);
			add(p, "DAY", name, k->daily[i], usd, max, id++);
		}
	}
	if (c->n && c->prices_date)
		snprintf(p->note[0], sizeof p->note[0], "INSTANCE: on-demand estimate for 730 h from the %s"
			 " price table; [prices] in the config overrides it", c->prices_date);
	cloud_snapshot_release(&c);
}

const struct pane_ops pane_cost_ops = {
	.name = "cost",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.recalc = cost_recalc,
};
