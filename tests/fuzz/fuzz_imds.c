/*
 * fuzz_imds - the instance metadata service's answers (aws_imds_creds in
 * aws/imds.c): the token, the role's name, its credentials (JSON) and the
 * region. libcurl is wrapped at link time (-Wl,--wrap, see the Makefile):
 * options reach the real libcurl, but curl_easy_perform hands the next page
 * of the input to the write callback, in two pieces, and reports its status.
 * Input: pages separated by FUZZ_IMDS_SEP; a page "!NNN..." answers with
 * HTTP status NNN and the rest as the body, others with 200.
 *
 * And: credentials taken are never empty (an empty AccessKeyId or
 * SecretAccessKey is "not readable", not keys to sign with).
 */
#include <curl/curl.h>
#include <stdarg.h>

#include "../../aws/aws.h"
#include "fuzz.h"

#define FUZZ_IMDS_SEP "\n===\n"

static struct fuzz_in in;
static curl_write_callback on_write;
static void *write_data;
static long status;

CURLcode __real_curl_easy_setopt(CURL *c, CURLoption opt, ...);
CURLcode __wrap_curl_easy_setopt(CURL *c, CURLoption opt, ...);
CURLcode __wrap_curl_easy_perform(CURL *c);
CURLcode __real_curl_easy_getinfo(CURL *c, CURLINFO info, ...);
CURLcode __wrap_curl_easy_getinfo(CURL *c, CURLINFO info, ...);

CURLcode __wrap_curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	va_start(ap, opt);
	CURLcode rc;
	if (opt < CURLOPTTYPE_OBJECTPOINT) {
		rc = __real_curl_easy_setopt(c, opt, va_arg(ap, long));
	} else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) {
		rc = __real_curl_easy_setopt(c, opt, va_arg(ap, curl_off_t));
	} else if (opt >= CURLOPTTYPE_FUNCTIONPOINT && opt < CURLOPTTYPE_OFF_T) {
		void (*fn)(void) = va_arg(ap, void (*)(void));
		if (opt == CURLOPT_WRITEFUNCTION)
			on_write = (curl_write_callback)fn;
		rc = __real_curl_easy_setopt(c, opt, fn);
	} else {
		void *p = va_arg(ap, void *);
		if (opt == CURLOPT_WRITEDATA)
			write_data = p;
		rc = __real_curl_easy_setopt(c, opt, p);
	}
	va_end(ap);
	return rc;
}

CURLcode __wrap_curl_easy_perform(CURL *c)
{
	(void)c;
	size_t len;
	char *page = fuzz_piece(&in, FUZZ_IMDS_SEP, &len);
	if (!page)
		return CURLE_OPERATION_TIMEDOUT;
	FUZZ_ASSERT(on_write && write_data);
	char *body = page;
	status = 200;
	if (page[0] == '!') {
		status = strtol(page + 1, &body, 10);
		len -= (size_t)(body - page);
	}
	size_t half = len / 2;
	CURLcode rc = CURLE_OK;
	if ((half && on_write(body, 1, half, write_data) != half) ||
	    (len - half && on_write(body + half, 1, len - half, write_data) != len - half))
		rc = CURLE_WRITE_ERROR;
	free(page);
	return rc;
}

CURLcode __wrap_curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	void *p = va_arg(ap, void *);
	va_end(ap);
	if (info == CURLINFO_RESPONSE_CODE) {
		*(long *)p = status;
		return CURLE_OK;
	}
	return __real_curl_easy_getinfo(c, info, p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://192.0.2.1/", 1); /* never reached */
	FUZZ_ASSERT(aws_global_init() == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in = (struct fuzz_in){data, size};
	on_write = NULL;
	write_data = NULL;
	struct aws_creds c;
	char role[128], region[32] = "", err[512];
	time_t expires = 0;
	err[0] = '\0';
	if (aws_imds_creds(&c, role, sizeof role, region, sizeof region, &expires, err, sizeof err) == 0) {
		FUZZ_ASSERT(memchr(c.token, '\0', sizeof c.token) && role[0] && !strchr(role, '/'));
		FUZZ_ASSERT(c.akid[0] && c.secret[0]);
		FUZZ_ASSERT(memchr(region, '\0', sizeof region) && expires != 0);
	} else {
		FUZZ_ASSERT(err[0] && memchr(err, '\0', sizeof err));
	}
	return 0;
}
