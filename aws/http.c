/*
 * http.c - the one way dbfleet talks to AWS: libcurl, signed by libcurl's
 * own SigV4 (CURLOPT_AWS_SIGV4) under the rules Debian's curl 7.88 needs
 * (notes/aws.md section 2): POST to "/" with the parameters in
 * POSTFIELDS, the full "aws:amz:REGION:SERVICE" provider, our own
 * Content-Type, the token header only when there is a token, no X-Amz-Date
 * and no header-removal entries.
 *
 * Retries follow botocore's standard mode: throttling, 5xx and timeouts, up
 * to AWS_MAX_ATTEMPTS tries with full-jitter exponential back-off; auth
 * errors are never retried. A per-minute budget spaces requests out so a
 * big fleet cannot trip the account's API rate limits.
 */
#include "aws.h"
#include "curl_opts.h"
#include "xml.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 3000L
#define REQUEST_TIMEOUT_MS 10000L
#define BACKOFF_BASE_MS 500
#define BACKOFF_MAX_MS 20000
#define RESPONSE_MAX (64u << 20) /* a describe of thousands of instances is a few MB */
#define BUDGET_WINDOW_S 60

const struct aws_service AWS_RDS = {"rds", "RDS", "rds", NULL};
const struct aws_service AWS_CLOUDWATCH = {"monitoring", "CLOUDWATCH", "monitoring", NULL};
const struct aws_service AWS_CE = {"ce", "COST_EXPLORER", "ce", "us-east-1"};
const struct aws_service AWS_STS = {"sts", "STS", "sts", NULL};

struct aws_client {
	CURL *curl;
	struct aws_creds creds;
	const atomic_int *stop;
	int max_attempts;
	int budget;                 /* requests per minute, 0 = unlimited */
	double sent_at[1024];       /* ring of send times for the budget */
	size_t sent_head, sent_len;
	unsigned long requests;
	unsigned rnd;
};

