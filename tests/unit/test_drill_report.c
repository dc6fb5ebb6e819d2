/* Unit tests: a drill report from given facts: RTO per switch or "not measured", verdicts, hostile text. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "../../collectors/drill.h"
#include "check.h"

static struct tl_event ev(double at, int source, int kind, const char *target, const char *state, const char *text)
{
	struct tl_event e = {.at = at, .source = source, .kind = kind};
	snprintf(e.target, sizeof e.target, "%s", target);
	snprintf(e.state, sizeof e.state, "%s", state);
	snprintf(e.text, sizeof e.text, "%s", text);
	return e;
}

static struct drill_facts facts(struct tl_event *e, size_t n)
{
	struct drill_facts f = {.started = 1800000000, .ended = 1800000120, .probed = 1, .ev = e, .nev = n};
	snprintf(f.fleet, sizeof f.fleet, "prod");
	snprintf(f.name, sizeof f.name, "gameday");
	snprintf(f.user, sizeof f.user, "alice");
	snprintf(f.host, sizeof f.host, "bastion");
	/* writes through 'app' stopped after 1800000010.0 and came back at 1800000017.5: 7.5 s */
	f.out[0] = (struct drill_outage){.last_ok = 1800000010, .first_fail = 1800000011, .first_ok = 1800000017.5,
					 .lag_s = 0.4, .lag_bytes = 1024, .rto_obj = 5, .rpo_obj = 1};
	snprintf(f.out[0].name, sizeof f.out[0].name, "app");
	snprintf(f.out[0].error, sizeof f.out[0].error, "connection refused | \x1b[2J");
	f.nout = 1;
	return f;
}

static void test_switch_within_an_outage_has_its_rto(void)
{
	struct tl_event e[] = {
		ev(1800000005, TL_SRC_DRILL, TL_MARK, "", "", "inject: primary stopped"),
		ev(1800000016, TL_SRC_OBSERVED, TL_ROLE, "pg2", "primary", "role: replica -> primary (promoted)"),
		ev(1800000090, TL_SRC_RDS, TL_RDS_EVENT, "other", "failover", "Completed failover to DB instance: b"),
	};
	struct drill_facts f = facts(e, 3);
	char *md = drill_report_md(&f), *js = drill_report_json(&f);
	CHECK(md && js);
	CHECK(strstr(md, "| app | 2027-01-15 08:00:10 UTC | 2027-01-15 08:00:17 UTC | 7.5 s | 5 s MISSED |"
			 " 0.4 s, 1024 bytes (estimate, the endpoint's writer's standbys) | 1 s met | connection refused \\|  [2J |") != NULL);
	CHECK(strstr(md, "| pg2 | role: replica -> primary (promoted) | 7.5 s through app |") != NULL);
	CHECK(strstr(md, "| other | Completed failover to DB instance: b | not measured (no write outage through a"
			 " probed endpoint) |") != NULL);
	CHECK(strchr(md, '\x1b') == NULL);
	CHECK(strstr(md, "Run by: alice on host bastion, terminal none, locally (no SSH_CONNECTION)") != NULL);
	cJSON *j = cJSON_Parse(js);
	cJSON *sw = cJSON_GetObjectItem(j, "switches");
	CHECK(cJSON_GetArraySize(sw) == 2);
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(sw, 0), "rto_s")->valuedouble == 7.5);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(sw, 1), "rto_s")));
	cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outages"), 0);
	CHECK_STR(cJSON_GetObjectItem(o, "rto_verdict")->valuestring, "MISSED");
	CHECK_STR(cJSON_GetObjectItem(o, "rpo_verdict")->valuestring, "met");
	CHECK_STR(cJSON_GetObjectItem(o, "first_error")->valuestring, "connection refused | \x1b[2J");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "timeline")) == 3);
	cJSON_Delete(j);
	free(md);
	free(js);
}

static void test_nothing_probed_says_not_measured(void)
{
	struct tl_event e[] = {ev(1800000016, TL_SRC_RDS, TL_ROLE, "b", "writer", "role: reader -> writer in cluster c")};
	struct drill_facts f = facts(e, 1);
	f.nout = 0;
	f.probed = 0;
	char *md = drill_report_md(&f);
	CHECK(md && strstr(md, "Not measured: no target is marked app_endpoint = yes.") != NULL);
	CHECK(md && strstr(md, "| not measured (no application endpoint probed) |") != NULL);
	free(md);
}

static void test_still_failing_at_the_end(void)
{
	struct drill_facts f = facts(NULL, 0);
	f.out[0].first_ok = 0;
	char *md = drill_report_md(&f);
	CHECK(md && strstr(md, "| still failing at the end (more than 110 s) |") != NULL);
	free(md);
}

/* The endpoint's own set when its writer reports standbys; else the fleet's worst, and the report says so. */
static void test_rpo_from_the_endpoints_replication_set(void)
{
	struct db_replica r[2] = {{.lag_bytes = 4096, .replay_lag_s = 2.5}, {.lag_bytes = 100, .replay_lag_s = -1}};
	struct db_sample w = {.replicas = r, .nreplicas = 2, .lag_s = 2.5, .lag_bytes = 4096};
	double s = 0, b = 0;
	CHECK(drill_set_lag(&w, &s, &b) == 1);
	CHECK(s == 2.5 && b == 4096);
	struct db_replica idle = {.lag_bytes = 0, .replay_lag_s = -1};
	struct db_sample caught_up = {.replicas = &idle, .nreplicas = 1, .lag_s = -1, .lag_bytes = 0};
	CHECK(drill_set_lag(&caught_up, &s, &b) == 1);
	CHECK(s == 0 && b == 0);
	struct db_sample lone = {.lag_s = -1, .lag_bytes = -1}; /* a writer with no standby */
	CHECK(drill_set_lag(&lone, &s, &b) == 0);
	struct db_sample standby = {.lag_s = 9, .lag_bytes = 9};
	standby.health.is_replica = 1; /* the endpoint points at a replica: no writer's set */
	CHECK(drill_set_lag(&standby, &s, &b) == 0);

	struct drill_facts f = facts(NULL, 0);
	f.out[0].lag_fleet = 1;
	f.out[0].lag_s = -1;
	char *md = drill_report_md(&f), *js = drill_report_json(&f);
	CHECK(md && strstr(md, "| time unknown, 1024 bytes (estimate, fleet's worst: no standby of the endpoint's"
			       " writer sampled) |") != NULL);
	cJSON *j = cJSON_Parse(js);
	cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outages"), 0);
	CHECK_STR(cJSON_GetObjectItem(o, "rpo_estimate_from")->valuestring, "fleet");
	cJSON_Delete(j);
	free(md);
	free(js);
	f = facts(NULL, 0);
	js = drill_report_json(&f);
	j = cJSON_Parse(js);
	o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outages"), 0);
	CHECK_STR(cJSON_GetObjectItem(o, "rpo_estimate_from")->valuestring, "endpoint_replication_set");
	cJSON_Delete(j);
	free(js);
}

int main(void)
{
	RUN(test_rpo_from_the_endpoints_replication_set);
	RUN(test_switch_within_an_outage_has_its_rto);
	RUN(test_nothing_probed_says_not_measured);
	RUN(test_still_failing_at_the_end);
	return check_total_failed;
}
