/*
 * sso_http.h - inside aws/: the unsigned rest-json calls of IAM Identity Center (the SSO
 * portal and SSO OIDC), for sso.c. Not for other folders: aws.h is the interface.
 */
#ifndef DBFLEET_AWS_SSO_HTTP_H
#define DBFLEET_AWS_SSO_HTTP_H

#include "aws.h"

#define SSO_BODY_MAX 65536 /* the answers are a few KB */

/* One answer: status, the x-amzn-ErrorType header, the body (NUL-terminated, at most SSO_BODY_MAX). */
struct sso_reply {
	long status;
	char type[128];
	char body[SSO_BODY_MAX + 1];
	size_t n;
	int toolarge;
	const atomic_int *stop;
};

/*
 * GET 'url' (post NULL) or POST the JSON 'post' to it, unsigned, with one extra 'header' (may
 * be NULL), after the plain-http rule on its endpoint 'base': up to three tries for a network
 * error, a timeout, throttling or a 5xx (botocore's standard retries), at most 10 s each;
 * 'stop' (may be NULL) ends it early. 0 with 'r' on 2xx; else -1 with 'e' (kind: NET, AUTH for
 * 401/403, CONFIG, STOPPED, API). Any thread.
 */
int aws_sso_call(const struct aws_service *svc, const char *base, const char *url, const char *header,
		 const char *post, const atomic_int *stop, struct sso_reply *r, struct aws_error *e);

/* A rest-json error answer into 'e': the code from 'type' (x-amzn-ErrorType), the body's __type
 * or OIDC's "error"; the text from "message"/"Message" or OIDC's "error_description". */
void aws_sso_error(long status, const char *type, const char *body, size_t len, struct aws_error *e);

#endif
