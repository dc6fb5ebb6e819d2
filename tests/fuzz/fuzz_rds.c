/*
 * fuzz_rds - the RDS readers (aws/rds.c, aws/rds_actions.c) on answers from
 * the input: discovery (instances, pending maintenance, clusters, global
 * databases, page after page by Marker), events, and the state reads of the
 * actions. Input: one byte picks the reader, then the pages (fuzz_aws.h).
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

static void discover(void)
{
	struct cloud_instance *v = NULL;
	size_t n = 0, cap = 0;
	struct aws_error e;
	aws_rds_discover(cl, "us-east-1", &v, &n, &cap, &e);
	FUZZ_ASSERT(n <= cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(memchr(v[i].id, '\0', sizeof v[i].id) && memchr(v[i].host, '\0', sizeof v[i].host) &&
			    memchr(v[i].maintenance, '\0', sizeof v[i].maintenance) &&
			    memchr(v[i].tags, '\0', sizeof v[i].tags));
	free(v);
}

static void events(size_t max)
{
	struct cloud_event *v = NULL;
	size_t n = 0, cap = 0;
	struct aws_error e;
	aws_rds_events(cl, "eu-west-1", 60, &v, &n, &cap, max, &e);
	FUZZ_ASSERT(n <= max && n <= cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(memchr(v[i].message, '\0', sizeof v[i].message));
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_aws_begin(data + 1, size - 1);
	char a[64], b[64], arn[256];
	int pct;
	struct aws_error e;
	switch (data[0] % 8) {
	case 0: discover(); break;
	case 1: events(1 + data[0] / 8); break;
	case 2: aws_rds_snapshot_status(cl, "us-east-1", "snap-1", data[0] & 8, a, sizeof a, &pct, &e); break;
	case 3: aws_rds_cluster_state(cl, "us-east-1", "c1", a, sizeof a, b, sizeof b, &e); break;
	case 4: aws_rds_instance_status(cl, "us-east-1", "db1", a, sizeof a, &e); break;
	case 5: aws_rds_last_event(cl, "us-east-1", "db1", "db-instance", arn, sizeof arn, &e); break;
	case 6:
		aws_rds_global_state(cl, "us-east-1", "g1", "eu-west-1", "c2", a, sizeof a, b, sizeof b, arn,
				     sizeof arn, &e);
		break;
	case 7: aws_rds_snapshot(cl, "us-east-1", "db1", data[0] & 8 ? "c1" : NULL, "snap-1", "me", "why", &e); break;
	}
	return 0;
}
