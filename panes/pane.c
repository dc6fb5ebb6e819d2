/* pane.c - what every pane shares: life cycle, cursor, sorting, title status. */
#include "pane.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pane *pane_new(const struct pane_ops *ops)
{
	struct pane *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->ops = ops;
	table_init(&p->tab, ops->cols, ops->ncols);
	p->sort_col = ops->default_sort;
	p->sort_desc = 1;
	return p;
}

void pane_free(struct pane **pp)
{
	if (!pp || !*pp)
		return;
	if ((*pp)->ops->release)
		(*pp)->ops->release(*pp);
	table_release(&(*pp)->tab);
	free((*pp)->overlay);
	free(*pp);
	*pp = NULL;
}

/* Have ops->fill make the cells rows [from, to) still wait for. */
static void fill(struct pane *p, int from, int to)
{
	for (int i = from; p->ops->fill && i < to; i++)
		if (p->tab.rows[i].pending) {
			p->ops->fill(p, &p->tab.rows[i]);
			p->tab.rows[i].pending = 0;
		}
}

void pane_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	const struct row *was = pane_selected(p);
	struct row_ref sel = was ? was->ref : (struct row_ref){.kind = ROW_ITEM, .item = -1};
	table_clear(&p->tab);
	memset(p->note, 0, sizeof p->note);
	p->nbadges = 0;
	p->ops->recalc(p, ctx);
	if (p->search[0])
		fill(p, 0, p->tab.nrows); /* the text filter reads every cell */
	table_keep_matching(&p->tab, p->search);
	if (p->overlay && p->overlay_refresh)
		p->overlay_refresh(p, ctx);
	if (p->sort_col >= 0)
		table_sort(&p->tab, p->sort_col, p->sort_desc);
	/* keep the cursor on the same object when rows move */
	pane_select(p, &sel);
	if (p->sel >= p->tab.nrows)
		p->sel = p->tab.nrows ? p->tab.nrows - 1 : 0;
	/* the rows the next repaint can show, wherever it scrolls to keep the cursor in view */
	int page = p->nvisible > 0 ? p->nvisible : 200;
	int lo = (p->top < p->sel ? p->top : p->sel) - page, hi = (p->top > p->sel ? p->top : p->sel) + 2 * page;
	fill(p, lo < 0 ? 0 : lo, hi > p->tab.nrows ? p->tab.nrows : hi);
}

void pane_fill_all(struct pane *p)
{
	fill(p, 0, p->tab.nrows);
}

const struct row *pane_selected(const struct pane *p)
{
	return p->sel >= 0 && p->sel < p->tab.nrows ? &p->tab.rows[p->sel] : NULL;
}

int pane_select(struct pane *p, const struct row_ref *ref)
{
	for (int i = 0; i < p->tab.nrows; i++)
		if (row_ref_eq(&p->tab.rows[i].ref, ref)) {
			p->sel = i;
			return i;
		}
	return -1;
}

void pane_badge(struct pane *p, enum row_attr attr, const char *fmt, ...)
{
	if (p->nbadges == PANE_BADGES)
		return;
	struct pane_badge *b = &p->badge[p->nbadges++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->text, sizeof b->text, fmt, ap);
	va_end(ap);
	b->attr = attr;
}

static void sort_next(struct pane *p)
{
	int n = p->tab.ncols;
	for (int i = 1; i <= n; i++) {
		int c = ((p->sort_col < 0 ? 0 : p->sort_col) + i) % n;
		if (p->tab.cols[c].sortable) {
			p->sort_col = c;
			p->sort_desc = p->tab.cols[c].right; /* numbers: biggest first */
			return;
		}
	}
}

int pane_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx, int page)
{
	int last = p->tab.nrows ? p->tab.nrows - 1 : 0;
	switch (cmd) {
	case PANE_UP: p->sel = p->sel > 0 ? p->sel - 1 : 0; return 1;
	case PANE_DOWN: p->sel = p->sel < last ? p->sel + 1 : last; return 1;
	case PANE_PGUP: p->sel = p->sel > page ? p->sel - page : 0; return 1;
	case PANE_PGDN: p->sel = p->sel + page < last ? p->sel + page : last; return 1;
	case PANE_HOME: p->sel = 0; return 1;
	case PANE_END: p->sel = last; return 1;
	case PANE_SORT_NEXT:
		if (p->ops->unsortable)
			return 0;
		sort_next(p);
		pane_recalc(p, ctx);
		return 1;
	case PANE_SORT_REVERSE:
		if (p->ops->unsortable || p->sort_col < 0)
			return 0;
		p->sort_desc = !p->sort_desc;
		pane_recalc(p, ctx);
		return 1;
	default:
		break;
	}
	if (p->ops->on_command && p->ops->on_command(p, cmd, ctx)) {
		pane_recalc(p, ctx);
		return 1;
	}
	return 0;
}

void pane_status_of(struct pane *p, const struct target_status *st, const struct snapshot *snap,
		    double now)
{
	char age[32];
	p->status_bad = 0;
	if (snap)
		fmt_age(age, sizeof age, now - snap->mono);
	double stale_after = 3 * st->interval_s + st->timeout_s;
	if (st->state == TARGET_OK && snap && now - snap->mono > stale_after) {
		snprintf(p->status, sizeof p->status, "STALE %s", age);
		p->status_bad = 1;
	} else if (st->state == TARGET_OK || st->state == TARGET_CONNECTING) {
		snprintf(p->status, sizeof p->status, "%s", snap ? age : "connecting");
		if (snap)
			strncat(p->status, " ago", sizeof p->status - strlen(p->status) - 1);
	} else {
		char *e = text_sanitize(st->error, 200);
		snprintf(p->status, sizeof p->status, "%s: %s%s%s%s", target_state_name(st->state),
			 e ? e : "", snap ? " (showing data from " : "", snap ? age : "",
			 snap ? " ago)" : "");
		free(e);
		p->status_bad = 1;
	}
}

void pane_set_overlay(struct pane *p, const char *text)
{
	free(p->overlay);
	p->overlay = text ? text_sanitize_lines(text, PANE_OVERLAY_MAX) : NULL;
	if (!text)
		p->overlay_refresh = NULL;
}

double pane_wall(const struct pane_ctx *ctx)
{
	return (double)(long long)(ctx->now_is_wall ? ctx->now : clock_wall());
}
