/*
 * iam_token.c - IAM authentication tokens (SigV4 presigned GET): RDS here, ElastiCache
 * in elasticache_token.c.
 *
 * Canonical request: GET, path "/", the sorted, percent-encoded query, the
 * one signed header "host:<host>[:<port>]", and the hash of an empty body.
 * Checked against botocore's generate_db_auth_token (tests/unit).
 */
#include "aws.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

/* RFC 3986 unreserved characters pass, everything else is %XX. */
static int uri_encode(const char *in, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~';
		if (o + (keep ? 1 : 3) >= n)
			return -1;
		if (keep) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

static void to_hex(const unsigned char *d, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, strlen(s), d);
	to_hex(d, sizeof d, out);
}

static void hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* The presigned GET both IAM tokens are. */
int aws_presign_connect(const struct aws_creds *c, const char *host, const char *service, const char *action,
			const char *user, const char *region, time_t now, char *out, size_t n)
{
	if (!c->akid[0] || !c->secret[0] || !host[0] || !user[0] || !region[0])
		return -1;
	char amzdate[17], date[9], euser[512], cred[512], scope[256], etoken[3 * sizeof c->token];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof date, "%Y%m%d", &tm);
	snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, region, service);
	char raw_cred[400];
	snprintf(raw_cred, sizeof raw_cred, "%s/%s", c->akid, scope);
	if (uri_encode(user, euser, sizeof euser) < 0 || uri_encode(raw_cred, cred, sizeof cred) < 0 ||
	    uri_encode(c->token, etoken, sizeof etoken) < 0)
		return -1;
	/* the parameters in byte order of their names; the session token is signed too */
	char query[AWS_IAM_TOKEN_MAX];
	int q = snprintf(query, sizeof query,
			 "%s%s&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s"
			 "&X-Amz-Date=%s&X-Amz-Expires=900%s%s&X-Amz-SignedHeaders=host",
			 action, euser, cred, amzdate, c->token[0] ? "&X-Amz-Security-Token=" : "", etoken);
	if (q < 0 || (size_t)q >= sizeof query)
		return -1;
	char canonical[AWS_IAM_TOKEN_MAX + 512], empty[65], creq[65];
	sha256_hex("", empty);
	snprintf(canonical, sizeof canonical, "GET\n/\n%s\nhost:%s\n\nhost\n%s", query, host, empty);
	sha256_hex(canonical, creq);
	char to_sign[512];
	snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amzdate, scope, creq);
	unsigned char k[32], k2[32];
	char secret[140];
	snprintf(secret, sizeof secret, "AWS4%s", c->secret);
	hmac((const unsigned char *)secret, strlen(secret), date, k);
	hmac(k, 32, region, k2);
	hmac(k2, 32, service, k);
	hmac(k, 32, "aws4_request", k2);
	hmac(k2, 32, to_sign, k);
	char sig[65];
	to_hex(k, 32, sig);
	int w = snprintf(out, n, "%s/?%s&X-Amz-Signature=%s", host, query, sig);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* RDS IAM database authentication: service rds-db, the host with its port. */
int aws_rds_iam_token(const struct aws_creds *c, const char *host, int port, const char *user,
		      const char *region, time_t now, char *out, size_t n)
{
	char hostport[300];
	if (port <= 0 || !host[0] || snprintf(hostport, sizeof hostport, "%s:%d", host, port) >= (int)sizeof hostport)
		return -1;
	return aws_presign_connect(c, hostport, "rds-db", "Action=connect&DBUser=", user, region, now, out, n);
}
