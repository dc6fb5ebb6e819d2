/*
 * aws.h - what dbfleet asks of AWS. So far: RDS IAM database authentication
 * tokens. No curses, no store: callers pass what they have and get text back.
 */
#ifndef DBFLEET_AWS_H
#define DBFLEET_AWS_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

struct aws_creds {
	char akid[128];
	char secret[128];
	char token[2048]; /* session token of temporary credentials, "" if none */
};

#define AWS_IAM_TOKEN_MAX 4096

/*
 * Credentials and region as the AWS CLI finds them, without assume-role:
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN] (which override
 * AWS_PROFILE), else the profile (cli_profile, AWS_PROFILE, "default") in
 * AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE (~/.aws/...): an IAM Identity
 * Center (SSO) profile (sso_account_id/sso_role_name, botocore's test) through
 * aws_sso_creds, the one source here that uses the network; else static keys;
 * else credential_process. A profile given by the caller overrides env keys.
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region. 'source' names
 * where the keys came from ("environment", "profile prod", "profile dev (sso
 * ReadOnly)") for the status bar. 'stop' (may be NULL) ends an SSO call early.
 * 0; -2 when no source had any (err says so); AWS_CREDS_LOGIN when an SSO
 * profile needs `aws sso login` ('err' names the command); -1 with 'err' (a
 * malformed file says FILE:LINE).
 */
int aws_creds_resolve_ex(const char *cli_profile, const atomic_int *stop, struct aws_creds *c, char *source,
			 size_t sn, char *region, size_t rn, char *err, size_t errlen);
#define AWS_CREDS_LOGIN (-3)
/* aws_creds_resolve_ex without a stop flag. */
int aws_creds_resolve(const char *cli_profile, struct aws_creds *c, char *source, size_t sn,
		      char *region, size_t rn, char *err, size_t errlen);

/*
 * The whole chain, as aws_creds_resolve_ex plus assume-role profiles: a
 * profile with role_arn gets its keys from STS AssumeRole, signed with its
 * source_profile's keys (or the environment's, credential_source =
 * Environment or Ec2InstanceMetadata), cached until 10 minutes before they
 * expire; and when nothing else has keys (and no profile was asked for),
 * the instance role through IMDSv2. 'stop' may be NULL. 0; AWS_CREDS_LOGIN
 * when an SSO profile (asked for, or a source_profile) needs `aws sso login`;
 * or -1 with 'err'.
 */
int aws_creds_resolve_chain(const char *cli_profile, const atomic_int *stop, struct aws_creds *c,
			    char *source, size_t sn, char *region, size_t rn, char *err, size_t errlen);
/* The 12-digit account the client's keys belong to (STS GetCallerIdentity). 0, or -1 with 'e'. */
struct aws_client;
struct aws_error;
int aws_sts_caller_account(struct aws_client *cl, const char *region, char *account, size_t n, struct aws_error *e);
/*
 * The management (payer) account of the keys' Organization (Organizations
 * DescribeOrganization, organizations.c) into 'master': 0; 1 when the
 * account is in no Organization ('master' ""); -1 with 'e'.
 */
int aws_org_master_account(struct aws_client *cl, char *master, size_t n, struct aws_error *e);
/* The same, reading a DescribeOrganization answer (JSON 1.1): 0, or -1 if it is not one. */
int aws_org_parse(const char *json, size_t len, char *master, size_t n);

/* ---- IAM Identity Center, the former AWS SSO (sso.c) ---- */

/* An SSO profile as the CLI reads it: from [sso-session NAME] or, legacy, from the profile. */
struct aws_sso_config {
	char profile[128];   /* the profile that holds sso_*: named in "aws sso login --profile" */
	char session[128];   /* sso_session, "" for the legacy form */
	char start_url[512]; /* sso_start_url */
	char region[32];     /* sso_region: where the portal and OIDC endpoints are */
	char account[32];    /* sso_account_id */
	char role[128];      /* sso_role_name */
};

