/* prices.h - RDS instance classes: on-demand hourly prices (the cost pane's estimates) and vCPUs. */
#ifndef DBFLEET_PRICES_H
#define DBFLEET_PRICES_H

#include "collector.h"

/* What the built-in table is: shown beside every estimate. */
extern const char PRICES_DATE[];

/*
 * USD per hour for 'klass' running 'engine' ("aurora-postgresql", "mysql",
 * ...), doubled for Multi-AZ (a standby is billed), overrides from the
 * config first. -1 if unknown.
 */
double price_hourly(const struct cloud_config *cfg, const char *klass, const char *engine, int multi_az);

/*
 * The vCPUs of 'klass' (Performance Insights' load is read against them):
 * the config's [vcpus] first, then the built-in table, then the size in the
 * name (large 2, xlarge 4, 8xlarge 32). -1 if unknown.
 */
int class_vcpus(const struct cloud_config *cfg, const char *klass);

#endif
