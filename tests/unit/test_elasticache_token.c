/*
 * Unit tests: ElastiCache IAM authentication tokens, byte for byte against botocore 1.43.11's
 * RequestSigner (service elasticache, GET http://CLUSTER/?Action=connect&User=USER, 900 s,
 * the scheme stripped; tests/e2e/elasticache_token.py made these at a frozen clock). With
 * arguments it prints one token, so tests/e2e/test_redis.py compares it with botocore live:
 *   test_elasticache_token AKID SECRET TOKEN CLUSTER USER REGION EPOCH
 */
#include <stdlib.h>

#include "../../aws/aws.h"
#include "check.h"

static const time_t when = 1767323045; /* 2026-01-02T03:04:05Z */

static void matches_botocore_without_session_token(void)
{
	struct aws_creds c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
	char tok[AWS_IAM_TOKEN_MAX];
	CHECK(aws_elasticache_iam_token(&c, "my-valkey-group", "iam-collector", "us-east-1", when, tok, sizeof tok) == 0);
	CHECK_STR(tok, "my-valkey-group/?Action=connect&User=iam-collector&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		       "&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1%2Felasticache%2Faws4_request"
		       "&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
		       "&X-Amz-Signature=f78f15757f05bc22c20d4ba5a6ae5c5eefe41881f285600d290de1e7941581a1");
}

static void matches_botocore_with_session_token(void)
{
	struct aws_creds c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FQoGZXIvYXdzEXAMPLE//+/=="};
	char tok[AWS_IAM_TOKEN_MAX];
	CHECK(aws_elasticache_iam_token(&c, "my-valkey-group", "iam-collector", "us-east-1", when, tok, sizeof tok) == 0);
	/* botocore writes X-Amz-Security-Token after X-Amz-SignedHeaders in the URL but signs the
	 * sorted query, as written here: the same signature, the server reads either order */
	CHECK_STR(tok, "my-valkey-group/?Action=connect&User=iam-collector&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		       "&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1%2Felasticache%2Faws4_request"
		       "&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900"
		       "&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE%2F%2F%2B%2F%3D%3D&X-Amz-SignedHeaders=host"
		       "&X-Amz-Signature=7d3536676ff3690d22cd93efa3a4ac55915978af645485150033b2632b4b5c4b");
}

static void encodes_the_user_as_botocore_does(void)
{
	struct aws_creds c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
	char tok[AWS_IAM_TOKEN_MAX];
	CHECK(aws_elasticache_iam_token(&c, "my-valkey-group", "user name+\xc3\xa9", "eu-west-1", when, tok, sizeof tok) == 0);
	CHECK(strstr(tok, "?Action=connect&User=user%20name%2B%C3%A9&") != NULL);
	CHECK(strstr(tok, "&X-Amz-Signature=d7acd18dd23baa6194894288a7438be30d7c9908bcd2194839aa2006005b113c") != NULL);
}

static void refuses_what_it_cannot_sign(void)
{
	struct aws_creds none = {"", "", ""}, c = {"AKIDEXAMPLE", "secret", ""};
	char tok[AWS_IAM_TOKEN_MAX], tiny[16];
	CHECK(aws_elasticache_iam_token(&none, "g", "u", "us-east-1", when, tok, sizeof tok) == -1);
	CHECK(aws_elasticache_iam_token(&c, "", "u", "us-east-1", when, tok, sizeof tok) == -1);
	CHECK(aws_elasticache_iam_token(&c, "g", "", "us-east-1", when, tok, sizeof tok) == -1);
	CHECK(aws_elasticache_iam_token(&c, "g", "u", "us-east-1", when, tiny, sizeof tiny) == -1);
}

int main(int argc, char **argv)
{
	if (argc == 8) {
		struct aws_creds c = {0};
		snprintf(c.akid, sizeof c.akid, "%s", argv[1]);
		snprintf(c.secret, sizeof c.secret, "%s", argv[2]);
		snprintf(c.token, sizeof c.token, "%s", argv[3]);
		char tok[AWS_IAM_TOKEN_MAX];
		if (aws_elasticache_iam_token(&c, argv[4], argv[5], argv[6], (time_t)atoll(argv[7]), tok, sizeof tok) < 0)
			return 1;
		puts(tok);
		return 0;
	}
	RUN(matches_botocore_without_session_token);
	RUN(matches_botocore_with_session_token);
	RUN(encodes_the_user_as_botocore_does);
	RUN(refuses_what_it_cannot_sign);
	return check_total_failed;
}
