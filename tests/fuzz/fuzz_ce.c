/*
 * fuzz_ce - Cost Explorer answers (aws/ce.c): GetCostAndUsage pages (by
 * service, then daily by tag) and GetCostForecast, as JSON from the input.
 * Input: one byte (tag key or not, and the day), then the pages.
 */
#include "../../model/model.h"
#include "fuzz_aws.h"

static struct aws_client *cl;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	cl = fuzz_aws_client();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_aws_begin(data + 1, size - 1);
	static struct cloud_costs c;
	struct aws_error e;
	time_t now = 1798675200 + (time_t)(data[0] >> 1) * 86400; /* 2027-01-01 and the days after */
	if (aws_ce_fetch(cl, data[0] & 1 ? "team" : NULL, now, &c, &e) == 0) {
		FUZZ_ASSERT(c.valid && c.nservice >= 0 && c.nservice <= COST_GROUPS);
		FUZZ_ASSERT(c.ntag >= 0 && c.ntag <= COST_GROUPS && c.ndaily <= COST_DAYS);
		for (int i = 0; i < c.nservice; i++)
			FUZZ_ASSERT(memchr(c.service[i].key, '\0', sizeof c.service[i].key));
	}
	return 0;
}
