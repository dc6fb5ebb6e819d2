/* table.c - rows of cells that panes build and the drawing kit shows. */
#include "pane.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 2048

void table_init(struct table *t, const struct column *cols, int ncols)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
	t->ncols = ncols;
}

void table_clear(struct table *t)
{
	for (int i = 0; i < t->nrows; i++)
		for (int c = 0; c < TABLE_MAX_COLS; c++)
			free(t->rows[i].cell[c]);
	t->nrows = 0;
}

void table_release(struct table *t)
{
	table_clear(t);
	free(t->rows);
	t->rows = NULL;
	t->cap = 0;
}

struct row *table_add(struct table *t)
{
	if (t->nrows == t->cap) {
		int ncap = t->cap ? t->cap * 2 : 32;
		struct row *nr = realloc(t->rows, (size_t)ncap * sizeof *nr);
		if (!nr)
			return NULL;
		t->rows = nr;
		t->cap = ncap;
	}
	struct row *r = &t->rows[t->nrows];
	memset(r, 0, sizeof *r);
	r->seq = t->nrows++;
	return r;
}

int row_ref_eq(const struct row_ref *a, const struct row_ref *b)
{
	return a->kind == b->kind && a->target == b->target && a->item == b->item && !strcmp(a->key, b->key);
}

struct row_ref row_ref_target(size_t t)
{
	struct row_ref r = {.kind = ROW_TARGET, .target = t};
	return r;
}

struct row_ref row_ref_aws(const char *region, const char *id)
{
	struct row_ref r = {.kind = ROW_AWS};
	snprintf(r.key, sizeof r.key, "%s/%s", region, id);
	return r;
}

void row_text(struct row *r, int col, const char *raw)
{
	free(r->cell[col]);
	r->cell[col] = text_sanitize(raw, CELL_MAX);
}

void row_setf(struct row *r, int col, double key, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	row_text(r, col, buf);
	r->key[col] = key;
}

/* 1 if 'needle' (lower case ASCII) is in 'hay', case aside. */
static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; hay && *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && (hay[i] >= 'A' && hay[i] <= 'Z' ? hay[i] + 32 : hay[i]) == needle[i])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

void table_keep_matching(struct table *t, const char *text)
{
	char needle[TABLE_SEARCH_MAX];
	size_t n = 0;
	for (; text[n] && n + 1 < sizeof needle; n++)
		needle[n] = text[n] >= 'A' && text[n] <= 'Z' ? (char)(text[n] + 32) : text[n];
	needle[n] = '\0';
	if (!n)
		return;
	int kept = 0;
	for (int i = 0; i < t->nrows; i++) {
		struct row *r = &t->rows[i];
		int hit = 0;
		for (int c = 0; c < t->ncols && !hit; c++)
			hit = contains(r->cell[c], needle);
		/* a group header stays while a row of its group does */
		for (int j = i + 1; r->ref.kind == ROW_GROUP && !hit && j < t->nrows && t->rows[j].ref.kind != ROW_GROUP; j++)
			for (int c = 0; c < t->ncols && !hit; c++)
				hit = contains(t->rows[j].cell[c], needle);
		if (hit) {
			if (kept != i)
				t->rows[kept] = *r;
			kept++;
		} else {
			for (int c = 0; c < TABLE_MAX_COLS; c++)
				free(r->cell[c]);
		}
	}
	t->nrows = kept;
}

static int sort_col, sort_desc, sort_text;

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;
	/* groups keep their order, each header above its rows */
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if ((x->ref.kind == ROW_GROUP) != (y->ref.kind == ROW_GROUP))
		return x->ref.kind == ROW_GROUP ? -1 : 1;
	if (sort_text)
		c = strcmp(x->cell[sort_col] ? x->cell[sort_col] : "",
			   y->cell[sort_col] ? y->cell[sort_col] : "");
	else
		c = x->key[sort_col] < y->key[sort_col] ? -1 : x->key[sort_col] > y->key[sort_col];
	if (c == 0) /* stable: qsort is not, so fall back to the original order */
		return x->seq < y->seq ? -1 : x->seq > y->seq;
	return sort_desc ? -c : c;
}

void table_sort(struct table *t, int col, int desc)
{
	if (col < 0 || col >= t->ncols || t->nrows < 2)
		return;
	/* numeric columns are right-aligned */
	sort_col = col;
	sort_desc = desc;
	sort_text = !t->cols[col].right;
	qsort(t->rows, (size_t)t->nrows, sizeof *t->rows, row_cmp);
}
