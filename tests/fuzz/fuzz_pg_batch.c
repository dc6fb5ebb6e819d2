/*
 * fuzz_pg_batch - the PostgreSQL dialect's mapper (engines/pg_batch.c), as
 * native libpq and ODBC share it: the probe, then up to three samples (the
 * plan of each depends on what the last taught it: pg_stat_statements,
 * texts wanted), every result from the input (fuzz_rs.h). Input: one byte
 * of flags (bits 0-2: health-only samples, 3-5: with the triage parts), then
 * the results.
 */
#include "../../engines/pg_private.h"
#include "fuzz_rs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_in in = {data + 1, size - 1};
	struct pg_state st;
	memset(&st, 0, sizeof st);
	struct err err = {0};
	if (pg_probe(&st, fuzz_rs_run, &in, &err) == 0) {
		for (int k = 0; k < 3 && in.n; k++) {
			st.health_only = data[0] >> k & 1;
			st.triage = data[0] >> (k + 3) & 1; /* the triage pane's parts too */
			free(pg_build_batch(&st));
			FUZZ_ASSERT(st.nparts >= 1 && st.nparts <= PG_PART_N);
			struct rs r[PG_PART_N];
			int n = fuzz_rs_batch(&in, r, st.nparts);
			struct db_sample out;
			memset(&out, 0, sizeof out);
			if (pg_parse_batch(&st, r, n, &out, &err) == 0)
				fuzz_rs_check_sample(&out);
			engine_sample_release(&out);
			for (int i = 0; i < n; i++)
				rs_free(&r[i]);
		}
	}
	pg_state_release(&st);
	return 0;
}
