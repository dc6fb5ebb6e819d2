/*
 * sso.c - IAM Identity Center (AWS SSO) role credentials, got the way botocore and the AWS
 * CLI get them (botocore tokens.py SSOTokenProvider, credentials.py SSOCredentialFetcher):
 *
 *   ~/.aws/sso/cache/SHA1(sso_session, or sso_start_url in the legacy form).json, written by
 *   `aws sso login`: {"startUrl", "region", "accessToken", "expiresAt"} and, for an
 *   sso-session, {"clientId", "clientSecret", "registrationExpiresAt", "refreshToken"}.
 *
 *   SSO OIDC CreateToken, within 15 minutes of the access token's expiry (sso-session form,
 *   refresh token present, registration not expired):
 *     POST {oidc}/token {"grantType": "refresh_token", "clientId", "clientSecret", "refreshToken"}
 *     -> {"accessToken", "expiresIn", "refreshToken"?}; written back to the same file.
 *
 *   The portal's GetRoleCredentials:
 *     GET {portal}/federation/credentials?account_id=..&role_name=..  x-amz-sso_bearer_token: ..
 *     -> {"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration" (ms)}}
 *
 * Neither call is signed; sso_http.c makes them. Everything read from the cache file and the answers is size-capped and checked before it
 * goes into a header, a body or a message.
 *
 * Threads: the cloud thread, the action worker and pool workers (IAM connects) may all ask.
 * sso_mu guards the credentials cache and the refused-token digest, and serialises a token
 * refresh and its write, so the process refreshes a token once. It is held across the
 * network calls (each at most 10 s, ended early by the caller's stop flag), as botocore
 * blocks everyone in its mandatory refresh window.
 */
#include "aws.h"
#include "sso_http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SSO_FILE_MAX 65536     /* a token cache file is about 3 KB */
#define SSO_FIELD_MAX 16384    /* one token, secret or key */
#define REFRESH_WINDOW_S 900   /* botocore SSOTokenProvider._REFRESH_WINDOW */
#define CREDS_REFRESH_BEFORE_S 600 /* botocore's mandatory refresh point, as sts.c */
#define CACHE_SLOTS 16

/* The token file, parsed: the strings point into 'doc', which keeps every other field. */
struct sso_token {
	cJSON *doc;
	const char *access, *refresh, *client_id, *client_secret; /* NULL when absent or unusable */
	time_t expires, reg_expires;                               /* 0 when absent */
};

static pthread_mutex_t sso_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[800]; /* session or start URL, account, role */
	struct aws_creds creds;
	time_t expires;
} cache[CACHE_SLOTS];                  /* guarded by sso_mu */
static unsigned char refused[20];      /* SHA-1 of the last access token the portal refused; sso_mu */
static unsigned char refused_refresh[20]; /* and of the last refresh token OIDC refused; sso_mu */

/* "2026-11-29T10:00:00Z", "...UTC", "...+01:00", ".123" fractions: 0 if it is none of them. */
static time_t parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long off = 0;
	if ((*p == '+' || *p == '-') && strlen(p) >= 5) {
		int h = 0, m = 0, n = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &m, &n) != 2 && sscanf(p + 1, "%2d%2d%n", &h, &m, &n) != 2)
			return 0;
		if (h > 23 || m > 59 || h < 0 || m < 0)
			return 0;
		off = (*p == '-' ? -1 : 1) * (h * 3600L + m * 60L);
		p += 1 + n;
	} else if (*p == 'Z') {
		p++;
	} else if (!strcmp(p, "UTC")) {
		p += 3;
	}
	if (*p)
		return 0;
	time_t t = timegm(&tm);
	return t > 0 ? t - off : 0;
}

/* A string member fit for a header or a JSON body: 1 to SSO_FIELD_MAX printable ASCII
 * characters, no space; NULL otherwise. */
static const char *field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return NULL;
	size_t i = 0;
	for (const char *p = v->valuestring; *p; p++, i++)
		if (i >= SSO_FIELD_MAX || *p <= ' ' || *p > '~')
			return NULL;
	return v->valuestring;
}

