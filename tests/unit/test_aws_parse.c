/*
 * Unit tests: AWS responses as they come off the wire (captured from moto
 * and shaped as AWS documents them) through the XML parser and the error
 * reader, the retry decisions, endpoint overrides, and hostile bodies.
 */
#include <stdlib.h>
#include <unistd.h>

#include "../../aws/aws.h"
#include "../../aws/xml.h"
#include "../../model/model.h"
#include "check.h"

static const char describe[] =
	"<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"
	"<DescribeDBInstancesResult><Marker>eyJwYXJhbSI6IDF9</Marker><DBInstances><DBInstance>"
	"<DBInstanceIdentifier>pg1</DBInstanceIdentifier><DBInstanceClass>db.r6g.large</DBInstanceClass>"
	"<Engine>postgres</Engine><DBInstanceStatus>available</DBInstanceStatus>"
	"<Endpoint><Address>pg1.aaaaaaaaaa.us-east-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>"
	"<MultiAZ>true</MultiAZ></DBInstance><DBInstance><DBInstanceIdentifier>pg1-r</DBInstanceIdentifier>"
	"<ReadReplicaSourceDBInstanceIdentifier>arn:aws:rds:us-east-1:123456789012:db:pg1"
	"</ReadReplicaSourceDBInstanceIdentifier></DBInstance></DBInstances></DescribeDBInstancesResult>"
	"<ResponseMetadata><RequestId>abc</RequestId></ResponseMetadata></DescribeDBInstancesResponse>";

static void test_xml_tree(void)
{
	char err[160];
	struct xnode *x = xml_parse(describe, sizeof describe - 1, err, sizeof err);
	CHECK(x != NULL);
	CHECK_STR(x->name, "DescribeDBInstancesResponse"); /* namespace dropped */
	const struct xnode *res = xml_child(x, "DescribeDBInstancesResult");
	CHECK_STR(xml_text(res, "Marker"), "eyJwYXJhbSI6IDF9");
	const struct xnode *i = xml_path(res, "DBInstances/DBInstance");
	CHECK_STR(xml_text(i, "Endpoint/Port"), "5432");
	CHECK_STR(xml_text(i, "NoSuch/Thing"), "");
	CHECK_STR(xml_text(i->next, "DBInstanceIdentifier"), "pg1-r");
	CHECK(i->next->next == NULL);
	CHECK_STR(xml_text(x, "ResponseMetadata/RequestId"), "abc");
	xml_free(x);
}

static void test_xml_bad_bodies(void)
{
	char err[160];
	/* truncated in the middle of an element */
	CHECK(xml_parse(describe, 200, err, sizeof err) == NULL);
	CHECK(strstr(err, "malformed XML") != NULL);
	CHECK(xml_parse("", 0, err, sizeof err) == NULL);
	CHECK(xml_parse("not xml at all", 14, err, sizeof err) == NULL);
	/* an entity bomb must not expand without bound (expat refuses, or we stop) */
	static const char bomb[] = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
				   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
				   "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]><l>&d;&d;&d;</l>";
	struct xnode *x = xml_parse(bomb, sizeof bomb - 1, err, sizeof err);
	CHECK(x == NULL || x->textlen <= 100000);
	xml_free(x);
	/* too deep */
	char deep[8 * 200 + 1] = "";
	for (int i = 0; i < 100; i++)
		strcat(deep, "<a>");
	for (int i = 0; i < 100; i++)
		strcat(deep, "</a>");
	CHECK(xml_parse(deep, strlen(deep), err, sizeof err) == NULL);
	CHECK(strstr(err, "too deep") != NULL);
}

