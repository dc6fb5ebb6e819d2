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
 * Credentials and region as the AWS CLI finds them, from the sources that
 * need no network: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN]
 * (which override AWS_PROFILE), else the profile (cli_profile, AWS_PROFILE,
 * "default") in AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE (~/.aws/...).
 * A profile given by the caller overrides env keys. Region: AWS_REGION,
 * AWS_DEFAULT_REGION, the profile's region. 'source' names where the keys
 * came from ("environment", "profile prod") for the status bar.
 * 0, or -1 with 'err' (a malformed file says FILE:LINE).
 */
int aws_creds_resolve(const char *cli_profile, struct aws_creds *c, char *source, size_t sn,
		      char *region, size_t rn, char *err, size_t errlen);

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