/* Zero a string that held a secret, then free it. NULL-safe. */
static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Zero every string of a tree, then free it: tokens and keys do not stay in freed memory. */
static void wipe_delete(cJSON *j)
{
	for (cJSON *i = j; i; i = i->next) {
		if (i->valuestring)
			explicit_bzero(i->valuestring, strlen(i->valuestring));
		if (i->child)
			wipe_delete(i->child), i->child = NULL;
	}
	cJSON_Delete(j);
}

/* The token file's text: 0 with 't' filled (t->doc owns it), or -1 with 'why'. */
static int token_parse(const char *text, size_t len, struct sso_token *t, char *why, size_t wn)
{
	memset(t, 0, sizeof *t);
	t->doc = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(t->doc)) {
		snprintf(why, wn, "not a JSON object");
		goto bad;
	}
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(t->doc, "expiresAt");
	t->access = field(t->doc, "accessToken");
	t->expires = cJSON_IsString(exp) ? parse_time(exp->valuestring) : 0;
	if (!t->access || !t->expires) {
		snprintf(why, wn, "%s", !t->access ? "no usable accessToken" : "no expiresAt that reads as a time");
		goto bad;
	}
	t->refresh = field(t->doc, "refreshToken");
	t->client_id = field(t->doc, "clientId");
	t->client_secret = field(t->doc, "clientSecret");
	const cJSON *reg = cJSON_GetObjectItemCaseSensitive(t->doc, "registrationExpiresAt");
	t->reg_expires = cJSON_IsString(reg) ? parse_time(reg->valuestring) : 0;
	return 0;
bad:
	wipe_delete(t->doc);
	memset(t, 0, sizeof *t);
	return -1;
}

/* GetRoleCredentials' answer: 0 with the keys and when they expire, or -1. */
static int role_creds_parse(const char *body, size_t len, struct aws_creds *c, time_t *expires)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *rc = cJSON_GetObjectItemCaseSensitive(j, "roleCredentials");
	const char *a = field(rc, "accessKeyId"), *s = field(rc, "secretAccessKey"), *t = field(rc, "sessionToken");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(rc, "expiration");
	/* milliseconds since 1970, up to the year 5000 */
	int ok = a && s && t && strlen(a) < sizeof c->akid && strlen(s) < sizeof c->secret &&
		 strlen(t) < sizeof c->token && cJSON_IsNumber(x) && x->valuedouble >= 1000 &&
		 x->valuedouble < 1e14;
	if (ok) {
		memset(c, 0, sizeof *c);
		snprintf(c->akid, sizeof c->akid, "%s", a);
		snprintf(c->secret, sizeof c->secret, "%s", s);
		snprintf(c->token, sizeof c->token, "%s", t);
		*expires = (time_t)(x->valuedouble / 1000);
	}
	wipe_delete(j);
	return ok ? 0 : -1;
}

/* CreateToken's answer: 0 with the new access token (and refresh token, NULL if none; the
 * caller frees both) and its lifetime in seconds, or -1. */
static int create_token_parse(const char *body, size_t len, char **access, char **refresh, long *expires_in)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const char *a = field(j, "accessToken"), *r = field(j, "refreshToken");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "expiresIn");
	int ok = a && cJSON_IsNumber(e) && e->valuedouble >= 1 && e->valuedouble <= 86400.0 * 366;
	*access = *refresh = NULL;
	if (ok) {
		*access = strdup(a);
		*refresh = r ? strdup(r) : NULL;
		*expires_in = (long)e->valuedouble;
		ok = *access && (!r || *refresh);
		if (!ok) {
			free(*access);
			free(*refresh);
			*access = *refresh = NULL;
		}
	}
	wipe_delete(j);
	return ok ? 0 : -1;
}

static void sha1(const char *s, unsigned char out[20])
{
	unsigned int n = 0;
	if (!EVP_Digest(s, strlen(s), out, &n, EVP_sha1(), NULL) || n != 20)
		memset(out, 0, 20);
}

/* ~/.aws/sso/cache/SHA1(session name, or start URL).json, as botocore's SSOTokenLoader names it. */
static void token_path(const struct aws_sso_config *sc, char *out, size_t n)
{
	unsigned char d[20];
	char hex[41];
	const char *home = getenv("HOME");
	sha1(sc->session[0] ? sc->session : sc->start_url, d);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	snprintf(out, n, "%s/.aws/sso/cache/%s.json", home && *home ? home : ".", hex);
}

