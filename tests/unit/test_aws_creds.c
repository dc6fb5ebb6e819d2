/* Unit tests: the AWS credential and region chain, on temporary files and env. */
#include <stdlib.h>
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
			      "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"};
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

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/dbfleet-aws-%d", (int)getpid());
	snprintf(kfile, sizeof kfile, "%s-credentials", dir);
	snprintf(cfile, sizeof cfile, "%s-config", dir);
	RUN(env_keys_win_over_aws_profile);
	RUN(cli_profile_wins_over_env_keys);
	RUN(config_file_keys_and_region_env);
	RUN(credential_process_runs_with_a_deadline);
	RUN(long_credential_process_is_run_whole);
	RUN(clear_errors);
	unlink(kfile);
	unlink(cfile);
	return check_total_failed;
}
