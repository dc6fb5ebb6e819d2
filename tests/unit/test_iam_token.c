/*
 * Unit tests: RDS IAM authentication tokens, byte for byte against
 * botocore's generate_db_auth_token (vectors from shared/notes, botocore
 * 1.43.11, frozen clock). With arguments it prints one token, so the
 * end-to-end suite can compare it with botocore live where it is installed:
 *   test_iam_token AKID SECRET TOKEN HOST PORT USER REGION EPOCH
 */
#include <stdlib.h>

#include "../../aws/aws.h"
#include "check.h"

static const char host[] = "mydb.cluster-abc.us-east-1.rds.amazonaws.com";
static const time_t when = 1767323045; /* 2026-01-02T03:04:05Z */

static const char *sig_of(const char *tok)
{
	const char *s = strstr(tok, "&X-Amz-Signature=");
	return s ? s + 17 : "";
}

static void matches_botocore_without_session_token(void)
{
	struct aws_creds c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
	char tok[AWS_IAM_TOKEN_MAX];
	CHECK(aws_rds_iam_token(&c, host, 5432, "iam_monitor", "us-east-1", when, tok, sizeof tok) == 0);
	CHECK_STR(sig_of(tok), "7e39f056c9157418ba6276b4ca8184dcae960cacbf70da8b9a36b0b8bca1bcbc");
	static const char want[] = "mydb.cluster-abc.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=iam_monitor"
		"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1"
		"%2Frds-db%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host";
	CHECK(strncmp(tok, want, strlen(want)) == 0);
	CHECK(!strstr(tok, "Security-Token"));
}

static void matches_botocore_with_session_token(void)
{
	struct aws_creds c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FQoGZXIvYXdzEXAMPLE//+/=="};
	char tok[AWS_IAM_TOKEN_MAX];
	CHECK(aws_rds_iam_token(&c, host, 5432, "iam_monitor", "us-east-1", when, tok, sizeof tok) == 0);
	CHECK_STR(sig_of(tok), "4421e0ca153feff40c256e45b3edf17fccda0904ac941089f0ff7d37c00d7f77");
	CHECK(strstr(tok, "&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE%2F%2F%2B%2F%3D%3D&") != NULL);
}

static void refuses_what_it_cannot_sign(void)
{
	struct aws_creds none = {"", "", ""}, c = {"AKIDEXAMPLE", "secret", ""};
	char tok[AWS_IAM_TOKEN_MAX], tiny[16];
	CHECK(aws_rds_iam_token(&none, host, 5432, "u", "us-east-1", when, tok, sizeof tok) == -1);
	CHECK(aws_rds_iam_token(&c, host, 0, "u", "us-east-1", when, tok, sizeof tok) == -1);
	CHECK(aws_rds_iam_token(&c, host, 5432, "u", "us-east-1", when, tiny, sizeof tiny) == -1);
}

int main(int argc, char **argv)
{
	if (argc == 9) {
		struct aws_creds c = {0};
		snprintf(c.akid, sizeof c.akid, "%s", argv[1]);
		snprintf(c.secret, sizeof c.secret, "%s", argv[2]);
		snprintf(c.token, sizeof c.token, "%s", argv[3]);
		char tok[AWS_IAM_TOKEN_MAX];
		if (aws_rds_iam_token(&c, argv[4], atoi(argv[5]), argv[6], argv[7], (time_t)atoll(argv[8]), tok,
				      sizeof tok) < 0)
			return 1;
		puts(tok);
		return 0;
	}
	RUN(matches_botocore_without_session_token);
	RUN(matches_botocore_with_session_token);
	RUN(refuses_what_it_cannot_sign);
	return check_total_failed;
}
