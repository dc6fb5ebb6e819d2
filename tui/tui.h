/* tui.h - the terminal front end: options, config, commands and the main loop. */
#ifndef DBFLEET_TUI_H
#define DBFLEET_TUI_H

#include <stddef.h>

#include "../collectors/collector.h"
#include "../collectors/attach.h"
#include "../collectors/record.h"
#include "../keymaps/keymap.h"

struct options {
	double refresh_s;          /* default interval */
	double timeout_s;
	int read_only;
	int dry_run;               /* actions are shown and logged, never sent */
	char audit_log[512];       /* "" = $XDG_STATE_HOME/dbfleet/audit.log */
	char keymap[32];           /* "default" or "vi" */
	char config_path[512];
	char fleet[64];            /* the fleet's name: "fleet =", else the config file's name, else "default" */
#define FLEET_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	int samplers;              /* sampler threads; 0 = one per core */
	int mouse;                 /* 1 (default): clicks and the wheel work */
	int record_max_mb;         /* --record: FILE.1 takes over past this size */
	struct replay *replay;     /* --replay: the store is fed from a file, actions are off; else NULL */
	struct attach *attach;     /* --attach: the store is fed from Redis; actions go to the collector; else NULL */
	struct serve_conf serve;   /* [redis]: --serve and --attach */
	struct collector_target *targets; /* heap, grown as the file and argv add; options_release frees */
	size_t ntargets, cap;
	struct cloud_config cloud; /* [aws], --aws */
};

/* ---- config.c ---- */

/* Defaults before anything is read. */
void options_init(struct options *o);
/* Free what options_init and the loaders took (the targets); 'o' is empty and reusable. */
void options_release(struct options *o);
/*
 * Read the INI file at 'path' and the files it includes; then [defaults]
 * fills what each of its targets left out. 0 ok, -1 with "FILE:LINE: message"
 * in 'err' (the included file's own name and line), -2 if 'path' does not
 * exist (fine for the default path). On -1 'o' may hold part of the file:
 * release it.
 */
int config_load(struct options *o, const char *path, char *err, size_t errlen);
/* Add a target given on the command line (a DSN). 0 or -1 with 'err'. */
int config_add_dsn(struct options *o, const char *dsn, char *err, size_t errlen);
/* Add comma-separated AWS regions ("us-east-1,eu-west-1"); 0 or -1 with 'msg'. */
int config_add_regions(struct cloud_config *c, const char *list, char *msg, size_t n);
/*
 * Set the AWS profiles: "prod, data:eu-west-1+us-east-1, audit" (each a
 * profile name, with its own regions after ':' joined by '+'); the first also
 * becomes c->profile. 0 or -1 with 'msg'.
 */
int config_set_profiles(struct cloud_config *c, const char *list, char *msg, size_t n);
/* Parse "2", "0.5": seconds in [0.1, 3600]; 0 or -1. */
int config_seconds(const char *s, double *out);

/* ---- commands.c ---- */

struct ui;
struct command {
	const char *name;
	const char *help;
	void (*run)(struct ui *ui);
};
extern const struct command commands[];
extern const size_t ncommands;
/* Load default.keys, the named keymap, then the user's file; 0 or -1 with 'err'. */
int keys_load(struct keymap *km, const char *keymap_name, char *err, size_t errlen);
/* Print every command, its keys and help (--list-keys). */
void keys_list(const struct keymap *km);

/* ---- ui.c ---- */

/*
 * Run the dashboard until the user quits or a signal ends it; exit status.
 * The collectors are started once the terminal is set up: some ODBC drivers
 * call setlocale() while connecting, which must not race curses' start.
 */
int ui_run(struct store *st, const struct options *o, const struct keymap *km,
	   struct collector *col);

/* ---- once.c: --once, one snapshot as JSON or CSV, no curses ---- */

struct once_request {
	const char *format;        /* "json" or "csv" */
	const char *pane;          /* "fleet", "lag", "queries", "sessions", "cost", "timeline" */
	const char *target;        /* --target NAME, or NULL */
};

/* 0 if the format and pane are known, else -1 with 'err' (a usage error). */
int once_check(const struct once_request *q, char *err, size_t n);
/* The store index of the target named 'name', -1 if none. */
long once_target(struct store *st, const char *name);
/*
 * Start the collectors, wait at most the longest timeout (plus a second) for
 * one sample of each target, print the pane's rows (the --target's alone if
 * given) and return the exit status of the targets shown (the --target, or
 * the one a queries or sessions pane shows, or all): 0 all well, 1 a target
 * down, stalled or without a sample, 3 an authentication failure.
 */
int once_run(struct store *st, const struct options *o, struct collector *col, const struct once_request *q);

#endif
