/* Unit tests: which AWS endpoint overrides are accepted (https, or http to loopback), how the
 * status line names them, and which host names from AWS answers may go into a connection string. */
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

static void hosts_from_aws_must_be_dns_names(void)
{
	CHECK(aws_host_is_dns_name("pg1.aaaaaaaaaa.us-east-1.rds.amazonaws.com"));
	CHECK(aws_host_is_dns_name("localhost"));
	CHECK(aws_host_is_dns_name("127.0.0.1"));
	CHECK(!aws_host_is_dns_name(""));
	CHECK(!aws_host_is_dns_name("x sslmode=disable"));
	CHECK(!aws_host_is_dns_name("x' host='evil"));
	CHECK(!aws_host_is_dns_name("a\\b.example.com"));
	CHECK(!aws_host_is_dns_name("evil@host.example.com"));
	CHECK(!aws_host_is_dns_name("host.example.com/db?ssl-mode=DISABLED"));
	CHECK(!aws_host_is_dns_name("-lead.example.com"));
	CHECK(!aws_host_is_dns_name("trail-.example.com"));
	CHECK(!aws_host_is_dns_name("a..b"));
	CHECK(!aws_host_is_dns_name(".a"));
	CHECK(!aws_host_is_dns_name("a."));
	char label[80];
	memset(label, 'a', 64);
	label[64] = '\0';
	CHECK(!aws_host_is_dns_name(label));
	label[63] = '\0';
	CHECK(aws_host_is_dns_name(label));
}

int main(void)
{
	RUN(loopback_hosts_are_recognised_by_address_not_substring);
	RUN(plain_http_is_refused_except_to_loopback);
	RUN(every_override_is_named_on_the_status_line);
	RUN(hosts_from_aws_must_be_dns_names);
	return check_total_failed;
}
