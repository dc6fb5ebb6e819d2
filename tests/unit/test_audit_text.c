/* Unit tests: the audit log's lines are valid UTF-8 JSON with hostile characters escaped. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "../../collectors/audit_text.h"
#include "check.h"

/* A record as actions.c builds it: cJSON, then the escape pass. */
static char *record(const char *user, const char *sql)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "user", user);
	cJSON_AddStringToObject(j, "sql", sql);
	char *json = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	char *line = audit_text_escape(json);
	cJSON_free(json);
	return line;
}

static void hostile_characters_escaped(void)
{
	/* U+202E, C1 CSI (U+009B), an invalid byte, U+200B, DEL, a tag character */
	char *s = record("ev\xe2\x80\xaeil\xc2\x9b\xff", "SELECT 1 /*\xe2\x80\x8b\x7f\xf3\xa0\x81\x81*/");
	CHECK_STR(s, "{\"user\":\"ev\\u202eil\\u009b\\ufffd\",\"sql\":\"SELECT 1 /*\\u200b\\u007f\\udb40\\udc41*/\"}");
	free(s);
}

static void readable_text_kept(void)
{
	char *s = record("jos\xc3\xa9", "SELECT '\xe6\x97\xa5' AS \"x\\y\"\n");
	CHECK_STR(s, "{\"user\":\"jos\xc3\xa9\",\"sql\":\"SELECT '\xe6\x97\xa5' AS \\\"x\\\\y\\\"\\n\"}");
	free(s);
}

/* The line parses, and gives back the same values (but invalid bytes, now U+FFFD). */
static void parses_to_the_same_values(void)
{
	char *s = record("a\xe2\x80\xae" "b\xc2\x9b" "c\xff", "q");
	cJSON *j = s ? cJSON_Parse(s) : NULL;
	CHECK(j != NULL);
	const cJSON *u = cJSON_GetObjectItem(j, "user");
	CHECK_STR(cJSON_GetStringValue(u), "a\xe2\x80\xae" "b\xc2\x9b" "c\xef\xbf\xbd");
	cJSON_Delete(j);
	free(s);
}

int main(void)
{
	RUN(hostile_characters_escaped);
	RUN(readable_text_kept);
	RUN(parses_to_the_same_values);
	return check_total_failed;
}
