/* prices.h - on-demand hourly prices of RDS instance classes, for the cost pane's estimates. */
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

#endif
