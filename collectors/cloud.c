/*
 * cloud.c - the AWS side of the fleet: one thread that resolves
 * credentials, discovers the RDS/Aurora instances of every configured
 * region (DescribeDBInstances/Clusters, every discover_s), fetches their
 * latest CloudWatch figures (every metrics_s) and publishes one cloud
 * snapshot. An auth error is shown and not retried for a whole discovery
 * period, so bad keys cannot become a request storm.
 */
#include "cloud.h"
#include "cloud_pi.h"
#include "prices.h"

#include "../aws/aws.h"
#include "../engines/engine.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cloud_state {
	struct cloud_run *run;
	struct aws_client *cl;
	struct aws_creds creds;
	char source[96], regions[CLOUD_MAX_REGIONS][32];
	int nregions;
	struct cloud_instance *inst;
	size_t n;
	double discovered_at, metrics_at;
	char error[300];
	int auth_failed;
	int login; /* the credentials wait for `aws sso login`: looked at again every 30 s */
	struct cloud_costs costs;
	char cost_error[300];
	struct cloud_event *events;
	size_t nevents;
	double events_at;
	int capped; /* the last discovery stopped at [aws] max_instances */
	struct cloud_pi_state *pi; /* Performance Insights of the instances a pane shows (cloud_pi.c) */
};

static void set_error(struct cloud_state *s, const char *what, const struct aws_error *e);

#define EVENTS_MINUTES 1440 /* a day of events: enough to see the night's incident */
#define EVENTS_MAX 200

static int newest_first(const void *a, const void *b)
{
	double x = ((const struct cloud_event *)a)->at, y = ((const struct cloud_event *)b)->at;
	return (x < y) - (x > y);
}

/* DescribeEvents in every region, newest first; kept as they were on an error. */
static void events(struct cloud_state *s)
{
	struct cloud_event *v = NULL;
	size_t n = 0, cap = 0;
	for (int r = 0; r < s->nregions; r++) {
		struct aws_error e;
		if (aws_rds_events(s->cl, s->regions[r], EVENTS_MINUTES, &v, &n, &cap, EVENTS_MAX, &e) < 0) {
			set_error(s, "DescribeEvents", &e);
			free(v);
			return;
		}
	}
	if (n) /* qsort wants a real array even for none */
		qsort(v, n, sizeof *v, newest_first);
	free(s->events);
	s->events = v;
	s->nevents = n;
	s->events_at = clock_mono();
}

