/*
 * config_keys.c - every key of dbfleet.conf(5) as one table: its section, its
 * field, its bounds and the words of its error; one setter a kind of value.
 * tui/config.c reads the files and calls config_key_set() for each line.
 */
#include "config_private.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_F(f) .off = offsetof(struct options, f), .size = sizeof ((struct options *)0)->f
#define TGT_F(f) .off = offsetof(struct collector_target, f), .size = sizeof ((struct collector_target *)0)->f
#define TGT_ALL .off = 0, .size = sizeof (struct collector_target)
#define AWS_F(f) .off = offsetof(struct cloud_config, f), .size = sizeof ((struct cloud_config *)0)->f
#define AWS_ALL .off = 0, .size = sizeof (struct cloud_config)
#define RED_F(f) .off = offsetof(struct serve_conf, f), .size = sizeof ((struct serve_conf *)0)->f
#define SECONDS(lo) .min = lo, .max = 3600, .want = "a number of seconds between " #lo " and 3600"
#define BOOL_WANT .want = "true or false"

static int parse_engine(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_dsn(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_service(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_tags(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_regions(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_password(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_percent(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_profiles(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_aliases(char *field, size_t size, const char *v, char *msg, size_t n);
static int parse_redis_url(char *field, size_t size, const char *v, char *msg, size_t n);

const struct config_key config_keys[] = {
	{SEC_GLOBAL, "include", KEY_INCLUDE, .want = "a file or a glob"},
	{SEC_GLOBAL, "refresh", KEY_SECONDS, OPT_F(refresh_s), SECONDS(0.1)},
	{SEC_GLOBAL, "timeout", KEY_SECONDS, OPT_F(timeout_s), SECONDS(0.1)},
	{SEC_GLOBAL, "read_only", KEY_BOOL, OPT_F(read_only), BOOL_WANT},
	{SEC_GLOBAL, "audit_log", KEY_TEXT, OPT_F(audit_log), .min = 1, .want = "a file path"},
	{SEC_GLOBAL, "keymap", KEY_TEXT, OPT_F(keymap), .min = 1,
	 .chars = "abcdefghijklmnopqrstuvwxyz_-0123456789", .want = "a keymap name"},
	{SEC_GLOBAL, "samplers", KEY_INT, OPT_F(samplers), .min = 0, .max = 16,
	 .want = "a number of sampler threads from 0 (one per core) to 16"},
	{SEC_GLOBAL, "mouse", KEY_BOOL, OPT_F(mouse), .want = "on or off"},
	{SEC_GLOBAL, "record_max_mb", KEY_INT, OPT_F(record_max_mb), .min = 1, .max = 1048576,
	 .want = "a size in MiB from 1 to 1048576 (--record: the file then becomes FILE.1)"},
	{SEC_GLOBAL, "fleet", KEY_TEXT, OPT_F(fleet), .min = 1,
	 .chars = FLEET_NAME_CHARS,
	 .want = "a name of letters, digits, '.', '_' and '-' (at most 63)"},

	{SEC_TARGET, "engine", KEY_FUNC, TGT_F(engine), .parse = parse_engine},
	{SEC_TARGET, "dsn", KEY_FUNC, TGT_F(dsn), .parse = parse_dsn, .own = 1, .conflicts = "service"},
	{SEC_TARGET, "service", KEY_FUNC, TGT_ALL, .parse = parse_service, .own = 1, .also = "engine",
	 .conflicts = "dsn"},
	{SEC_TARGET, "interval", KEY_SECONDS, TGT_F(interval_s), SECONDS(0.1)},
	{SEC_TARGET, "timeout", KEY_SECONDS, TGT_F(timeout_s), SECONDS(0.1)},
	{SEC_TARGET, "tags", KEY_FUNC, TGT_F(tags), .parse = parse_tags},
	{SEC_TARGET, "actions", KEY_CHOICE, TGT_F(actions), .choices = {"all", "sessions", "none"},
	 .want = "none, sessions or all"},
	{SEC_TARGET, "confirm", KEY_CHOICE, TGT_F(confirm), .choices = {NULL, "typed", "yes-no"},
	 .want = "typed or yes-no"},
	{SEC_TARGET, "aws_instance", KEY_TEXT, TGT_F(aws_instance), .min = 1, .own = 1,
	 .want = "an RDS instance identifier (1 to 63 characters)"},
	{SEC_TARGET, "aws_account", KEY_TEXT, TGT_F(aws_account), .min = 1,
	 .want = "an AWS account id or a name from [aws] aliases (1 to 63 characters)"},
	{SEC_TARGET, "password", KEY_FUNC, .parse = parse_password},
	{SEC_TARGET, "app_endpoint", KEY_BOOL, TGT_F(app_endpoint), BOOL_WANT},
	{SEC_TARGET, "write_probe_s", KEY_SECONDS, TGT_F(write_probe_s), SECONDS(1)},
	{SEC_TARGET, "heartbeat_table", KEY_TEXT, TGT_F(heartbeat_table), .min = 1,
	 .chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.",
	 .want = "a table name of letters, digits, '_' and '.' (schema.table)"},
	{SEC_TARGET, "slo_availability", KEY_FUNC, TGT_F(slo_availability), .parse = parse_percent},
	{SEC_TARGET, "slo_latency_ms", KEY_INT, TGT_F(slo_latency_ms), .min = 1, .max = 600000,
	 .want = "a number of milliseconds from 1 to 600000"},
	{SEC_TARGET, "slo_window", KEY_INT, TGT_F(slo_window_days), .min = 1, .max = 7,
	 .want = "a number of days from 1 to 7"},
	{SEC_TARGET, "rto_s", KEY_SECONDS, TGT_F(rto_s), SECONDS(0.1)},
	{SEC_TARGET, "rpo_s", KEY_SECONDS, TGT_F(rpo_s), SECONDS(0.1)},

	{SEC_AWS, "enabled", KEY_BOOL, AWS_F(enabled), BOOL_WANT},
	{SEC_AWS, "profile", KEY_TEXT, AWS_F(profile), .min = 1, .want = "a profile name of 1 to 63 characters"},
	{SEC_AWS, "profiles", KEY_FUNC, AWS_ALL, .parse = parse_profiles},
	{SEC_AWS, "payer_profile", KEY_TEXT, AWS_F(payer_profile), .min = 1,
	 .want = "a profile name of 1 to 63 characters"},
	{SEC_AWS, "aliases", KEY_FUNC, AWS_F(aliases), .parse = parse_aliases},
	{SEC_AWS, "regions", KEY_FUNC, AWS_ALL, .parse = parse_regions},
	{SEC_AWS, "region", KEY_FUNC, AWS_ALL, .parse = parse_regions},
	{SEC_AWS, "tags", KEY_FUNC, AWS_F(tags), .parse = parse_tags},
	{SEC_AWS, "discover", KEY_SECONDS, AWS_F(discover_s), SECONDS(10)},
	{SEC_AWS, "metrics", KEY_SECONDS, AWS_F(metrics_s), SECONDS(10)},
	{SEC_AWS, "budget", KEY_INT, AWS_F(budget), .min = 10, .max = 1000,
	 .want = "a number of requests per minute (10 to 1000)"},
	{SEC_AWS, "max_instances", KEY_INT, AWS_F(max_instances), .min = 1, .max = 1000000,
	 .want = "a number of instances from 1 to 1000000"},
	{SEC_AWS, "cost", KEY_BOOL, AWS_F(cost), BOOL_WANT},
	{SEC_AWS, "cost_tag", KEY_TEXT, AWS_F(cost_tag), .want = "a tag key of at most 63 characters"},
	{SEC_AWS, "cost_refresh", KEY_SECONDS, AWS_F(cost_refresh_s), SECONDS(60)},
	/* user and db go into a DSN: nothing that could end a value or start another */
	{SEC_AWS, "connect", KEY_TEXT, AWS_F(connect), .reject = "'\\",
	 .want = "a list of globs or tags without quotes or backslashes"},
	{SEC_AWS, "connect_user", KEY_TEXT, AWS_F(connect_user), .reject = "'\\= ",
	 .want = "a user name without quotes, backslashes, '=' or spaces"},
	{SEC_AWS, "connect_db", KEY_TEXT, AWS_F(connect_db), .reject = "'\\= ",
	 .want = "a database name without quotes, backslashes, '=' or spaces"},
	{SEC_AWS, "connect_auth", KEY_CHOICE, AWS_F(connect_iam), .choices = {"pgpass", "iam"},
	 .want = "pgpass or iam"},
	{SEC_AWS, "connect_tls", KEY_TEXT, AWS_F(connect_tls), .choices = {"require", "verify-full", "prefer"},
	 .want = "require, verify-full or prefer"},
	/* goes into a conninfo value (quoted) and a mysql:// query (to '&') */
	{SEC_AWS, "ca_bundle", KEY_TEXT, AWS_F(ca_bundle), .min = 1, .reject = "'\\ &?#",
	 .want = "a file path without quotes, backslashes, spaces, '&', '?' or '#'"},

	{SEC_REDIS, "url", KEY_FUNC, RED_F(redis.url), .parse = parse_redis_url},
	{SEC_REDIS, "user", KEY_TEXT, RED_F(redis.user), .min = 1, .reject = " \t",
	 .want = "an ACL user name (1 to 127 characters, no spaces)"},
	{SEC_REDIS, "password_file", KEY_TEXT, RED_F(redis.password_file), .min = 1, .want = "a file path"},
	{SEC_REDIS, "ca_file", KEY_TEXT, RED_F(redis.ca_file), .min = 1, .want = "a file path"},
	{SEC_REDIS, "iam_cluster", KEY_TEXT, RED_F(redis.iam_cluster), .min = 1,
	 .chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
	 .want = "an ElastiCache replication group or serverless cache id"},
	{SEC_REDIS, "aws_profile", KEY_TEXT, RED_F(redis.aws_profile), .min = 1,
	 .want = "a profile name of 1 to 127 characters"},
	{SEC_REDIS, "timeout", KEY_SECONDS, RED_F(redis.timeout_s), SECONDS(0.1)},
	{SEC_REDIS, "lease", KEY_SECONDS, RED_F(lease_s), SECONDS(1)},
	{SEC_REDIS, "maxlen", KEY_INT, RED_F(maxlen), .min = 100, .max = 10000000,
	 .want = "a number of stream entries from 100 to 10000000"},
	{SEC_REDIS, "viewer_actions", KEY_BOOL, RED_F(viewer_actions), BOOL_WANT},
	{SEC_REDIS, "action_users", KEY_TEXT, RED_F(action_users), .min = 1,
	 .chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-, ",
	 .want = "ACL user names separated by commas"},
	{SEC_REDIS, "log_file", KEY_TEXT, RED_F(log_file), .min = 1, .want = "a file path"},
};

const size_t config_nkeys = sizeof config_keys / sizeof config_keys[0];
_Static_assert(sizeof config_keys / sizeof config_keys[0] <= 64, "a target's given keys are bits of a uint64_t");

void options_init(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->refresh_s = 2;
	o->timeout_s = 3;
	o->mouse = 1;
	o->record_max_mb = RECORD_MAX_MB_DEFAULT;
	snprintf(o->keymap, sizeof o->keymap, "default");
	o->cloud.discover_s = 300;
	o->cloud.metrics_s = 60;
	o->cloud.budget = 300;
	o->cloud.max_instances = 5000;
	o->cloud.cost = 1;
	o->cloud.cost_refresh_s = 3600;
	o->serve.lease_s = SERVE_LEASE_S_DEFAULT;
	o->serve.maxlen = SERVE_MAXLEN_DEFAULT;
	o->serve.state_s = SERVE_STATE_S_DEFAULT;
}

int config_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (errno || end == s || *end || !(v >= 0.1 && v <= 3600))
		return -1;
	*out = v;
	return 0;
}

/* ---- reading one value into its field ---- */

static int set_seconds(const struct config_key *k, char *field, const char *v)
{
	double d;
	if (config_seconds(v, &d) < 0 || d < k->min || d > k->max)
		return -1;
	memcpy(field, &d, sizeof d);
	return 0;
}

static int set_int(const struct config_key *k, char *field, const char *v)
{
	char *end;
	errno = 0;
	long l = strtol(v, &end, 10);
	if (!*v || *end || errno || l < k->min || l > k->max)
		return -1;
	int i = (int)l;
	memcpy(field, &i, sizeof i);
	return 0;
}

static int set_bool(const struct config_key *k, char *field, const char *v)
{
	static const char *const yes[] = {"true", "yes", "1", "on"}, *const no[] = {"false", "no", "0", "off"};
	(void)k;
	for (int i = 0; i < 4; i++)
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			int b = !strcmp(v, yes[i]);
			memcpy(field, &b, sizeof b);
			return 0;
		}
	return -1;
}

/* The index of 'v' among k's choices, or -1. */
static int choice_of(const struct config_key *k, const char *v)
{
	for (int i = 0; i < 4; i++)
		if (k->choices[i] && !strcmp(v, k->choices[i]))
			return i;
	return -1;
}

static int set_choice(const struct config_key *k, char *field, const char *v)
{
	int i = choice_of(k, v);
	if (i >= 0)
		memcpy(field, &i, sizeof i);
	return i >= 0 ? 0 : -1;
}

static int set_text(const struct config_key *k, char *field, const char *v)
{
	size_t len = strlen(v);
	if (len >= k->size || len < (size_t)k->min || (k->chars && strspn(v, k->chars) < len) ||
	    (k->reject && strpbrk(v, k->reject)) || (k->choices[0] && choice_of(k, v) < 0))
		return -1;
	snprintf(field, k->size, "%s", v);
	return 0;
}

static int (*const setters[])(const struct config_key *, char *, const char *) = {
	[KEY_SECONDS] = set_seconds, [KEY_INT] = set_int, [KEY_BOOL] = set_bool,
	[KEY_CHOICE] = set_choice, [KEY_TEXT] = set_text,
};

int config_key_set(const struct config_key *k, void *base, const char *v, char *msg, size_t n)
{
	char *field = (char *)base + k->off;
	if (k->parse)
		return k->parse(field, k->size, v, msg, n);
	if (setters[k->type](k, field, v) == 0)
		return 0;
	snprintf(msg, n, "%s: '%.100s' is not %s", k->name, v, k->want);
	return -1;
}

/* A password typed into a DSN would show in ps or sit in a shared file: the engine's own
 * parser decides (conninfo keys however spaced, URI parts, ODBC keys in any case). */
int config_has_password(const char *dsn)
{
	char why[160];
	return collector_dsn_has_secret(dsn, why, sizeof why);
}

static int parse_engine(char *field, size_t size, const char *v, char *msg, size_t n)
{
	if (!collector_engine_known(v)) {
		snprintf(msg, n, "unknown engine '%.60s' (known: postgres, mysql, odbc)", v);
		return -1;
	}
	snprintf(field, size, "%s", v);
	return 0;
}

static int parse_dsn(char *field, size_t size, const char *v, char *msg, size_t n)
{
	if (config_has_password(v)) { /* never echoed: it holds the password */
		snprintf(msg, n, "dsn holds a password: put it in ~/.pgpass instead");
		return -1;
	}
	if (strlen(v) >= size) {
		snprintf(msg, n, "dsn is too long");
		return -1;
	}
	snprintf(field, size, "%s", v);
	return 0;
}

/* A pg_service.conf entry: libpq reads the file when it connects. */
static int parse_service(char *field, size_t size, const char *v, char *msg, size_t n)
{
	struct collector_target *t = (struct collector_target *)(void *)field;
	size_t len = strlen(v);
	(void)size;
	if (!len || len > 63 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") < len) {
		snprintf(msg, n, "service: '%.100s' is not a service name (1 to 63 letters, digits, '_', '-', '.')", v);
		return -1;
	}
	snprintf(t->dsn, sizeof t->dsn, "service=%s", v);
	snprintf(t->engine, sizeof t->engine, "postgres");
	return 0;
}

static int parse_tags(char *field, size_t size, const char *v, char *msg, size_t n)
{
	if (strlen(v) >= size || !strchr(v, '=') || strpbrk(v, "'\\")) {
		snprintf(msg, n, "tags: want key=value[,key=value], got '%.100s'", v);
		return -1;
	}
	snprintf(field, size, "%s", v);
	return 0;
}

static int parse_regions(char *field, size_t size, const char *v, char *msg, size_t n)
{
	struct cloud_config *c = (struct cloud_config *)(void *)field;
	(void)size;
	c->nregions = 0;
	return config_add_regions(c, v, msg, n);
}

static int parse_password(char *field, size_t size, const char *v, char *msg, size_t n)
{
	(void)field, (void)size, (void)v;
	snprintf(msg, n, "passwords do not belong in the config: use ~/.pgpass");
	return -1;
}

/* slo_availability: a percentage below 100 (a budget of 0 could never be kept) */
static int parse_percent(char *field, size_t size, const char *v, char *msg, size_t n)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= 50 && d < 100) || size != sizeof d) {
		snprintf(msg, n, "slo_availability: '%.60s' is not a percentage from 50 to below 100 (99.95)", v);
		return -1;
	}
	memcpy(field, &d, sizeof d);
	return 0;
}

int config_add_regions(struct cloud_config *c, const char *list, char *msg, size_t n)
{
	while (*list) {
		size_t len = strcspn(list, ", ");
		if (len) {
			if (len >= sizeof c->regions[0] || strspn(list, "abcdefghijklmnopqrstuvwxyz0123456789-") < len) {
				snprintf(msg, n, "'%.*s' is not an AWS region name", (int)(len > 40 ? 40 : len), list);
				return -1;
			}
			if (c->nregions == CLOUD_MAX_REGIONS) {
				snprintf(msg, n, "at most %d regions", CLOUD_MAX_REGIONS);
				return -1;
			}
			snprintf(c->regions[c->nregions++], sizeof c->regions[0], "%.*s", (int)len, list);
		}
		list += len;
		list += strspn(list, ", ");
	}
	return 0;
}

/* One "NAME" or "NAME:REGION+REGION" of a profiles list, 'len' bytes at 'p'. */
static int add_profile(struct cloud_config *c, const char *p, size_t len, char *msg, size_t n)
{
	size_t name = strcspn(p, ":");
	name = name < len ? name : len;
	if (!name || name >= sizeof c->profiles[0].name || memchr(p, '+', name)) {
		snprintf(msg, n, "profiles: '%.*s' is not a profile name of 1 to 63 characters", (int)(len > 60 ? 60 : len), p);
		return -1;
	}
	if (c->nprofiles == CLOUD_MAX_PROFILES) {
		snprintf(msg, n, "profiles: at most %d", CLOUD_MAX_PROFILES);
		return -1;
	}
	struct cloud_profile *pr = &c->profiles[c->nprofiles];
	memset(pr, 0, sizeof *pr);
	snprintf(pr->name, sizeof pr->name, "%.*s", (int)name, p);
	for (int i = 0; i < c->nprofiles; i++)
		if (!strcmp(c->profiles[i].name, pr->name)) {
			snprintf(msg, n, "profiles: '%s' is given twice", pr->name);
			return -1;
		}
	if (name < len) { /* its own regions: the same reader as [aws] regions, '+' for ',' */
		struct cloud_config one = {0};
		char list[CLOUD_MAX_REGIONS * 40];
		snprintf(list, sizeof list, "%.*s", (int)(len - name - 1), p + name + 1);
		for (char *q = list; *q; q++)
			*q = *q == '+' ? ',' : *q;
		if (!list[0] || config_add_regions(&one, list, msg, n) < 0) {
			if (!list[0])
				snprintf(msg, n, "profiles: '%s:' names no region", pr->name);
			return -1;
		}
		memcpy(pr->regions, one.regions, sizeof pr->regions);
		pr->nregions = one.nregions;
	}
	c->nprofiles++;
	return 0;
}

int config_set_profiles(struct cloud_config *c, const char *list, char *msg, size_t n)
{
	c->nprofiles = 0;
	while (*list) {
		size_t len = strcspn(list, ", ");
		if (len && add_profile(c, list, len, msg, n) < 0)
			return -1;
		list += len;
		list += strspn(list, ", ");
	}
	if (!c->nprofiles) {
		snprintf(msg, n, "profiles: give at least one profile name");
		return -1;
	}
	snprintf(c->profile, sizeof c->profile, "%s", c->profiles[0].name);
	return 0;
}

static int parse_profiles(char *field, size_t size, const char *v, char *msg, size_t n)
{
	(void)size;
	return config_set_profiles((struct cloud_config *)(void *)field, v, msg, n);
}

/* "111111111111=payments, 222222222222=data": twelve digits, then a name without ',' or quotes. */
static int parse_redis_url(char *field, size_t size, const char *v, char *msg, size_t n)
{
	struct err e = {0};
	if (size != sizeof(struct redis_url) || redis_url_parse(v, (struct redis_url *)(void *)field, &e) < 0) {
		snprintf(msg, n, "url: %s", e.msg);
		return -1;
	}
	return 0;
}

static int parse_aliases(char *field, size_t size, const char *v, char *msg, size_t n)
{
	size_t o = 0;
	field[0] = '\0';
	for (const char *s = v; *s;) {
		size_t len = strcspn(s, ","), id = strcspn(s, "=");
		while (len && s[len - 1] == ' ')
			len--;
		if (id != 12 || strspn(s, "0123456789") != 12 || len <= 13 || len - 13 > 63 || memchr(s, '\'', len) ||
		    memchr(s, '\\', len) || o + len + 2 >= size) {
			snprintf(msg, n, "aliases: want ACCOUNT_ID=NAME[, ...] (12 digits, a name of 1 to 63 characters),"
				 " got '%.60s'", s);
			return -1;
		}
		o += (size_t)snprintf(field + o, size - o, "%s%.*s", o ? "," : "", (int)len, s);
		s += strcspn(s, ",");
		s += strspn(s, ", ");
	}
	return 0;
}

/* [prices]: "db.r6g.large = 0.26", USD per hour; [vcpus]: "db.r6g.large = 2" */
int config_class_set(struct cloud_config *c, enum config_section s, const char *k, const char *v, char *msg, size_t n)
{
	const int vcpus = s == SEC_VCPUS;
	const char *what = vcpus ? "vcpus" : "prices", *unit = vcpus ? "vCPUs" : "USD per hour";
	struct class_value *tab = vcpus ? c->vcpus : c->prices;
	int *count = vcpus ? &c->nvcpus : &c->nprices;
	const int max = (int)(sizeof c->prices / sizeof c->prices[0]);
	char *end;
	double x = strtod(v, &end);
	if (!*v || *end || x < 0 || x > (vcpus ? 1024 : 1000) || (vcpus && (x < 1 || x != (int)x)) ||
	    strncmp(k, "db.", 3) || strlen(k) >= sizeof tab[0].klass) {
		snprintf(msg, n, "%s: want 'db.CLASS = %s', got '%.60s = %.60s'", what, unit, k, v);
		return -1;
	}
	if (*count == max) {
		snprintf(msg, n, "%s: at most %d classes", what, max);
		return -1;
	}
	snprintf(tab[*count].klass, sizeof tab[0].klass, "%s", k);
	tab[(*count)++].v = x;
	return 0;
}

const struct config_key *config_key_find(enum config_section s, const char *name)
{
	if (s == SEC_DEFAULTS)
		s = SEC_TARGET;
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].section == s && !strcmp(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}
