/*
 * curl_opts.h - inside aws/: the options every AWS request's curl handle
 * gets, signed (http.c) or not (sso_http.c). Not for other folders.
 */
#ifndef DBFLEET_AWS_CURL_OPTS_H
#define DBFLEET_AWS_CURL_OPTS_H

#include <curl/curl.h>

/* http(s) only, AWS_CA_BUNDLE when set, and 'progress' (with 'arg') so a stop
 * or a deadline can end the transfer. */
void aws_curl_common(CURL *c, curl_xferinfo_callback progress, void *arg);

#endif