/* Wait until 'until' (monotonic), a stop, or the user asking for costs; 1 if stopped. */
static int wait_until(struct cloud_run *r, double until, int *asked)
{
	pthread_mutex_lock(r->mu);
	while (!atomic_load(r->stop) && !(*asked = store_cloud_take_cost_request(r->st)) &&
	       !store_pi_take_request(r->st)) {
		double left = until - clock_mono();
		if (left <= 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double t = ts.tv_sec + ts.tv_nsec / 1e9 + (left < 1 ? left : 1);
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
		pthread_cond_timedwait(r->cv, r->mu, &ts);
	}
	pthread_mutex_unlock(r->mu);
	return atomic_load(r->stop);
}

static void set_error(struct cloud_state *s, const char *what, const struct aws_error *e)
{
	snprintf(s->error, sizeof s->error, "%.24s: %.60s%s%.200s", what, e->code, e->msg[0] ? ": " : "", e->msg);
	s->auth_failed = e->kind == AWS_ERR_AUTH || e->kind == AWS_ERR_CONFIG;
}

static int resolve(struct cloud_state *s)
{
	char region[32] = "", err[256];
	const struct cloud_config *cfg = &s->run->cfg;
	int rc = aws_creds_resolve_chain(cfg->profile[0] ? cfg->profile : NULL, s->run->stop, &s->creds, s->source,
					 sizeof s->source, region, sizeof region, err, sizeof err);
	s->login = rc == AWS_CREDS_LOGIN;
	if (rc < 0) {
		snprintf(s->error, sizeof s->error, "credentials: %s", err);
		s->auth_failed = 1;
		return -1;
	}
	s->nregions = 0;
	for (int i = 0; i < cfg->nregions; i++)
		snprintf(s->regions[s->nregions++], sizeof s->regions[0], "%s", cfg->regions[i]);
	if (!s->nregions && region[0])
		snprintf(s->regions[s->nregions++], sizeof s->regions[0], "%s", region);
	if (!s->nregions) {
		snprintf(s->error, sizeof s->error,
			 "no AWS region: give --region, AWS_REGION, or a region in the profile");
		s->auth_failed = 1;
		return -1;
	}
	if (!s->cl && !(s->cl = aws_client_new(&s->creds, s->run->stop)))
		return -1;
	aws_client_set_creds(s->cl, &s->creds);
	aws_client_set_budget(s->cl, cfg->budget);
	return 0;
}

/* Has the instance the tag "key=value"? */
static int has_tag(const struct cloud_instance *ci, const char *kv)
{
	char needle[300];
	snprintf(needle, sizeof needle, ",%s,", kv);
	return strstr(ci->tags, needle) != NULL;
}

/* Does the config's connect list name this instance (an id glob, or tag:key=value)? */
static int wanted(const struct cloud_config *cfg, const struct cloud_instance *ci)
{
	char list[sizeof cfg->connect];
	snprintf(list, sizeof list, "%s", cfg->connect);
	for (char *save = NULL, *g = strtok_r(list, ", ", &save); g; g = strtok_r(NULL, ", ", &save))
		if (!strncmp(g, "tag:", 4) ? has_tag(ci, g + 4) : !fnmatch(g, ci->id, 0))
			return 1;
	return 0;
}

/* Every tag the config's [aws] tags asks for? */
static int tags_match(const struct cloud_config *cfg, const struct cloud_instance *ci)
{
	char list[sizeof cfg->tags];
	snprintf(list, sizeof list, "%s", cfg->tags);
	for (char *save = NULL, *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (!has_tag(ci, t))
			return 0;
	return 1;
}

static int keep_tagged(const struct cloud_instance *ci, void *cfg)
{
	return tags_match(cfg, ci);
}

static void discover(struct cloud_state *s)
{
	struct cloud_instance *v = NULL;
	size_t n = 0, cap = 0, max = s->run->cfg.max_instances > 0 ? (size_t)s->run->cfg.max_instances : SIZE_MAX;
	int full = 0;
	/* only the instances the config's tags select, at most max_instances of them */
	for (int r = 0; r < s->nregions; r++) {
		struct aws_error e;
		int rc = aws_rds_discover_max(s->cl, s->regions[r], &v, &n, &cap, max, keep_tagged, &s->run->cfg, &e);
		if (rc < 0) {
			set_error(s, "DescribeDBInstances", &e);
			free(v);
			return;
		}
		full |= rc > 0;
	}
	s->capped = full;
	/* keep the metrics we had for instances still there */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < s->n; j++)
			if (!strcmp(v[i].id, s->inst[j].id) && !strcmp(v[i].region, s->inst[j].region)) {
				memcpy(v[i].metric, s->inst[j].metric, sizeof v[i].metric);
				memcpy(v[i].metric_at, s->inst[j].metric_at, sizeof v[i].metric_at);
				break;
			}
	for (size_t i = 0; i < n; i++)
		v[i].hourly_usd = price_hourly(&s->run->cfg, v[i].klass, v[i].engine, v[i].multi_az);
	free(s->inst);
	s->inst = v;
	s->n = n;
	s->discovered_at = clock_mono();
	s->error[0] = '\0';
	s->auth_failed = 0;
}

static void adopt(struct cloud_state *s)
{
	char why[200];
	for (size_t i = 0; s->run->adopt && i < s->n; i++)
		if (s->run->cfg.connect[0] && wanted(&s->run->cfg, &s->inst[i]) && s->inst[i].host[0] &&
		    s->run->adopt(s->run->done_arg, &s->inst[i], why, sizeof why) < 0)
			snprintf(s->error, sizeof s->error, "connect: cannot watch '%.64s': %.200s", s->inst[i].id, why);
}

static void metrics(struct cloud_state *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (int r = 0; r < s->nregions; r++) {
		struct aws_error e;
		/* 10 minutes back: CloudWatch RDS metrics arrive a minute or two late */
		if (aws_cw_latest(s->cl, s->regions[r], s->inst, s->n, (double)ts.tv_sec, 600, &e) < 0) {
			set_error(s, "GetMetricData", &e);
			return;
		}
	}
	s->metrics_at = clock_mono();
}

/* Costs from the disk cache while fresh (unless 'force'), else from Cost Explorer (billed). */
static void costs(struct cloud_state *s, double *next, int force)
{
	const struct cloud_config *cfg = &s->run->cfg;
	char path[1024];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double epoch = (double)ts.tv_sec;
	int cached = aws_ce_cache_path(cfg->profile, path, sizeof path) == 0;
	struct cloud_costs c;
	if (!force && cached && aws_ce_cache_load(path, cfg->cost_tag, &c) == 0 &&
	    epoch - c.fetched_at < cfg->cost_refresh_s && epoch >= c.fetched_at) {
		s->costs = c;
		*next = clock_mono() + cfg->cost_refresh_s - (epoch - c.fetched_at);
		return;
	}
	struct aws_error e;
	if (aws_ce_fetch(s->cl, cfg->cost_tag, (time_t)epoch, &c, &e) < 0) {
		snprintf(s->cost_error, sizeof s->cost_error, "Cost Explorer: %.60s%s%.200s", e.code,
			 e.msg[0] ? ": " : "", e.msg);
		*next = clock_mono() + cfg->cost_refresh_s; /* billed: no quick retry */
		return;
	}
	s->costs = c;
	s->cost_error[0] = '\0';
	if (cached)
		aws_ce_cache_save(path, &c);
	*next = clock_mono() + cfg->cost_refresh_s;
}

static void publish(struct cloud_state *s)
{
	struct cloud_snapshot *c = cloud_snapshot_new();
	if (!c)
		return;
	if (s->n && !(c->inst = malloc(s->n * sizeof *c->inst))) {
		free(c);
		return;
	}
	if (s->n)
		memcpy(c->inst, s->inst, s->n * sizeof *c->inst);
	c->n = s->n;
	snprintf(c->source, sizeof c->source, "%s", s->source);
	size_t o = 0;
	for (int r = 0; r < s->nregions && o < sizeof c->regions; r++)
		o += (size_t)snprintf(c->regions + o, sizeof c->regions - o, "%s%s", r ? "," : "", s->regions[r]);
	/* every override, by its host: a substring of the RDS URL alone hid an STS override */
	aws_endpoints_describe(s->nregions ? s->regions[0] : "us-east-1", c->endpoint, sizeof c->endpoint);
	if (s->error[0])
		snprintf(c->error, sizeof c->error, "%s", s->error);
	else if (s->capped) /* not an error of the round (metrics go on), but the list is not all */
		snprintf(c->error, sizeof c->error, "showing the first %d instances: more were found"
			 " ([aws] max_instances = %d)", s->run->cfg.max_instances, s->run->cfg.max_instances);
	c->auth_failed = s->auth_failed;
	c->discovered_at = s->discovered_at;
	c->metrics_at = s->metrics_at;
	c->requests = s->cl ? aws_client_requests(s->cl) : 0;
	c->costs = s->costs;
	snprintf(c->cost_error, sizeof c->cost_error, "%s", s->cost_error);
	c->prices_date = PRICES_DATE;
	if (s->nevents && (c->events = malloc(s->nevents * sizeof *c->events))) {
		memcpy(c->events, s->events, s->nevents * sizeof *c->events);
		c->nevents = s->nevents;
	}
	c->events_at = s->events_at;
	store_cloud_publish(s->run->st, c);
}

void *cloud_main(void *p)
{
	struct cloud_state s = {.run = p};
	const struct cloud_config *cfg = &s.run->cfg;
	double next_discover = 0, next_metrics = 0, next_cost = 0;
	int asked = 0;
	while (!atomic_load(s.run->stop)) {
		double now = clock_mono();
		if (now >= next_discover) {
			if (resolve(&s) == 0) {
				discover(&s);
				if (!s.error[0])
					adopt(&s);
			}
			next_discover = now + cfg->discover_s;
			next_metrics = s.error[0] ? next_discover : now;
		}
		if (!atomic_load(s.run->stop) && s.n && !s.error[0] && clock_mono() >= next_metrics) {
			metrics(&s);
			if (!s.error[0])
				events(&s); /* with the metrics: an incident's events show within a minute */
			next_metrics = clock_mono() + cfg->metrics_s;
		}
		if (!atomic_load(s.run->stop) && cfg->cost && !s.auth_failed && s.cl && (asked || clock_mono() >= next_cost)) {
			publish(&s); /* show the fleet before the (slower, billed) cost calls */
			costs(&s, &next_cost, asked);
			asked = 0;
		}
		if (!atomic_load(s.run->stop) && !s.auth_failed)
			cloud_pi_tick(&s.pi, s.run->st, cfg, s.cl, s.inst, s.n); /* only what a pane shows */
		if (atomic_load(s.run->stop))
			break;
		publish(&s);
		double until = next_discover < next_metrics ? next_discover : next_metrics;
		until = cloud_pi_next(s.pi, until);
		if (cfg->cost && next_cost > 0 && next_cost < until)
			until = next_cost;
		/* a transient (non-auth) error is tried again sooner than a full period, and so is a
		 * sign-in the user may do meanwhile (a file read: no request while no new token) */
		if (s.error[0] && (!s.auth_failed || s.login) && until > clock_mono() + 30) {
			until = clock_mono() + 30;
			next_discover = until;
		}
		if (wait_until(s.run, until, &asked))
			break;
	}
	aws_client_free(&s.cl);
	cloud_pi_free(&s.pi);
	memset(&s.creds, 0, sizeof s.creds);
	free(s.inst);
	free(s.events);
	void (*done)(void *) = s.run->done;
	void *arg = s.run->done_arg;
	free(s.run);
	done(arg);
	return NULL;
}
