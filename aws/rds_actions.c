/*
 * rds_actions.c - what dbfleet asks RDS to do: snapshots, failovers, and
 * the describes that follow their progress. Query protocol like rds.c.
 */
#include "aws.h"
#include "xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RDS_VERSION "2014-10-31"

struct form {
	char *b;
	size_t len, cap;
	int rc;
};

static void add(struct form *f, const char *k, const char *v)
{
	f->rc |= aws_form_add(&f->b, &f->len, &f->cap, k, v);
}

/* POST the form; the parsed Result element of 'action' in '*root' (freed by the caller). */
static struct xnode *call(struct aws_client *cl, const char *region, const char *action, struct form *f,
			  int idempotent, struct xnode **root, struct aws_error *e)
{
	char *resp = NULL, rname[96], xerr[160];
	size_t rlen = 0;
	*root = NULL;
	if (f->rc) {
		free(f->b);
		e->kind = AWS_ERR_CONFIG;
		snprintf(e->msg, sizeof e->msg, "out of memory");
		return NULL;
	}
	int rc = aws_post_ex(cl, &AWS_RDS, region, NULL, f->b, &resp, &rlen, e, idempotent);
	free(f->b);
	if (rc < 0)
		return NULL;
	*root = xml_parse(resp, rlen, xerr, sizeof xerr);
	free(resp);
	snprintf(rname, sizeof rname, "%sResult", action);
	struct xnode *res = xml_child(*root, rname);
	if (!res) {
		e->kind = AWS_ERR_PARSE;
		snprintf(e->code, sizeof e->code, "BadResponse");
		snprintf(e->msg, sizeof e->msg, "%s: %s", action, *root ? "no result element" : xerr);
		xml_free(*root);
		*root = NULL;
	}
	return res;
}

static void start(struct form *f, const char *action)
{
	memset(f, 0, sizeof *f);
	add(f, "Action", action);
	add(f, "Version", RDS_VERSION);
}

int aws_rds_snapshot(struct aws_client *cl, const char *region, const char *instance, const char *cluster,
		     const char *snapshot_id, const char *who, const char *reason, struct aws_error *e)
{
	const char *action = cluster && *cluster ? "CreateDBClusterSnapshot" : "CreateDBSnapshot";
	const char *list = cluster && *cluster ? "Tags.Tag" : "Tags.Tag";
	char k[64];
	struct form f;
	struct xnode *root;
	start(&f, action);
	add(&f, cluster && *cluster ? "DBClusterIdentifier" : "DBInstanceIdentifier",
	    cluster && *cluster ? cluster : instance);
	add(&f, cluster && *cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier", snapshot_id);
	snprintf(k, sizeof k, "%s.1.Key", list);
	add(&f, k, "dbfleet:taken-by");
	snprintf(k, sizeof k, "%s.1.Value", list);
	add(&f, k, who);
	snprintf(k, sizeof k, "%s.2.Key", list);
	add(&f, k, "dbfleet:reason");
	snprintf(k, sizeof k, "%s.2.Value", list);
	add(&f, k, reason);
	if (call(cl, region, action, &f, 1, &root, e)) {
		xml_free(root);
		return 0;
	}
	/* a retry of a request whose answer was lost: the snapshot is there already */
	if (!strcmp(e->code, "DBSnapshotAlreadyExists") || !strcmp(e->code, "DBClusterSnapshotAlreadyExistsFault")) {
		char status[32];
		int pct;
		struct aws_error e2;
		if (aws_rds_snapshot_status(cl, region, snapshot_id, cluster && *cluster, status, sizeof status, &pct,
					    &e2) == 0)
			return 0;
	}
	return -1;
}

int aws_rds_snapshot_status(struct aws_client *cl, const char *region, const char *snapshot_id, int cluster,
			    char *status, size_t sn, int *percent, struct aws_error *e)
{
	const char *action = cluster ? "DescribeDBClusterSnapshots" : "DescribeDBSnapshots";
	struct form f;
	struct xnode *root;
	start(&f, action);
	add(&f, cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier", snapshot_id);
	struct xnode *res = call(cl, region, action, &f, 1, &root, e);
	if (!res)
		return -1;
	struct xnode *s = xml_path(res, cluster ? "DBClusterSnapshots/DBClusterSnapshot" : "DBSnapshots/DBSnapshot");
	snprintf(status, sn, "%s", xml_text(s, "Status"));
	const char *p = xml_text(s, "PercentProgress");
	*percent = *p ? atoi(p) : -1;
	xml_free(root);
	if (!s) {
		e->kind = AWS_ERR_API;
		snprintf(e->code, sizeof e->code, "NotFound");
		snprintf(e->msg, sizeof e->msg, "snapshot %.200s not found", snapshot_id);
		return -1;
	}
	return 0;
}

int aws_rds_cluster_state(struct aws_client *cl, const char *region, const char *cluster, char *status,
			  size_t sn, char *writer, size_t wn, struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "DescribeDBClusters");
	add(&f, "DBClusterIdentifier", cluster);
	struct xnode *res = call(cl, region, "DescribeDBClusters", &f, 1, &root, e);
	if (!res)
		return -1;
	struct xnode *c = xml_path(res, "DBClusters/DBCluster");
	snprintf(status, sn, "%s", xml_text(c, "Status"));
	writer[0] = '\0';
	struct xnode *mem = xml_child(c, "DBClusterMembers");
	for (struct xnode *m = mem ? mem->child : NULL; m; m = m->next)
		if (!strcmp(xml_text(m, "IsClusterWriter"), "true"))
			snprintf(writer, wn, "%s", xml_text(m, "DBInstanceIdentifier"));
	xml_free(root);
	return 0;
}

int aws_rds_failover(struct aws_client *cl, const char *region, const char *cluster, const char *target,
		     struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "FailoverDBCluster");
	add(&f, "DBClusterIdentifier", cluster);
	if (target && *target)
		add(&f, "TargetDBInstanceIdentifier", target);
	struct xnode *res = call(cl, region, "FailoverDBCluster", &f, 0, &root, e);
	xml_free(root);
	return res ? 0 : -1;
}

