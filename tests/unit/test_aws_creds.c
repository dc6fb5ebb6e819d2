/* Unit tests: the AWS credential and region chain, on temporary files and env; the parts of
 * IAM Identity Center (SSO) profiles that need no network. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../aws/aws.h"
#include "check.h"

static char dir[64], cfile[128], kfile[128];

static void files(const char *creds, const char *config)
{
	FILE *f = fopen(kfile, "w");
	fputs(creds, f);
	fclose(f);
	f = fopen(cfile, "w");
	fputs(config, f);
	fclose(f);
}

static void clear_env(void)
{
	const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
			      "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
			      "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_STS"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("AWS_SHARED_CREDENTIALS_FILE", kfile, 1);
	setenv("AWS_CONFIG_FILE", cfile, 1);
}

static struct aws_creds c;
static char src[64], region[64], err[512];

static const char creds_file[] =
	"[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secretdefault\n"
	"[prod]\naws_access_key_id=AKIDPROD\naws_secret_access_key=secretprod\naws_session_token = tokprod\n";
static const char config_file[] =
	"[default]\nregion = eu-west-1\n"
	"[profile prod]\nregion = us-east-2\n"
	"[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = secretcfg\nregion = ap-south-1\n"
	"[prod]\nregion = wrong-section\n";

static void env_keys_win_over_aws_profile(void)
{
	clear_env();
	files(creds_file, config_file);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tokenv", 1);
	setenv("AWS_PROFILE", "prod", 1);
	CHECK(aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(c.akid, "AKIDENV");
	CHECK_STR(c.token, "tokenv");
	CHECK_STR(src, "environment");
	CHECK_STR(region, "us-east-2"); /* AWS_PROFILE still names the region's profile */
}

