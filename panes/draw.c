/* draw.c - the drawing kit: a pane's table in a window area (curses). */
#include "pane.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every string the panes and the tui put on the screen comes through here,
 * so it is sanitised here, whoever made it: a title with a target's name,
 * a note with a server's message, a prompt. text_sanitize leaves its own
 * output as it is, so text sanitised before (table cells) looks the same.
 */
void draw_text(WINDOW *w, int y, int x, int cols, const char *s)
{
	/* no more than 'cols' columns are drawn: 4 bytes a column, escapes take one a byte */
	char *clean = text_sanitize(s, (size_t)(cols > 0 ? cols : 0) * 4 + 16);
	const char *t = clean ? clean : "";
	int used = 0;
	size_t n = text_fit(t, cols, &used);
	wmove(w, y, x);
	if (n)
		waddnstr(w, t, (int)n);
	for (; used < cols; used++)
		waddch(w, ' ');
	free(clean);
}

static int attr_of(enum row_attr a, int color)
{
	switch (a) {
	case ROW_DIM: return A_DIM;
	case ROW_BOLD: return A_BOLD;
	case ROW_WARN: return color ? COLOR_PAIR(2) | A_BOLD : A_BOLD;
	case ROW_BAD: return color ? COLOR_PAIR(1) | A_BOLD : A_BOLD | A_UNDERLINE;
	case ROW_GOOD: return color ? COLOR_PAIR(3) : A_NORMAL;
	default: return A_NORMAL;
	}
}

#define FLEX_MIN 10

/* 1 if some row has text in column 'c'. */
static int column_used(const struct table *t, int c)
{
	for (int i = 0; i < t->nrows; i++)
		if (t->rows[i].cell[c] && t->rows[i].cell[c][0])
			return 1;
	return 0;
}

/* Column widths for 'wdt' columns: fixed ones as asked, the flex one the rest;
 * an optional column no row uses is not shown; when that does not fit, the
 * columns marked 'drop' go, highest first (width 0). */
static void widths(const struct table *t, int wdt, int *wd)
{
	int fixed = 0, flex = -1;
	for (int c = 0; c < t->ncols; c++) {
		wd[c] = t->cols[c].width;
		if (t->cols[c].optional && !column_used(t, c))
			wd[c] = 0;
		else if (t->cols[c].flex)
			flex = c;
		else
			fixed += wd[c] + 1;
	}
	while (fixed + (flex >= 0 ? FLEX_MIN : 0) > wdt) {
		int worst = -1;
		for (int c = 0; c < t->ncols; c++)
			if (wd[c] && t->cols[c].drop && (worst < 0 || t->cols[c].drop > t->cols[worst].drop))
				worst = c;
		if (worst < 0)
			break;
		fixed -= wd[worst] + 1;
		wd[worst] = 0;
	}
	if (flex >= 0)
		wd[flex] = wdt - fixed > FLEX_MIN ? wdt - fixed : FLEX_MIN;
}

/* The line of coloured counts: each badge in its own colour, two spaces apart. */
static void draw_badges(const struct pane *p, WINDOW *w, int y, int x, int wdt, int color)
{
	int cx = x;
	for (int i = 0; i < p->nbadges && cx < x + wdt; i++) {
		char buf[48];
		snprintf(buf, sizeof buf, "%s%s", i ? "  " : " ", p->badge[i].text);
		int bw = text_width(buf) < x + wdt - cx ? text_width(buf) : x + wdt - cx;
		int a = attr_of(p->badge[i].attr, color);
		wattron(w, a);
		draw_text(w, y, cx, bw, buf);
		wattroff(w, a);
		cx += bw;
	}
	if (cx < x + wdt)
		draw_text(w, y, cx, x + wdt - cx, "");
}

void pane_repaint(struct pane *p, WINDOW *w, int y, int x, int h, int wdt, int color)
{
	const struct table *t = &p->tab;
	int wd[TABLE_MAX_COLS];
	widths(t, wdt, wd);
	int row = y;
	p->nvisible = 0;
	if (p->nbadges && row < y + h)
		draw_badges(p, w, row++, x, wdt, color);
	for (int i = 0; i < PANE_NOTES && row < y + h; i++)
		if (p->note[i][0]) {
			wattron(w, attr_of(ROW_WARN, color));
			draw_text(w, row++, x, wdt, p->note[i]);
			wattroff(w, attr_of(ROW_WARN, color));
		}
	if (row >= y + h)
		return;
	/* header */
	wattron(w, A_REVERSE);
	int cx = x;
	for (int c = 0; c < t->ncols && cx < x + wdt; c++) {
		if (!wd[c])
			continue;
		char hdr[64];
		snprintf(hdr, sizeof hdr, "%s%s", t->cols[c].name,
			 c == p->sort_col ? (p->sort_desc ? "\u2193" : "\u2191") : "");
		if (!text_utf8() && c == p->sort_col)
			snprintf(hdr, sizeof hdr, "%s%s", t->cols[c].name, p->sort_desc ? "v" : "^");
		int cw = cx + wd[c] > x + wdt ? x + wdt - cx : wd[c];
		draw_text(w, row, cx, cw, hdr);
		if (cx + cw < x + wdt)
			draw_text(w, row, cx + cw, 1, " ");
		cx += cw + 1;
	}
	if (cx < x + wdt)
		draw_text(w, row, cx, x + wdt - cx, "");
	wattroff(w, A_REVERSE);
	row++;
	int rows = y + h - row;
	if (rows <= 0)
		return;
	p->first_y = row;
	p->nvisible = rows;
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + rows)
		p->top = p->sel - rows + 1;
	if (p->top > 0 && p->top > t->nrows - rows)
		p->top = t->nrows - rows > 0 ? t->nrows - rows : 0;
	for (int i = 0; i < rows; i++) {
		int r = p->top + i;
		if (r >= t->nrows) {
			draw_text(w, row + i, x, wdt, "");
			continue;
		}
		int a = attr_of(t->rows[r].attr, color) | (r == p->sel ? A_REVERSE : 0);
		wattron(w, a);
		cx = x;
		for (int c = 0; c < t->ncols && cx < x + wdt; c++) {
			if (!wd[c])
				continue;
			int cw = cx + wd[c] > x + wdt ? x + wdt - cx : wd[c];
			const char *s = t->rows[r].cell[c] ? t->rows[r].cell[c] : "";
			int pad = t->cols[c].right ? cw - text_width(s) : 0;
			if (pad > 0) {
				draw_text(w, row + i, cx, pad, "");
				draw_text(w, row + i, cx + pad, cw - pad, s);
			} else {
				draw_text(w, row + i, cx, cw, s);
			}
			if (cx + cw < x + wdt)
				draw_text(w, row + i, cx + cw, 1, "");
			cx += cw + 1;
		}
		if (cx < x + wdt)
			draw_text(w, row + i, cx, x + wdt - cx, "");
		wattroff(w, a);
	}
}
