/*
 * config_private.h - between tui/config.c (reading files: sections, include,
 * [defaults]) and tui/config_keys.c (the one table of keys and how each value
 * is read). Only those two files and tests/unit/test_config.c (which checks
 * dbfleet.conf(5) against the table) include it.
 */
#ifndef DBFLEET_CONFIG_PRIVATE_H
#define DBFLEET_CONFIG_PRIVATE_H

#include "tui.h"

enum config_section { SEC_NONE, SEC_GLOBAL, SEC_DEFAULTS, SEC_TARGET, SEC_AWS, SEC_PRICES, SEC_VCPUS, SEC_GROUP, SEC_REDIS };
enum config_key_type { KEY_SECONDS, KEY_INT, KEY_BOOL, KEY_CHOICE, KEY_TEXT, KEY_FUNC, KEY_INCLUDE };

struct config_key {
	enum config_section section; /* SEC_GLOBAL, SEC_TARGET (also [defaults]) or SEC_AWS */
	const char *name;
	enum config_key_type type;
	size_t off, size;       /* the field in struct options, collector_target or cloud_config */
	double min, max;        /* seconds and numbers; text: the shortest length */
	const char *chars;      /* text: the only characters allowed, NULL any */
	const char *reject;     /* text: characters refused */
	const char *choices[4]; /* choice: the word for each value of the int field, NULL none;
				   text: the words allowed, when given */
	int (*parse)(char *field, size_t size, const char *v, char *msg, size_t n); /* KEY_FUNC */
	int own;                /* a [target]'s own: not inherited from [defaults] */
	const char *also;       /* another key this one sets (service sets engine) */
	const char *conflicts;  /* a key that may not be given with this one */
	const char *want;       /* the error: "NAME: 'VALUE' is not WANT" */
};

/* The table, in dbfleet.conf(5)'s order; at most 64 rows (a target's given keys are bits). */
extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* The key 'name' of section 's' ([defaults] has [target]'s keys), or NULL. */
const struct config_key *config_key_find(enum config_section s, const char *name);
/* Read 'v' into k's field of 'base' (the section's struct); 0, or -1 with 'msg'. */
int config_key_set(const struct config_key *k, void *base, const char *v, char *msg, size_t n);
/* [prices] "db.r6g.large = 0.26", [vcpus] "db.r6g.large = 2" (section 's'); 0, or -1 with 'msg'. */
int config_class_set(struct cloud_config *c, enum config_section s, const char *k, const char *v, char *msg, size_t n);
/* A password in a DSN (password=, or user:secret@ in a URI): never accepted. */
int config_has_password(const char *dsn);

#endif