/* Read and parse the token file: 0; -2 when there is none; -1 with 'why'. */
static int token_load(const char *path, struct sso_token *t, char *why, size_t wn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, wn, "%s", strerror(errno));
		return errno == ENOENT ? -2 : -1;
	}
	struct stat st = {0};
	char *buf = NULL;
	ssize_t got = -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SSO_FILE_MAX) {
		snprintf(why, wn, "%s", !S_ISREG(st.st_mode) ? "not a file" : "larger than 64 KB");
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		snprintf(why, wn, "out of memory");
	} else {
		size_t n = 0;
		while (n < (size_t)st.st_size && (got = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
			n += (size_t)got;
		got = got < 0 ? -1 : (ssize_t)n;
		if (got < 0)
			snprintf(why, wn, "%s", strerror(errno));
	}
	close(fd);
	int rc = got < 0 ? -1 : token_parse(buf, (size_t)got, t, why, wn);
	if (buf) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	return rc;
}

/* Write the token back as the CLI does: a temporary file in the same folder (0600), synced,
 * renamed over the old one (named by the process, as aws/ce.c names its cache's: sso_mu keeps
 * this process's writes one at a time). 0 or -1. */
static int token_save(const char *path, const cJSON *doc)
{
	char tmp[1200];
	char *text = cJSON_PrintUnformatted(doc);
	if (!text || snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp) {
		wipe_free(text);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600), rc = -1;
	if (fd >= 0) {
		size_t len = strlen(text), o = 0;
		ssize_t w = 0;
		while (o < len && (w = write(fd, text + o, len - o)) > 0)
			o += (size_t)w;
		rc = o == len && fchmod(fd, 0600) == 0 && fsync(fd) == 0 ? 0 : -1;
		if (close(fd) < 0 || rc < 0 || rename(tmp, path) < 0) {
			unlink(tmp);
			rc = -1;
		}
	}
	wipe_free(text);
	return rc;
}

/* Set a string member of the token file, replacing any. 0 or -1. */
static int set_string(cJSON *doc, const char *name, const char *value)
{
	cJSON *v = cJSON_CreateString(value), *old = cJSON_GetObjectItemCaseSensitive(doc, name);
	if (!v)
		return -1;
	if (old && old->valuestring) /* a token: not left in freed memory */
		explicit_bzero(old->valuestring, strlen(old->valuestring));
	if (old)
		return cJSON_ReplaceItemInObjectCaseSensitive(doc, name, v) ? 0 : (cJSON_Delete(v), -1);
	return cJSON_AddItemToObject(doc, name, v) ? 0 : (cJSON_Delete(v), -1);
}

/*
 * Put a new access token in the token file's document as botocore writes it: accessToken,
 * expiresAt, refreshToken (the new one, or none), startUrl, region; every other field kept.
 * 't' then points at the new strings. 0, or -1 (no memory: 't' has no access token then).
 */
static int token_update(struct sso_token *t, const struct aws_sso_config *sc, const char *access,
			const char *refresh, time_t expires)
{
	char at[32];
	struct tm tm;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&expires, &tm));
	wipe_delete(cJSON_DetachItemFromObjectCaseSensitive(t->doc, "refreshToken"));
	int set = set_string(t->doc, "accessToken", access) == 0 && set_string(t->doc, "expiresAt", at) == 0 &&
		  (!refresh || set_string(t->doc, "refreshToken", refresh) == 0) &&
		  set_string(t->doc, "startUrl", sc->start_url) == 0 && set_string(t->doc, "region", sc->region) == 0;
	/* the old strings are gone: point at what the document holds now, whatever happened */
	t->access = field(t->doc, "accessToken");
	t->refresh = field(t->doc, "refreshToken");
	t->expires = expires;
	if (!set || !t->access) {
		t->access = NULL;
		t->expires = 0;
		return -1;
	}
	return 0;
}

/* The CreateToken request body. NULL on no memory. */
static char *create_token_body(const struct sso_token *t)
{
	cJSON *b = cJSON_CreateObject();
	char *s = NULL;
	if (b && cJSON_AddStringToObject(b, "grantType", "refresh_token") &&
	    cJSON_AddStringToObject(b, "clientId", t->client_id) &&
	    cJSON_AddStringToObject(b, "clientSecret", t->client_secret) &&
	    cJSON_AddStringToObject(b, "refreshToken", t->refresh))
		s = cJSON_PrintUnformatted(b);
	wipe_delete(b);
	return s;
}

