/*
 * fuzz_mssql_batch - the SQL Server dialect's mapper (engines/mssql.c): the
 * probe, then up to three samples (the second asks for the texts the first
 * found), every result from the input (fuzz_rs.h). Input: the results.
 */
#include "../../engines/mssql.h"
#include "fuzz_rs.h"

#define MSSQL_RESULTS_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct mssql_state st;
	memset(&st, 0, sizeof st);
	struct err err = {0};
	if (mssql_probe(&st, fuzz_rs_run, &in, &err) == 0) {
		for (int k = 0; k < 3 && in.n; k++) {
			free(mssql_build_batch(&st));
			struct rs r[MSSQL_RESULTS_MAX];
			int n = fuzz_rs_batch(&in, r, 5 + st.batch_texts);
			struct db_sample out;
			memset(&out, 0, sizeof out);
			if (mssql_parse_batch(&st, r, n, &out, &err) == 0)
				fuzz_rs_check_sample(&out);
			engine_sample_release(&out);
			for (int i = 0; i < n; i++)
				rs_free(&r[i]);
		}
	}
	mssql_state_release(&st);
	return 0;
}
