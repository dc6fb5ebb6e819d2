/*
 * fuzz_credproc - what a credential_process prints (parse_process_output in
 * aws/creds.c): keys come back bounded and NUL-terminated, or the output is
 * refused without being echoed (it may hold a secret). The parser is static
 * and running a real helper costs a fork of this large process per input
 * (a hundred runs in ten seconds), so this harness includes creds.c and
 * links in place of its object (the Makefile links an archive). Input: the
 * helper's stdout, cut at PROCESS_OUTPUT_MAX as run_process cuts it.
 */
#include "../../aws/creds.c"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = fuzz_cstr(data, size < PROCESS_OUTPUT_MAX - 1 ? size : PROCESS_OUTPUT_MAX - 1);
	struct aws_creds c;
	char err[512];
	memset(&c, 0, sizeof c);
	err[0] = '\0';
	if (parse_process_output(out, &c, err, sizeof err) == 0) {
		FUZZ_ASSERT(memchr(c.akid, '\0', sizeof c.akid) && memchr(c.secret, '\0', sizeof c.secret) &&
			    memchr(c.token, '\0', sizeof c.token));
	} else {
		FUZZ_ASSERT(err[0] && memchr(err, '\0', sizeof err));
		/* JSON text of the output ('{' or '"', which no message of ours holds) is never echoed */
		FUZZ_ASSERT(size < 8 || (!memchr(data, '{', 8) && !memchr(data, '"', 8)) ||
			    !memmem(err, strlen(err), data, 8));
	}
	free(out);
	return 0;
}