/*
 * Role credentials for an SSO profile, as botocore gets them: the access token that
 * `aws sso login` left in ~/.aws/sso/cache/SHA1(session name, or start URL).json; within
 * 15 minutes of its expiry (or past it) and with a refresh token and an unexpired client
 * registration (sso-session form only), a new one from SSO OIDC CreateToken, written back to
 * the same file (write-then-rename, 0600, other fields kept); then the portal's
 * GetRoleCredentials (unsigned GET, bearer token header). The credentials are kept in memory
 * until 10 minutes before they expire; a token the portal refused is not sent again. Any
 * thread (one mutex); never opens a browser or reads the terminal; each call has a deadline
 * and 'stop' (may be NULL) ends it. 0; AWS_CREDS_LOGIN when the user must run
 * "aws sso login --profile NAME" (err says so); -1 with 'err' otherwise.
 */
int aws_sso_creds(const struct aws_sso_config *sc, const atomic_int *stop, struct aws_creds *c, char *err,
		  size_t errlen);
/*
 * Instance-role credentials by IMDSv2 (token, role, credentials; 1 s each,
 * no proxy), the role's name, the region when 'region' is empty, and when
 * they expire. 0, or -1 with 'err'. Never logs them.
 */
int aws_imds_creds(struct aws_creds *c, char *role, size_t rolen, char *region, size_t regn, time_t *expires,
		   char *err, size_t errlen);
/* A profile's key from the shared files: 1 found, 0 not, -1 malformed (err). */
int aws_profile_get(const char *profile, const char *key, char *out, size_t n, char *err, size_t errlen);

/*
 * The password for IAM database authentication: a SigV4 presigned URL
 * ("host:port/?Action=connect&DBUser=...&X-Amz-Signature=...", no scheme)
 * for service rds-db, valid 900 s from 'now'. libcurl cannot presign, so
 * it is built here with OpenSSL. 0, or -1 if 'out' is too small or an
 * argument is empty. Never log the result: it is a credential.
 */
int aws_rds_iam_token(const struct aws_creds *c, const char *host, int port, const char *user,
		      const char *region, time_t now, char *out, size_t n);

/*
 * The password for ElastiCache (Valkey/Redis OSS) IAM authentication: a SigV4 presigned GET
 * ("CLUSTER/?Action=connect&User=USER&X-Amz-...", no scheme) for service elasticache,
 * valid 900 s from 'now'. 'cluster' is the replication group (or serverless cache) id,
 * lowercase as ElastiCache keeps it. Checked against botocore's RequestSigner (tests/unit).
 * 0, or -1 as aws_rds_iam_token. Never log the result.
 */
int aws_elasticache_iam_token(const struct aws_creds *c, const char *cluster, const char *user, const char *region,
			      time_t now, char *out, size_t n);

/*
 * A SigV4 presigned GET on "/" for 'host' (the signed host header, with the port if any):
 * the query is 'action' (already encoded, "Action=connect&DBUser=" and the like) followed
 * by 'user' encoded, then the X-Amz-* parameters; 900 s. Both tokens above are this.
 */
int aws_presign_connect(const struct aws_creds *c, const char *host, const char *service, const char *action,
			const char *user, const char *region, time_t now, char *out, size_t n);

/* ---- HTTP client (http.c) ---- */

enum aws_errkind {
	AWS_OK = 0,
	AWS_ERR_NET,      /* could not reach the endpoint, or it timed out */
	AWS_ERR_AUTH,     /* signature, key, token, expiry, access denied: never retried */
	AWS_ERR_THROTTLE, /* still throttled after the retries */
	AWS_ERR_API,      /* any other error AWS answered with */
	AWS_ERR_PARSE,    /* an answer we cannot read */
	AWS_ERR_CONFIG,   /* no credentials, no region, bad endpoint */
	AWS_ERR_STOPPED,  /* the caller asked us to stop */
};

