/*
 * mssql.h - the SQL Server dialect (RDS SQL Server 2016+), spoken over ODBC.
 * Its SQL is in mssql_sql.h; the mapping below is unit-tested with rows in
 * the shapes Microsoft documents for these DMVs. It has not yet run against
 * a live SQL Server: none can run here. Engines only.
 */
#ifndef DBFLEET_MSSQL_H
#define DBFLEET_MSSQL_H

#include "engine.h"
#include "rs.h"
#include "textcache.h"

struct mssql_state {
	int major;             /* 13 = 2016 ... 16 = 2022 */
	int can_state;         /* VIEW SERVER STATE: else DMVs show only our session */
	int self_spid;
	struct textcache texts;
	int batch_texts;
};

int mssql_probe(struct mssql_state *st, rs_run_fn run, void *ctx, struct err *err);
char *mssql_build_batch(struct mssql_state *st);
int mssql_parse_batch(struct mssql_state *st, struct rs *r, int n, struct db_sample *out, struct err *err);
void mssql_state_release(struct mssql_state *st);
/* KILL spid, checked with its login_time in the same batch; 0 or -1 with 'err'. */
int mssql_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err);
int mssql_action(const struct db_action *a, rs_run_fn run, void *ctx, char *outcome, size_t n, struct err *err);

#endif
