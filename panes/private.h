/*
 * private.h - what the fleet pane's files share: each row's facts, the
 * problems-first order, grouping and the structured filter. Pure code
 * (no curses, no store calls): tests/unit/test_fleet_view.c reads it.
 */
#ifndef DBFLEET_PANES_PRIVATE_H
#define DBFLEET_PANES_PRIVATE_H

#include "pane.h"

/* What is wrong with a row, worst first: the order the fleet pane shows. */
enum fleet_problem {
	FP_DOWN, FP_AUTH, FP_STALLED, FP_AWS, FP_LAG, FP_SLOT, FP_XACT, FP_CONNS, FP_CPU, FP_CONNECTING, FP_OK, FP_N,
};

#define FLEET_LAG_S LAG_WARN_S                /* replication lag worth a look (model.h) */
#define FLEET_LAG_BYTES LAG_WARN_BYTES
#define FLEET_SLOT_BYTES (64.0 * 1024 * 1024) /* WAL an inactive replication slot holds */
#define FLEET_XACT_S 300.0                    /* a transaction open this long */
#define FLEET_CONNS_PCT 90.0                  /* connections used of usable */
#define FLEET_CPU_PCT 90.0                    /* CloudWatch CPUUtilization */

/* One row of the fleet before it is a row: what ordering, grouping and filtering look at. */
struct fleet_fact {
	struct row_ref ref;
	struct target_status st;          /* a target's; for an AWS row the name and engine AWS gives */
	struct snapshot *snap;            /* a target's latest (a reference), or NULL */
	const struct cloud_instance *ci;  /* the AWS instance it is (linked, or the row itself), or NULL */
	int problem;                      /* the worst: enum fleet_problem */
	unsigned flags;                   /* 1 << each problem it has (FP_OK when none) */
	char group[ROW_KEY_MAX];          /* its group's name; "" without grouping */
	int group_rank;                   /* the worst problem of its group */
};

/* The worst problem of a target (st, snap) or an AWS row (st NULL, ci); every one in '*flags'. */
int fleet_problem(const struct target_status *st, const struct snapshot *snap, const struct cloud_instance *ci,
		  double now, unsigned *flags);
/* "down", "auth", "stalled", "aws", "lag", "xact", "conns", "cpu", "connecting", "ok" */
const char *fleet_problem_name(int problem);

enum fleet_group_by { FG_NONE, FG_CLUSTER, FG_ENGINE, FG_REGION, FG_ACCOUNT, FG_TAG, FG_N };

struct fleet_grouping {
	enum fleet_group_by by;
	char tag[32];                     /* FG_TAG: the key */
};

/* "none", "cluster", "engine", "region", "account", "tag:KEY"; 0, or -1 with 'e'. */
int fleet_grouping_parse(const char *spec, struct fleet_grouping *g, struct err *e);
/* The spec back: "tag:team". */
void fleet_grouping_name(const struct fleet_grouping *g, char *out, size_t n);
/*
 * Each fact's group name. Cluster: an AWS instance's cluster (or its
 * source's id, or its own); a replica target joins the target its WAL
 * receiver connects to. 'account' names AWS rows with no account tag.
 */
void fleet_group_keys(struct fleet_fact *x, size_t n, const struct fleet_grouping *g, const char *account);

#define FLEET_FILTER_TERMS 8

enum fleet_term { FT_STATE, FT_ENGINE, FT_NAME, FT_TAG };

struct fleet_filter {
	int n;
	struct {
		enum fleet_term what;
		char key[32];                 /* FT_TAG */
		char value[64];               /* a glob for names, engines and tag values */
		int state;                    /* FT_STATE: enum fleet_problem */
	} term[FLEET_FILTER_TERMS];
	char text[160];                   /* as typed, for the title */
};

/* "state=down engine=mysql tag:env=prod name=orders*" (all must hold); "" clears; 0, or -1 with 'e'. */
int fleet_filter_parse(const char *spec, struct fleet_filter *f, struct err *e);
int fleet_filter_match(const struct fleet_filter *f, const struct fleet_fact *x);

/* Problems first: by group (its worst first, then its name), then problem, then name. */
void fleet_order(struct fleet_fact **x, size_t n);

/* Enter (fleet_detail.c): a target's every figure, live (p->overlay_ref), or an AWS instance's. */
void fleet_detail(struct pane *p, const struct pane_ctx *ctx);
/* A target's objective cells (fleet_slo.c): budget left, burn 1 h/6 h; 1 if it burns fast, 0 otherwise or
 * when it has no objective. */
int fleet_slo_cells(struct row *r, struct store *st, size_t t, int c_budget, int c_burn);
/* A group header's objective cells: its members' seconds summed, against the strictest of their objectives;
 * 1 if that burns fast. */
int fleet_slo_group(struct row *r, struct store *st, struct fleet_fact *const *x, size_t n, int c_budget, int c_burn);
/* The detail overlay's lines about the probe's round trip and the objective; snprintf's count. */
int fleet_slo_detail(struct store *st, size_t t, const struct snapshot *snap, char *out, size_t n);
void fleet_cloud_detail(struct pane *p, const struct pane_ctx *ctx, const struct row_ref *ref);
/* The reference of an AWS row: "REGION/ID", with "/ACCOUNT" when the account is known (cloud_of_ref reads it). */
struct row_ref fleet_ref_cloud(const struct cloud_instance *ci);
/* What the ACCOUNT column and account grouping call an instance's account: its alias, else its id ("" unknown). */
const char *fleet_account_name(const struct cloud_instance *ci);
/* The same, rewritten at each recalc for p->overlay_ref. */
void fleet_cloud_refresh(struct pane *p, const struct pane_ctx *ctx);

#endif
