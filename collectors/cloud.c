/*
 * cloud.c - the AWS side of the fleet: one thread that, for each account
 * (one per profile of [aws] profiles / --profile a,b; one when there is a
 * single profile), resolves credentials, discovers the RDS/Aurora instances
 * of its regions (DescribeDBInstances/Clusters, every discover_s), fetches
 * their latest CloudWatch figures (every metrics_s) and events, and
 * publishes one cloud snapshot of every account together.
 *
 * Each account has its own credentials, client (and so its own request
 * budget), regions, schedule and error: one account's auth error is shown
 * beside the others' instances, never instead of them. Two profiles that
 * reach the same account (STS GetCallerIdentity) read each region once: the
 * first profile listed reads it. An auth error is shown and not retried for
 * a whole discovery period, so bad keys cannot become a request storm.
 *
 * Costs (cloud_costs.c): one account's own Cost Explorer; with several, the
 * management account's grouped by LINKED_ACCOUNT, else each account's own,
 * added up, saying which.
 *
 * Everything here belongs to the cloud thread; what others see goes through
 * store_cloud_publish (an immutable snapshot) and the collector's adopt().
 */
#include "cloud_private.h"
#include "cloud_pi.h"
#include "prices.h"

#include "../engines/engine.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_MINUTES 1440 /* a day of events: enough to see the night's incident */
#define EVENTS_MAX 200
#define RETRY_S 30          /* a transient (non-auth) error is tried again this soon */

static void set_error(struct cloud_account *a, const char *what, const struct aws_error *e)
{
	snprintf(a->error, sizeof a->error, "%.24s: %.60s%s%.200s", what, e->code, e->msg[0] ? ": " : "", e->msg);
	a->auth_failed = e->kind == AWS_ERR_AUTH || e->kind == AWS_ERR_CONFIG;
}

const char *cloud_account_label(const struct cloud_account *a)
{
	return a->alias[0] ? a->alias : a->id[0] ? a->id : a->profile[0] ? a->profile : "default";
}

static int newest_first(const void *a, const void *b)
{
	double x = ((const struct cloud_event *)a)->at, y = ((const struct cloud_event *)b)->at;
	return (x < y) - (x > y);
}