struct aws_error {
	int kind;         /* enum aws_errkind */
	long status;      /* HTTP status, 0 if none */
	char code[64];    /* "Throttling", "AccessDenied", "HTTP 500" */
	char msg[256];    /* for the status bar: printable ASCII only */
};

/* One API of AWS: how it is reached and signed. */
struct aws_service {
	const char *sign_name;   /* SigV4 service: "rds", "monitoring", "ce", "sts" */
	const char *env_id;      /* AWS_ENDPOINT_URL_<env_id>: "RDS", "CLOUDWATCH", ... */
	const char *host_prefix; /* https://<prefix>.<region>.amazonaws.com */
	const char *fixed_region;/* signs in this region whatever is asked ("us-east-1" for ce) */
};

extern const struct aws_service AWS_RDS, AWS_CLOUDWATCH, AWS_CE, AWS_STS, AWS_ORGANIZATIONS;
/* The SSO portal and SSO OIDC (endpoint.c): never signed (a bearer token, a client secret);
 * sign_name only names them on the status line. */
extern const struct aws_service AWS_SSO, AWS_SSO_OIDC;
extern const struct aws_service AWS_PI; /* pi.c */

struct aws_client;

/* Once, before any thread starts (curl_global_init). 0 or -1. */
int aws_global_init(void);
/*
 * A client for one thread: one curl handle (connections reused), the
 * credentials to sign with, retry and budget settings from the environment
 * (AWS_MAX_ATTEMPTS, default 3; AWS_CA_BUNDLE). 'stop' (may be NULL) is
 * polled while waiting so a retry back-off never holds up quitting.
 */
struct aws_client *aws_client_new(const struct aws_creds *c, const atomic_int *stop);
void aws_client_free(struct aws_client **cl);
void aws_client_set_creds(struct aws_client *cl, const struct aws_creds *c);
/* At most 'n' requests in any minute (0: no limit); a request over it waits. */
void aws_client_set_budget(struct aws_client *cl, int per_minute);
/* Requests sent so far (each attempt counts) and the time spent, for benchmarks. */
unsigned long aws_client_requests(const struct aws_client *cl);

/* The endpoint URL for 'svc' in 'region' after the SDKs' overrides. */
void aws_endpoint(const struct aws_service *svc, const char *region, char *out, size_t n);
/* Does 'url' name a loopback host (127.0.0.0/8, ::1, localhost)? Its user part is not the host. */
int aws_url_is_loopback(const char *url);
/* 0 if 'url' may carry signed requests: https, or http to loopback (emulators); else -1 and a
 * message naming the variable that set it. */
int aws_endpoint_check(const struct aws_service *svc, const char *url, char *err, size_t errlen);
/* Every endpoint that is not AWS's own, for the status line: AWS_ENDPOINT_URL's as "emulator at
 * URL" (loopback) or "endpoint URL", then each service's own: "sts: endpoint URL"; "" for AWS. */
void aws_endpoints_describe(const char *region, char *out, size_t n);

/*
 * POST 'body' to the service: Query protocol when 'json_target' is NULL
 * (form body), else JSON 1.1 with X-Amz-Target. Retries throttling, 5xx and
 * timeouts with full-jitter back-off. On success returns 0 and '*resp' (a
 * NUL-terminated body the caller frees) and its length; else -1 with 'e'.
 */
int aws_post(struct aws_client *cl, const struct aws_service *svc, const char *region,
	     const char *json_target, const char *body, char **resp, size_t *resplen,
	     struct aws_error *e);

/*
 * The same for a request that must not be sent twice (a failover): only
 * answers that prove AWS did not act (throttling, no connection) are
 * retried; after a timeout or a 5xx the caller must look before acting again.
 */
int aws_post_ex(struct aws_client *cl, const struct aws_service *svc, const char *region,
		const char *json_target, const char *body, char **resp, size_t *resplen,
		struct aws_error *e, int idempotent);

