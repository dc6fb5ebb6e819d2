/*
 * prices.c - the price table shipped with dbfleet: approximate us-east-1
 * on-demand list prices per hour for the common RDS classes. They are an
 * estimate to rank instances by, not a bill (the cost pane's figures from
 * Cost Explorer are the bill); [prices] in the config overrides any class.
 */
#include "prices.h"

#include <string.h>
#include <strings.h>

const char PRICES_DATE[] = "built-in (us-east-1 list, approximate, 2026-11)";

struct price {
	const char *klass;
	double rds;    /* RDS for PostgreSQL/MySQL/MariaDB, Single-AZ */
	double aurora; /* Aurora standard, per instance; 0 = not offered */
};

static const struct price table[] = {
	{"db.t3.micro", 0.018, 0},     {"db.t3.small", 0.036, 0},     {"db.t3.medium", 0.072, 0.082},
	{"db.t3.large", 0.145, 0},     {"db.t4g.micro", 0.016, 0},    {"db.t4g.small", 0.032, 0},
	{"db.t4g.medium", 0.065, 0.073}, {"db.t4g.large", 0.129, 0.146},
	{"db.m5.large", 0.178, 0},     {"db.m5.xlarge", 0.356, 0},    {"db.m5.2xlarge", 0.712, 0},
	{"db.m5.4xlarge", 1.424, 0},   {"db.m6g.large", 0.159, 0},    {"db.m6g.xlarge", 0.318, 0},
	{"db.m6g.2xlarge", 0.636, 0},  {"db.m6i.large", 0.178, 0},    {"db.m6i.xlarge", 0.356, 0},
	{"db.m7g.large", 0.168, 0},    {"db.m7g.xlarge", 0.337, 0},
	{"db.r5.large", 0.250, 0.290}, {"db.r5.xlarge", 0.500, 0.580}, {"db.r5.2xlarge", 1.000, 1.160},
	{"db.r6g.large", 0.225, 0.260}, {"db.r6g.xlarge", 0.449, 0.519}, {"db.r6g.2xlarge", 0.899, 1.038},
	{"db.r6g.4xlarge", 1.798, 2.076}, {"db.r6i.large", 0.250, 0.290}, {"db.r6i.xlarge", 0.500, 0.580},
	{"db.r7g.large", 0.239, 0.276}, {"db.r7g.xlarge", 0.478, 0.553}, {"db.r7g.2xlarge", 0.956, 1.106},
};

double price_hourly(const struct cloud_config *cfg, const char *klass, const char *engine, int multi_az)
{
	double p = -1;
	for (int i = 0; cfg && i < cfg->nprices; i++)
		if (!strcasecmp(cfg->prices[i].klass, klass))
			p = cfg->prices[i].usd;
	int aurora = !strncmp(engine, "aurora", 6);
	for (size_t i = 0; p < 0 && i < sizeof table / sizeof table[0]; i++)
		if (!strcasecmp(table[i].klass, klass))
			p = aurora ? (table[i].aurora > 0 ? table[i].aurora : -1) : table[i].rds;
	/* Aurora replicas are instances of their own; Multi-AZ RDS bills the standby */
	return p >= 0 && multi_az && !aurora ? 2 * p : p;
}
