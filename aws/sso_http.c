/*
 * sso_http.c - the unsigned calls of IAM Identity Center: the SSO portal (a bearer token in
 * x-amz-sso_bearer_token) and SSO OIDC (a client secret in the JSON body). rest-json: the
 * path and query name the operation, errors carry their code in x-amzn-ErrorType. One curl
 * handle per call (the cloud thread, the action worker and pool workers all get here), the
 * answer capped at SSO_BODY_MAX, every header and body that held a token wiped after use.
 */
#include "sso_http.h"
#include "curl_opts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 3000L
#define REQUEST_TIMEOUT_MS 10000L
#define ATTEMPTS 3

/* aws_parse_error does the reading (and keeps to printable ASCII) on the error put in its JSON shape. */
void aws_sso_error(long status, const char *type, const char *body, size_t len, struct aws_error *e)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *n = cJSON_CreateObject();
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (!cJSON_IsString(t))
		t = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(j, "Message");
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(j, "error_description");
	const char *code = type[0] ? type : cJSON_IsString(t) ? t->valuestring : NULL;
	char *shaped = NULL;
	if (n && (code || cJSON_IsString(m)) && (!code || cJSON_AddStringToObject(n, "__type", code)) &&
	    (!cJSON_IsString(m) || cJSON_AddStringToObject(n, "message", m->valuestring)))
		shaped = cJSON_PrintUnformatted(n);
	if (shaped)
		aws_parse_error(status, shaped, strlen(shaped), e);
	else
		aws_parse_error(status, body, len, e);
	free(shaped);
	cJSON_Delete(n);
	cJSON_Delete(j);
}

static size_t on_body(char *d, size_t size, size_t nmemb, void *ud)
{
	struct sso_reply *r = ud;
	size_t n = size * nmemb;
	if (r->n + n > SSO_BODY_MAX) {
		r->toolarge = 1;
		return 0;
	}
	memcpy(r->body + r->n, d, n);
	r->n += n;
	r->body[r->n] = '\0';
	return n;
}

static size_t on_header(char *d, size_t size, size_t nmemb, void *ud)
{
	struct sso_reply *r = ud;
	size_t n = size * nmemb, k = sizeof "x-amzn-ErrorType:" - 1;
	if (n > k && !strncasecmp(d, "x-amzn-ErrorType:", k)) {
		size_t i = k, o = 0;
		while (i < n && d[i] == ' ')
			i++;
		for (; i < n && o + 1 < sizeof r->type && d[i] > ' ' && d[i] <= '~'; i++)
			r->type[o++] = d[i];
		r->type[o] = '\0';
	}
	return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct sso_reply *r = ud;
	(void)dt, (void)dn, (void)ut, (void)un;
	return r->stop && atomic_load(r->stop);
}

/* One attempt: GET (post NULL) or POST of JSON. CURLE_OK or the curl error. */
static CURLcode attempt(CURL *c, const char *url, const char *header, const char *post, struct sso_reply *r)
{
	struct curl_slist *h = NULL, *t;
	h = curl_slist_append(h, "Accept: application/json");
	if (h && post && (t = curl_slist_append(h, "Content-Type: application/json")))
		h = t;
	if (h && header && (t = curl_slist_append(h, header)))
		h = t;
	r->status = 0;
	r->n = 0;
	r->body[0] = r->type[0] = '\0';
	r->toolarge = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	aws_curl_common(c, on_progress, r);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	/* the list holds the bearer token */
	for (t = h; t; t = t->next)
		explicit_bzero(t->data, strlen(t->data));
	curl_slist_free_all(h);
	return rc;
}

/* Sleep 'ms' in short steps; -1 if stopped meanwhile. */
static int nap(const atomic_int *stop, long ms)
{
	for (; ms > 0; ms -= 50) {
		if (stop && atomic_load(stop))
			return -1;
		struct timespec ts = {0, (ms < 50 ? ms : 50) * 1000000L};
		nanosleep(&ts, NULL);
	}
	return stop && atomic_load(stop) ? -1 : 0;
}

/* One unsigned call with botocore's standard retries (see sso_http.h). */
int aws_sso_call(const struct aws_service *svc, const char *base, const char *url, const char *header,
		 const char *post, const atomic_int *stop, struct sso_reply *r, struct aws_error *e)
{
	memset(e, 0, sizeof *e);
	if (aws_endpoint_check(svc, base, e->msg, sizeof e->msg) < 0) {
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->code, sizeof e->code, "InsecureEndpoint");
		return -1;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		e->kind = AWS_ERR_NET;
		snprintf(e->code, sizeof e->code, "NoMemory");
		return -1;
	}
	r->stop = stop;
	int rc = -1;
	for (int n = 1; n <= ATTEMPTS; n++) {
		CURLcode cr = attempt(c, url, header, post, r);
		if (cr == CURLE_ABORTED_BY_CALLBACK || (stop && atomic_load(stop))) {
			e->kind = AWS_ERR_STOPPED;
			snprintf(e->code, sizeof e->code, "Stopped");
			snprintf(e->msg, sizeof e->msg, "stopped");
			break;
		}
		if (cr == CURLE_OK && r->status >= 200 && r->status < 300) {
			rc = 0;
			break;
		}
		if (cr != CURLE_OK) {
			e->kind = AWS_ERR_NET;
			e->status = 0;
			snprintf(e->code, sizeof e->code, "%s", cr == CURLE_OPERATION_TIMEDOUT ? "RequestTimeout"
				 : r->toolarge ? "ResponseTooLarge" : "NetworkError");
			snprintf(e->msg, sizeof e->msg, "%s", r->toolarge ? "answer larger than 64 KB" : curl_easy_strerror(cr));
		} else {
			aws_sso_error(r->status, r->type, r->body, r->n, e);
			e->kind = r->status == 401 || r->status == 403 ? AWS_ERR_AUTH : AWS_ERR_API;
		}
		int again = r->toolarge ? 0 : cr != CURLE_OK || r->status == 429 || r->status >= 500;
		if (!again || n == ATTEMPTS || nap(stop, 250L << n) < 0)
			break;
	}
	curl_easy_cleanup(c);
	return rc;
}