/* Read an error body (XML, JSON, HTML or nothing) into 'e' (code, msg). */
void aws_parse_error(long status, const char *body, size_t len, struct aws_error *e);
/* 1 if an error with this status/code is worth retrying. */
int aws_retryable(long status, const char *code);
/* 1 if the code means bad or missing credentials or permissions. */
int aws_auth_error(const char *code);
/* Append "&Name=value" (value RFC 3986-encoded) to a growing form body. */
int aws_form_add(char **buf, size_t *len, size_t *cap, const char *name, const char *value);

/* ---- RDS (rds.c) and CloudWatch (cloudwatch.c) ---- */
struct cloud_instance;

/*
 * Append every instance of 'region' to '*v' (n used, cap allocated), all
 * pages, with Aurora roles from DescribeDBClusters. 0 or -1 with 'e'
 * (what was appended before the error stays).
 */
int aws_rds_discover(struct aws_client *cl, const char *region, struct cloud_instance **v,
		     size_t *n, size_t *cap, struct aws_error *e);
/* Is 'h' a DNS name: dot-separated labels of 1 to 63 letters, digits and inner hyphens, 253 at
 * most? (A host from an AWS answer goes into a conninfo string: no spaces, quotes or '='.) */
int aws_host_is_dns_name(const char *h);
/* Which discovered instances to keep (the config's tags); 1 keeps. */
typedef int (*aws_rds_keep_fn)(const struct cloud_instance *ci, void *arg);
/*
 * As aws_rds_discover, keeping only what 'keep' (NULL: all) accepts, and at most 'max' in '*v'
 * in all: past it no more are read (a hostile or broken endpoint cannot fill memory).
 * 0, 1 when 'max' cut the list short, or -1 with 'e'.
 */
int aws_rds_discover_max(struct aws_client *cl, const char *region, struct cloud_instance **v, size_t *n,
			 size_t *cap, size_t max, aws_rds_keep_fn keep, void *keep_arg, struct aws_error *e);

/*
 * RDS events of the last 'minutes' in 'region' (all pages), appended to
 * '*v' (n used, cap allocated), at most 'max' in all. 0 or -1 with 'e'.
 */
struct cloud_event;
int aws_rds_events(struct aws_client *cl, const char *region, int minutes, struct cloud_event **v, size_t *n,
		   size_t *cap, size_t max, struct aws_error *e);

/*
 * Latest value of every CW_* metric for the instances of 'region' among
 * v[0..n) (others untouched), over the last 'window_s' seconds, in as few
 * GetMetricData calls as 500 queries a call allow. 0 or -1 with 'e'.
 */
int aws_cw_latest(struct aws_client *cl, const char *region, struct cloud_instance *v, size_t n,
		  double now, int window_s, struct aws_error *e);
#define AWS_CW_QUERIES_PER_CALL 500

/* ---- RDS actions (rds_actions.c) ---- */

/*
 * CreateDBSnapshot (or CreateDBClusterSnapshot when 'cluster' is set) with
 * tags saying who took it and why. Idempotent by identifier: if a retry
 * finds the snapshot already made from the same source, that is success.
 */
int aws_rds_snapshot(struct aws_client *cl, const char *region, const char *instance, const char *cluster,
		     const char *snapshot_id, const char *who, const char *reason, struct aws_error *e);
/* A snapshot's Status and PercentProgress (-1 if not given). */
int aws_rds_snapshot_status(struct aws_client *cl, const char *region, const char *snapshot_id, int cluster,
			    char *status, size_t sn, int *percent, struct aws_error *e);
/* An Aurora cluster's Status and current writer instance. */
int aws_rds_cluster_state(struct aws_client *cl, const char *region, const char *cluster, char *status,
			  size_t sn, char *writer, size_t wn, struct aws_error *e);
