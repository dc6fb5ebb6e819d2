/*
 * Unit tests of the one bound every engine reads its results under (engines/rs.c):
 * rows and bytes are counted as cells are added, past either the result is refused
 * with a message that says why, and what was read in bounds comes out as an rs.
 */
#include "../../engines/rs.h"
#include "check.h"

/* Names, rows with NULLs and a value read in pieces come out as rows of text. */
static void cells_come_out_as_rows(void)
{
	struct rs_build b;
	struct rs r;
	rs_build_init(&b, 2);
	CHECK(rs_build_add(&b, "pid", 3) == 0 && rs_build_add(&b, "query", 5) == 0);
	CHECK(rs_build_rows(&b) == 0);
	CHECK(rs_build_add(&b, "42", 2) == 0 && rs_build_add(&b, "SELECT", 6) == 0);
	CHECK(rs_build_more(&b, " 1", 2) == 0); /* the rest of a long value */
	CHECK(rs_build_add(&b, NULL, 0) == 0 && rs_build_add(&b, "", 0) == 0);
	CHECK(rs_build_rows(&b) == 2);
	CHECK(rs_build_end(&b, &r) == 0);
	CHECK(r.nrows == 2 && r.ncols == 2);
	CHECK(!strcmp(r.name[0], "pid") && !strcmp(r.name[1], "query"));
	CHECK(!strcmp(val(&r, 0, 0), "42") && !strcmp(val(&r, 0, 1), "SELECT 1"));
	CHECK(rs_get(&r, 1, 0) == NULL && rs_get(&r, 1, 1) && !strcmp(rs_get(&r, 1, 1), ""));
	CHECK(b.buf == NULL && b.off == NULL); /* the rs owns the text now */
	rs_free(&r);
}

/* One row past RS_MAX_ROWS is refused at its first cell, with the bound named. */
static void rows_past_the_bound_are_refused(void)
{
	struct rs_build b;
	rs_build_init(&b, 1);
	CHECK(rs_build_add(&b, "n", 1) == 0);
	int rc = 0, i;
	for (i = 0; i < RS_MAX_ROWS && rc == 0; i++)
		rc = rs_build_add(&b, "1", 1);
	CHECK(rc == 0 && rs_build_rows(&b) == RS_MAX_ROWS);
	CHECK(rs_build_add(&b, "1", 1) == -2);
	CHECK(rs_build_rows(&b) == RS_MAX_ROWS);
	CHECK(!strcmp(b.error, "result over 50000 rows: the server ignored LIMIT; connection dropped"));
	rs_build_free(&b);
}

/* A few huge values pass the bytes before the rows: refused too, and one value
 * bigger than the whole bound never gets a buffer that size. */
static void bytes_past_the_bound_are_refused(void)
{
	size_t big = 1 << 20;
	char *v = malloc(big);
	CHECK(v != NULL);
	if (!v)
		return;
	memset(v, 'x', big);
	struct rs_build b;
	rs_build_init(&b, 1);
	CHECK(rs_build_add(&b, "q", 1) == 0);
	int rc = 0, n = 0;
	while (rc == 0 && n < 100)
		if ((rc = rs_build_add(&b, v, big)) == 0)
			n++;
	CHECK(rc == -2 && n == 15); /* 16 MiB with the names and offsets */
	CHECK(strstr(b.error, "result over 16 MiB") == b.error);
	CHECK(b.cap <= 2 * RS_MAX_BYTES);
	rs_build_free(&b);
	rs_build_init(&b, 1);
	CHECK(rs_build_add(&b, "q", 1) == 0 && rs_build_add(&b, "", 0) == 0);
	rc = 0;
	for (n = 0; rc == 0 && n < 100; n++)
		rc = rs_build_more(&b, v, big); /* one value in pieces, as ODBC reads it */
	CHECK(rc == -2 && n == 16);
	rs_build_free(&b);
	free(v);
}

/* A statement without columns (SET) has no cells and no rows. */
static void no_columns_no_rows(void)
{
	struct rs_build b;
	struct rs r;
	rs_build_init(&b, 0);
	CHECK(rs_build_add(&b, "x", 1) == 0 && rs_build_rows(&b) == 0);
	CHECK(rs_build_end(&b, &r) == 0 && r.nrows == 0 && r.ncols == 0);
	rs_free(&r);
}

int main(void)
{
	RUN(cells_come_out_as_rows);
	RUN(rows_past_the_bound_are_refused);
	RUN(bytes_past_the_bound_are_refused);
	RUN(no_columns_no_rows);
	return check_total_failed;
}
