/*
 * cloud_private.h - between cloud.c (the thread, accounts, discovery,
 * metrics, events, the snapshot) and cloud_costs.c (Cost Explorer for one
 * account or several). Everything here belongs to the cloud thread.
 */
#ifndef DBFLEET_CLOUD_PRIVATE_H
#define DBFLEET_CLOUD_PRIVATE_H

#include "cloud.h"

#include "../aws/aws.h"

struct cloud_pi_state;

/* One account as one profile reaches it. */
struct cloud_account {
	char profile[64];         /* "" the default chain (env keys, AWS_PROFILE, default) */
	const struct cloud_profile *conf; /* its own regions, NULL for none */
	int costs_only;           /* [aws] payer_profile, not one of the profiles discovered */
	struct aws_client *cl;    /* NULL until the first resolve */
	struct aws_creds creds;
	char source[96];          /* "profile prod (role dbfleet)" */
	char id[16], alias[64];   /* from STS once known; alias from [aws] aliases */
	char regions[CLOUD_MAX_REGIONS][32]; /* what this profile reads: another profile of the same account may read the rest */
	int nregions;
	char covered_by[64];      /* every region is read through this profile already */
	struct cloud_instance *inst;
	size_t n;
	struct cloud_event *events;
	size_t nevents;
	double discovered_at, metrics_at, events_at, next_discover, next_metrics;
	char error[300];
	int auth_failed;
	int login;                /* the credentials wait for `aws sso login`: looked at again every RETRY_S */
	int capped;               /* the last discovery stopped at [aws] max_instances */
	struct cloud_pi_state *pi;  /* Performance Insights of its instances a pane shows (cloud_pi.c) */
	int org_checked;          /* DescribeOrganization asked for account 'org_of': 'master' is the answer ("" none or unknown) */
	char master[16], org_of[16];
};

struct cloud_state {
	struct cloud_run *run;
	struct cloud_account acct[CLOUD_MAX_PROFILES + 1]; /* + a payer_profile that is only for costs */
	int nacct;
	int multi;                /* several profiles: accounts are named, costs combined */
	struct cloud_costs costs;
	char cost_error[300];
};

/* Credentials, client, regions and (with several profiles) the account id of 'a'; 0 or -1 (a->error). */
int cloud_resolve(struct cloud_state *s, struct cloud_account *a);
/* The account's name from [aws] aliases ("111111111111=payments,..."), "" if none. */
void cloud_alias_of(const char *aliases, const char *id, char *out, size_t n);
/* What the screen calls an account: its alias, else its id, else its profile. */
const char *cloud_account_label(const struct cloud_account *a);
/* Costs from the disk cache while fresh (unless 'force'), else from Cost Explorer (billed); '*next' the next time. */
void cloud_costs(struct cloud_state *s, double *next, int force);

#endif