/* FailoverDBCluster (to 'target' if not empty). Never sent twice blindly. */
int aws_rds_failover(struct aws_client *cl, const char *region, const char *cluster, const char *target,
		     struct aws_error *e);
/* RebootDBInstance with ForceFailover (Multi-AZ). Never sent twice blindly. */
int aws_rds_reboot_failover(struct aws_client *cl, const char *region, const char *instance,
			    struct aws_error *e);
/* "arn:aws:rds:REGION:ACCT:cluster:ID" -> region, id; 0 or -1. */
int aws_arn_cluster(const char *arn, char *region, size_t rn, char *id, size_t idn);
/*
 * An Aurora global database: its Status, its writer cluster ("region/id"),
 * and the ARN of member cluster 'want_region/want_id' ("" if not a member).
 */
int aws_rds_global_state(struct aws_client *cl, const char *region, const char *global, const char *want_region,
			 const char *want_id, char *status, size_t sn, char *writer, size_t wn, char *want_arn,
			 size_t an, struct aws_error *e);
/* SwitchoverGlobalCluster to the member 'target_arn' (planned, no data loss). Never sent twice blindly. */
int aws_rds_global_switchover(struct aws_client *cl, const char *region, const char *global, const char *target_arn,
			      struct aws_error *e);
/* An instance's DBInstanceStatus. */
int aws_rds_instance_status(struct aws_client *cl, const char *region, const char *instance, char *status,
			    size_t sn, struct aws_error *e);
/* The newest DescribeEvents message about 'source' in the last hour, "" if none. */
int aws_rds_last_event(struct aws_client *cl, const char *region, const char *source, const char *source_type,
		       char *msg, size_t n, struct aws_error *e);

/* ---- Performance Insights (pi.c) ---- */
struct cloud_pi;
/*
 * One instance's db.load.avg over the 'window_s' seconds before 'now' (in
 * all, by wait event) and its top SQL digests, into 'out' (its region and id
 * are the caller's). The instance is its DbiResourceId. Whole texts of the
 * digests PI cuts come from 'prev' (the fetch before, may be NULL) or
 * GetDimensionKeyDetails. 0 or -1 with 'e'.
 */
int aws_pi_fetch(struct aws_client *cl, const char *region, const char *resource_id, time_t now, int window_s,
		 const struct cloud_pi *prev, struct cloud_pi *out, struct aws_error *e);

/* ---- Cost Explorer (ce.c) ---- */
struct cloud_costs;
/*
 * Month to date by service, the last 30 days daily (by 'tag_key' when
 * set), and the forecast for the rest of the month, as of 'now'. A missing
 * forecast is not an error (forecast_usd stays -1). 0 or -1 with 'e'.
 */
int aws_ce_fetch(struct aws_client *cl, const char *tag_key, time_t now, struct cloud_costs *c,
		 struct aws_error *e);
/*
 * A management (payer) account's month to date by LINKED_ACCOUNT into
 * c->account (keys: account ids), for the month aws_ce_fetch filled 'c'
 * with. 0 or -1 with 'e'.
 */
int aws_ce_fetch_accounts(struct aws_client *cl, struct cloud_costs *c, struct aws_error *e);
/*
 * Add one account's costs to 'sum' (valid = 0 at first): totals, groups by
 * key, daily figures, and one c->account group named 'label'. 0, or -1 on OOM.
 */
int aws_ce_add(struct cloud_costs *sum, const struct cloud_costs *one, const char *label);
/* $XDG_CACHE_HOME/dbfleet/cost-PROFILE.json (directories made); 0 or -1. */
int aws_ce_cache_path(const char *profile, char *out, size_t n);
int aws_ce_cache_save(const char *path, const struct cloud_costs *c);
/* 0 if a cache for this tag key was read (c->from_cache set), else -1. */
int aws_ce_cache_load(const char *path, const char *tag_key, struct cloud_costs *c);

#endif
