/*
 * fleet_slo.c - the fleet pane's objective columns: the error budget left
 * and the burn rate over 1 h and 6 h, a fast burn highlighted (both windows
 * at their thresholds, collectors/slo.h: multi-window burn-rate alerting).
 * A group's header row sums its members' seconds against the strictest
 * objective among them; grouped by a tag a config [group] matches, against
 * that [group]'s own objective.
 */
#include "private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One burn rate as a cell's text: "-" when nothing was observed. */
static void burn_text(char *out, size_t n, double burn)
{
	if (burn < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, burn >= 100 ? "%.0f" : "%.1f", burn);
}

/* The cells of a view, a target's or a group's. */
static void view_cells(struct row *r, const struct slo_view *vp, int c_budget, int c_burn)
{
	struct slo_view v = *vp;
	char a[16], b[16];
	burn_text(a, sizeof a, v.burn_1h);
	burn_text(b, sizeof b, v.burn_6h);
	row_setf(r, c_burn, v.burn_1h, "%s%s/%s", v.fast ? "FAST " : "", a, b);
	double pct = v.budget_left * 100;
	if (v.observed_s > 0)
		row_setf(r, c_budget, v.budget_left, pct > -100 && pct < 100 ? "%.1f%%" : "%.0f%%", pct);
	else
		row_setf(r, c_budget, 2, "-");
}

int fleet_slo_cells(struct row *r, struct store *st, size_t t, int c_budget, int c_burn)
{
	struct slo_view v;
	if (!store_slo(st, t, &v))
		return 0;
	view_cells(r, &v, c_budget, c_burn);
	return v.fast;
}

int fleet_slo_group(struct row *r, struct store *st, struct fleet_fact *const *x, size_t n, int c_budget, int c_burn)
{
	struct slo_view sum = {0}, v;
	int any = 0;
	double own = 0; /* the config [group]'s objective when this group is its tag */
	for (size_t i = 0; i < n && !own; i++)
		if (x[i]->ref.kind == ROW_TARGET && x[i]->st.slo_group_availability > 0 &&
		    !strcmp(x[i]->group, x[i]->st.slo_group))
			own = x[i]->st.slo_group_availability;
	for (size_t i = 0; i < n; i++) {
		if (x[i]->ref.kind != ROW_TARGET || !store_slo(st, x[i]->ref.target, &v))
			continue;
		any = 1;
		if (own > 0 && v.objective > 0 && v.objective < 100) { /* its window's budget at the group's objective */
			v.budget_s *= (100 - own) / (100 - v.objective);
			v.objective = own;
		}
		sum.objective = v.objective > sum.objective ? v.objective : sum.objective; /* the strictest */
		sum.good_1h += v.good_1h, sum.bad_1h += v.bad_1h;
		sum.good_6h += v.good_6h, sum.bad_6h += v.bad_6h;
		sum.bad_window += v.bad_window, sum.budget_s += v.budget_s;
		sum.observed_s += v.observed_s;
	}
	if (!any)
		return 0;
	store_slo_finish(&sum);
	view_cells(r, &sum, c_budget, c_burn);
	return sum.fast;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int fleet_slo_detail(struct store *st, size_t t, const struct snapshot *snap, char *out, size_t n)
{
	double v[STORE_HISTORY];
	size_t got = store_history(st, t, HIST_RTT_MS, v, STORE_HISTORY), k = 0;
	for (size_t i = 0; i < got; i++)
		if (v[i] >= 0)
			v[k++] = v[i]; /* -1: not measured (a blocking engine's sample) */
	int o;
	if (snap && snap->rtt_ms >= 0 && k) {
		char spark[256];
		fmt_spark(spark, sizeof spark, v, k, 60); /* in order, before the sort */
		qsort(v, k, sizeof v[0], by_value);
		o = snprintf(out, n, "probe round trip: %.2f ms, sent to first byte on the socket (the last %zu:"
			     " min %.2f, median %.2f, max %.2f ms)\n  %s\n", snap->rtt_ms, k, v[0], v[k / 2], v[k - 1],
			     spark);
	} else {
		o = snprintf(out, n, "probe round trip: not measured (a blocking driver's sample)\n");
	}
	struct slo_view s;
	if (store_slo(st, t, &s) && o >= 0 && (size_t)o < n) {
		char lat[40] = "";
		if (s.latency_ms > 0)
			snprintf(lat, sizeof lat, ", probes within %.0f ms", s.latency_ms);
		o += snprintf(out + o, n - (size_t)o, "objective: %.3g%% of the time good%s; over %d days %.1f%% of the"
			      " error budget left; burn %.2f over 1 h, %.2f over 6 h%s\n", s.objective, lat, s.window_days,
			      s.budget_left * 100, s.burn_1h, s.burn_6h, s.fast ? " (FAST)" : "");
	}
	return o;
}
