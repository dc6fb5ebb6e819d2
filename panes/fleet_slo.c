/*
 * fleet_slo.c - the fleet pane's objective columns: the error budget left
 * and the burn rate over 1 h and 6 h, a fast burn highlighted (both windows
 * at their thresholds, collectors/slo.h: multi-window burn-rate alerting).
 */
#include "private.h"

#include <stdio.h>

/* One burn rate as a cell's text: "-" when nothing was observed. */
static void burn_text(char *out, size_t n, double burn)
{
	if (burn < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, burn >= 100 ? "%.0f" : "%.1f", burn);
}

int fleet_slo_cells(struct row *r, struct store *st, size_t t, int c_budget, int c_burn)
{
	struct slo_view v;
	if (!store_slo(st, t, &v))
		return 0;
	char a[16], b[16];
	burn_text(a, sizeof a, v.burn_1h);
	burn_text(b, sizeof b, v.burn_6h);
	row_setf(r, c_burn, v.burn_1h, "%s%s/%s", v.fast ? "FAST " : "", a, b);
	double pct = v.budget_left * 100;
	if (v.observed_s > 0)
		row_setf(r, c_budget, v.budget_left, pct > -100 && pct < 100 ? "%.1f%%" : "%.0f%%", pct);
	else
		row_setf(r, c_budget, 2, "-");
	return v.fast;
}