struct body {
	char *p;
	size_t len, cap;
	int toolarge;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;
	if (b->len + n + 1 > RESPONSE_MAX) {
		b->toolarge = 1;
		return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int aws_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct aws_client *aws_client_new(const struct aws_creds *c, const atomic_int *stop)
{
	struct aws_client *cl = calloc(1, sizeof *cl);
	if (!cl)
		return NULL;
	cl->curl = curl_easy_init();
	if (!cl->curl) {
		free(cl);
		return NULL;
	}
	if (c)
		cl->creds = *c;
	cl->stop = stop;
	const char *v = getenv("AWS_MAX_ATTEMPTS");
	cl->max_attempts = v && atoi(v) > 0 ? atoi(v) : 3;
	if (cl->max_attempts > 10)
		cl->max_attempts = 10;
	cl->rnd = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)cl;
	return cl;
}

void aws_client_free(struct aws_client **p)
{
	if (!p || !*p)
		return;
	curl_easy_cleanup((*p)->curl);
	explicit_bzero(&(*p)->creds, sizeof (*p)->creds);
	free(*p);
	*p = NULL;
}

void aws_client_set_creds(struct aws_client *cl, const struct aws_creds *c)
{
	cl->creds = *c;
}

void aws_client_set_budget(struct aws_client *cl, int per_minute)
{
	int max = (int)(sizeof cl->sent_at / sizeof cl->sent_at[0]);
	cl->budget = per_minute < 0 ? 0 : per_minute > max ? max : per_minute;
	cl->sent_len = 0;
}

unsigned long aws_client_requests(const struct aws_client *cl)
{
	return cl->requests;
}

/* Sleep in short steps so a stop request is seen; -1 if stopped. */
static int nap_ms(struct aws_client *cl, long ms)
{
	while (ms > 0) {
		if (cl->stop && atomic_load(cl->stop))
			return -1;
		long step = ms < 50 ? ms : 50;
		struct timespec ts = {0, step * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return cl->stop && atomic_load(cl->stop) ? -1 : 0;
}

/* Wait until one more request fits the per-minute budget. */
static int budget_wait(struct aws_client *cl)
{
	if (!cl->budget)
		return 0;
	size_t cap = sizeof cl->sent_at / sizeof cl->sent_at[0];
	for (;;) {
		double now = now_s();
		while (cl->sent_len && now - cl->sent_at[cl->sent_head] >= BUDGET_WINDOW_S) {
			cl->sent_head = (cl->sent_head + 1) % cap;
			cl->sent_len--;
		}
		if (cl->sent_len < (size_t)cl->budget) {
			cl->sent_at[(cl->sent_head + cl->sent_len) % cap] = now;
			cl->sent_len++;
			return 0;
		}
		double wait = BUDGET_WINDOW_S - (now - cl->sent_at[cl->sent_head]);
		if (nap_ms(cl, (long)(wait * 1000) + 1) < 0)
			return -1;
	}
}

int aws_retryable(long status, const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
		"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
	};
	if (aws_auth_error(code))
		return 0;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return status == 500 || status == 502 || status == 503 || status == 504;
}

int aws_auth_error(const char *code)
{
	static const char *const codes[] = {
		"SignatureDoesNotMatch", "InvalidClientTokenId", "UnrecognizedClientException",
		"ExpiredToken", "ExpiredTokenException", "RequestExpired", "AccessDenied",
		"AccessDeniedException", "IncompleteSignature", "MissingAuthenticationToken",
		"InvalidSignatureException", "AuthFailure",
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

/* Copy at most n-1 bytes of printable ASCII, spaces collapsed. */
static void printable(char *out, size_t n, const char *s, size_t len)
{
	size_t o = 0;
	int space = 1;
	for (size_t i = 0; i < len && s[i] && o + 1 < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isspace(ch) || ch < 0x20 || ch > 0x7e) {
			if (!space)
				out[o++] = ' ';
			space = 1;
			continue;
		}
		out[o++] = (char)ch;
		space = 0;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

void aws_parse_error(long status, const char *body, size_t len, struct aws_error *e)
{
	char xerr[128];
	e->status = status;
	e->code[0] = e->msg[0] = '\0';
	while (len && isspace((unsigned char)*body))
		body++, len--;
	if (len && *body == '<') {
		struct xnode *x = xml_parse(body, len, xerr, sizeof xerr);
		if (x && strcasecmp(x->name, "html")) {
			struct xnode *c = xml_find(x, "Code"), *m = xml_find(x, "Message");
			if (c)
				printable(e->code, sizeof e->code, c->text, c->textlen);
			if (m)
				printable(e->msg, sizeof e->msg, m->text, m->textlen);
		}
		xml_free(x);
	} else if (len && *body == '{') {
		cJSON *j = cJSON_ParseWithLength(body, len);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(m))
			m = cJSON_GetObjectItemCaseSensitive(j, "Message");
		if (cJSON_IsString(t)) {
			const char *s = strchr(t->valuestring, '#');
			s = s ? s + 1 : t->valuestring;
			printable(e->code, sizeof e->code, s, strcspn(s, ":"));
		}
		if (cJSON_IsString(m))
			printable(e->msg, sizeof e->msg, m->valuestring, strlen(m->valuestring));
		cJSON_Delete(j);
	}
	if (!e->code[0]) {
		snprintf(e->code, sizeof e->code, "HTTP %ld", status);
		if (!e->msg[0]) {
			/* an HTML page from a proxy or load balancer: its words, not its tags */
			char text[512], excerpt[120];
			size_t o = 0;
			int in_tag = 0;
			for (size_t i = 0; i < len && o + 1 < sizeof text; i++) {
				if (body[i] == '<')
					in_tag = 1;
				else if (body[i] == '>') {
					in_tag = 0;
					text[o++] = ' ';
				} else if (!in_tag)
					text[o++] = body[i];
			}
			text[o] = '\0';
			printable(excerpt, sizeof excerpt, text, o);
			snprintf(e->msg, sizeof e->msg, "%s", excerpt[0] ? excerpt : "no error body");
		}
	}
}

int aws_form_add(char **buf, size_t *len, size_t *cap, const char *name, const char *value)
{
	char *enc = curl_easy_escape(NULL, value, 0); /* RFC 3986: unreserved kept as is */
	if (!enc)
		return -1;
	size_t need = *len + strlen(name) + strlen(enc) + 3;
	if (need > *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		while (c < need)
			c *= 2;
		char *p = realloc(*buf, c);
		if (!p) {
			curl_free(enc);
			return -1;
		}
		*buf = p;
		*cap = c;
	}
	*len += (size_t)sprintf(*buf + *len, "%s%s=%s", *len ? "&" : "", name, enc);
	curl_free(enc);
	return 0;
}

struct hdrs {
	char date[64];
};

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct hdrs *h = ud;
	size_t n = size * nmemb;
	if (n > 5 && !strncasecmp(data, "Date:", 5)) {
		const char *v = data + 5;
		size_t vl = n - 5;
		while (vl && *v == ' ')
			v++, vl--;
		printable(h->date, sizeof h->date, v, vl);
	}
	return n;
}

/* curl asks this while a transfer runs: a stop request aborts it */
void aws_curl_common(CURL *c, curl_xferinfo_callback progress, void *arg)
{
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, arg);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	const char *ca = getenv("AWS_CA_BUNDLE");
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct aws_client *cl = ud;
	(void)dt, (void)dn, (void)ut, (void)un;
	return cl->stop && atomic_load(cl->stop);
}

/* One attempt. 0 on HTTP 2xx; else -1 with 'e' (kind unset). */
static int attempt(struct aws_client *cl, const struct aws_service *svc, const char *region,
		   const char *url, const char *json_target, const char *body, struct body *out,
		   struct aws_error *e, struct hdrs *h)
{
	CURL *c = cl->curl;
	char provider[128], tgt[160], tok[2100];
	const char *sign_region = svc->fixed_region ? svc->fixed_region : region;
	struct curl_slist *hl = NULL, *t;
	snprintf(provider, sizeof provider, "aws:amz:%s:%s", sign_region, svc->sign_name);
	t = curl_slist_append(hl, json_target ? "Content-Type: application/x-amz-json-1.1"
				: "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
	hl = t ? t : hl;
	if (json_target) {
		snprintf(tgt, sizeof tgt, "X-Amz-Target: %s", json_target);
		hl = (t = curl_slist_append(hl, tgt)) ? t : hl;
	}
	if (cl->creds.token[0]) {
		snprintf(tok, sizeof tok, "X-Amz-Security-Token: %s", cl->creds.token);
		hl = (t = curl_slist_append(hl, tok)) ? t : hl;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, provider);
	curl_easy_setopt(c, CURLOPT_USERNAME, cl->creds.akid);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cl->creds.secret);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	aws_curl_common(c, on_progress, cl);
	cl->requests++;
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	explicit_bzero(tok, sizeof tok);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(e->code, sizeof e->code, "Stopped");
		snprintf(e->msg, sizeof e->msg, "stopped");
		return -1;
	}
	if (rc != CURLE_OK) {
		e->status = 0;
		/* could not even connect: nothing reached AWS, safe to send again */
		int unsent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
			     rc == CURLE_COULDNT_RESOLVE_PROXY;
		snprintf(e->code, sizeof e->code, "%s", rc == CURLE_OPERATION_TIMEDOUT ? "RequestTimeout"
			 : out->toolarge ? "ResponseTooLarge" : unsent ? "ConnectError" : "NetworkError");
		snprintf(e->msg, sizeof e->msg, "%s", out->toolarge ? "response larger than 64 MB"
			 : curl_easy_strerror(rc));
		return -1;
	}
	if (status >= 200 && status < 300)
		return 0;
	aws_parse_error(status, out->p ? out->p : "", out->len, e);
	return -1;
}

int aws_post(struct aws_client *cl, const struct aws_service *svc, const char *region,
	     const char *json_target, const char *body, char **resp, size_t *resplen,
	     struct aws_error *e)
{
	return aws_post_ex(cl, svc, region, json_target, body, resp, resplen, e, 1);
}

/* Throttling answers come before AWS acts; a timeout or a 5xx may come after. */
static int throttled(const char *code)
{
	return strstr(code, "Throttl") || !strcmp(code, "RequestLimitExceeded") || !strcmp(code, "SlowDown") ||
	       !strcmp(code, "TooManyRequestsException") || !strcmp(code, "LimitExceededException");
}

int aws_post_ex(struct aws_client *cl, const struct aws_service *svc, const char *region,
		const char *json_target, const char *body, char **resp, size_t *resplen,
		struct aws_error *e, int idempotent)
{
	char url[512];
	memset(e, 0, sizeof *e);
	*resp = NULL;
	*resplen = 0;
	if (!cl->creds.akid[0] || !cl->creds.secret[0]) {
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->code, sizeof e->code, "NoCredentials");
		snprintf(e->msg, sizeof e->msg, "no AWS credentials: set a profile, env keys or a role");
		return -1;
	}
	if (!svc->fixed_region && (!region || !*region)) {
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->code, sizeof e->code, "NoRegion");
		snprintf(e->msg, sizeof e->msg, "no AWS region: set AWS_REGION, --region or the profile's region");
		return -1;
	}
	aws_endpoint(svc, region, url, sizeof url);
	if (aws_endpoint_check(svc, url, e->msg, sizeof e->msg) < 0) { /* keys and tokens never in clear */
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->code, sizeof e->code, "InsecureEndpoint");
		return -1;
	}
	for (int n = 1;; n++) {
		struct body b = {0};
		struct hdrs h = {""};
		if (budget_wait(cl) < 0)
			goto stopped;
		if (attempt(cl, svc, region, url, json_target, body, &b, e, &h) == 0) {
			*resp = b.p ? b.p : calloc(1, 1);
			*resplen = b.len;
			e->kind = AWS_OK;
			return *resp ? 0 : -1;
		}
		free(b.p);
		if (!strcmp(e->code, "Stopped"))
			goto stopped;
		if (aws_auth_error(e->code)) {
			e->kind = AWS_ERR_AUTH;
			if (!strcmp(e->code, "RequestExpired") && h.date[0]) {
				size_t l = strlen(e->msg);
				snprintf(e->msg + l, sizeof e->msg - l, " (clock skew? server time %s)", h.date);
			}
			return -1;
		}
		int net = !strcmp(e->code, "NetworkError") || !strcmp(e->code, "ConnectError");
		int retry = idempotent ? aws_retryable(e->status, e->code) || net
				       : throttled(e->code) || !strcmp(e->code, "ConnectError");
		if (!retry || n >= cl->max_attempts) {
			e->kind = net || !strcmp(e->code, "RequestTimeout")
				  ? AWS_ERR_NET : aws_retryable(e->status, e->code) && e->status == 400
				  ? AWS_ERR_THROTTLE : e->code[0] == 'H' && !strncmp(e->code, "HTTP", 4)
				  && e->status < 500 ? AWS_ERR_PARSE : AWS_ERR_API;
			return -1;
		}
		/* full jitter: a random wait in [0, min(cap, base * 2^n)) */
		long cap = BACKOFF_BASE_MS << (n < 6 ? n : 6);
		if (cap > BACKOFF_MAX_MS)
			cap = BACKOFF_MAX_MS;
		if (nap_ms(cl, (long)(rand_r(&cl->rnd) % (unsigned)cap)) < 0)
			goto stopped;
	}
stopped:
	e->kind = AWS_ERR_STOPPED;
	snprintf(e->code, sizeof e->code, "Stopped");
	snprintf(e->msg, sizeof e->msg, "stopped");
	return -1;
}
