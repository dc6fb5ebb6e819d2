/*
 * fuzz_ce_cache - the cost cache file (aws_ce_cache_load in aws/ce.c), which
 * anything with write access to $XDG_CACHE_HOME could have changed. Input:
 * the file's bytes.
 */
#include "../../aws/aws.h"
#include "../../model/model.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, "ce-cache");
	static struct cloud_costs c;
	memset(&c, 0, sizeof c);
	for (int k = 0; k < 2; k++) {
		if (aws_ce_cache_load(path, k ? "team" : NULL, &c) == 0) {
			FUZZ_ASSERT(c.valid && c.from_cache);
			FUZZ_ASSERT(c.nservice >= 0 && c.nservice <= COST_GROUPS && c.ntag >= 0 && c.ntag <= COST_GROUPS);
			FUZZ_ASSERT(c.ndaily >= 0 && c.ndaily <= COST_DAYS);
			FUZZ_ASSERT(memchr(c.unit, '\0', sizeof c.unit) && memchr(c.tag_key, '\0', sizeof c.tag_key));
		}
	}
	unlink(path);
	return 0;
}
