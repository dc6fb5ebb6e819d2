/*
 * organizations.c - AWS Organizations DescribeOrganization (JSON 1.1,
 * signed for us-east-1 wherever we are): which account is the management
 * (payer) account, whose Cost Explorer sees every member's costs.
 */
#include "aws.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct aws_service AWS_ORGANIZATIONS = {"organizations", "ORGANIZATIONS", "organizations", "us-east-1"};

int aws_org_parse(const char *json, size_t len, char *master, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(json, len);
	const cJSON *org = cJSON_GetObjectItemCaseSensitive(j, "Organization");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(org, "MasterAccountId");
	int ok = cJSON_IsString(id) && strlen(id->valuestring) == 12 && strspn(id->valuestring, "0123456789") == 12 &&
		 n > 12;
	if (ok)
		snprintf(master, n, "%s", id->valuestring);
	cJSON_Delete(j);
	return ok ? 0 : -1;
}

int aws_org_master_account(struct aws_client *cl, char *master, size_t n, struct aws_error *e)
{
	char *resp = NULL;
	size_t rlen = 0;
	master[0] = '\0';
	if (aws_post(cl, &AWS_ORGANIZATIONS, "us-east-1", "AWSOrganizationsV20161128.DescribeOrganization", "{}", &resp,
		     &rlen, e) < 0)
		return strstr(e->code, "AWSOrganizationsNotInUse") ? 1 : -1;
	int rc = aws_org_parse(resp, rlen, master, n);
	free(resp);
	if (rc < 0) {
		memset(e, 0, sizeof *e);
		e->kind = AWS_ERR_PARSE;
		snprintf(e->code, sizeof e->code, "BadResponse");
		snprintf(e->msg, sizeof e->msg, "DescribeOrganization: no 12-digit MasterAccountId in the answer");
	}
	return rc;
}