int aws_rds_reboot_failover(struct aws_client *cl, const char *region, const char *instance,
			    struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "RebootDBInstance");
	add(&f, "DBInstanceIdentifier", instance);
	add(&f, "ForceFailover", "true");
	struct xnode *res = call(cl, region, "RebootDBInstance", &f, 0, &root, e);
	xml_free(root);
	return res ? 0 : -1;
}

int aws_rds_instance_status(struct aws_client *cl, const char *region, const char *instance, char *status,
			    size_t sn, struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "DescribeDBInstances");
	add(&f, "DBInstanceIdentifier", instance);
	struct xnode *res = call(cl, region, "DescribeDBInstances", &f, 1, &root, e);
	if (!res)
		return -1;
	snprintf(status, sn, "%s", xml_text(xml_path(res, "DBInstances/DBInstance"), "DBInstanceStatus"));
	xml_free(root);
	return 0;
}

int aws_rds_last_event(struct aws_client *cl, const char *region, const char *source, const char *source_type,
		       char *msg, size_t n, struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "DescribeEvents");
	add(&f, "SourceIdentifier", source);
	add(&f, "SourceType", source_type);
	add(&f, "Duration", "60");
	struct xnode *res = call(cl, region, "DescribeEvents", &f, 1, &root, e);
	msg[0] = '\0';
	if (!res)
		return -1;
	struct xnode *ev = xml_child(res, "Events");
	for (struct xnode *x = ev ? ev->child : NULL; x; x = x->next) /* oldest first: keep the last */
		snprintf(msg, n, "%s", xml_text(x, "Message"));
	xml_free(root);
	return 0;
}

int aws_rds_global_state(struct aws_client *cl, const char *region, const char *global, const char *want_region,
			 const char *want_id, char *status, size_t sn, char *writer, size_t wn, char *want_arn,
			 size_t an, struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "DescribeGlobalClusters");
	add(&f, "GlobalClusterIdentifier", global);
	struct xnode *res = call(cl, region, "DescribeGlobalClusters", &f, 1, &root, e);
	if (!res)
		return -1;
	struct xnode *list = xml_child(res, "GlobalClusters"), *g = list ? list->child : NULL;
	snprintf(status, sn, "%s", xml_text(g, "Status"));
	writer[0] = want_arn[0] = '\0';
	struct xnode *mem = xml_child(g, "GlobalClusterMembers");
	for (struct xnode *m = mem ? mem->child : NULL; m; m = m->next) {
		char mreg[32], mid[64];
		const char *arn = xml_text(m, "DBClusterArn");
		if (aws_arn_cluster(arn, mreg, sizeof mreg, mid, sizeof mid) < 0)
			continue;
		if (!strcmp(xml_text(m, "IsWriter"), "true"))
			snprintf(writer, wn, "%s/%s", mreg, mid);
		if (!strcmp(mreg, want_region) && !strcmp(mid, want_id))
			snprintf(want_arn, an, "%s", arn);
	}
	xml_free(root);
	if (!g) {
		e->kind = AWS_ERR_API;
		snprintf(e->code, sizeof e->code, "GlobalClusterNotFoundFault");
		snprintf(e->msg, sizeof e->msg, "global database %.100s not found", global);
		return -1;
	}
	return 0;
}

int aws_rds_global_switchover(struct aws_client *cl, const char *region, const char *global, const char *target_arn,
			      struct aws_error *e)
{
	struct form f;
	struct xnode *root;
	start(&f, "SwitchoverGlobalCluster");
	add(&f, "GlobalClusterIdentifier", global);
	add(&f, "TargetDbClusterIdentifier", target_arn);
	struct xnode *res = call(cl, region, "SwitchoverGlobalCluster", &f, 0, &root, e);
	xml_free(root);
	return res ? 0 : -1;
}