/* DescribeEvents in every region of the account; kept as they were on an error. */
static void events(struct cloud_state *s, struct cloud_account *a)
{
	struct cloud_event *v = NULL;
	size_t n = 0, cap = 0;
	for (int r = 0; r < a->nregions; r++) {
		struct aws_error e;
		if (aws_rds_events(a->cl, a->regions[r], EVENTS_MINUTES, &v, &n, &cap, EVENTS_MAX, &e) < 0) {
			set_error(a, "DescribeEvents", &e);
			free(v);
			return;
		}
	}
	for (size_t i = 0; s->multi && i < n; i++)
		snprintf(v[i].account, sizeof v[i].account, "%s", cloud_account_label(a));
	free(a->events);
	a->events = v;
	a->nevents = n;
	a->events_at = clock_mono();
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

void cloud_alias_of(const char *aliases, const char *id, char *out, size_t n)
{
	size_t il = strlen(id);
	out[0] = '\0';
	for (const char *p = aliases; il && *p;) {
		size_t len = strcspn(p, ",");
		if (len > il + 1 && !strncmp(p, id, il) && p[il] == '=' && n) {
			size_t k = len - il - 1 < n - 1 ? len - il - 1 : n - 1;
			memcpy(out, p + il + 1, k);
			out[k] = '\0';
			return;
		}
		p += len + (p[len] == ',');
	}
}

/*
 * Two profiles of the same account read each region once: the regions an
 * earlier profile of that account reads are dropped from this one's. With
 * none left, the account says which profile covers it.
 */
static void dedupe(struct cloud_state *s, struct cloud_account *a)
{
	a->covered_by[0] = '\0';
	for (struct cloud_account *b = s->acct; b < a && a->id[0]; b++) {
		/* b with a transient error still reads its regions (again soon); with an auth error, a does */
		if (b->costs_only || strcmp(b->id, a->id) || b->auth_failed)
			continue;
		int k = 0;
		for (int r = 0; r < a->nregions; r++) {
			int dup = 0;
			for (int q = 0; q < b->nregions && !dup; q++)
				dup = !strcmp(a->regions[r], b->regions[q]);
			if (!dup)
				memmove(a->regions[k++], a->regions[r], sizeof a->regions[0]);
		}
		a->nregions = k;
		if (!k)
			memcpy(a->covered_by, b->profile, sizeof a->covered_by); /* the same size */
	}
}

/* The account's regions: its profile's own, else [aws] regions, else the profile's region. */
static int regions_of(struct cloud_state *s, struct cloud_account *a, const char *region)
{
	const struct cloud_config *cfg = &s->run->cfg;
	int n = a->conf && a->conf->nregions ? a->conf->nregions : cfg->nregions;
	a->nregions = 0;
	for (int i = 0; i < n; i++)
		snprintf(a->regions[a->nregions++], sizeof a->regions[0], "%s",
			 a->conf && a->conf->nregions ? a->conf->regions[i] : cfg->regions[i]);
	if (!a->nregions && region[0])
		snprintf(a->regions[a->nregions++], sizeof a->regions[0], "%s", region);
	if (a->nregions)
		return 0;
	snprintf(a->error, sizeof a->error, "no AWS region: give --region, AWS_REGION, or a region in the profile");
	a->auth_failed = 1;
	return -1;
}

int cloud_resolve(struct cloud_state *s, struct cloud_account *a)
{
	char region[32] = "", err[256];
	const struct cloud_config *cfg = &s->run->cfg;
	a->error[0] = '\0';
	a->auth_failed = 0;
	int rc = aws_creds_resolve_chain(a->profile[0] ? a->profile : NULL, s->run->stop, &a->creds, a->source,
					 sizeof a->source, region, sizeof region, err, sizeof err);
	a->login = rc == AWS_CREDS_LOGIN;
	if (rc < 0) {
		snprintf(a->error, sizeof a->error, "credentials: %s", err);
		a->auth_failed = 1;
		return -1;
	}
	if (regions_of(s, a, region) < 0)
		return -1;
	if (!a->cl && !(a->cl = aws_client_new(&a->creds, s->run->stop))) {
		snprintf(a->error, sizeof a->error, "out of memory");
		return -1;
	}
	aws_client_set_creds(a->cl, &a->creds);
	aws_client_set_budget(a->cl, cfg->budget);
	if (s->multi) { /* each round: an edited profile may reach another account now */
		struct aws_error e;
		if (aws_sts_caller_account(a->cl, a->regions[0], a->id, sizeof a->id, &e) < 0) {
			set_error(a, "GetCallerIdentity", &e);
			return -1;
		}
		if (strcmp(a->id, a->org_of)) /* Organizations is asked again for a new account */
			a->org_checked = 0;
	}
	if (a->id[0])
		cloud_alias_of(cfg->aliases, a->id, a->alias, sizeof a->alias);
	dedupe(s, a);
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

/* What discovery cannot know: the account's names, the profile, the price, the metrics we had. */
static void stamp(struct cloud_state *s, struct cloud_account *a, struct cloud_instance *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a->id[0]) /* STS's answer over the ARN's */
			snprintf(v[i].account, sizeof v[i].account, "%s", a->id);
		snprintf(v[i].account_alias, sizeof v[i].account_alias, "%s", a->alias);
		snprintf(v[i].profile, sizeof v[i].profile, "%s", a->profile);
		v[i].hourly_usd = price_hourly(&s->run->cfg, v[i].klass, v[i].engine, v[i].multi_az);
		for (size_t j = 0; j < a->n; j++)
			if (!strcmp(v[i].id, a->inst[j].id) && !strcmp(v[i].region, a->inst[j].region)) {
				memcpy(v[i].metric, a->inst[j].metric, sizeof v[i].metric);
				memcpy(v[i].metric_at, a->inst[j].metric_at, sizeof v[i].metric_at);
				break;
			}
	}
}

