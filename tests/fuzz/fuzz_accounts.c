/*
 * fuzz_accounts - what names and joins several AWS accounts: STS
 * GetCallerIdentity (aws/sts.c), Organizations DescribeOrganization
 * (aws/organizations.c), Cost Explorer by LINKED_ACCOUNT and two accounts'
 * costs added up (aws/ce.c). Input: one byte (which reader, and the day),
 * then the pages.
 */
#include "../../model/model.h"
#include "fuzz_aws.h"

static struct aws_client *cl;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	cl = fuzz_aws_client();
	return 0;
}

static void costs(time_t now)
{
	static struct cloud_costs c, sum;
	struct aws_error e;
	if (aws_ce_fetch(cl, NULL, now, &c, &e) < 0 || aws_ce_fetch_accounts(cl, &c, &e) < 0)
		return;
	FUZZ_ASSERT(c.naccount >= 0 && c.naccount <= COST_GROUPS);
	for (int i = 0; i < c.naccount; i++)
		FUZZ_ASSERT(memchr(c.account[i].key, '\0', sizeof c.account[i].key));
	memset(&sum, 0, sizeof sum);
	FUZZ_ASSERT(aws_ce_add(&sum, &c, "one") == 0 && aws_ce_add(&sum, &c, "two") == 0);
	FUZZ_ASSERT(sum.valid && sum.naccount == 2 && sum.nservice <= COST_GROUPS && sum.ntag <= COST_GROUPS);
	FUZZ_ASSERT((!strcmp(sum.account[0].key, "one") && !strcmp(sum.account[1].key, "two")) ||
		    (!strcmp(sum.account[0].key, "two") && !strcmp(sum.account[1].key, "one")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_aws_begin(data + 1, size - 1);
	char id[16] = "";
	struct aws_error e;
	switch (data[0] % 3) {
	case 0:
		if (aws_sts_caller_account(cl, "us-east-1", id, sizeof id, &e) == 0)
			FUZZ_ASSERT(strlen(id) == 12 && strspn(id, "0123456789") == 12);
		break;
	case 1:
		if (aws_org_master_account(cl, id, sizeof id, &e) == 0)
			FUZZ_ASSERT(strlen(id) == 12 && strspn(id, "0123456789") == 12);
		else
			FUZZ_ASSERT(id[0] == '\0' || strlen(id) == 12);
		break;
	default:
		costs(1798675200 + (time_t)(data[0] / 3) * 86400); /* 2027-01-01 and the days after */
		break;
	}
	return 0;
}
