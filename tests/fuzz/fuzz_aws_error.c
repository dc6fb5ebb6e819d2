/*
 * fuzz_aws_error - AWS error bodies (aws_parse_error in aws/http.c): XML,
 * JSON, an HTML page or anything. The code and message go to the status bar,
 * so both must come out as printable ASCII. Input: one byte picks the HTTP
 * status, the rest is the body.
 */
#include "../../aws/aws.h"
#include "fuzz.h"

static void printable_ascii(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	FUZZ_ASSERT(n < cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i] >= 0x20 && s[i] < 0x7F);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long status[] = {400, 403, 404, 429, 500, 502, 503, 200};
	if (size < 1)
		return 0;
	struct aws_error e;
	memset(&e, 0x55, sizeof e); /* the reader must fill both, whatever was there */
	long st = status[data[0] % 8];
	aws_parse_error(st, (const char *)data + 1, size - 1, &e);
	FUZZ_ASSERT(e.status == st);
	printable_ascii(e.code, sizeof e.code);
	printable_ascii(e.msg, sizeof e.msg);
	FUZZ_ASSERT(e.code[0]);
	aws_retryable(st, e.code);
	aws_auth_error(e.code);
	return 0;
}
