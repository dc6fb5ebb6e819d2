/*
 * fuzz_rs.h - a database server made of the fuzz input, for the result
 * mappers: each statement the dialect runs (probe, then sample after
 * sample) is answered by the next result of the input, results separated by
 * FUZZ_RS_SEP. A result is lines: the column names, then one line a row,
 * cells separated by tabs, "\N" for SQL NULL (rows shorter than the names
 * get NULLs); a result that starts with "!" is the statement failing with
 * the rest as the server's message. Once the input is used up the
 * connection fails (-2).
 */
#ifndef DBFLEET_FUZZ_RS_H
#define DBFLEET_FUZZ_RS_H

#include "../../collectors/derive.h"
#include "../../engines/rs.h"
#include "fuzz.h"

#define FUZZ_RS_SEP "\n--\n"
#define FUZZ_RS_MAX_ROWS 2000
#define FUZZ_RS_MAX_COLS 64

static int fuzz_rs_count(const char *s, char c)
{
	int n = 1;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The next result of the input into 'r' (which owns its text): 0, or -2 at the end. */
static inline int fuzz_rs_next(struct fuzz_in *in, struct rs *r)
{
	memset(r, 0, sizeof *r);
	char *text = fuzz_piece(in, FUZZ_RS_SEP, NULL);
	if (!text)
		return -2;
	if (text[0] == '!') {
		snprintf(r->error, sizeof r->error, "%s", text[1] ? text + 1 : "error");
		free(text);
		return -1;
	}
	char *rows = strchr(text, '\n');
	if (rows)
		*rows++ = '\0';
	int ncols = fuzz_rs_count(text, '\t'), nrows = rows ? fuzz_rs_count(rows, '\n') : 0;
	ncols = ncols < FUZZ_RS_MAX_COLS ? ncols : FUZZ_RS_MAX_COLS;
	nrows = nrows < FUZZ_RS_MAX_ROWS ? nrows : FUZZ_RS_MAX_ROWS;
	if (rs_alloc(r, nrows, ncols) < 0)
		abort();
	r->own = text;
	char *p = text;
	for (int c = 0; c < ncols; c++)
		r->name[c] = strsep(&p, "\t");
	p = rows;
	for (int i = 0; i < nrows && p; i++) {
		char *line = strsep(&p, "\n");
		for (int c = 0; c < ncols && line; c++) {
			char *cell = strsep(&line, "\t");
			r->cell[i * ncols + c] = strcmp(cell, "\\N") ? cell : NULL;
		}
	}
	return 0;
}

/* An rs_run_fn: 'ctx' is the struct fuzz_in. */
static inline int fuzz_rs_run(void *ctx, const char *sql, struct rs *out)
{
	FUZZ_ASSERT(sql && *sql);
	return fuzz_rs_next(ctx, out);
}

/* Read up to 'n' results for a batch into r[]; how many were read. */
static inline int fuzz_rs_batch(struct fuzz_in *in, struct rs *r, int n)
{
	int k = 0;
	while (k < n && fuzz_rs_next(in, &r[k]) != -2)
		k++;
	return k;
}

/* What every mapped sample must look like, whatever the server said. */
static inline void fuzz_rs_check_sample(struct db_sample *s)
{
	sample_derive(s); /* what the collector does with every sample */
	FUZZ_ASSERT((!s->nsessions || s->sessions) && (!s->nreplicas || s->replicas) && (!s->nqueries || s->queries));
	FUZZ_ASSERT(memchr(s->health.version, '\0', sizeof s->health.version));
	for (size_t i = 0; i < s->nsessions; i++)
		FUZZ_ASSERT(memchr(s->sessions[i].state, '\0', sizeof s->sessions[i].state));
	const struct db_triage *t = &s->triage;
	FUZZ_ASSERT((!t->nslots || t->slots) && (!t->nlockq || t->lockq) && (!t->nxmin || t->xmin));
	for (size_t i = 0; i < t->nlockq; i++)
		FUZZ_ASSERT(memchr(t->lockq[i].lock, '\0', sizeof t->lockq[i].lock) && t->lockq[i].nblockers <= 8);
}

#endif
