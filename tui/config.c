/*
 * config.c - the config file, the files it includes, and targets from the
 * command line.
 *
 *   include = FILE or GLOB    before any section or in [dbfleet]; relative to the
 *                             including file; a glob's matches in name order
 *   [dbfleet]                 refresh, timeout, keymap, read_only, audit_log, samplers, mouse
 *   [defaults]                any [target] key but dsn, service, aws_instance
 *   [target NAME]             engine, dsn or service, interval, timeout, tags, actions,
 *                             confirm, aws_instance, app_endpoint, write_probe_s,
 *                             heartbeat_table, slo_availability, slo_latency_ms, slo_window,
 *                             rto_s, rpo_s
 *   [group NAME]              match = tag:KEY=VALUE, and slo_availability, slo_latency_ms,
 *                             slo_window: objectives for the targets with that tag
 *   [aws]                     enabled, profile, regions, discover, metrics, budget, cost, ...
 *   [prices]                  db.CLASS = USD per hour (overrides the built-in table)
 *
 * model/ini reads the lines; config_keys.c's table reads each value. Every
 * error names FILE:LINE of the file it is in, an included file's own.
 * [defaults] is applied once everything is read, key by key, to each target
 * that did not give that key, after each [group]'s objectives (the first
 * group matching a target gives it the objective keys it did not give
 * itself). Targets are a heap array: no ceiling.
 */
#include "config_private.h"

#include "../model/ini.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INCLUDE_DEPTH_MAX 8 /* files open at once: the top one and 7 nested includes */

void options_release(struct options *o)
{
	free(o->targets);
	o->targets = NULL;
	o->ntargets = o->cap = 0;
}

/* ---- targets: a growable array, no ceiling ---- */

static struct collector_target *new_target(struct options *o, const char *name, char *msg, size_t n)
{
	for (size_t i = 0; i < o->ntargets; i++)
		if (strcmp(o->targets[i].name, name) == 0) {
			snprintf(msg, n, "target '%s' is defined twice", name);
			return NULL;
		}
	if (o->ntargets == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct collector_target *t = realloc(o->targets, cap * sizeof *t);
		if (!t) {
			snprintf(msg, n, "out of memory");
			return NULL;
		}
		o->targets = t;
		o->cap = cap;
	}
	struct collector_target *t = &o->targets[o->ntargets++];
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	/* interval, timeout 0: the global refresh and timeout, resolved once everything is read */
	return t;
}

/* ---- reading a file: sections, includes, [defaults] ---- */

/* What the file said about one [target]: which keys it gave, and where it starts. */
struct seen {
	uint64_t given;   /* bit i: config_keys[i] */
	const char *file; /* in load.files */
	int line;
};

struct load {
	struct options *o;
	enum config_section section;
	size_t cur;                           /* the [target] in force: an index into o->targets */
	size_t first;                         /* the first target this load added */
	struct seen *seen;                    /* per target since 'first' */
	size_t nseen, seen_cap;
	struct collector_target defaults;     /* [defaults] */
	uint64_t defaults_given;
	struct group *groups;                 /* [group NAME], in file order */
	size_t ngroups;
	char *open[INCLUDE_DEPTH_MAX];        /* real paths of the files being read: cycles */
	int depth;
	char **files;                         /* every file read, for messages after the read */
	size_t nfiles;
};

/* A [group NAME]: objectives for the targets carrying one tag. */
struct group {
	char tag[128];                        /* "key=value", from match = tag:key=value */
	struct collector_target vals;         /* only its slo_ keys are used */
	uint64_t given;
	const char *file;                     /* in load.files */
	int line;
};

static const struct {
	const char *name;
	enum config_section section;
} sections[] = {
	{"dbfleet", SEC_GLOBAL}, {"defaults", SEC_DEFAULTS}, {"aws", SEC_AWS}, {"prices", SEC_PRICES},
	{"vcpus", SEC_VCPUS}, {"redis", SEC_REDIS},
};

static uint64_t key_bit(enum config_section s, const char *name)
{
	const struct config_key *k = name ? config_key_find(s, name) : NULL;
	return k ? UINT64_C(1) << (k - config_keys) : 0;
}

