/*
 * sts.c - assume-role profiles: role_arn with source_profile or
 * credential_source = Environment, through STS AssumeRole (Query
 * 2011-06-15), the credentials cached until 10 minutes before they expire
 * (botocore's mandatory refresh point), so a discovery round every few
 * minutes does not call STS each time.
 */
#include "aws.h"
#include "xml.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REFRESH_BEFORE_S 600
#define MAX_CHAIN 4
#define CACHE_ROLES 16 /* several profiles at once ([aws] profiles), each its role */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[600];          /* role_arn + session name + source akid */
	struct aws_creds creds;
	time_t expires;
} cache[CACHE_ROLES]; /* guarded by cache_mu */
static unsigned cache_next; /* guarded by cache_mu: the entry a new role takes when none is free */

static struct {
	struct aws_creds creds;
	char role[128];
	char region[32];
	time_t expires;
} imds_cache; /* guarded by cache_mu */

/* The instance role's keys, from the cache while they have 10 minutes left. */
static int instance_role(struct aws_creds *c, char *role, size_t rn, char *region, size_t regn, char *err,
			 size_t errlen)
{
	pthread_mutex_lock(&cache_mu);
	if (imds_cache.expires - time(NULL) > REFRESH_BEFORE_S) {
		*c = imds_cache.creds;
		snprintf(role, rn, "%s", imds_cache.role);
		if (regn && !region[0])
			snprintf(region, regn, "%s", imds_cache.region);
		pthread_mutex_unlock(&cache_mu);
		return 0;
	}
	pthread_mutex_unlock(&cache_mu);
	time_t exp;
	char reg[32] = "";
	if (aws_imds_creds(c, role, rn, reg, sizeof reg, &exp, err, errlen) < 0)
		return -1;
	if (regn && !region[0])
		snprintf(region, regn, "%s", reg);
	pthread_mutex_lock(&cache_mu);
	imds_cache.creds = *c;
	snprintf(imds_cache.role, sizeof imds_cache.role, "%s", role);
	snprintf(imds_cache.region, sizeof imds_cache.region, "%s", reg);
	imds_cache.expires = exp;
	pthread_mutex_unlock(&cache_mu);
	return 0;
}

/* A role's cached keys while they have 10 minutes left: 0, else -1. */
static int cache_get(const char *key, struct aws_creds *out)
{
	int rc = -1;
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_ROLES && rc < 0; i++)
		if (!strcmp(cache[i].key, key) && cache[i].expires - time(NULL) > REFRESH_BEFORE_S) {
			*out = cache[i].creds;
			rc = 0;
		}
	pthread_mutex_unlock(&cache_mu);
	return rc;
}

/* Keep a role's keys: in its own entry, a free one, or (all taken) one after the other in turn. */
static void cache_put(const char *key, const struct aws_creds *c, time_t expires)
{
	pthread_mutex_lock(&cache_mu);
	int slot = -1;
	for (int i = 0; i < CACHE_ROLES && slot < 0; i++)
		if (!strcmp(cache[i].key, key) || !cache[i].key[0])
			slot = i;
	if (slot < 0)
		slot = (int)(cache_next++ % CACHE_ROLES);
	snprintf(cache[slot].key, sizeof cache[slot].key, "%s", key);
	cache[slot].creds = *c;
	cache[slot].expires = expires;
	pthread_mutex_unlock(&cache_mu);
}

static time_t parse_expiry(const char *s)
{
	struct tm tm = {0};
	return strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) ? timegm(&tm) : 0;
}

