/*
 * aws.h - what dbfleet asks of AWS. So far: RDS IAM database authentication
 * tokens. No curses, no store: callers pass what they have and get text back.
 */
#ifndef DBFLEET_AWS_H
#define DBFLEET_AWS_H

#include <stddef.h>
#include <time.h>

struct aws_creds {
	char akid[128];
	char secret[128];
	char token[2048]; /* session token of temporary credentials, "" if none */
};

#define AWS_IAM_TOKEN_MAX 4096

/*
 * The password for IAM database authentication: a SigV4 presigned URL
 * ("host:port/?Action=connect&DBUser=...&X-Amz-Signature=...", no scheme)
 * for service rds-db, valid 900 s from 'now'. libcurl cannot presign, so
 * it is built here with OpenSSL. 0, or -1 if 'out' is too small or an
 * argument is empty. Never log the result: it is a credential.
 */
int aws_rds_iam_token(const struct aws_creds *c, const char *host, int port, const char *user,
		      const char *region, time_t now, char *out, size_t n);

#endif
