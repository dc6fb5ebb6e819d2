/*
 * creds.c - AWS credentials and region the way the AWS CLI finds them, for
 * the sources that need no network: environment keys, then the shared
 * files (~/.aws/credentials, then ~/.aws/config). Env keys override
 * AWS_PROFILE; a profile named by the caller (--profile) overrides env keys.
 * Secrets are copied into the caller's struct and never printed here.
 */
#include "aws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *a, const char *b)
{
	const char *v = getenv(a);
	if ((!v || !*v) && b)
		v = getenv(b);
	return v && *v ? v : NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The file the SDKs read: $VAR, else ~/.aws/NAME. */
static void path_of(const char *var, const char *name, char *out, size_t n)
{
	const char *v = getenv(var), *home = getenv("HOME");
	if (v && *v)
		snprintf(out, n, "%s", v);
	else
		snprintf(out, n, "%s/.aws/%s", home ? home : ".", name);
}

/*
 * Read 'key' of section 'section' from an INI file into 'out' (n bytes).
 * 1 found, 0 not; -1 with 'err' when the file is malformed at a line.
 */
static int ini_get(const char *path, const char *section, const char *key, char *out, size_t n,
		   char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	int in = 0, lineno = 0, found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end) {
				snprintf(err, errlen, "%s:%d: a section header must end with ']'", path, lineno);
				fclose(f);
				return -1;
			}
			*end = '\0';
			in = !strcmp(trim(s + 1), section);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!in || !eq)
			continue;
		*eq = '\0';
		if (!strcmp(trim(s), key)) {
			snprintf(out, n, "%s", trim(eq + 1));
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* A profile's key: the credentials file's [NAME], then the config file's [profile NAME] ([default] as is). */
static int profile_get(const char *profile, const char *key, char *out, size_t n, char *err, size_t errlen)
{
	char path[1024], section[300];
	path_of("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path);
	int rc = ini_get(path, profile, key, out, n, err, errlen);
	if (rc != 0)
		return rc;
	path_of("AWS_CONFIG_FILE", "config", path, sizeof path);
	if (strcmp(profile, "default"))
		snprintf(section, sizeof section, "profile %s", profile);
	else
		snprintf(section, sizeof section, "default");
	return ini_get(path, section, key, out, n, err, errlen);
}

int aws_creds_resolve(const char *cli_profile, struct aws_creds *c, char *source, size_t sn,
		      char *region, size_t rn, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	source[0] = region[0] = err[0] = '\0';
	const char *akid = env("AWS_ACCESS_KEY_ID", NULL), *secret = env("AWS_SECRET_ACCESS_KEY", NULL);
	const char *profile = cli_profile && *cli_profile ? cli_profile
			      : env("AWS_PROFILE", "AWS_DEFAULT_PROFILE");
	/* env keys win over AWS_PROFILE, not over a profile asked for on the command line */
	if (akid && secret && !(cli_profile && *cli_profile)) {
		snprintf(c->akid, sizeof c->akid, "%s", akid);
		snprintf(c->secret, sizeof c->secret, "%s", secret);
		const char *tok = env("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN");
		snprintf(c->token, sizeof c->token, "%s", tok ? tok : "");
		snprintf(source, sn, "environment");
	} else {
		if (!profile)
			profile = "default";
		int a = profile_get(profile, "aws_access_key_id", c->akid, sizeof c->akid, err, errlen);
		int s = a < 0 ? -1 : profile_get(profile, "aws_secret_access_key", c->secret, sizeof c->secret, err, errlen);
		if (a < 0 || s < 0)
			return -1;
		if (a && s) {
			profile_get(profile, "aws_session_token", c->token, sizeof c->token, err, errlen);
			snprintf(source, sn, "profile %s", profile);
		} else if (cli_profile && *cli_profile) {
			snprintf(err, errlen, "profile '%s' has no aws_access_key_id/aws_secret_access_key", profile);
			return -1;
		}
	}
	const char *r = env("AWS_REGION", "AWS_DEFAULT_REGION");
	if (r)
		snprintf(region, rn, "%s", r);
	else
		profile_get(profile ? profile : "default", "region", region, rn, err, errlen);
	if (!c->akid[0]) {
		snprintf(err, errlen, "no AWS credentials in the environment or ~/.aws (instance roles, SSO"
			 " and credential_process are not supported yet)");
		return -1;
	}
	return 0;
}