/* "[target NAME]": a new target, remembered with its file and line. */
static int target_section(struct load *ld, const struct ini_line *l, const char *name, char *msg, size_t n)
{
	while (isspace((unsigned char)*name))
		name++;
	if (!*name || strlen(name) >= sizeof ld->o->targets[0].name) {
		snprintf(msg, n, "a target needs a name of 1 to 63 characters");
		return -1;
	}
	if (ld->nseen == ld->seen_cap) {
		size_t cap = ld->seen_cap ? ld->seen_cap * 2 : 16;
		struct seen *s = realloc(ld->seen, cap * sizeof *s);
		if (!s) {
			snprintf(msg, n, "out of memory");
			return -1;
		}
		ld->seen = s;
		ld->seen_cap = cap;
	}
	if (!new_target(ld->o, name, msg, n))
		return -1;
	ld->seen[ld->nseen++] = (struct seen){.file = ld->files[ld->nfiles - 1], .line = l->line};
	ld->cur = ld->o->ntargets - 1;
	return 0;
}

static int on_section(struct load *ld, const struct ini_line *l, char *msg, size_t n)
{
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (!strcmp(l->section, sections[i].name)) {
			ld->section = sections[i].section;
			return 0;
		}
	if (!strncmp(l->section, "group", 5) && isspace((unsigned char)l->section[5])) {
		struct group *g = realloc(ld->groups, (ld->ngroups + 1) * sizeof *g);
		if (!g) {
			snprintf(msg, n, "out of memory");
			return -1;
		}
		ld->groups = g;
		ld->groups[ld->ngroups++] = (struct group){.file = ld->files[ld->nfiles - 1], .line = l->line};
		ld->section = SEC_GROUP;
		return 0;
	}
	if (strncmp(l->section, "target", 6) != 0 || !isspace((unsigned char)l->section[6])) {
		snprintf(msg, n, "unknown section [%.100s]", l->section);
		return -1;
	}
	ld->section = SEC_TARGET;
	return target_section(ld, l, l->section + 6, msg, n);
}

static int read_file(struct load *ld, const char *path, struct err *e);

/* One included file: 0; -1 with 'msg' (for the include line); -2 with 'e' filled. */
static int include_one(struct load *ld, const char *path, char *msg, size_t n, struct err *e)
{
	int rc = read_file(ld, path, e);
	if (rc == -2 || rc == -3)
		snprintf(msg, n, "include: %.150s", e->msg);
	return rc == -2 || rc == -3 ? -1 : rc < 0 ? -2 : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The path an include line names: relative to the including file's folder.
 * For a glob, that folder's own glob characters are escaped. 0, or -1 if too long.
 */
static int include_path(const char *file, const char *value, int globbing, char *out, size_t n)
{
	const char *slash = strrchr(file, '/');
	size_t o = 0;
	for (const char *p = file; value[0] != '/' && slash && p <= slash; p++) {
		if (o + 2 >= n)
			return -1;
		if (globbing && strchr("*?[\\", *p))
			out[o++] = '\\';
		out[o++] = *p;
	}
	int w = snprintf(out + o, n - o, "%s", value);
	return w < 0 || (size_t)w >= n - o ? -1 : 0;
}

/* include = FILE or GLOB; a glob's files in name order, an empty glob is fine. */
static int include(struct load *ld, const struct ini_line *l, char *msg, size_t n, struct err *e)
{
	char pattern[PATH_MAX];
	int globbing = strpbrk(l->value, "*?[") != NULL;
	if (!*l->value || include_path(l->file, l->value, globbing, pattern, sizeof pattern) < 0) {
		snprintf(msg, n, "include: give a file or a glob of at most %d characters", PATH_MAX - 1);
		return -1;
	}
	if (ld->depth == INCLUDE_DEPTH_MAX) {
		snprintf(msg, n, "include: files nested more than %d deep", INCLUDE_DEPTH_MAX);
		return -1;
	}
	if (!globbing) /* a plain file must be there */
		return include_one(ld, pattern, msg, n, e);
	glob_t g;
	int grc = glob(pattern, GLOB_NOSORT | GLOB_MARK, NULL, &g);
	if (grc == GLOB_NOMATCH)
		return 0;
	if (grc != 0) {
		snprintf(msg, n, "include: cannot list '%.150s'", l->value);
		return -1;
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof g.gl_pathv[0], by_name); /* not the locale's order */
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
		size_t len = strlen(g.gl_pathv[i]);
		if (len && g.gl_pathv[i][len - 1] != '/') /* GLOB_MARK: a folder, not a file */
			rc = include_one(ld, g.gl_pathv[i], msg, n, e);
	}
	globfree(&g);
	return rc;
}