/*
 * SSO OIDC CreateToken with the refresh token; on success the token file's fields are set as
 * botocore sets them (accessToken, expiresAt, refreshToken, startUrl, region; the rest kept),
 * written back, and 't' points at the new ones. 0, or -1 with 'e'.
 */
static int refresh(const struct aws_sso_config *sc, const atomic_int *stop, const char *path, struct sso_token *t,
		   struct aws_error *e)
{
	char base[512], url[600];
	aws_endpoint(&AWS_SSO_OIDC, sc->region, base, sizeof base);
	snprintf(url, sizeof url, "%s/token", base);
	char *body = create_token_body(t), *access = NULL, *newref = NULL;
	struct sso_reply *r = malloc(sizeof *r);
	long life = 0;
	int rc = -1;
	if (!body || !r) {
		memset(e, 0, sizeof *e);
		snprintf(e->code, sizeof e->code, "NoMemory");
		goto out;
	}
	if (aws_sso_call(&AWS_SSO_OIDC, base, url, NULL, body, stop, r, e) < 0)
		goto out;
	if (create_token_parse(r->body, r->n, &access, &newref, &life) < 0) {
		e->kind = AWS_ERR_PARSE;
		snprintf(e->code, sizeof e->code, "BadAnswer");
		snprintf(e->msg, sizeof e->msg, "CreateToken answered without a usable accessToken/expiresIn");
		goto out;
	}
	if (token_update(t, sc, access, newref, time(NULL) + life) < 0) {
		snprintf(e->code, sizeof e->code, "NoMemory");
		goto out;
	}
	/* a file we cannot write only costs a refresh next time: the new token is good now */
	token_save(path, t->doc);
	rc = 0;
out:
	wipe_free(body);
	wipe_free(access);
	wipe_free(newref);
	if (r)
		explicit_bzero(r, sizeof *r);
	free(r);
	return rc;
}

