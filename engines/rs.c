/* rs.c - results as rows of text, and running a batch one statement at a time. */
#include "rs.h"

#include <stdarg.h>

int rs_alloc(struct rs *r, int nrows, int ncols)
{
	memset(r, 0, sizeof *r);
	r->nrows = nrows;
	r->ncols = ncols;
	r->cell = calloc((size_t)(nrows * ncols) + 1, sizeof *r->cell);
	r->name = calloc((size_t)ncols + 1, sizeof *r->name);
	if (!r->cell || !r->name) {
		rs_free(r);
		return -1;
	}
	return 0;
}

void rs_free(struct rs *r)
{
	free(r->cell);
	free(r->name);
	free(r->own);
	memset(r, 0, sizeof *r);
}

int rs_col(const struct rs *r, const char *a, const char *b)
{
	for (int i = 0; i < r->ncols; i++)
		if (r->name[i] && (!strcmp(r->name[i], a) || (b && !strcmp(r->name[i], b))))
			return i;
	return -1;
}

int rs_run_batch(rs_run_fn run, void *ctx, const char *batch, struct rs *out, int max, int *n)
{
	*n = 0;
	const char *p = batch;
	while (*p && *n < max) {
		const char *end = strstr(p, ";\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *one = malloc(len + 1);
		if (!one)
			return -2;
		memcpy(one, p, len);
		one[len] = '\0';
		int rc = run(ctx, one, &out[*n]);
		free(one);
		if (rc == -2)
			return -2;
		(*n)++;
		if (rc < 0) /* like a multi-statement batch: stop at the first error */
			return 0;
		p = end ? end + 2 : p + len;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	return 0;
}

int rs_appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (*len + (size_t)n + 1 > *cap) {
		size_t ncap = (*len + (size_t)n + 1) * 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(*buf + *len, *cap - *len, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
	return 0;
}

int rs_run_action(rs_run_fn run, void *ctx, const char *sql, struct rs *r, struct err *err)
{
	memset(r, 0, sizeof *r);
	if (run(ctx, sql, r) == 0)
		return 0;
	err_set(err, ERR_FAIL, "%.250s", r->error[0] ? r->error : "no answer");
	rs_free(r);
	return -1;
}

int rs_plain(const char *s, const char *allowed)
{
	return *s && strspn(s, allowed) == strlen(s);
}
