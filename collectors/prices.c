/*
 * prices.c - the price table shipped with dbfleet: approximate us-east-1
 * on-demand list prices per hour for the common RDS classes, and their vCPUs. They are an
 * estimate to rank instances by, not a bill (the cost pane's figures from
 * Cost Explorer are the bill); [prices] and [vcpus] in the config override any class.
 */
#include "prices.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char PRICES_DATE[] = "built-in (us-east-1 list, approximate, 2026-11)";

struct price {
	const char *klass;
	double rds;    /* RDS for PostgreSQL/MySQL/MariaDB, Single-AZ */
	double aurora; /* Aurora standard, per instance; 0 = not offered */
	int vcpus;     /* Performance Insights' load is read against these */
};

static const struct price table[] = {
	{"db.t3.micro", 0.018, 0, 2},       {"db.t3.small", 0.036, 0, 2},       {"db.t3.medium", 0.072, 0.082, 2},
	{"db.t3.large", 0.145, 0, 2},       {"db.t4g.micro", 0.016, 0, 2},      {"db.t4g.small", 0.032, 0, 2},
	{"db.t4g.medium", 0.065, 0.073, 2}, {"db.t4g.large", 0.129, 0.146, 2},
	{"db.m5.large", 0.178, 0, 2},       {"db.m5.xlarge", 0.356, 0, 4},      {"db.m5.2xlarge", 0.712, 0, 8},
	{"db.m5.4xlarge", 1.424, 0, 16},    {"db.m6g.large", 0.159, 0, 2},      {"db.m6g.xlarge", 0.318, 0, 4},
	{"db.m6g.2xlarge", 0.636, 0, 8},    {"db.m6i.large", 0.178, 0, 2},      {"db.m6i.xlarge", 0.356, 0, 4},
	{"db.m7g.large", 0.168, 0, 2},      {"db.m7g.xlarge", 0.337, 0, 4},
	{"db.r5.large", 0.250, 0.290, 2},   {"db.r5.xlarge", 0.500, 0.580, 4},  {"db.r5.2xlarge", 1.000, 1.160, 8},
	{"db.r6g.large", 0.225, 0.260, 2},  {"db.r6g.xlarge", 0.449, 0.519, 4}, {"db.r6g.2xlarge", 0.899, 1.038, 8},
	{"db.r6g.4xlarge", 1.798, 2.076, 16}, {"db.r6i.large", 0.250, 0.290, 2}, {"db.r6i.xlarge", 0.500, 0.580, 4},
	{"db.r7g.large", 0.239, 0.276, 2},  {"db.r7g.xlarge", 0.478, 0.553, 4}, {"db.r7g.2xlarge", 0.956, 1.106, 8},
};

/* The config's figure for 'klass' (the last given wins), or -1. */
static double override(const struct class_value *tab, int n, const char *klass)
{
	double v = -1;
	for (int i = 0; i < n; i++)
		if (!strcasecmp(tab[i].klass, klass))
			v = tab[i].v;
	return v;
}

static const struct price *builtin(const char *klass)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcasecmp(table[i].klass, klass))
			return &table[i];
	return NULL;
}

double price_hourly(const struct cloud_config *cfg, const char *klass, const char *engine, int multi_az)
{
	double p = cfg ? override(cfg->prices, cfg->nprices, klass) : -1;
	int aurora = !strncmp(engine, "aurora", 6);
	const struct price *b = p < 0 ? builtin(klass) : NULL;
	if (b)
		p = aurora ? (b->aurora > 0 ? b->aurora : -1) : b->rds;
	/* Aurora replicas are instances of their own; Multi-AZ RDS bills the standby */
	return p >= 0 && multi_az && !aurora ? 2 * p : p;
}

int class_vcpus(const struct cloud_config *cfg, const char *klass)
{
	double v = cfg ? override(cfg->vcpus, cfg->nvcpus, klass) : -1;
	if (v >= 1)
		return (int)v;
	const struct price *b = builtin(klass);
	if (b)
		return b->vcpus;
	/* a class the table lacks: its size says it (large 2, xlarge 4, 8xlarge 32) */
	const char *size = strrchr(klass, '.');
	if (!size || !strncmp(klass, "db.t", 4))
		return -1;
	if (!strcmp(size, ".large"))
		return 2;
	char *end;
	long mult = strcmp(size, ".xlarge") ? strtol(size + 1, &end, 10) : 1;
	if (!strcmp(size, ".xlarge") || (mult > 0 && mult <= 64 && !strcmp(end, "xlarge")))
		return 4 * (int)mult;
	return -1;
}
