/*
 * imds.c - instance-role credentials from the EC2 instance metadata
 * service, IMDSv2 only: PUT a session token, then GET the role and its
 * credentials with it. One attempt, 1 s each, never through a proxy;
 * AWS_EC2_METADATA_DISABLED=true turns it off and
 * AWS_EC2_METADATA_SERVICE_ENDPOINT moves it (IPv6, tests).
 */
#include "aws.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define IMDS_TIMEOUT_MS 1000L
#define IMDS_MAX 8192

struct buf {
	char b[IMDS_MAX];
	size_t n;
};

static size_t on_data(char *d, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;
	if (b->n + n >= sizeof b->b)
		return 0;
	memcpy(b->b + b->n, d, n);
	b->n += n;
	b->b[b->n] = '\0';
	return n;
}

/* One request; 0 with the body in 'out', or -1 with 'err'. */
static int get(CURL *c, const char *base, const char *path, const char *token, int put, struct buf *out, char *err,
	       size_t errlen)
{
	char url[512], hdr[160];
	struct curl_slist *h = NULL;
	snprintf(url, sizeof url, "%s%s", base, path);
	if (put)
		snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	else
		snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %.120s", token);
	h = curl_slist_append(h, hdr);
	out->n = 0;
	out->b[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, IMDS_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, IMDS_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (put)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (rc != CURLE_OK || status != 200) {
		snprintf(err, errlen, "instance metadata %s: %s", path,
			 rc != CURLE_OK ? curl_easy_strerror(rc) : status == 401 ? "token refused (401)" : "HTTP error");
		return -1;
	}
	return 0;
}

int aws_imds_creds(struct aws_creds *c, char *role, size_t rolen, char *region, size_t regn, time_t *expires,
		   char *err, size_t errlen)
{
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	if (off && !strcasecmp(off, "true")) {
		snprintf(err, errlen, "instance metadata is off (AWS_EC2_METADATA_DISABLED)");
		return -1;
	}
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char b[256];
	snprintf(b, sizeof b, "%s", base && *base ? base : "http://169.254.169.254");
	size_t bl = strlen(b);
	while (bl && b[bl - 1] == '/')
		b[--bl] = '\0';
	/* Per call: the cloud thread, the action worker and pool threads making IAM connects all get here. */
	CURL *curl = curl_easy_init();
	struct buf *ob = malloc(sizeof *ob);
	char token[128] = "", path[300];
	int rc = -1;
	if (!curl || !ob) {
		snprintf(err, errlen, "out of memory");
		curl_easy_cleanup(curl);
		free(ob);
		return -1;
	}
	if (get(curl, b, "/latest/api/token", NULL, 1, ob, err, errlen) < 0)
		goto done;
	snprintf(token, sizeof token, "%.*s", (int)strcspn(ob->b, "\r\n"), ob->b);
	if (get(curl, b, "/latest/meta-data/iam/security-credentials/", token, 0, ob, err, errlen) < 0)
		goto done;
	snprintf(role, rolen, "%.*s", (int)strcspn(ob->b, "\r\n"), ob->b);
	if (!role[0] || strchr(role, '/')) {
		snprintf(err, errlen, "instance metadata: no instance role attached");
		goto done;
	}
	snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
	if (get(curl, b, path, token, 0, ob, err, errlen) < 0)
		goto done;
	cJSON *j = cJSON_Parse(ob->b);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "SecretAccessKey");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "Token");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, "Expiration");
	if (cJSON_IsString(a) && cJSON_IsString(s) && a->valuestring[0] && s->valuestring[0] && /* empty keys: unreadable */
	    strlen(a->valuestring) < sizeof c->akid &&
	    strlen(s->valuestring) < sizeof c->secret && (!cJSON_IsString(t) || strlen(t->valuestring) < sizeof c->token)) {
		memset(c, 0, sizeof *c);
		snprintf(c->akid, sizeof c->akid, "%s", a->valuestring);
		snprintf(c->secret, sizeof c->secret, "%s", s->valuestring);
		snprintf(c->token, sizeof c->token, "%s", cJSON_IsString(t) ? t->valuestring : "");
		struct tm tm = {0};
		*expires = cJSON_IsString(x) && strptime(x->valuestring, "%Y-%m-%dT%H:%M:%S", &tm) ? timegm(&tm)
											     : time(NULL) + 900;
		rc = 0;
	} else {
		snprintf(err, errlen, "instance metadata: the role's credentials are not readable");
	}
	cJSON_Delete(j);
	explicit_bzero(ob->b, sizeof ob->b);
	if (rc == 0 && regn && !region[0] && get(curl, b, "/latest/meta-data/placement/region", token, 0, ob, err,
						 errlen) == 0)
		snprintf(region, regn, "%.*s", (int)strcspn(ob->b, "\r\n"), ob->b);
	err[0] = rc == 0 ? '\0' : err[0];
done:
	explicit_bzero(ob, sizeof *ob);
	free(ob);
	explicit_bzero(token, sizeof token);
	curl_easy_cleanup(curl);
	return rc;
}
