/*
 * fuzz_pi - Performance Insights answers (aws/pi.c): GetResourceMetrics,
 * DescribeDimensionKeys by digest, and for cut texts DescribeDimensionKeys
 * by statement and GetDimensionKeyDetails, as JSON from the input. Input:
 * one byte (bit 0: a fetch before with whole texts to carry over), then the
 * pages.
 */
#include "../../model/model.h"
#include "fuzz_aws.h"

static struct aws_client *cl;
static struct cloud_pi prev, out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	cl = fuzz_aws_client();
	prev.nsql = 2;
	snprintf(prev.sql[0].id, sizeof prev.sql[0].id, "A1");
	snprintf(prev.sql[0].text, sizeof prev.sql[0].text, "SELECT whole FROM before");
	prev.sql[0].full = 1;
	snprintf(prev.sql[1].id, sizeof prev.sql[1].id, "B2");
	return 0;
}

static void check_text(const char *s, size_t n)
{
	FUZZ_ASSERT(memchr(s, '\0', n) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_aws_begin(data + 1, size - 1);
	struct aws_error e;
	memset(&out, 0xa5, sizeof out); /* whatever was there before must not leak through */
	int rc = aws_pi_fetch(cl, "us-east-1", "db-FUZZ", 1798675200, 300, data[0] & 1 ? &prev : NULL, &out, &e);
	/* two requests, then at most one to find statements and four for whole texts */
	FUZZ_ASSERT(fuzz_aws_calls <= 7);
	FUZZ_ASSERT(out.nsql >= 0 && out.nsql <= PI_TOP_SQL && out.nwait >= 0 && out.nwait <= PI_WAITS);
	if (rc == 0) {
		FUZZ_ASSERT(out.fetched_at == 1798675200);
		for (int i = 0; i < out.nsql; i++) {
			check_text(out.sql[i].id, sizeof out.sql[i].id);
			check_text(out.sql[i].wait, sizeof out.sql[i].wait);
			check_text(out.sql[i].text, sizeof out.sql[i].text);
			FUZZ_ASSERT(i == 0 || out.sql[i - 1].load >= out.sql[i].load || out.sql[i].load != out.sql[i].load);
		}
		for (int i = 0; i < out.nwait; i++) {
			check_text(out.wait[i].name, sizeof out.wait[i].name);
			check_text(out.wait[i].type, sizeof out.wait[i].type);
		}
	} else {
		FUZZ_ASSERT(e.kind != AWS_OK);
		check_text(e.msg, sizeof e.msg);
	}
	return 0;
}
