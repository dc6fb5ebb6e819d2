/*
 * elasticache_token.c - ElastiCache IAM authentication tokens: what botocore's RequestSigner
 * makes for service "elasticache" from GET http://CLUSTER/?Action=connect&User=USER, 900 s,
 * the scheme stripped (the AWS documentation's Python and Java samples). The host header is
 * the cluster id, with no port. The signing is iam_token.c's.
 */
#include "aws.h"

/* The token for 'user' on replication group (or serverless cache) 'cluster'. */
int aws_elasticache_iam_token(const struct aws_creds *c, const char *cluster, const char *user, const char *region,
			      time_t now, char *out, size_t n)
{
	return aws_presign_connect(c, cluster, "elasticache", "Action=connect&User=", user, region, now, out, n);
}