/* A [group]'s key: match = tag:KEY=VALUE, or an objective; -1 with 'msg'. */
static int group_key(struct group *g, const struct ini_line *l, char *msg, size_t n)
{
	if (!strcmp(l->key, "match")) {
		const char *v = l->value;
		if (strncmp(v, "tag:", 4) || !strchr(v + 5, '=') || strpbrk(v + 4, ", ") || strlen(v + 4) >= sizeof g->tag) {
			snprintf(msg, n, "match: want tag:KEY=VALUE, got '%.100s'", v);
			return -1;
		}
		snprintf(g->tag, sizeof g->tag, "%s", v + 4);
		return 0;
	}
	const struct config_key *k = config_key_find(SEC_TARGET, l->key);
	if (!k || strncmp(k->name, "slo_", 4)) {
		snprintf(msg, n, "unknown key '%.100s' in a [group] section (match, slo_availability, slo_latency_ms,"
			 " slo_window)", l->key);
		return -1;
	}
	if (config_key_set(k, &g->vals, l->value, msg, n) < 0)
		return -1;
	g->given |= UINT64_C(1) << (k - config_keys);
	return 0;
}

/* Does the tag list "k=v,k2=v2" hold 'kv'? */
static int has_tag(const char *tags, const char *kv)
{
	char hay[sizeof ((struct collector_target *)0)->tags + 2], needle[sizeof ((struct group *)0)->tag + 2];
	snprintf(hay, sizeof hay, ",%s,", tags);
	snprintf(needle, sizeof needle, ",%s,", kv);
	return strstr(hay, needle) != NULL;
}

/* key = value in the section in force; -1 with 'msg', or -2 with 'e' already filled. */
static int on_key(struct load *ld, const struct ini_line *l, char *msg, size_t n, struct err *e)
{
	static const char *const where[] = {
		[SEC_GLOBAL] = "[dbfleet]", [SEC_DEFAULTS] = "[defaults]", [SEC_TARGET] = "a [target] section",
		[SEC_AWS] = "[aws]", [SEC_GROUP] = "a [group] section", [SEC_REDIS] = "[redis]",
	};
	enum config_section s = ld->section;
	if (s == SEC_GROUP)
		return group_key(&ld->groups[ld->ngroups - 1], l, msg, n);
	if (s == SEC_NONE && !strcmp(l->key, "include"))
		s = SEC_GLOBAL; /* before any section: as in [dbfleet] */
	if (s == SEC_NONE) {
		snprintf(msg, n, "'%.100s' outside a section", l->key);
		return -1;
	}
	if (s == SEC_PRICES || s == SEC_VCPUS)
		return config_class_set(&ld->o->cloud, s, l->key, l->value, msg, n);
	const struct config_key *k = config_key_find(s, l->key);
	if (!k) {
		snprintf(msg, n, "unknown key '%.100s' in %s", l->key, where[s]);
		return -1;
	}
	if (k->type == KEY_INCLUDE)
		return include(ld, l, msg, n, e);
	if (s == SEC_DEFAULTS && k->own) {
		snprintf(msg, n, "%s belongs in a [target] section, not in [defaults]", k->name);
		return -1;
	}
	uint64_t *given = s == SEC_TARGET ? &ld->seen[ld->cur - ld->first].given
			  : s == SEC_DEFAULTS ? &ld->defaults_given : NULL;
	if (given && (*given & key_bit(s, k->conflicts))) {
		snprintf(msg, n, "give %s or %s, not both", k->conflicts, k->name);
		return -1;
	}
	void *base = s == SEC_GLOBAL ? (void *)ld->o : s == SEC_AWS ? (void *)&ld->o->cloud
		     : s == SEC_REDIS ? (void *)&ld->o->serve : s == SEC_TARGET ? (void *)&ld->o->targets[ld->cur] : (void *)&ld->defaults;
	if (config_key_set(k, base, l->value, msg, n) < 0)
		return -1;
	if (given)
		*given |= key_bit(s, k->name) | key_bit(s, k->also);
	return 0;
}

static int on_line(void *ctx, const struct ini_line *l, struct err *e)
{
	struct load *ld = ctx;
	char msg[200];
	int rc = l->key ? on_key(ld, l, msg, sizeof msg, e) : on_section(ld, l, msg, sizeof msg);
	if (rc == -1)
		return err_set(e, ERR_CONFIG, "%s:%d: %s", l->file, l->line, msg);
	return rc < 0 ? -1 : 0;
}

/*
 * One file, in a section state of its own. 0; -1 with 'e' ("FILE:LINE: ...");
 * -2 with 'e' ("FILE: reason") and errno when it cannot be opened; -3 with 'e'
 * when it is one of the files being read (an include cycle).
 */
