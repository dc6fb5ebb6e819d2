/*
 * cloud_pi.c - Performance Insights on demand: the cloud thread asks PI
 * only for the instances a pane or overlay shows (store_pi_watch, renewed
 * at each recalc), once a minute each, and publishes each instance's
 * figures in the store (store_pi_publish). An instance no pane shows any
 * more is forgotten. The state here is the cloud thread's alone.
 */
#include "cloud_pi.h"
#include "prices.h"

#include "../aws/aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct watched {
	char key[STORE_PI_KEY];   /* "" free */
	double due;               /* monotonic */
	int have;                 /* 'last' holds a fetch */
	struct cloud_pi last;     /* whole texts carry over from it */
};

struct cloud_pi_state {
	struct watched w[STORE_PI_WATCH];
};

static struct watched *find(struct cloud_pi_state *ps, const char *key, int make)
{
	for (int i = 0; i < STORE_PI_WATCH; i++)
		if (!strcmp(ps->w[i].key, key) && key[0])
			return &ps->w[i];
	for (int i = 0; make && i < STORE_PI_WATCH; i++)
		if (!ps->w[i].key[0]) {
			memset(&ps->w[i], 0, sizeof ps->w[i]);
			snprintf(ps->w[i].key, sizeof ps->w[i].key, "%s", key);
			return &ps->w[i];
		}
	return NULL;
}

/* Forget what no pane watches now. */
static void forget(struct cloud_pi_state *ps, char (*keys)[STORE_PI_KEY], size_t nk)
{
	for (int i = 0; i < STORE_PI_WATCH; i++) {
		size_t k = 0;
		while (k < nk && strcmp(keys[k], ps->w[i].key))
			k++;
		if (k == nk)
			ps->w[i].key[0] = '\0';
	}
}

/* One instance's figures, or why there are none (the last figures kept beside the error). */
static void fetch(struct watched *w, struct store *st, const struct cloud_config *cfg, struct aws_client *cl,
		  const struct cloud_instance *ci)
{
	struct pi_snapshot *p = pi_snapshot_new();
	if (!p)
		return;
	struct cloud_pi *o = &p->pi;
	struct aws_error e;
	if (!ci->pi_enabled) {
		o->load = -1;
		snprintf(o->error, sizeof o->error, "Performance Insights is off for '%s'", ci->id);
	} else if (aws_pi_fetch(cl, ci->region, ci->resource_id, time(NULL), CLOUD_PI_WINDOW_S,
				w->have ? &w->last : NULL, o, &e) == 0) {
		w->last = *o;
		w->have = 1;
	} else {
		unsigned req = o->requests;
		if (w->have) {
			*o = w->last;
		} else { /* half a fetch is not shown */
			o->load = -1;
			o->nwait = o->nsql = 0;
			o->fetched_at = 0;
		}
		o->requests = req;
		snprintf(o->error, sizeof o->error, "Performance Insights: %.60s%s%.200s", e.code, e.msg[0] ? ": " : "",
			 e.msg);
	}
	snprintf(o->region, sizeof o->region, "%s", ci->region);
	snprintf(o->id, sizeof o->id, "%s", ci->id);
	o->vcpus = class_vcpus(cfg, ci->klass);
	store_pi_publish(st, p);
}

void cloud_pi_tick(struct cloud_pi_state **ps, struct store *st, const struct cloud_config *cfg,
		   struct aws_client *cl, const struct cloud_instance *inst, size_t n)
{
	char keys[STORE_PI_WATCH][STORE_PI_KEY];
	size_t nk = store_pi_watched(st, keys, STORE_PI_WATCH);
	if (!nk && !*ps)
		return;
	if (!*ps && !(*ps = calloc(1, sizeof **ps)))
		return;
	forget(*ps, keys, nk);
	for (size_t k = 0; k < nk; k++)
		for (size_t i = 0; cl && i < n; i++) {
			char key[STORE_PI_KEY];
			snprintf(key, sizeof key, "%s/%s", inst[i].region, inst[i].id);
			if (strcmp(key, keys[k]))
				continue;
			struct watched *w = find(*ps, key, 1);
			if (w && clock_mono() >= w->due) {
				fetch(w, st, cfg, cl, &inst[i]);
				w->due = clock_mono() + CLOUD_PI_EVERY_S;
			}
			break;
		}
}

double cloud_pi_next(const struct cloud_pi_state *ps, double until)
{
	for (int i = 0; ps && i < STORE_PI_WATCH; i++)
		if (ps->w[i].key[0] && ps->w[i].due < until)
			until = ps->w[i].due;
	return until;
}

void cloud_pi_free(struct cloud_pi_state **ps)
{
	if (ps) {
		free(*ps);
		*ps = NULL;
	}
}
