/*
 * config.c - the INI config file and targets from the command line.
 *
 *   [dbfleet]              refresh, timeout, keymap, read_only
 *   [target NAME]          engine, dsn, interval, timeout, tags, aws_instance
 *   [aws]                  enabled, profile, regions, discover, metrics, budget,
 *                          cost, cost_tag, cost_refresh
 *   [prices]               db.CLASS = USD per hour (overrides the built-in table)
 *
 * Every error names FILE:LINE. Passwords never come from here or argv:
 * libpq reads ~/.pgpass, PGPASSFILE and PGSERVICEFILE itself.
 */
#include "tui.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void options_init(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->refresh_s = 2;
	o->timeout_s = 3;
	snprintf(o->keymap, sizeof o->keymap, "default");
	o->cloud.discover_s = 300;
	o->cloud.metrics_s = 60;
	o->cloud.budget = 300;
	o->cloud.cost = 1;
	o->cloud.cost_refresh_s = 3600;
	o->mouse = 1;
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

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1") || !strcmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0") || !strcmp(s, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A password typed into a DSN would show in ps or sit in a shared file. */
static int has_password(const char *dsn)
{
	if (strstr(dsn, "password="))
		return 1;
	const char *p = strstr(dsn, "://");
	if (!p)
		return 0;
	const char *at = strchr(p + 3, '@'), *colon = strchr(p + 3, ':');
	const char *slash = strchr(p + 3, '/');
	return at && colon && colon < at && (!slash || at < slash);
}

static struct collector_target *new_target(struct options *o, const char *name, char *msg, size_t n)
{
	if (o->ntargets == TUI_MAX_TARGETS) {
		snprintf(msg, n, "too many targets (at most %d)", TUI_MAX_TARGETS);
		return NULL;
	}
	for (size_t i = 0; i < o->ntargets; i++)
		if (strcmp(o->targets[i].name, name) == 0) {
			snprintf(msg, n, "target '%s' is defined twice", name);
			return NULL;
		}
	struct collector_target *t = &o->targets[o->ntargets++];
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	/* 0: the global refresh and timeout, resolved once everything is read */
	return t;
}

static int global_key(struct options *o, const char *k, const char *v, char *msg, size_t n)
{
	if (!strcmp(k, "refresh") || !strcmp(k, "timeout")) {
		double *dst = !strcmp(k, "refresh") ? &o->refresh_s : &o->timeout_s;
		if (config_seconds(v, dst) == 0)
			return 0;
		snprintf(msg, n, "%s: '%s' is not a number of seconds between 0.1 and 3600", k, v);
	} else if (!strcmp(k, "read_only")) {
		if (parse_bool(v, &o->read_only) == 0)
			return 0;
		snprintf(msg, n, "read_only: '%s' is not true or false", v);
	} else if (!strcmp(k, "audit_log")) {
		if (*v && strlen(v) < sizeof o->audit_log) {
			snprintf(o->audit_log, sizeof o->audit_log, "%s", v);
			return 0;
		}
		snprintf(msg, n, "audit_log: give a file path");
	} else if (!strcmp(k, "keymap")) {
		if (strlen(v) < sizeof o->keymap && strspn(v, "abcdefghijklmnopqrstuvwxyz_-0123456789") == strlen(v)) {
			snprintf(o->keymap, sizeof o->keymap, "%s", v);
			return 0;
		}
		snprintf(msg, n, "keymap: '%s' is not a keymap name", v);
	} else {
		snprintf(msg, n, "unknown key '%s' in [dbfleet]", k);
	}
	return -1;
}

static int target_key(struct collector_target *t, const char *k, const char *v, char *msg, size_t n)
{
	if (!strcmp(k, "engine")) {
		if (!collector_engine_known(v)) {
			snprintf(msg, n, "unknown engine '%s' (known: postgres, mysql, odbc)", v);
			return -1;
		}
		snprintf(t->engine, sizeof t->engine, "%s", v);
	} else if (!strcmp(k, "dsn")) {
		if (has_password(v)) {
			snprintf(msg, n, "dsn holds a password: put it in ~/.pgpass instead");
			return -1;
		}
		if (strlen(v) >= sizeof t->dsn) {
			snprintf(msg, n, "dsn is too long");
			return -1;
		}
		snprintf(t->dsn, sizeof t->dsn, "%s", v);
	} else if (!strcmp(k, "interval") || !strcmp(k, "timeout")) {
		if (config_seconds(v, !strcmp(k, "interval") ? &t->interval_s : &t->timeout_s) < 0) {
			snprintf(msg, n, "%s: '%s' is not a number of seconds between 0.1 and 3600", k, v);
			return -1;
		}
	} else if (!strcmp(k, "actions")) {
		if (!strcmp(v, "all"))
			t->actions = TARGET_ACTIONS_ALL;
		else if (!strcmp(v, "sessions"))
			t->actions = TARGET_ACTIONS_SESSIONS;
		else if (!strcmp(v, "none"))
			t->actions = TARGET_ACTIONS_NONE;
		else {
			snprintf(msg, n, "actions: '%s' is not none, sessions or all", v);
			return -1;
		}
	} else if (!strcmp(k, "confirm")) {
		if (!strcmp(v, "typed"))
			t->confirm = CONFIRM_TYPED;
		else if (!strcmp(v, "yes-no"))
			t->confirm = CONFIRM_YES_NO;
		else {
			snprintf(msg, n, "confirm: '%s' is not typed or yes-no", v);
			return -1;
		}
	} else if (!strcmp(k, "aws_instance")) {
		if (!*v || strlen(v) >= sizeof t->aws_instance) {
			snprintf(msg, n, "aws_instance: give the RDS instance identifier (1 to 63 characters)");
			return -1;
		}
		snprintf(t->aws_instance, sizeof t->aws_instance, "%s", v);
	} else if (!strcmp(k, "tags")) {
		if (strlen(v) >= sizeof t->tags || !strchr(v, '=') || strpbrk(v, "'\\")) {
			snprintf(msg, n, "tags: want key=value[,key=value], got '%.100s'", v);
			return -1;
		}
		snprintf(t->tags, sizeof t->tags, "%s", v);
	} else if (!strcmp(k, "password")) {
		snprintf(msg, n, "passwords do not belong in the config: use ~/.pgpass");
		return -1;
	} else {
		snprintf(msg, n, "unknown key '%s' in a [target] section", k);
		return -1;
	}
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

static int aws_key(struct cloud_config *c, const char *k, const char *v, char *msg, size_t n)
{
	if (!strcmp(k, "enabled")) {
		if (parse_bool(v, &c->enabled) == 0)
			return 0;
		snprintf(msg, n, "enabled: '%s' is not true or false", v);
	} else if (!strcmp(k, "profile")) {
		if (*v && strlen(v) < sizeof c->profile) {
			snprintf(c->profile, sizeof c->profile, "%s", v);
			return 0;
		}
		snprintf(msg, n, "profile: give a profile name of 1 to 63 characters");
	} else if (!strcmp(k, "regions") || !strcmp(k, "region")) {
		c->nregions = 0;
		return config_add_regions(c, v, msg, n);
	} else if (!strcmp(k, "discover") || !strcmp(k, "metrics")) {
		double *dst = !strcmp(k, "discover") ? &c->discover_s : &c->metrics_s;
		if (config_seconds(v, dst) == 0 && *dst >= 10)
			return 0;
		snprintf(msg, n, "%s: '%s' is not a number of seconds between 10 and 3600", k, v);
	} else if (!strcmp(k, "cost")) {
		if (parse_bool(v, &c->cost) == 0)
			return 0;
		snprintf(msg, n, "cost: '%s' is not true or false", v);
	} else if (!strcmp(k, "cost_tag")) {
		if (strlen(v) < sizeof c->cost_tag) {
			snprintf(c->cost_tag, sizeof c->cost_tag, "%s", v);
			return 0;
		}
		snprintf(msg, n, "cost_tag: a tag key of at most 63 characters");
	} else if (!strcmp(k, "cost_refresh")) {
		if (config_seconds(v, &c->cost_refresh_s) == 0 && c->cost_refresh_s >= 60)
			return 0;
		snprintf(msg, n, "cost_refresh: '%s' is not a number of seconds between 60 and 3600", v);
	} else if (!strcmp(k, "connect") || !strcmp(k, "connect_user") || !strcmp(k, "connect_db")) {
		/* user and db go into a DSN: nothing that could end a value or start another */
		int globs = !strcmp(k, "connect");
		char *dst = globs ? c->connect : !strcmp(k, "connect_user") ? c->connect_user : c->connect_db;
		size_t dn = globs ? sizeof c->connect : sizeof c->connect_user;
		if (strlen(v) < dn && !strpbrk(v, globs ? "'\\" : "'\\= ")) {
			snprintf(dst, dn, "%s", v);
			return 0;
		}
		snprintf(msg, n, "%s: '%s' is too long or holds a quote or backslash%s", k, v, globs ? "" : ", '=' or space");
	} else if (!strcmp(k, "tags")) {
		if (strlen(v) < sizeof c->tags && strchr(v, '=') && !strpbrk(v, "'\\")) {
			snprintf(c->tags, sizeof c->tags, "%s", v);
			return 0;
		}
		snprintf(msg, n, "tags: want key=value[,key=value], got '%s'", v);
	} else if (!strcmp(k, "connect_auth")) {
		if (!strcmp(v, "iam") || !strcmp(v, "pgpass")) {
			c->connect_iam = !strcmp(v, "iam");
			return 0;
		}
		snprintf(msg, n, "connect_auth: '%s' is not pgpass or iam", v);
	} else if (!strcmp(k, "connect_tls")) {
		if (!strcmp(v, "require") || !strcmp(v, "verify-full") || !strcmp(v, "prefer")) {
			snprintf(c->connect_tls, sizeof c->connect_tls, "%s", v);
			return 0;
		}
		snprintf(msg, n, "connect_tls: '%s' is not require, verify-full or prefer", v);
	} else if (!strcmp(k, "budget")) {
		char *end;
		long b = strtol(v, &end, 10);
		if (*v && !*end && b >= 10 && b <= 1000) {
			c->budget = (int)b;
			return 0;
		}
		snprintf(msg, n, "budget: '%s' is not a number of requests per minute (10 to 1000)", v);
	} else {
		snprintf(msg, n, "unknown key '%s' in [aws]", k);
	}
	return -1;
}

/* [prices]: "db.r6g.large = 0.26", USD per hour */
static int price_key(struct cloud_config *c, const char *k, const char *v, char *msg, size_t n)
{
	char *end;
	double usd = strtod(v, &end);
	if (!*v || *end || usd < 0 || usd > 1000 || strncmp(k, "db.", 3) || strlen(k) >= sizeof c->prices[0].klass) {
		snprintf(msg, n, "prices: want 'db.CLASS = USD per hour', got '%s = %s'", k, v);
		return -1;
	}
	if (c->nprices == (int)(sizeof c->prices / sizeof c->prices[0])) {
		snprintf(msg, n, "prices: at most %d classes", c->nprices);
		return -1;
	}
	snprintf(c->prices[c->nprices].klass, sizeof c->prices[0].klass, "%s", k);
	c->prices[c->nprices++].usd = usd;
	return 0;
}

enum { SEC_NONE, SEC_GLOBAL, SEC_AWS, SEC_PRICES };

/* One line; 'cur' is the target section in force (NULL in [dbfleet] and [aws]). */
static int config_line(struct options *o, char *line, struct collector_target **cur, int *section,
		       char *msg, size_t n)
{
	char *s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *end = strchr(s, ']');
		if (!end || end[1]) {
			snprintf(msg, n, "a section header must look like [target NAME]");
			return -1;
		}
		*end = '\0';
		char *name = trim(s + 1);
		*section = !strcmp(name, "dbfleet") ? SEC_GLOBAL : !strcmp(name, "aws") ? SEC_AWS
			   : !strcmp(name, "prices") ? SEC_PRICES : SEC_NONE;
		*cur = NULL;
		if (*section != SEC_NONE)
			return 0;
		if (strncmp(name, "target", 6) != 0 || !isspace((unsigned char)name[6])) {
			snprintf(msg, n, "unknown section [%s]", name);
			return -1;
		}
		name = trim(name + 6);
		if (!*name || strlen(name) >= sizeof (*cur)->name) {
			snprintf(msg, n, "a target needs a name of 1 to 63 characters");
			return -1;
		}
		*cur = new_target(o, name, msg, n);
		return *cur ? 0 : -1;
	}
	char *eq = strchr(s, '=');
	if (!eq) {
		snprintf(msg, n, "expected 'key = value'");
		return -1;
	}
	*eq = '\0';
	char *k = trim(s), *v = trim(eq + 1);
	if (*cur)
		return target_key(*cur, k, v, msg, n);
	if (*section == SEC_GLOBAL)
		return global_key(o, k, v, msg, n);
	if (*section == SEC_AWS)
		return aws_key(&o->cloud, k, v, msg, n);
	if (*section == SEC_PRICES)
		return price_key(&o->cloud, k, v, msg, n);
	snprintf(msg, n, "'%s' outside a section", k);
	return -1;
}

static int check_targets(const struct options *o, size_t from, char *msg, size_t n)
{
	for (size_t i = from; i < o->ntargets; i++) {
		const struct collector_target *t = &o->targets[i];
		if (!t->dsn[0]) {
			snprintf(msg, n, "target '%s' has no dsn", t->name);
			return -1;
		}
		if (!t->engine[0] && !collector_engine_for_dsn(t->dsn)) {
			snprintf(msg, n, "target '%s': say which engine (engine = postgres, mysql or odbc)", t->name);
			return -1;
		}
	}
	return 0;
}

int config_load(struct options *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? -2 : -1;
	}
	char line[1024], msg[256];
	int lineno = 0, section = SEC_NONE, rc = 0;
	size_t first = o->ntargets;
	struct collector_target *cur = NULL;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		if (config_line(o, line, &cur, &section, msg, sizeof msg) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	if (rc == 0 && check_targets(o, first, msg, sizeof msg) < 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		rc = -1;
	}
	return rc;
}

int config_add_dsn(struct options *o, const char *dsn, char *err, size_t errlen)
{
	if (has_password(dsn)) {
		snprintf(err, errlen, "a password on the command line shows in ps: use ~/.pgpass");
		return -1;
	}
	if (!collector_engine_for_dsn(dsn)) {
		snprintf(err, errlen, "'%.200s' is not a DSN dbfleet knows (postgresql://..., host=..., mysql://..., odbc:NAME)", dsn);
		return -1;
	}
	char name[64], ep[96];
	collector_endpoint(dsn, ep, sizeof ep);
	snprintf(name, sizeof name, "%.60s", ep[0] ? ep : "target");
	for (int i = 2; i < 100; i++) {
		size_t k;
		for (k = 0; k < o->ntargets && strcmp(o->targets[k].name, name); k++)
			;
		if (k == o->ntargets)
			break;
		snprintf(name, sizeof name, "%.50s#%d", ep, i);
	}
	struct collector_target *t = new_target(o, name, err, errlen);
	if (!t)
		return -1;
	if (strlen(dsn) >= sizeof t->dsn) {
		o->ntargets--;
		snprintf(err, errlen, "DSN is too long");
		return -1;
	}
	snprintf(t->dsn, sizeof t->dsn, "%s", dsn);
	return 0;
}
