/* cloud_pi.h - Performance Insights for the instances the UI shows, on the cloud thread. */
#ifndef DBFLEET_CLOUD_PI_H
#define DBFLEET_CLOUD_PI_H

#include "collector.h"

struct aws_client;
struct cloud_pi_state;

/*
 * For each instance among inst[0..n) that a pane watches (store_pi_watch)
 * and is due (a new one at once, then every CLOUD_PI_EVERY_S): fetch its
 * figures with 'cl' (the client of its account; its per-minute budget holds)
 * and publish them. '*ps' is made on first use. Cloud thread only.
 */
void cloud_pi_tick(struct cloud_pi_state **ps, struct store *st, const struct cloud_config *cfg,
		   struct aws_client *cl, const struct cloud_instance *inst, size_t n);
/* The sooner of 'until' and the next fetch due (monotonic). */
double cloud_pi_next(const struct cloud_pi_state *ps, double until);
/* NULL-safe, sets *ps to NULL. */
void cloud_pi_free(struct cloud_pi_state **ps);

#define CLOUD_PI_EVERY_S 60
#define CLOUD_PI_WINDOW_S 300 /* averages over the last five minutes */

#endif