/* GetRoleCredentials with 'token'. 0; AWS_CREDS_LOGIN when the portal refused the token; -1. */
static int role_credentials(const struct aws_sso_config *sc, const atomic_int *stop, const char *token,
			    struct aws_creds *c, time_t *expires, char *err, size_t errlen, const char *name,
			    const char *login)
{
	char base[512], url[1200], *hdr = NULL;
	char *acct = curl_easy_escape(NULL, sc->account, 0), *role = curl_easy_escape(NULL, sc->role, 0);
	struct sso_reply *r = malloc(sizeof *r);
	struct aws_error e;
	int rc = -1;
	aws_endpoint(&AWS_SSO, sc->region, base, sizeof base);
	if (!acct || !role || !r || asprintf(&hdr, "x-amz-sso_bearer_token: %s", token) < 0) {
		hdr = NULL;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(url, sizeof url, "%s/federation/credentials?account_id=%s&role_name=%s", base, acct, role);
	if (aws_sso_call(&AWS_SSO, base, url, hdr, NULL, stop, r, &e) < 0) {
		if (e.status == 401) { /* the token is no good: do not send it again */
			sha1(token, refused);
			snprintf(err, errlen, "the SSO portal refused the token of %s: %s (%.60s: %.100s)", name, login,
				 e.code, e.msg);
			rc = AWS_CREDS_LOGIN;
		} else {
			snprintf(err, errlen, "SSO GetRoleCredentials %.20s/%.60s: %.60s: %.150s", sc->account, sc->role,
				 e.code, e.msg);
		}
		goto out;
	}
	if (role_creds_parse(r->body, r->n, c, expires) < 0) {
		snprintf(err, errlen, "SSO GetRoleCredentials %.20s/%.60s: no credentials in the answer", sc->account,
			 sc->role);
		goto out;
	}
	rc = 0;
out:
	wipe_free(hdr);
	if (r)
		explicit_bzero(r, sizeof *r);
	free(r);
	curl_free(acct);
	curl_free(role);
	return rc;
}

/* Could botocore refresh this token: a refresh token and a client registration still valid? */
static int refreshable(const struct aws_sso_config *sc, const struct sso_token *t, time_t now)
{
	return sc->session[0] && t->refresh && t->client_id && t->client_secret && t->reg_expires > now;
}

/* The whole fetch, under sso_mu: token, refresh if due, portal. */
static int fetch(const struct aws_sso_config *sc, const atomic_int *stop, struct aws_creds *c, time_t *expires,
		 char *err, size_t errlen)
{
	char path[1100], why[160], login[200], when[32], name[160];
	struct sso_token t;
	snprintf(login, sizeof login, "run 'aws sso login --profile %.120s'", sc->profile);
	snprintf(name, sizeof name, "%s '%.100s'", sc->session[0] ? "sso-session" : "start URL",
		 sc->session[0] ? sc->session : sc->start_url);
	token_path(sc, path, sizeof path);
	int rc = token_load(path, &t, why, sizeof why);
	if (rc == -2) {
		snprintf(err, errlen, "no SSO token for %s: %s (none in %.200s)", name, login, path);
		return AWS_CREDS_LOGIN;
	}
	if (rc < 0) {
		snprintf(err, errlen, "SSO token for %s unreadable (%s): %s (%.200s)", name, why, login, path);
		return AWS_CREDS_LOGIN;
	}
	time_t now = time(NULL);
	struct tm tm;
	unsigned char d[20];
	if (t.refresh)
		sha1(t.refresh, d);
	/* a refresh token OIDC refused is not sent again (the cloud thread looks every 30 s) */
	if (t.expires - now < REFRESH_WINDOW_S && refreshable(sc, &t, now) && memcmp(d, refused_refresh, sizeof d)) {
		struct aws_error e;
		int r = refresh(sc, stop, path, &t, &e);
		int refused4xx = r < 0 && e.status >= 400 && e.status < 500; /* invalid_grant and the like */
		if (refused4xx)
			memcpy(refused_refresh, d, sizeof d);
		if (r < 0 && (!t.access || t.expires <= now)) {
			strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t.expires, &tm));
			snprintf(err, errlen, "SSO session %s expired at %s: %s (refresh: %.60s: %.120s)", name, when,
				 login, e.code, e.msg);
			rc = refused4xx || e.kind == AWS_ERR_PARSE ? AWS_CREDS_LOGIN : -1;
			goto out;
		}
	}
	if (t.expires <= now) {
		strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t.expires, &tm));
		snprintf(err, errlen, "SSO session %s expired at %s: %s", name, when, login);
		rc = AWS_CREDS_LOGIN;
		goto out;
	}
	sha1(t.access, d);
	if (!memcmp(d, refused, sizeof d)) {
		snprintf(err, errlen, "the SSO portal refused the token of %s: %s (refused before)", name, login);
		rc = AWS_CREDS_LOGIN;
		goto out;
	}
	rc = role_credentials(sc, stop, t.access, c, expires, err, errlen, name, login);
out:
	wipe_delete(t.doc);
	return rc;
}

int aws_sso_creds(const struct aws_sso_config *sc, const atomic_int *stop, struct aws_creds *c, char *err,
		  size_t errlen)
{
	char key[sizeof cache[0].key];
	snprintf(key, sizeof key, "%.128s|%.512s|%.31s|%.127s", sc->session, sc->session[0] ? "" : sc->start_url,
		 sc->account, sc->role);
	err[0] = '\0';
	pthread_mutex_lock(&sso_mu);
	time_t now = time(NULL);
	size_t slot = 0;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (!strcmp(cache[i].key, key)) {
			slot = i;
			break;
		}
		if (cache[i].expires < cache[slot].expires)
			slot = i; /* else the one that runs out first */
	}
	if (!strcmp(cache[slot].key, key) && cache[slot].expires - now > CREDS_REFRESH_BEFORE_S) {
		*c = cache[slot].creds;
		pthread_mutex_unlock(&sso_mu);
		return 0;
	}
	time_t exp = 0;
	int rc = fetch(sc, stop, c, &exp, err, errlen);
	if (rc == 0) {
		snprintf(cache[slot].key, sizeof cache[slot].key, "%s", key);
		cache[slot].creds = *c;
		cache[slot].expires = exp;
	}
	pthread_mutex_unlock(&sso_mu);
	return rc;
}