static int read_file(struct load *ld, const char *path, struct err *e)
{
	char real[PATH_MAX];
	int known = realpath(path, real) != NULL;
	for (int i = 0; known && i < ld->depth; i++)
		if (!strcmp(ld->open[i], real)) {
			err_set(e, ERR_CONFIG, "a cycle: '%s' is already being read", real);
			return -3;
		}
	char **files = realloc(ld->files, (ld->nfiles + 1) * sizeof *files);
	char *name = strdup(path), *open = known ? strdup(real) : NULL;
	if (files)
		ld->files = files;
	if (!files || !name || (known && !open)) {
		free(name);
		free(open);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	ld->files[ld->nfiles++] = name;
	enum config_section section = ld->section;
	size_t cur = ld->cur;
	ld->section = SEC_NONE;
	ld->open[ld->depth++] = open ? open : name;
	int rc = ini_read(name, 0, on_line, ld, e);
	int saved = errno; /* ENOENT: the default config path may be missing */
	ld->depth--;
	free(open);
	ld->section = section;
	ld->cur = cur;
	errno = saved;
	return rc;
}

/* Each [defaults] key a target did not give itself, whatever the order in the files; before them, the
 * objectives of the first [group] whose tag it carries. */
static void apply_defaults(struct load *ld)
{
	for (size_t i = 0; i < ld->nseen; i++) {
		char *t = (char *)&ld->o->targets[ld->first + i];
		for (size_t g = 0; g < ld->ngroups; g++) {
			struct collector_target *ct = &ld->o->targets[ld->first + i];
			if (!has_tag(ct->tags, ld->groups[g].tag))
				continue;
			snprintf(ct->slo_group, sizeof ct->slo_group, "%s", ld->groups[g].tag);
			if (ld->groups[g].given & key_bit(SEC_TARGET, "slo_availability"))
				ct->slo_group_availability = ld->groups[g].vals.slo_availability;
			for (size_t k = 0; k < config_nkeys; k++) {
				uint64_t bit = UINT64_C(1) << k;
				if ((ld->groups[g].given & bit) && !(ld->seen[i].given & bit)) {
					memcpy(t + config_keys[k].off, (char *)&ld->groups[g].vals + config_keys[k].off,
					       config_keys[k].size);
					ld->seen[i].given |= bit;
				}
			}
			break;
		}
		for (size_t k = 0; k < config_nkeys; k++) {
			uint64_t bit = UINT64_C(1) << k;
			if ((ld->defaults_given & bit) && !(ld->seen[i].given & bit))
				memcpy(t + config_keys[k].off, (char *)&ld->defaults + config_keys[k].off, config_keys[k].size);
		}
	}
}

static int check_targets(const struct load *ld, struct err *e)
{
	for (size_t g = 0; g < ld->ngroups; g++)
		if (!ld->groups[g].tag[0])
			return err_set(e, ERR_CONFIG, "%s:%d: a [group] needs match = tag:KEY=VALUE", ld->groups[g].file,
				       ld->groups[g].line);
	for (size_t i = 0; i < ld->nseen; i++) {
		const struct collector_target *t = &ld->o->targets[ld->first + i];
		const struct seen *s = &ld->seen[i];
		if (!t->dsn[0])
			return err_set(e, ERR_CONFIG, "%s:%d: target '%s' has no dsn or service", s->file, s->line, t->name);
		if (!t->engine[0] && !collector_engine_for_dsn(t->dsn))
			return err_set(e, ERR_CONFIG, "%s:%d: target '%s': say which engine (engine = postgres, mysql or odbc)",
				       s->file, s->line, t->name);
	}
	return 0;
}

int config_load(struct options *o, const char *path, char *err, size_t errlen)
{
	struct load ld = {.o = o, .first = o->ntargets};
	struct err e = {0};
	int rc = read_file(&ld, path, &e);
	int missing = rc == -2 && errno == ENOENT;
	if (rc == 0) {
		apply_defaults(&ld);
		rc = check_targets(&ld, &e);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", e.msg);
	for (size_t i = 0; i < ld.nfiles; i++)
		free(ld.files[i]);
	free(ld.files);
	free(ld.seen);
	free(ld.groups);
	return missing ? -2 : rc < 0 ? -1 : 0;
}

int config_add_dsn(struct options *o, const char *dsn, char *err, size_t errlen)
{
	char why[200];
	if (collector_dsn_has_secret(dsn, why, sizeof why)) {
		snprintf(err, errlen, "%s (on the command line it shows in ps)", why);
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
	if (strlen(dsn) >= sizeof o->targets[0].dsn) {
		snprintf(err, errlen, "DSN is too long");
		return -1;
	}
	struct collector_target *t = new_target(o, name, err, errlen);
	if (!t)
		return -1;
	snprintf(t->dsn, sizeof t->dsn, "%s", dsn);
	return 0;
}
