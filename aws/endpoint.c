/*
 * endpoint.c - where each AWS API is reached: AWS's own https host, or an
 * override from AWS_ENDPOINT_URL[_<SERVICE>] (emulators, private endpoints).
 * Signed requests carry keys (STS and the SSO portal answer with new ones, the
 * SSO calls carry a bearer token), so an override in plain http is refused
 * unless its host is loopback.
 */
#include "aws.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* IAM Identity Center: https://portal.sso.REGION.amazonaws.com and https://oidc.REGION.amazonaws.com
 * (the SDKs' AWS_ENDPOINT_URL_SSO and _SSO_OIDC). They carry a bearer token and hand out keys: the
 * same plain-http rule as the signed APIs. */
const struct aws_service AWS_SSO = {"sso", "SSO", "portal.sso", NULL};
const struct aws_service AWS_SSO_OIDC = {"sso-oidc", "SSO_OIDC", "oidc", NULL};

static const struct aws_service *const services[] = {&AWS_RDS, &AWS_CLOUDWATCH, &AWS_CE, &AWS_STS, &AWS_SSO,
						     &AWS_SSO_OIDC, &AWS_PI, &AWS_ORGANIZATIONS};
#define NSERVICES (sizeof services / sizeof services[0])

/* The override for 'svc' and the variable it came from, or NULL. */
#define VAR_MAX 64

static const char *override(const struct aws_service *svc, char var[VAR_MAX])
{
	const size_t vn = VAR_MAX;
	const char *ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (ignore && !strcasecmp(ignore, "true"))
		return NULL;
	snprintf(var, vn, "AWS_ENDPOINT_URL_%s", svc->env_id);
	const char *v = getenv(var);
	if (v && *v)
		return v;
	memcpy(var, "AWS_ENDPOINT_URL", sizeof "AWS_ENDPOINT_URL");
	v = getenv(var);
	return v && *v ? v : NULL;
}

/* The endpoint URL for 'svc' in 'region' after the SDKs' overrides. */
void aws_endpoint(const struct aws_service *svc, const char *region, char *out, size_t n)
{
	char var[VAR_MAX];
	const char *v = override(svc, var);
	if (v) {
		snprintf(out, n, "%s", v);
		size_t len = strlen(out);
		while (len && out[len - 1] == '/')
			out[--len] = '\0';
		return;
	}
	snprintf(out, n, "https://%s.%s.amazonaws.com", svc->host_prefix,
		 svc->fixed_region ? svc->fixed_region : region);
}

/* Does 'url' name a loopback host (127.0.0.0/8, ::1, localhost)? */
int aws_url_is_loopback(const char *url)
{
	const char *p = strstr(url, "://");
	char host[256];
	p = p ? p + 3 : url;
	size_t len = strcspn(p, "/?#");
	const char *at = memchr(p, '@', len);
	if (at) { /* user info: "http://127.0.0.1@example.com" goes to example.com */
		len -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (len >= sizeof host)
		return 0;
	memcpy(host, p, len);
	host[len] = '\0';
	if (host[0] == '[') {
		char *end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':'))
			return 0;
		*end = '\0';
		struct in6_addr a6;
		return inet_pton(AF_INET6, host + 1, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	char *colon = strchr(host, ':');
	if (colon)
		*colon = '\0';
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return !strcasecmp(host, "localhost");
}

int aws_endpoint_check(const struct aws_service *svc, const char *url, char *err, size_t errlen)
{
	if (!strncasecmp(url, "https://", 8) || (!strncasecmp(url, "http://", 7) && aws_url_is_loopback(url)))
		return 0;
	char var[VAR_MAX] = "";
	if (!override(svc, var))
		snprintf(var, sizeof var, "the endpoint");
	if (!strncasecmp(url, "http://", 7))
		snprintf(err, errlen, "refusing plain http to '%.120s' (%s): AWS keys and tokens would travel in clear;"
			 " use https (http only to a loopback emulator)", url, var);
	else
		snprintf(err, errlen, "'%.120s' (%s) is not an https:// URL", url, var);
	return -1;
}

/* "emulator at URL" for a loopback override, else "endpoint URL". */
static int describe_one(const char *url, char *out, size_t n)
{
	return snprintf(out, n, "%s %.140s", aws_url_is_loopback(url) ? "emulator at" : "endpoint", url);
}

void aws_endpoints_describe(const char *region, char *out, size_t n)
{
	char urls[NSERVICES][256], var[VAR_MAX], base[256] = "";
	int over[NSERVICES];
	for (size_t i = 0; i < NSERVICES; i++) {
		aws_endpoint(services[i], region, urls[i], sizeof urls[i]);
		over[i] = override(services[i], var) != NULL;
		if (over[i] && !strcmp(var, "AWS_ENDPOINT_URL") && !base[0])
			snprintf(base, sizeof base, "%s", urls[i]);
	}
	size_t o = 0;
	if (!n)
		return;
	out[0] = '\0';
	if (base[0]) /* the override for every service, then each service's own */
		o = (size_t)describe_one(base, out, n);
	for (size_t i = 0; i < NSERVICES && o < n; i++) {
		if (!over[i] || !strcmp(urls[i], base))
			continue;
		o += (size_t)snprintf(out + o, n - o, "%s%s: ", o ? ", " : "", services[i]->sign_name);
		if (o < n)
			o += (size_t)describe_one(urls[i], out + o, n - o);
	}
}
