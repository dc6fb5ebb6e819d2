/*
 * rs.h - one statement's result as rows of text, whatever client read it
 * (libpq, the MySQL client, ODBC), so each engine's SQL is mapped to the
 * model by one piece of code however it travelled. Engines only.
 */
#ifndef DBFLEET_RS_H
#define DBFLEET_RS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"

struct rs {
	int nrows, ncols;
	const char **cell;   /* nrows * ncols, row-major; NULL is SQL NULL */
	const char **name;   /* ncols column names */
	char error[256];     /* set when the statement failed */
	void *own;           /* text this result owns (ODBC copies), freed with it */
};

/*
 * The most one statement's result may hold, whatever the engine, counted while
 * it is read: past it the server ignored the LIMIT it was sent (or a view
 * stands in for what dbfleet reads), so reading stops and the connection is
 * dropped. 50,000 rows is 25 times the largest LIMIT or TOP dbfleet sends
 * (2,000) and 5 times the largest default statement-statistics table
 * (performance_schema's 10,000 digests; pg_stat_statements keeps 5,000); the
 * bytes count the text and the cells' offsets. MySQL's max_allowed_packet is
 * set to the bytes, so a single row cannot pass them either.
 */
#define RS_MAX_ROWS 50000
#define RS_MAX_BYTES ((size_t)16 << 20)

/* A result read cell by cell (the column names first, then row after row),
 * copied into one buffer that the finished rs owns. */
struct rs_build {
	int ncols;
	size_t ncells;       /* cells added, names included */
	char *buf;           /* their text, each cell NUL-terminated */
	size_t len, cap;
	size_t *off;         /* each cell's offset in buf; RS_BUILD_NULL for SQL NULL */
	size_t offcap;
	char error[128];     /* why the result was refused (-2) */
};
#define RS_BUILD_NULL ((size_t)-1)

/* Start a result of 'ncols' columns (the builder zeroed or freed before). */
void rs_build_init(struct rs_build *b, int ncols);
/* Add the next cell, 'len' bytes of 'v' (NULL: SQL NULL): 0; -1 out of memory;
 * -2 the result is past RS_MAX_ROWS or RS_MAX_BYTES (b->error says which). */
int rs_build_add(struct rs_build *b, const char *v, size_t len);
/* Add 'len' more bytes to the cell added last (a long value read in pieces); as rs_build_add. */
int rs_build_more(struct rs_build *b, const char *v, size_t len);
/* The rows added so far (the names not counted). */
int rs_build_rows(const struct rs_build *b);
/* The cells as 'out', which then owns the text; the builder is empty after. 0 or -1 out of memory. */
int rs_build_end(struct rs_build *b, struct rs *out);
/* Let go of what the builder holds; NULL-safe, zeroes it. */
void rs_build_free(struct rs_build *b);

/* Run one statement and read all of it into 'out'. 0; -1 the statement failed
 * (out->error says why); -2 the connection failed (the caller's err says why). */
typedef int (*rs_run_fn)(void *ctx, const char *sql, struct rs *out);

/* Allocate the arrays of an nrows x ncols result; 0 or -1. */
int rs_alloc(struct rs *r, int nrows, int ncols);
void rs_free(struct rs *r);
/* Column index by name (any of two spellings), or -1. */
int rs_col(const struct rs *r, const char *a, const char *b);
/* Append printf-style text to a growing string (a batch being built); 0 or -1 on OOM. */
int rs_appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Split a batch of statements ("...;\n...;\n") and run each through 'run'. */
int rs_run_batch(rs_run_fn run, void *ctx, const char *batch, struct rs *out, int max, int *n);

/* An action's statement: 0 with its rows in 'r' (the caller frees them), or -1
 * with the server's words in 'err' (ERR_FAIL) and 'r' already freed. */
int rs_run_action(rs_run_fn run, void *ctx, const char *sql, struct rs *r, struct err *err);
/* 1 if 's' is not empty and made only of 'allowed': text shown by the server
 * that may go back between quotes (a session's start time). */
int rs_plain(const char *s, const char *allowed);

static inline const char *rs_get(const struct rs *r, int row, int col)
{
	return row < r->nrows && col < r->ncols && col >= 0 ? r->cell[row * r->ncols + col] : NULL;
}

/* Accessors: SQL NULL reads as the default. */
static inline const char *val(const struct rs *r, int row, int col)
{
	const char *v = rs_get(r, row, col);
	return v ? v : "";
}

static inline double dval(const struct rs *r, int row, int col, double dflt)
{
	const char *v = rs_get(r, row, col);
	return v ? strtod(v, NULL) : dflt;
}

static inline int64_t ival(const struct rs *r, int row, int col, int64_t dflt)
{
	const char *v = rs_get(r, row, col);
	return v ? strtoll(v, NULL, 10) : dflt;
}

/* PostgreSQL 't', ODBC '1', MySQL 'Yes'/'1' */
static inline int bval(const struct rs *r, int row, int col)
{
	const char *v = rs_get(r, row, col);
	return v && (v[0] == 't' || v[0] == '1' || v[0] == 'Y');
}

/* Bounded copy; a cut multi-byte character is the sanitiser's to show. */
static inline void copy(char *dst, size_t n, const char *src)
{
	size_t len = src ? strnlen(src, n - 1) : 0;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

#endif
