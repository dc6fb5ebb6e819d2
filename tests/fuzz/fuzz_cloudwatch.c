/*
 * fuzz_cloudwatch - GetMetricData answers (aws/cloudwatch.c): every page up
 * to NextToken folded into the instances the ids name. Input: one byte for
 * how many instances ask (each a metric id's target), then the pages.
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
	size_t n = data[0] % 5;
	struct cloud_instance v[4];
	memset(v, 0, sizeof v);
	for (size_t i = 0; i < n; i++) {
		snprintf(v[i].id, sizeof v[i].id, "db%zu", i);
		snprintf(v[i].region, sizeof v[i].region, "us-east-1");
		snprintf(v[i].engine, sizeof v[i].engine, "%s", i % 2 ? "aurora-postgresql" : "postgres");
		for (int m = 0; m < CW_N; m++)
			v[i].metric[m] = -1;
	}
	fuzz_aws_begin(data + 1, size - 1);
	struct aws_error e;
	aws_cw_latest(cl, "us-east-1", v, n, 1.8e9, 600, &e);
	FUZZ_ASSERT(fuzz_aws_calls <= 100 * (n ? 1 : 0) + 1);
	return 0;
}
