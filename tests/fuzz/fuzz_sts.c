/*
 * fuzz_sts - STS AssumeRole answers (aws/sts.c) through the credential
 * chain: a role profile whose source profile has static keys, the answer
 * from the input (fuzz_aws.h). Each run has its own session name so the
 * credentials cache never answers in the parser's place. Input: the pages.
 */
#include "fuzz_aws.h"

static char cfg[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	static const uint8_t creds[] = "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n";
	setenv("AWS_SHARED_CREDENTIALS_FILE", fuzz_file(creds, sizeof creds - 1, "sts-credentials"), 1);
	snprintf(cfg, sizeof cfg, "%s", fuzz_file(creds, 0, "sts-config"));
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_REGION", "us-east-1", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	FUZZ_ASSERT(aws_global_init() == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long run;
	char text[300];
	int n = snprintf(text, sizeof text, "[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = base\n"
				       "role_session_name = fuzz-%lu\n", ++run);
	FILE *f = fopen(cfg, "w");
	FUZZ_ASSERT(f && fwrite(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	fuzz_aws_begin(data, size);
	struct aws_creds c;
	char source[96], region[32], err[512];
	err[0] = '\0';
	if (aws_creds_resolve_chain("app", NULL, &c, source, sizeof source, region, sizeof region, err, sizeof err) == 0)
		FUZZ_ASSERT(c.akid[0] && c.secret[0] && memchr(c.token, '\0', sizeof c.token) && fuzz_aws_calls == 1);
	else
		FUZZ_ASSERT(err[0] && memchr(err, '\0', sizeof err));
	return 0;
}
