/* rs.c - results as rows of text (read under one bound for every engine), and running a batch one statement at a time. */
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

void rs_build_init(struct rs_build *b, int ncols)
{
	memset(b, 0, sizeof *b);
	b->ncols = ncols;
}

void rs_build_free(struct rs_build *b)
{
	free(b->buf);
	free(b->off);
	memset(b, 0, sizeof *b);
}

int rs_build_rows(const struct rs_build *b)
{
	return b->ncols > 0 && b->ncells > (size_t)b->ncols ? (int)((b->ncells - 1) / (size_t)b->ncols) : 0;
}

static int over_bytes(struct rs_build *b)
{
	snprintf(b->error, sizeof b->error, "result over %zu MiB: the server ignored LIMIT; connection dropped",
		 RS_MAX_BYTES >> 20);
	return -2;
}

/* Room for 'more' bytes of text (and its NUL), within the bound; 0, -1, -2. */
static int build_room(struct rs_build *b, size_t more)
{
	if (more > RS_MAX_BYTES || b->len + more + 1 + b->offcap * sizeof *b->off > RS_MAX_BYTES)
		return over_bytes(b);
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t ncap = (b->len + more + 1) * 2 > 4096 ? (b->len + more + 1) * 2 : 4096;
	char *nb = realloc(b->buf, ncap);
	if (!nb)
		return -1;
	b->buf = nb;
	b->cap = ncap;
	return 0;
}

int rs_build_add(struct rs_build *b, const char *v, size_t len)
{
	if (b->ncols <= 0)
		return 0; /* a statement without columns has no cells */
	if (b->ncells >= (size_t)b->ncols && (b->ncells - (size_t)b->ncols) % (size_t)b->ncols == 0 &&
	    rs_build_rows(b) >= RS_MAX_ROWS) { /* a new row past the last allowed */
		snprintf(b->error, sizeof b->error, "result over %d rows: the server ignored LIMIT; connection dropped",
			 RS_MAX_ROWS);
		return -2;
	}
	if (b->ncells == b->offcap) {
		size_t ncap = b->offcap ? b->offcap * 2 : 64;
		if (b->len + ncap * sizeof *b->off > RS_MAX_BYTES)
			return over_bytes(b);
		size_t *no = realloc(b->off, ncap * sizeof *no);
		if (!no)
			return -1;
		b->off = no;
		b->offcap = ncap;
	}
	int rc = build_room(b, v ? len : 0);
	if (rc < 0)
		return rc;
	b->off[b->ncells++] = v ? b->len : RS_BUILD_NULL;
	if (v) {
		memcpy(b->buf + b->len, v, len);
		b->len += len;
		b->buf[b->len++] = '\0';
	}
	return 0;
}

int rs_build_more(struct rs_build *b, const char *v, size_t len)
{
	if (!b->ncells || b->off[b->ncells - 1] == RS_BUILD_NULL)
		return rs_build_add(b, v, len);
	int rc = build_room(b, len);
	if (rc < 0)
		return rc;
	memcpy(b->buf + b->len - 1, v, len); /* over the cell's NUL */
	b->len += len;
	b->buf[b->len - 1] = '\0';
	return 0;
}

int rs_build_end(struct rs_build *b, struct rs *out)
{
	int nrows = rs_build_rows(b);
	if (rs_alloc(out, nrows, b->ncols) < 0)
		return -1;
	size_t n = b->ncols ? (size_t)(nrows + 1) * (size_t)b->ncols : 0;
	for (size_t i = 0; i < n && i < b->ncells; i++) {
		const char *v = b->off[i] == RS_BUILD_NULL ? NULL : b->buf + b->off[i];
		if (i < (size_t)b->ncols)
			out->name[i] = v ? v : "";
		else
			out->cell[i - (size_t)b->ncols] = v;
	}
	out->own = b->buf; /* the cells point into it */
	b->buf = NULL;
	rs_build_free(b);
	return 0;
}
