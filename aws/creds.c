/*
 * creds.c - AWS credentials and region the way the AWS CLI finds them:
 * environment keys, then the profile in the shared files (~/.aws/credentials,
 * then ~/.aws/config): IAM Identity Center (SSO) settings first (sso.c does
 * the token and the portal), then static keys, then credential_process. Env
 * keys override AWS_PROFILE; a profile named by the caller (--profile)
 * overrides env keys. Secrets are copied into the caller's struct and never
 * printed here.
 */
#include "aws.h"

#include "../model/clock.h"
#include "../model/ini.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROCESS_TIMEOUT_MS 10000
#define PROCESS_OUTPUT_MAX 16384
#define PROCESS_STDERR_MAX 4096

/* A bounded buffer that a child's output fills: 'cut' once some of it did not fit. */
struct proc_buf {
	char *p;
	size_t len, n;
	int cut;
};

static const char *env(const char *a, const char *b)
{
	const char *v = getenv(a);
	if ((!v || !*v) && b)
		v = getenv(b);
	return v && *v ? v : NULL;
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

/* What ini_get looks for, and where the answer goes. */
struct ini_want {
	const char *section, *key;
	char *out;
	size_t n;
	int in; /* inside the wanted section */
};

static int ini_want_line(void *ctx, const struct ini_line *l, struct err *e)
{
	(void)e;
	struct ini_want *w = ctx;
	if (!l->key) {
		w->in = !strcmp(l->section, w->section);
		return 0;
	}
	if (!w->in || strcmp(l->key, w->key))
		return 0;
	snprintf(w->out, w->n, "%s", l->value);
	return 1; /* the first one wins */
}

/*
 * Read 'key' of section 'section' from an INI file into 'out' (n bytes).
 * 1 found, 0 not (or no file); -1 with 'err' when the file is malformed at a line.
 */
static int ini_get(const char *path, const char *section, const char *key, char *out, size_t n,
		   char *err, size_t errlen)
{
	struct ini_want w = {.section = section, .key = key, .out = out, .n = n};
	struct err e = {0};
	int rc = ini_read(path, INI_LENIENT, ini_want_line, &w, &e);
	if (rc == -1)
		snprintf(err, errlen, "%s", e.msg);
	return rc == -2 ? 0 : rc;
}

/* A profile's key: the credentials file's [NAME], then the config file's [profile NAME] ([default] as is). */
int aws_profile_get(const char *profile, const char *key, char *out, size_t n, char *err, size_t errlen)
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

/* In the child, before exec: only async-signal-safe calls (the parent has threads). */
static void child_exec(const char *cmd, int out_fd, int err_fd)
{
	setpgid(0, 0); /* its own group, so a timeout kills whatever it started too */
	int in = open("/dev/null", O_RDONLY);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	if (close_range(3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Read stdout into 'out' and stderr into 'errb' (both bounded; the rest is drained) until both
 * close or 'deadline' passes; 0, or -1 on timeout. */
static int collect(int fds[2], struct proc_buf *bufs, double deadline)
{
	int open_n = 2;
	while (open_n > 0) {
		double left = deadline - clock_mono();
		struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
		if (left <= 0 || poll(p, 2, (int)(left * 1000) + 1) == 0)
			return -1;
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char junk[512];
			struct proc_buf *b = &bufs[i];
			size_t room = b->len - 1 - b->n;
			ssize_t r = room ? read(fds[i], b->p + b->n, room) : read(fds[i], junk, sizeof junk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(fds[i]);
				fds[i] = p[i].fd = -1;
				open_n--;
				continue;
			}
			if (room)
				b->n += (size_t)r;
			else
				b->cut = 1;
			b->p[b->n] = '\0';
		}
	}
	return 0;
}

/* Wait for 'pid' until 'deadline'; its status, or -1 on timeout. */
static int reap(pid_t pid, double deadline)
{
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return 0;
		if (clock_mono() >= deadline)
			return -1;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* Its stderr as the tail of an error: trailing blanks dropped; raw bytes, for the sanitiser to show. */
static void add_stderr(char *err, size_t errlen, const struct proc_buf *e)
{
	size_t n = e->n;
	while (n && (e->p[n - 1] == '\n' || e->p[n - 1] == '\r' || e->p[n - 1] == ' '))
		n--;
	size_t l = strlen(err);
	if (n && l + 3 < errlen)
		snprintf(err + l, errlen - l, ": %.*s%s", (int)n, e->p, e->cut ? "..." : "");
}

/*
 * Run 'cmd' (sh -c) with a deadline: stdin is /dev/null, stdout goes to 'out', stderr (at most
 * PROCESS_STDERR_MAX) into the error, no other descriptor is inherited, and on timeout its whole
 * process group is killed. It never touches the terminal. 0, or -1 with 'err'.
 */
static int run_process(const char *cmd, char *out, size_t n, char *err, size_t errlen)
{
	char errbuf[PROCESS_STDERR_MAX];
	struct proc_buf bufs[2] = {{.p = out, .len = n}, {.p = errbuf, .len = sizeof errbuf}};
	int po[2], pe[2];
	out[0] = errbuf[0] = '\0';
	if (pipe2(po, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		goto fail;
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(cmd, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		close(po[0]);
		close(pe[0]);
		goto fail;
	}
	setpgid(pid, pid); /* also here: no window in which a kill of the group misses it */
	double deadline = clock_mono() + PROCESS_TIMEOUT_MS / 1000.0;
	int fds[2] = {po[0], pe[0]};
	int rc = collect(fds, bufs, deadline);
	int status = rc < 0 ? -1 : reap(pid, deadline);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (status == -1) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "credential_process: no answer within %d s", PROCESS_TIMEOUT_MS / 1000);
		add_stderr(err, errlen, &bufs[1]);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "credential_process: exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		add_stderr(err, errlen, &bufs[1]);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "credential_process: %s", strerror(errno));
	return -1;
}

/* {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"} */
static int parse_process_output(const char *json, struct aws_creds *c, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "Version");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "SecretAccessKey");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "SessionToken");
	int ok = cJSON_IsNumber(v) && v->valueint == 1 && cJSON_IsString(a) && cJSON_IsString(s) &&
		 strlen(a->valuestring) < sizeof c->akid && strlen(s->valuestring) < sizeof c->secret &&
		 (!t || (cJSON_IsString(t) && strlen(t->valuestring) < sizeof c->token));
	if (ok) {
		snprintf(c->akid, sizeof c->akid, "%s", a->valuestring);
		snprintf(c->secret, sizeof c->secret, "%s", s->valuestring);
		snprintf(c->token, sizeof c->token, "%s", t ? t->valuestring : "");
	} else {
		/* never echo the output: it may hold a secret */
		snprintf(err, errlen, "credential_process: output is not Version 1 credentials JSON");
	}
	cJSON_Delete(j);
	return ok ? 0 : -1;
}

static int from_process(const char *profile, struct aws_creds *c, char *err, size_t errlen)
{
	char cmd[8192], out[PROCESS_OUTPUT_MAX];
	int rc = aws_profile_get(profile, "credential_process", cmd, sizeof cmd, err, errlen);
	if (rc <= 0)
		return rc;
	if (strlen(cmd) == sizeof cmd - 1) { /* cut short, it would run some other command */
		snprintf(err, errlen, "credential_process: longer than %zu characters", sizeof cmd - 2);
		return -1;
	}
	rc = run_process(cmd, out, sizeof out, err, errlen) < 0 || parse_process_output(out, c, err, errlen) < 0 ? -1 : 1;
	explicit_bzero(out, sizeof out);
	return rc;
}

/* An SSO setting of the profile, or of its [sso-session NAME] when it names one (the two must
 * agree, as botocore insists). 1 found, 0 not, -1 with 'err'. */
static int sso_get(const char *profile, const char *session, const char *key, char *out, size_t n, char *err,
		   size_t errlen)
{
	char path[1024], section[300], mine[600] = "";
	int p = aws_profile_get(profile, key, mine, sizeof mine, err, errlen);
	if (p < 0 || !session[0]) {
		if (p > 0)
			snprintf(out, n, "%s", mine);
		return p;
	}
	path_of("AWS_CONFIG_FILE", "config", path, sizeof path);
	snprintf(section, sizeof section, "sso-session %s", session);
	int s = ini_get(path, section, key, out, n, err, errlen);
	if (s > 0 && p > 0 && strcmp(mine, out)) {
		snprintf(err, errlen, "profile '%s': %s differs from its sso-session '%s'", profile, key, session);
		return -1;
	}
	if (s == 0 && p > 0)
		snprintf(out, n, "%s", mine);
	return s < 0 ? -1 : s || p;
}

/*
 * An IAM Identity Center profile (sso_account_id or sso_role_name, botocore's test): role
 * credentials through sso.c. 1 done, 0 not such a profile, -1 or AWS_CREDS_LOGIN with 'err'.
 */
static int from_sso(const char *profile, const atomic_int *stop, struct aws_creds *c, char *source, size_t sn,
		    char *err, size_t errlen)
{
	struct aws_sso_config sc = {0};
	int a = aws_profile_get(profile, "sso_account_id", sc.account, sizeof sc.account, err, errlen);
	int r = a < 0 ? -1 : aws_profile_get(profile, "sso_role_name", sc.role, sizeof sc.role, err, errlen);
	if (a < 0 || r < 0)
		return -1;
	if (!a && !r)
		return 0;
	snprintf(sc.profile, sizeof sc.profile, "%s", profile);
	if (aws_profile_get(profile, "sso_session", sc.session, sizeof sc.session, err, errlen) < 0)
		return -1;
	int u = sso_get(profile, sc.session, "sso_start_url", sc.start_url, sizeof sc.start_url, err, errlen);
	int g = u < 0 ? -1 : sso_get(profile, sc.session, "sso_region", sc.region, sizeof sc.region, err, errlen);
	if (u < 0 || g < 0)
		return -1;
	if (!sc.start_url[0] || !sc.region[0] || !sc.account[0] || !sc.role[0]) {
		snprintf(err, errlen, "profile '%s' is set up for SSO but has no %s%s%s%s", profile,
			 !sc.start_url[0] ? "sso_start_url" : !sc.region[0] ? "sso_region"
			 : !sc.account[0] ? "sso_account_id" : "sso_role_name", sc.session[0] ? " (nor has [sso-session " : "",
			 sc.session, sc.session[0] ? "])" : "");
		return -1;
	}
	int rc = aws_sso_creds(&sc, stop, c, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(source, sn, "profile %.40s (sso %.40s)", profile, sc.role);
	return 1;
}

int aws_creds_resolve(const char *cli_profile, struct aws_creds *c, char *source, size_t sn,
		      char *region, size_t rn, char *err, size_t errlen)
{
	return aws_creds_resolve_ex(cli_profile, NULL, c, source, sn, region, rn, err, errlen);
}

/*
 * The profile's own credentials, in botocore's order: SSO, static keys, credential_process.
 * 0 (with none found, 'c' stays empty: an error only when the profile was asked for by name),
 * -1 or AWS_CREDS_LOGIN with 'err'.
 */
static int from_profile(const char *profile, int asked, const atomic_int *stop, struct aws_creds *c, char *source,
			size_t sn, char *err, size_t errlen)
{
	int sso = from_sso(profile, stop, c, source, sn, err, errlen);
	if (sso != 0)
		return sso < 0 ? sso : 0;
	int a = aws_profile_get(profile, "aws_access_key_id", c->akid, sizeof c->akid, err, errlen);
	int s = a < 0 ? -1 : aws_profile_get(profile, "aws_secret_access_key", c->secret, sizeof c->secret, err, errlen);
	if (a < 0 || s < 0)
		return -1;
	if (a && s) {
		aws_profile_get(profile, "aws_session_token", c->token, sizeof c->token, err, errlen);
		snprintf(source, sn, "profile %s", profile);
		return 0;
	}
	memset(c, 0, sizeof *c); /* half a key pair is none */
	int p = from_process(profile, c, err, errlen);
	if (p < 0)
		return -1;
	if (p)
		snprintf(source, sn, "profile %s (credential_process)", profile);
	else if (asked) {
		snprintf(err, errlen, "profile '%s' has no aws_access_key_id/aws_secret_access_key", profile);
		return -1;
	}
	return 0;
}

int aws_creds_resolve_ex(const char *cli_profile, const atomic_int *stop, struct aws_creds *c, char *source,
			 size_t sn, char *region, size_t rn, char *err, size_t errlen)
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
		int rc = from_profile(profile ? profile : "default", cli_profile && *cli_profile, stop, c, source, sn,
				      err, errlen);
		if (rc < 0)
			return rc;
	}
	const char *r = env("AWS_REGION", "AWS_DEFAULT_REGION");
	if (r)
		snprintf(region, rn, "%s", r);
	else
		aws_profile_get(profile ? profile : "default", "region", region, rn, err, errlen);
	if (!c->akid[0]) {
		snprintf(err, errlen, "no AWS credentials in the environment or ~/.aws");
		return -2;
	}
	return 0;
}