static void test_error_bodies(void)
{
	struct aws_error e;
	static const char q[] = "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error>"
				"<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
				"</Error><RequestId>x</RequestId></ErrorResponse>";
	aws_parse_error(400, q, sizeof q - 1, &e);
	CHECK_STR(e.code, "Throttling");
	CHECK_STR(e.msg, "Rate exceeded");
	/* moto's auth errors: <ErrorResponse><Errors><Error> even for JSON services */
	static const char m[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Errors><Error>"
				"<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does "
				"not match</Message></Error></Errors></ErrorResponse>";
	aws_parse_error(403, m, sizeof m - 1, &e);
	CHECK_STR(e.code, "SignatureDoesNotMatch");
	static const char j[] = "{\"__type\":\"com.amazonaws.ce#LimitExceededException:http://x\",\"Message\":\"slow down\"}";
	aws_parse_error(400, j, sizeof j - 1, &e);
	CHECK_STR(e.code, "LimitExceededException");
	CHECK_STR(e.msg, "slow down");
	static const char h[] = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>500 Internal "
				"Server Error</title>\n<h1>Internal Server Error</h1>\x1b[31m";
	aws_parse_error(500, h, sizeof h - 1, &e);
	CHECK_STR(e.code, "HTTP 500");
	CHECK(strstr(e.msg, "Internal Server Error") != NULL);
	CHECK(strchr(e.msg, '\x1b') == NULL); /* nothing for the terminal to interpret */
	aws_parse_error(502, "", 0, &e);
	CHECK_STR(e.code, "HTTP 502");
	CHECK_STR(e.msg, "no error body");
	aws_parse_error(400, "{\"__type\": 12", 13, &e); /* truncated JSON */
	CHECK_STR(e.code, "HTTP 400");
}

static void test_retry_decisions(void)
{
	CHECK(aws_retryable(400, "Throttling"));
	CHECK(aws_retryable(400, "ThrottlingException"));
	CHECK(aws_retryable(400, "LimitExceededException"));
	CHECK(aws_retryable(500, "HTTP 500"));
	CHECK(aws_retryable(503, "ServiceUnavailable"));
	CHECK(!aws_retryable(400, "InvalidParameterValue"));
	CHECK(!aws_retryable(404, "DBInstanceNotFound"));
	CHECK(!aws_retryable(403, "AccessDenied"));
	CHECK(!aws_retryable(500, "ExpiredToken")); /* auth beats the status */
	CHECK(aws_auth_error("SignatureDoesNotMatch") && aws_auth_error("InvalidClientTokenId"));
	CHECK(aws_auth_error("RequestExpired") && !aws_auth_error("Throttling"));
}

static void test_endpoints(void)
{
	char u[256];
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_RDS");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	aws_endpoint(&AWS_RDS, "eu-west-1", u, sizeof u);
	CHECK_STR(u, "https://rds.eu-west-1.amazonaws.com");
	aws_endpoint(&AWS_CE, "eu-west-1", u, sizeof u);
	CHECK_STR(u, "https://ce.us-east-1.amazonaws.com");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
	setenv("AWS_ENDPOINT_URL_RDS", "https://vpce-1.rds.eu-west-1.vpce.amazonaws.com", 1);
	aws_endpoint(&AWS_RDS, "eu-west-1", u, sizeof u);
	CHECK_STR(u, "https://vpce-1.rds.eu-west-1.vpce.amazonaws.com");
	aws_endpoint(&AWS_CLOUDWATCH, "eu-west-1", u, sizeof u);
	CHECK_STR(u, "http://127.0.0.1:5000");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	aws_endpoint(&AWS_CLOUDWATCH, "eu-west-1", u, sizeof u);
	CHECK_STR(u, "https://monitoring.eu-west-1.amazonaws.com");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_RDS");
}

static void test_form_encoding(void)
{
	char *b = NULL;
	size_t len = 0, cap = 0;
	CHECK(aws_form_add(&b, &len, &cap, "Action", "GetMetricData") == 0);
	CHECK(aws_form_add(&b, &len, &cap, "StartTime", "2026-01-01T00:00:00Z") == 0);
	CHECK(aws_form_add(&b, &len, &cap, "Namespace", "AWS/RDS a~b") == 0);
	CHECK_STR(b, "Action=GetMetricData&StartTime=2026-01-01T00%3A00%3A00Z&Namespace=AWS%2FRDS%20a~b");
	free(b);
}

static void test_no_credentials_sends_nothing(void)
{
	struct aws_creds none = {{0}, {0}, {0}};
	struct aws_client *cl = aws_client_new(&none, NULL);
	struct aws_error e;
	char *resp;
	size_t n;
	CHECK(aws_post(cl, &AWS_RDS, "us-east-1", NULL, "Action=X", &resp, &n, &e) == -1);
	CHECK(e.kind == AWS_ERR_CONFIG && aws_client_requests(cl) == 0);
	aws_client_free(&cl);
	CHECK(cl == NULL);
}

/* Two accounts' own costs added up: totals, services by name, days, one ACCOUNT group each; and cached. */
static void test_costs_of_accounts_add_up(void)
{
	struct cloud_costs a = {0}, b = {0}, sum = {0}, r;
	a.valid = b.valid = 1;
	a.mtd_usd = 200, b.mtd_usd = 123.45;
	a.forecast_usd = 300, b.forecast_usd = -1; /* one forecast unknown: the sum's is too */
	snprintf(a.daily_from, sizeof a.daily_from, "2026-10-28");
	snprintf(b.daily_from, sizeof b.daily_from, "2026-10-28");
	a.ndaily = b.ndaily = COST_DAYS;
	a.daily[30] = 2, b.daily[30] = 3;
	a.nservice = 2, b.nservice = 1;
	snprintf(a.service[0].key, sizeof a.service[0].key, "Amazon RDS");
	a.service[0].usd = 150;
	snprintf(a.service[1].key, sizeof a.service[1].key, "Amazon EC2");
	a.service[1].usd = 50;
	snprintf(b.service[0].key, sizeof b.service[0].key, "Amazon RDS");
	b.service[0].usd = 123.45;
	a.fetched_at = b.fetched_at = 1795000000;
	CHECK(aws_ce_add(&sum, &a, "payments") == 0 && aws_ce_add(&sum, &b, "data") == 0);
	CHECK(sum.valid && sum.mtd_usd == 323.45 && sum.forecast_usd == -1 && sum.daily[30] == 5);
	CHECK(sum.nservice == 2 && sum.service[0].usd == 273.45 && sum.naccount == 2);
	CHECK_STR(sum.service[0].key, "Amazon RDS");
	CHECK_STR(sum.account[0].key, "payments");
	CHECK_STR(sum.account[1].key, "data");
	snprintf(sum.scope, sizeof sum.scope, "sum of 2 accounts");
	char path[] = "/tmp/dbfleet-cost-XXXXXX";
	close(mkstemp(path));
	CHECK(aws_ce_cache_save(path, &sum) == 0 && aws_ce_cache_load(path, "", &r) == 0);
	CHECK(r.naccount == 2 && r.account[1].usd == 123.45);
	CHECK_STR(r.scope, "sum of 2 accounts");
	unlink(path);
}

static void test_cost_cache_round_trip(void)
{
	char path[] = "/tmp/dbfleet-cost-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct cloud_costs c = {0}, r;
	c.valid = 1;
	c.fetched_at = 1795000000;
	c.mtd_usd = 1350;
	c.forecast_usd = 3000;
	snprintf(c.unit, sizeof c.unit, "USD");
	snprintf(c.tag_key, sizeof c.tag_key, "team");
	snprintf(c.daily_from, sizeof c.daily_from, "2026-10-28");
	c.nservice = 1;
	snprintf(c.service[0].key, sizeof c.service[0].key, "Amazon \"RDS\"\n");
	c.service[0].usd = 1234.56;
	c.ndaily = COST_DAYS;
	c.daily[30] = 12.5;
	CHECK(aws_ce_cache_save(path, &c) == 0);
	CHECK(aws_ce_cache_load(path, "team", &r) == 0);
	CHECK(r.from_cache && r.valid && r.mtd_usd == 1350 && r.forecast_usd == 3000);
	CHECK_STR(r.service[0].key, "Amazon \"RDS\"\n");
	CHECK(r.nservice == 1 && r.service[0].usd == 1234.56 && r.ndaily == COST_DAYS && r.daily[30] == 12.5);
	/* a cache made for another tag key is not this one */
	CHECK(aws_ce_cache_load(path, "owner", &r) == -1);
	FILE *f = fopen(path, "w");
	fputs("{\"version\": 1, \"tag_key\": \"team\", \"mtd\": ", f); /* cut short */
	fclose(f);
	CHECK(aws_ce_cache_load(path, "team", &r) == -1);
	unlink(path);
}

int main(void)
{
	aws_global_init();
	RUN(test_xml_tree);
	RUN(test_xml_bad_bodies);
	RUN(test_error_bodies);
	RUN(test_retry_decisions);
	RUN(test_endpoints);
	RUN(test_form_encoding);
	RUN(test_no_credentials_sends_nothing);
	RUN(test_cost_cache_round_trip);
	RUN(test_costs_of_accounts_add_up);
	return check_total_failed;
}
