/* Unit tests: which AWS endpoint overrides are accepted (https, or http to loopback) and how
 * the status line names them. */
#include <stdlib.h>

#include "../../aws/aws.h"
#include "check.h"

static void loopback_hosts_are_recognised_by_address_not_substring(void)
{
	CHECK(aws_url_is_loopback("http://127.0.0.1:5000"));
	CHECK(aws_url_is_loopback("http://127.5.6.7/"));
	CHECK(aws_url_is_loopback("http://localhost:4566"));
	CHECK(aws_url_is_loopback("http://LOCALHOST"));
	CHECK(aws_url_is_loopback("http://[::1]:5000/"));
	CHECK(!aws_url_is_loopback("http://127.0.0.1.example.com"));
	CHECK(!aws_url_is_loopback("http://localhost.example.com:80"));
	CHECK(!aws_url_is_loopback("http://127.0.0.1@example.com/"));
	CHECK(!aws_url_is_loopback("http://128.0.0.1"));
	CHECK(!aws_url_is_loopback("http://192.0.2.1"));
	CHECK(!aws_url_is_loopback("http://[::2]"));
	CHECK(!aws_url_is_loopback("http://[::1].example.com"));
	CHECK(!aws_url_is_loopback("http://example.invalid/127.0.0.1"));
}

static void plain_http_is_refused_except_to_loopback(void)
{
	char err[256] = "";
	setenv("AWS_ENDPOINT_URL_STS", "http://192.0.2.1", 1);
	CHECK(aws_endpoint_check(&AWS_STS, "http://192.0.2.1", err, sizeof err) < 0);
	CHECK(strstr(err, "refusing plain http to 'http://192.0.2.1' (AWS_ENDPOINT_URL_STS)") != NULL);
	CHECK(aws_endpoint_check(&AWS_STS, "https://sts.example.com", err, sizeof err) == 0);
	CHECK(aws_endpoint_check(&AWS_STS, "http://127.0.0.1:5000", err, sizeof err) == 0);
	CHECK(aws_endpoint_check(&AWS_STS, "http://[::1]:5000", err, sizeof err) == 0);
	CHECK(aws_endpoint_check(&AWS_STS, "ftp://example.com", err, sizeof err) < 0);
	unsetenv("AWS_ENDPOINT_URL_STS");
}

static void every_override_is_named_on_the_status_line(void)
{
	char d[300];
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "emulator at http://127.0.0.1:5000");
	/* an STS override alone was missed when only the RDS URL was looked at */
	unsetenv("AWS_ENDPOINT_URL");
	setenv("AWS_ENDPOINT_URL_STS", "https://sts.example.com", 1);
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "sts: endpoint https://sts.example.com");
	setenv("AWS_ENDPOINT_URL", "http://localhost:4566", 1);
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "emulator at http://localhost:4566, sts: endpoint https://sts.example.com");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	aws_endpoints_describe("us-east-1", d, sizeof d);
	CHECK_STR(d, "");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
}

int main(void)
{
	RUN(loopback_hosts_are_recognised_by_address_not_substring);
	RUN(plain_http_is_refused_except_to_loopback);
	RUN(every_override_is_named_on_the_status_line);
	return check_total_failed;
}