static void discover(struct cloud_state *s, struct cloud_account *a)
{
	struct cloud_instance *v = NULL;
	size_t n = 0, cap = 0, max = s->run->cfg.max_instances > 0 ? (size_t)s->run->cfg.max_instances : SIZE_MAX;
	int full = 0;
	/* only the instances the config's tags select, at most max_instances of them */
	for (int r = 0; r < a->nregions; r++) {
		struct aws_error e;
		int rc = aws_rds_discover_max(a->cl, a->regions[r], &v, &n, &cap, max, keep_tagged, &s->run->cfg, &e);
		if (rc < 0) {
			set_error(a, "DescribeDBInstances", &e);
			free(v);
			return;
		}
		full |= rc > 0;
	}
	a->capped = full;
	stamp(s, a, v, n);
	free(a->inst);
	a->inst = v;
	a->n = n;
	a->discovered_at = clock_mono();
}

static void adopt(struct cloud_state *s, struct cloud_account *a)
{
	char why[200];
	for (size_t i = 0; s->run->adopt && i < a->n; i++)
		if (s->run->cfg.connect[0] && wanted(&s->run->cfg, &a->inst[i]) && a->inst[i].host[0] &&
		    s->run->adopt(s->run->done_arg, &a->inst[i], why, sizeof why) < 0)
			snprintf(a->error, sizeof a->error, "connect: cannot watch '%.64s': %.200s", a->inst[i].id, why);
}

static void metrics(struct cloud_account *a)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (int r = 0; r < a->nregions; r++) {
		struct aws_error e;
		/* 10 minutes back: CloudWatch RDS metrics arrive a minute or two late */
		if (aws_cw_latest(a->cl, a->regions[r], a->inst, a->n, (double)ts.tv_sec, 600, &e) < 0) {
			set_error(a, "GetMetricData", &e);
			return;
		}
	}
	a->metrics_at = clock_mono();
}

