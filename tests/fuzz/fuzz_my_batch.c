/*
 * fuzz_my_batch - the MySQL/MariaDB dialect's mapper (engines/my_parse.c):
 * the probe, then up to three samples, health probes and full ones, every
 * result from the input (fuzz_rs.h). Input: one byte of flags (bits 0-2:
 * which samples are health probes, 3-5: which read the triage parts), then
 * the results.
 */
#include "../../engines/my_private.h"
#include "fuzz_rs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_in in = {data + 1, size - 1};
	struct my_state st;
	memset(&st, 0, sizeof st);
	struct err err = {0};
	if (my_probe(&st, 2.0, fuzz_rs_run, &in, &err) == 0) {
		for (int k = 0; k < 3 && in.n; k++) {
			st.health = data[0] >> k & 1;
			st.triage = data[0] >> (k + 3) & 1; /* the triage pane's parts too */
			free(my_build_batch(&st));
			FUZZ_ASSERT(st.nparts >= 1 && st.nparts <= MY_BATCH_MAX);
			struct rs r[MY_BATCH_MAX];
			int n = fuzz_rs_batch(&in, r, st.nparts);
			struct db_sample out;
			memset(&out, 0, sizeof out);
			if (my_parse_batch(&st, r, n, &out, &err) == 0)
				fuzz_rs_check_sample(&out);
			engine_sample_release(&out);
			for (int i = 0; i < n; i++)
				rs_free(&r[i]);
		}
	}
	my_state_release(&st);
	return 0;
}