static void cli_profile_wins_over_env_keys(void)
{
	clear_env();
	files(creds_file, config_file);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	CHECK(aws_creds_resolve("prod", &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(c.akid, "AKIDPROD");
	CHECK_STR(c.secret, "secretprod");
	CHECK_STR(c.token, "tokprod");
	CHECK_STR(src, "profile prod");
	CHECK_STR(region, "us-east-2"); /* [profile prod], not [prod], in the config file */
}

static void config_file_keys_and_region_env(void)
{
	clear_env();
	files(creds_file, config_file);
	setenv("AWS_PROFILE", "cfgonly", 1);
	setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
	CHECK(aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(c.akid, "AKIDCFG");
	CHECK_STR(region, "sa-east-1");
	setenv("AWS_REGION", "us-west-2", 1);
	CHECK(aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(region, "us-west-2");
	clear_env();
	CHECK(aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(c.akid, "AKIDDEFAULT");
	CHECK_STR(region, "eu-west-1");
}

static void credential_process_runs_with_a_deadline(void)
{
	clear_env();
	files("", "[profile vault]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\","
	      " \"SecretAccessKey\": \"secretproc\", \"SessionToken\": \"tokproc\"}'\n"
	      "[profile broken]\ncredential_process = echo 'not json, secret=hunter2'\n"
	      "[profile failing]\ncredential_process = exit 3\n");
	CHECK(aws_creds_resolve("vault", &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(c.akid, "AKIDPROC");
	CHECK_STR(c.token, "tokproc");
	CHECK_STR(src, "profile vault (credential_process)");
	CHECK(aws_creds_resolve("broken", &c, src, sizeof src, region, sizeof region, err, sizeof err) == -1);
	CHECK(strstr(err, "not Version 1") && !strstr(err, "hunter2"));
	CHECK(aws_creds_resolve("failing", &c, src, sizeof src, region, sizeof region, err, sizeof err) == -1);
	CHECK(strstr(err, "status 3") != NULL);
}

/* Longer than the 200 characters libinih keeps and the 2048 this file once kept. */
static void long_credential_process_is_run_whole(void)
{
	static char config[4096];
	char pad[3001];
	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	clear_env();
	snprintf(config, sizeof config, "[profile long]\ncredential_process = : %s; printf '{\"Version\": 1,"
		 " \"AccessKeyId\": \"AKIDLONG\", \"SecretAccessKey\": \"secretlong\"}'\n", pad);
	files("", config);
	CHECK(aws_creds_resolve("long", &c, src, sizeof src, region, sizeof region, err, sizeof err) == 0);
	CHECK_STR(c.akid, "AKIDLONG");
	CHECK_STR(src, "profile long (credential_process)");
}

static void clear_errors(void)
{
	clear_env();
	files(creds_file, config_file);
	CHECK(aws_creds_resolve("nosuch", &c, src, sizeof src, region, sizeof region, err, sizeof err) == -1);
	CHECK(strstr(err, "profile 'nosuch'") != NULL);
	files("[default\naws_access_key_id = x\n", "");
	CHECK(aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) == -1);
	CHECK(strstr(err, ":1: a section header") != NULL);
	files("", "");
	CHECK(aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) == -2);
	CHECK(strstr(err, "no AWS credentials") != NULL && !strstr(err, "secret"));
}

static char home[128];

static const char sso_config[] =
	"[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
	"region = eu-west-1\n"
	"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n"
	"[profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = us-east-1\n"
	"sso_account_id = 123456789012\nsso_role_name = Legacy\n"
	"[profile clash]\nsso_session = corp\nsso_start_url = https://other.awsapps.com/start\n"
	"sso_account_id = 1\nsso_role_name = R\n"
	"[profile noregion]\nsso_start_url = https://x.awsapps.com/start\nsso_account_id = 1\nsso_role_name = R\n"
	"[profile nosession]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = R\n"
	"[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ro\nsource_profile = dev\n";

/* Write ~/.aws/sso/cache/SHA1(key).json, as `aws sso login` names it. */
static void sso_token(const char *key, const char *json)
{
	unsigned char d[20];
	unsigned int n = 0;
	char path[300];
	int o = snprintf(path, sizeof path, "%s/.aws/sso/cache/", home);
	EVP_Digest(key, strlen(key), d, &n, EVP_sha1(), NULL);
	for (int i = 0; i < 20; i++)
		o += snprintf(path + o, sizeof path - (size_t)o, "%02x", d[i]);
	snprintf(path + o, sizeof path - (size_t)o, ".json");
	FILE *f = fopen(path, "w");
	fputs(json, f);
	fclose(f);
}

static int sso_resolve(const char *profile)
{
	err[0] = '\0';
	return aws_creds_resolve_ex(profile, NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err);
}

static void sso_without_a_token_names_the_login_command(void)
{
	clear_env();
	files("", sso_config);
	CHECK(sso_resolve("dev") == AWS_CREDS_LOGIN);
	CHECK(strstr(err, "no SSO token for sso-session 'corp': run 'aws sso login --profile dev'") != NULL);
	CHECK(sso_resolve("legacy") == AWS_CREDS_LOGIN);
	CHECK(strstr(err, "start URL 'https://legacy.awsapps.com/start': run 'aws sso login --profile legacy'"));
	/* an assume-role profile whose source is the SSO one: the sign-in names the source */
	CHECK(aws_creds_resolve_chain("ops", NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) ==
	      AWS_CREDS_LOGIN);
	CHECK(strstr(err, "run 'aws sso login --profile dev'") != NULL);
	CHECK(!c.akid[0]);
}

/* The cache file is named by SHA-1 of the session name (sso-session) or of the start URL (legacy). */
static void sso_token_cache_file_and_expiry(void)
{
	clear_env();
	files("", sso_config);
	sso_token("corp", "{\"startUrl\": \"https://corp.awsapps.com/start\", \"region\": \"eu-central-1\","
		  " \"accessToken\": \"tok\", \"expiresAt\": \"2020-01-02T03:04:05Z\"}");
	CHECK(sso_resolve("dev") == AWS_CREDS_LOGIN);
	CHECK(strstr(err, "SSO session sso-session 'corp' expired at 2020-01-02 03:04 UTC: run 'aws sso login"
		     " --profile dev'") != NULL);
	/* the legacy form is never refreshed, as botocore: expired even with a refresh token */
	sso_token("https://legacy.awsapps.com/start", "{\"accessToken\": \"tok\", \"expiresAt\": "
		  "\"2021-06-01T10:00:00UTC\", \"refreshToken\": \"r\", \"clientId\": \"c\", \"clientSecret\": \"s\","
		  " \"registrationExpiresAt\": \"2099-01-01T00:00:00Z\"}");
	CHECK(sso_resolve("legacy") == AWS_CREDS_LOGIN);
	CHECK(strstr(err, "expired at 2021-06-01 10:00 UTC") != NULL);
	/* a time with an offset is read as that instant */
	sso_token("corp", "{\"accessToken\": \"tok\", \"expiresAt\": \"2020-01-02T05:04:05.123+02:00\"}");
	CHECK(sso_resolve("dev") == AWS_CREDS_LOGIN && strstr(err, "expired at 2020-01-02 03:04 UTC"));
}

static void sso_unreadable_token_files(void)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"expiresAt\": \"2099-01-01T00:00:00Z\"}",
		"{\"accessToken\": \"\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}",
		"{\"accessToken\": \"a b\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}", /* would split a header */
		"{\"accessToken\": \"a\\r\\nX-Evil: 1\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}",
		"{\"accessToken\": \"tok\", \"expiresAt\": \"tomorrow\"}",
		"{\"accessToken\": \"tok\", \"expiresAt\": 1999999999}",
	};
	clear_env();
	files("", sso_config);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sso_token("corp", bad[i]);
		CHECK(sso_resolve("dev") == AWS_CREDS_LOGIN);
		CHECK(strstr(err, "SSO token for sso-session 'corp' unreadable (") != NULL);
		CHECK(strstr(err, "run 'aws sso login --profile dev'") != NULL);
		CHECK(!strstr(err, "X-Evil"));
	}
	/* a file past the size cap is not read */
	static char big[70000];
	memset(big, ' ', sizeof big - 1);
	big[0] = '{';
	big[sizeof big - 2] = '}';
	sso_token("corp", big);
	CHECK(sso_resolve("dev") == AWS_CREDS_LOGIN && strstr(err, "larger than 64 KB"));
}

static void sso_profile_errors(void)
{
	clear_env();
	files("", sso_config);
	CHECK(sso_resolve("clash") == -1);
	CHECK(strstr(err, "profile 'clash': sso_start_url differs from its sso-session 'corp'") != NULL);
	CHECK(sso_resolve("noregion") == -1);
	CHECK(strstr(err, "profile 'noregion' is set up for SSO but has no sso_region") != NULL);
	CHECK(sso_resolve("nosession") == -1);
	CHECK(strstr(err, "has no sso_start_url (nor has [sso-session gone])") != NULL);
}

/* The portal and OIDC endpoints follow the SDKs' names, and carry the plain-http rule. */
static void sso_endpoints(void)
{
	char url[256], d[300];
	clear_env();
	aws_endpoint(&AWS_SSO, "eu-central-1", url, sizeof url);
	CHECK_STR(url, "https://portal.sso.eu-central-1.amazonaws.com");
	aws_endpoint(&AWS_SSO_OIDC, "eu-central-1", url, sizeof url);
	CHECK_STR(url, "https://oidc.eu-central-1.amazonaws.com");
	setenv("AWS_ENDPOINT_URL_SSO", "https://sso.example.com/", 1);
	aws_endpoint(&AWS_SSO, "eu-central-1", url, sizeof url);
	CHECK_STR(url, "https://sso.example.com");
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "sso: endpoint https://sso.example.com");
	setenv("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:5000", 1);
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "sso: endpoint https://sso.example.com, sso-oidc: emulator at http://127.0.0.1:5000");
	/* a valid token goes nowhere in clear: refused before any connection */
	files("", sso_config);
	sso_token("corp", "{\"accessToken\": \"tok\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}");
	setenv("AWS_ENDPOINT_URL_SSO", "http://192.0.2.1", 1);
	CHECK(sso_resolve("dev") == -1);
	CHECK(strstr(err, "refusing plain http to 'http://192.0.2.1' (AWS_ENDPOINT_URL_SSO)") != NULL);
	clear_env();
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/dbfleet-aws-%d", (int)getpid());
	snprintf(kfile, sizeof kfile, "%s-credentials", dir);
	snprintf(cfile, sizeof cfile, "%s-config", dir);
	char cache[200];
	snprintf(home, sizeof home, "%s-home", dir);
	snprintf(cache, sizeof cache, "mkdir -p %s/.aws/sso/cache", home);
	if (system(cache) != 0)
		return 1;
	setenv("HOME", home, 1);
	RUN(env_keys_win_over_aws_profile);
	RUN(cli_profile_wins_over_env_keys);
	RUN(config_file_keys_and_region_env);
	RUN(credential_process_runs_with_a_deadline);
	RUN(long_credential_process_is_run_whole);
	RUN(clear_errors);
	RUN(sso_without_a_token_names_the_login_command);
	RUN(sso_token_cache_file_and_expiry);
	RUN(sso_unreadable_token_files);
	RUN(sso_profile_errors);
	RUN(sso_endpoints);
	unlink(kfile);
	unlink(cfile);
	snprintf(cache, sizeof cache, "rm -rf %s", home);
	if (system(cache) != 0)
		return 1;
	return check_total_failed;
}