/* The earlier of two times, where 0 is none. */
static double min_time(double a, double b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Every account's instances and events, newest events first. 0, or -1 on OOM. */
static int merge(const struct cloud_state *s, struct cloud_snapshot *c)
{
	size_t n = 0, ne = 0;
	for (int i = 0; i < s->nacct; i++) {
		n += s->acct[i].n;
		ne += s->acct[i].nevents;
	}
	if ((n && !(c->inst = malloc(n * sizeof *c->inst))) || (ne && !(c->events = malloc(ne * sizeof *c->events))))
		return -1;
	for (int i = 0; i < s->nacct; i++) {
		const struct cloud_account *a = &s->acct[i];
		if (a->n)
			memcpy(c->inst + c->n, a->inst, a->n * sizeof *c->inst);
		if (a->nevents)
			memcpy(c->events + c->nevents, a->events, a->nevents * sizeof *c->events);
		c->n += a->n;
		c->nevents += a->nevents;
		c->discovered_at = min_time(c->discovered_at, a->discovered_at);
		c->metrics_at = min_time(c->metrics_at, a->metrics_at);
		c->events_at = min_time(c->events_at, a->events_at);
		c->requests += a->cl ? aws_client_requests(a->cl) : 0;
	}
	if (c->nevents) /* qsort wants a real array even for none */
		qsort(c->events, c->nevents, sizeof *c->events, newest_first);
	return 0;
}

/* Append "text" to a 'sep'-separated line of at most n bytes. */
static void append(char *line, size_t n, const char *sep, const char *text)
{
	size_t o = strlen(line), sl = o ? strlen(sep) : 0, tl = strlen(text);
	if (o + sl + 1 >= n)
		return;
	memcpy(line + o, sep, sl);
	o += sl;
	tl = tl < n - o - 1 ? tl : n - o - 1;
	memcpy(line + o, text, tl);
	line[o + tl] = '\0';
}

/* Is 'word' one of the comma-separated words of 'list'? */
static int listed(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == wl && !strncmp(p, word, wl))
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* Where the keys came from, the regions read, and every account's error (named by its account). */
static void describe(const struct cloud_state *s, struct cloud_snapshot *c)
{
	const struct cloud_config *cfg = &s->run->cfg;
	char one[400];
	if (!s->multi)
		snprintf(c->source, sizeof c->source, "%s", s->acct[0].source);
	else
		snprintf(c->source, sizeof c->source, "%d profiles", s->nacct - s->acct[s->nacct - 1].costs_only);
	for (int i = 0; i < s->nacct; i++) {
		const struct cloud_account *a = &s->acct[i];
		for (int r = 0; r < a->nregions && !a->costs_only; r++)
			if (!listed(c->regions, a->regions[r]))
				append(c->regions, sizeof c->regions, ",", a->regions[r]);
		if (a->error[0] && s->multi) {
			snprintf(one, sizeof one, "%s (profile %s): %s", cloud_account_label(a), a->profile[0] ? a->profile
				 : "default", a->error);
			append(c->error, sizeof c->error, "; ", one);
		} else if (a->error[0]) {
			snprintf(c->error, sizeof c->error, "%s", a->error);
		} else if (a->capped) { /* not an error of the round (metrics go on), but the list is not all */
			snprintf(one, sizeof one, "showing the first %d instances: more were found ([aws] max_instances = %d)",
				 cfg->max_instances, cfg->max_instances);
			append(c->error, sizeof c->error, "; ", one);
		}
		c->auth_failed |= a->auth_failed && a->error[0];
	}
	/* every override, by its host: a substring of the RDS URL alone hid an STS override */
	aws_endpoints_describe(s->acct[0].nregions ? s->acct[0].regions[0] : "us-east-1", c->endpoint, sizeof c->endpoint);
}

static void publish(struct cloud_state *s)
{
	struct cloud_snapshot *c = cloud_snapshot_new();
	if (!c)
		return;
	if (merge(s, c) < 0) {
		cloud_snapshot_release(&c);
		return;
	}
	describe(s, c);
	c->costs = s->costs;
	snprintf(c->cost_error, sizeof c->cost_error, "%s", s->cost_error);
	c->prices_date = PRICES_DATE;
	store_cloud_publish(s->run->st, c);
}

/* One account's turn: discovery when due, then metrics and events when due. */
static void account_round(struct cloud_state *s, struct cloud_account *a)
{
	const struct cloud_config *cfg = &s->run->cfg;
	double now = clock_mono();
	if (now >= a->next_discover) {
		if (cloud_resolve(s, a) == 0 && !a->covered_by[0]) {
			discover(s, a);
			if (!a->error[0])
				adopt(s, a);
		} else if (a->covered_by[0]) { /* another profile of the account reads all its regions */
			free(a->inst);
			a->inst = NULL;
			a->n = 0;
			a->nevents = 0;
		}
		a->next_discover = now + cfg->discover_s;
		a->next_metrics = a->error[0] ? a->next_discover : now;
	}
	if (!atomic_load(s->run->stop) && a->n && !a->error[0] && clock_mono() >= a->next_metrics) {
		metrics(a);
		if (!a->error[0])
			events(s, a); /* with the metrics: an incident's events show within a minute */
		a->next_metrics = clock_mono() + cfg->metrics_s;
	}
	/* a transient (non-auth) error is tried again sooner than a full period, and so is a
	 * sign-in the user may do meanwhile (a file read: no request while no new token) */
	if (a->error[0] && (!a->auth_failed || a->login) && a->next_discover > clock_mono() + RETRY_S)
		a->next_discover = clock_mono() + RETRY_S;
}

/* When the next account has something to do. */
static double next_due(const struct cloud_state *s)
{
	double until = 0;
	for (int i = 0; i < s->nacct; i++) {
		const struct cloud_account *a = &s->acct[i];
		if (a->costs_only)
			continue;
		until = min_time(until, a->next_discover);
		if (a->n && !a->error[0])
			until = min_time(until, a->next_metrics);
	}
	return until;
}

/* May Cost Explorer be asked: some account has working keys. */
static int costs_possible(const struct cloud_state *s)
{
	for (int i = 0; i < s->nacct; i++)
		if (!s->acct[i].costs_only && s->acct[i].cl && !s->acct[i].auth_failed)
			return 1;
	return 0;
}

/* One account per profile (the single profile, or none, when there is no list); a payer profile for costs. */
static void accounts_init(struct cloud_state *s)
{
	const struct cloud_config *cfg = &s->run->cfg;
	for (int i = 0; i < cfg->nprofiles; i++) {
		snprintf(s->acct[i].profile, sizeof s->acct[i].profile, "%s", cfg->profiles[i].name);
		s->acct[i].conf = &cfg->profiles[i];
	}
	s->nacct = cfg->nprofiles;
	if (!s->nacct)
		snprintf(s->acct[s->nacct++].profile, sizeof s->acct[0].profile, "%s", cfg->profile);
	s->multi = s->nacct > 1 || cfg->payer_profile[0];
	int payer = -1;
	for (int i = 0; i < s->nacct && cfg->payer_profile[0]; i++)
		payer = strcmp(s->acct[i].profile, cfg->payer_profile) ? payer : i;
	if (cfg->payer_profile[0] && payer < 0) {
		struct cloud_account *a = &s->acct[s->nacct++];
		snprintf(a->profile, sizeof a->profile, "%s", cfg->payer_profile);
		a->costs_only = 1;
	}
}

void *cloud_main(void *p)
{
	struct cloud_state s = {.run = p};
	const struct cloud_config *cfg = &s.run->cfg;
	double next_cost = 0;
	int asked = 0;
	accounts_init(&s);
	while (!atomic_load(s.run->stop)) {
		for (int i = 0; i < s.nacct && !atomic_load(s.run->stop); i++)
			if (!s.acct[i].costs_only)
				account_round(&s, &s.acct[i]);
		if (!atomic_load(s.run->stop) && cfg->cost && costs_possible(&s) && (asked || clock_mono() >= next_cost)) {
			publish(&s); /* show the fleet before the (slower, billed) cost calls */
			cloud_costs(&s, &next_cost, asked);
			asked = 0;
		}
		for (int i = 0; i < s.nacct && !atomic_load(s.run->stop); i++) /* only what a pane shows, */
			if (!s.acct[i].costs_only && s.acct[i].cl && !s.acct[i].auth_failed) /* with its account's client */
				cloud_pi_tick(&s.acct[i].pi, s.run->st, cfg, s.acct[i].cl, s.acct[i].inst, s.acct[i].n);
		if (atomic_load(s.run->stop))
			break;
		publish(&s);
		double until = next_due(&s);
		for (int i = 0; i < s.nacct; i++)
			until = cloud_pi_next(s.acct[i].pi, until);
		if (cfg->cost && next_cost > 0 && next_cost < until)
			until = next_cost;
		if (wait_until(s.run, until, &asked))
			break;
	}
	for (int i = 0; i < s.nacct; i++) {
		aws_client_free(&s.acct[i].cl);
		cloud_pi_free(&s.acct[i].pi);
		memset(&s.acct[i].creds, 0, sizeof s.acct[i].creds);
		free(s.acct[i].inst);
		free(s.acct[i].events);
	}
	void (*done)(void *) = s.run->done;
	void *arg = s.run->done_arg;
	free(s.run);
	done(arg);
	return NULL;
}