static int assume(const struct aws_creds *src, const char *profile, const char *role_arn, const char *region,
		  const atomic_int *stop, struct aws_creds *out, char *err, size_t errlen)
{
	char session[64] = "", duration[16] = "", external[256] = "", key[600];
	const char *user = getenv("USER");
	aws_profile_get(profile, "role_session_name", session, sizeof session, err, errlen);
	if (!session[0])
		snprintf(session, sizeof session, "dbfleet-%.40s", user && *user ? user : "session");
	aws_profile_get(profile, "duration_seconds", duration, sizeof duration, err, errlen);
	aws_profile_get(profile, "external_id", external, sizeof external, err, errlen);
	snprintf(key, sizeof key, "%.300s|%s|%.100s", role_arn, session, src->akid);
	if (cache_get(key, out) == 0)
		return 0;

	char *body = NULL, *resp = NULL;
	size_t blen = 0, bcap = 0, rlen = 0;
	int rc = aws_form_add(&body, &blen, &bcap, "Action", "AssumeRole") |
		 aws_form_add(&body, &blen, &bcap, "Version", "2011-06-15") |
		 aws_form_add(&body, &blen, &bcap, "RoleArn", role_arn) |
		 aws_form_add(&body, &blen, &bcap, "RoleSessionName", session);
	if (duration[0])
		rc |= aws_form_add(&body, &blen, &bcap, "DurationSeconds", duration);
	if (external[0])
		rc |= aws_form_add(&body, &blen, &bcap, "ExternalId", external);
	struct aws_client *cl = rc ? NULL : aws_client_new(src, stop);
	if (!cl) {
		free(body);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct aws_error e;
	rc = aws_post(cl, &AWS_STS, region, NULL, body, &resp, &rlen, &e);
	aws_client_free(&cl);
	free(body);
	if (rc < 0) {
		snprintf(err, errlen, "AssumeRole %.200s: %.60s: %.200s", role_arn, e.code, e.msg);
		return -1;
	}
	char xerr[160];
	struct xnode *x = xml_parse(resp, rlen, xerr, sizeof xerr);
	free(resp);
	const struct xnode *cr = xml_path(x, "AssumeRoleResult/Credentials");
	const char *akid = xml_text(cr, "AccessKeyId"), *secret = xml_text(cr, "SecretAccessKey");
	const char *token = xml_text(cr, "SessionToken");
	if (!*akid || !*secret || strlen(akid) >= sizeof out->akid || strlen(secret) >= sizeof out->secret ||
	    strlen(token) >= sizeof out->token) {
		snprintf(err, errlen, "AssumeRole %.200s: no credentials in the answer%s%s", role_arn,
			 x ? "" : ": ", x ? "" : xerr);
		xml_free(x);
		return -1;
	}
	memset(out, 0, sizeof *out);
	snprintf(out->akid, sizeof out->akid, "%s", akid);
	snprintf(out->secret, sizeof out->secret, "%s", secret);
	snprintf(out->token, sizeof out->token, "%s", token);
	time_t exp = parse_expiry(xml_text(cr, "Expiration"));
	xml_free(x);
	cache_put(key, out, exp ? exp : time(NULL) + 900);
	return 0;
}

int aws_sts_caller_account(struct aws_client *cl, const char *region, char *account, size_t n, struct aws_error *e)
{
	char *resp = NULL;
	size_t rlen = 0;
	if (aws_post(cl, &AWS_STS, region, NULL, "Action=GetCallerIdentity&Version=2011-06-15", &resp, &rlen, e) < 0)
		return -1;
	char xerr[160];
	struct xnode *x = xml_parse(resp, rlen, xerr, sizeof xerr);
	free(resp);
	const char *id = xml_text(xml_path(x, "GetCallerIdentityResult"), "Account");
	size_t len = strlen(id);
	int ok = len == 12 && strspn(id, "0123456789") == 12 && len < n;
	if (ok)
		snprintf(account, n, "%s", id);
	else {
		memset(e, 0, sizeof *e);
		e->kind = AWS_ERR_PARSE;
		snprintf(e->code, sizeof e->code, "BadResponse");
		snprintf(e->msg, sizeof e->msg, "GetCallerIdentity: no 12-digit account in the answer%s%.100s",
			 x ? "" : ": ", x ? "" : xerr);
	}
	xml_free(x);
	return ok ? 0 : -1;
}

static int chain(const char *cli_profile, const atomic_int *stop, struct aws_creds *c, char *source, size_t sn,
		 char *region, size_t rn, char *err, size_t errlen, int depth)
{
	char role[300] = "", src_profile[128] = "", cred_src[64] = "";
	const char *profile = cli_profile && *cli_profile ? cli_profile : getenv("AWS_PROFILE");
	const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
	int env_keys = ak && *ak && sk && *sk;
	/* env keys win over AWS_PROFILE (not over --profile), role or not */
	if (!profile || !*profile || (env_keys && !(cli_profile && *cli_profile)) ||
	    aws_profile_get(profile, "role_arn", role, sizeof role, err, errlen) <= 0)
		return err[0] ? -1 : aws_creds_resolve_ex(cli_profile, stop, c, source, sn, region, rn, err, errlen);
	if (depth >= MAX_CHAIN) {
		snprintf(err, errlen, "profile '%s': source_profile chain longer than %d", profile, MAX_CHAIN);
		return -1;
	}
	aws_profile_get(profile, "source_profile", src_profile, sizeof src_profile, err, errlen);
	aws_profile_get(profile, "credential_source", cred_src, sizeof cred_src, err, errlen);
	struct aws_creds src;
	char srcname[96], srcregion[32];
	int rc;
	if (src_profile[0] && strcmp(src_profile, profile))
		rc = chain(src_profile, stop, &src, srcname, sizeof srcname, srcregion, sizeof srcregion, err, errlen,
			   depth + 1);
	else if (src_profile[0]) /* a profile that is its own source: its static keys */
		rc = aws_creds_resolve_ex(src_profile, stop, &src, srcname, sizeof srcname, srcregion, sizeof srcregion,
					  err, errlen);
	else if (!strcmp(cred_src, "Ec2InstanceMetadata")) {
		char role_name[128];
		srcregion[0] = '\0';
		rc = instance_role(&src, role_name, sizeof role_name, srcregion, sizeof srcregion, err, errlen);
	} else if (!strcmp(cred_src, "Environment")) {
		rc = aws_creds_resolve(NULL, &src, srcname, sizeof srcname, srcregion, sizeof srcregion, err, errlen);
		if (rc == 0 && strcmp(srcname, "environment")) {
			snprintf(err, errlen, "profile '%s': credential_source = Environment but no keys in the environment",
				 profile);
			rc = -1;
		}
	} else {
		snprintf(err, errlen, "profile '%s': role_arn needs source_profile or credential_source = Environment"
			 "%s%s", profile, cred_src[0] ? " (not supported yet: " : "", cred_src[0] ? cred_src : "");
		if (cred_src[0])
			snprintf(err + strlen(err), errlen - strlen(err), ")");
		return -1;
	}
	if (rc < 0)
		return rc == AWS_CREDS_LOGIN ? rc : -1; /* an SSO source profile: the sign-in it needs */
	region[0] = '\0';
	const char *r = getenv("AWS_REGION");
	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	if (r && *r)
		snprintf(region, rn, "%s", r);
	else if (aws_profile_get(profile, "region", region, rn, err, errlen) <= 0)
		snprintf(region, rn, "%s", srcregion);
	if (assume(&src, profile, role, region[0] ? region : "us-east-1", stop, c, err, errlen) < 0) {
		explicit_bzero(&src, sizeof src);
		return -1;
	}
	explicit_bzero(&src, sizeof src);
	snprintf(source, sn, "profile %.40s (role %.40s)", profile, strrchr(role, '/') ? strrchr(role, '/') + 1 : role);
	return 0;
}

int aws_creds_resolve_chain(const char *cli_profile, const atomic_int *stop, struct aws_creds *c,
			    char *source, size_t sn, char *region, size_t rn, char *err, size_t errlen)
{
	err[0] = '\0';
	int rc = chain(cli_profile, stop, c, source, sn, region, rn, err, errlen, 0);
	if (rc != -2 || (cli_profile && *cli_profile))
		return rc == AWS_CREDS_LOGIN ? rc : rc < 0 ? -1 : 0;
	/* nothing in the environment or the files: the instance's role, as the SDKs do last */
	char role[128], why[200];
	if (instance_role(c, role, sizeof role, region, rn, why, sizeof why) < 0) {
		snprintf(err, errlen, "no AWS credentials in the environment or ~/.aws, and no instance role (%.150s)",
			 why);
		return -1;
	}
	snprintf(source, sn, "instance role %.60s", role);
	return 0;
}
