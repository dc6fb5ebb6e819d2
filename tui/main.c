/* main.c - dbfleet: command line, config, then the collectors and the UI. */
#include "tui.h"

#include "../model/xdg.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef DBFLEET_VERSION
#define DBFLEET_VERSION "0.1.0"
#endif

static struct store *store; /* reachable to the end: stuck workers may still publish */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dbfleet [options] [DSN...]\n"
		"\n"
		"A terminal dashboard for database fleets.\n"
		"DSN is a libpq URI or conninfo: postgresql://user@host:5432/db or 'host=... dbname=...'.\n"
		"Passwords come from ~/.pgpass, PGPASSFILE or PGSERVICEFILE, never from the command line.\n"
		"\n"
		"  -c, --config FILE     read FILE (default $XDG_CONFIG_HOME/dbfleet/config)\n"
		"  -r, --refresh SECONDS sample every SECONDS (default 2; fractions allowed)\n"
		"  -t, --timeout SECONDS connect and query deadline (default 3)\n"
		"      --aws             discover the RDS/Aurora instances of the AWS account\n"
		"      --profile P[,P]   AWS profile(s), each its account (implies --aws; overrides env keys);\n"
		"                        P:R+R gives a profile its own regions\n"
		"      --region R[,R]    AWS region(s) to discover (implies --aws; repeatable)\n"
		"      --read-only       never offer actions\n"
		"      --dry-run         actions show and log the SQL they would send, and send nothing\n"
		"      --keymap NAME     load keymaps/NAME.keys over the defaults (e.g. vi)\n"
		"      --list-keys       print the key bindings and exit\n"
		"      --record FILE     append this session's snapshots, states and actions to FILE\n"
		"      --replay FILE     show a recorded session in the same panes (no connections, actions off)\n"
		"      --once            sample each target once, print a pane and exit (no screen):\n"
		"                        status 0 all well, 1 a target down or stalled, 3 authentication failed\n"
		"      --format json|csv --once's output (default json)\n"
		"      --pane NAME       --once's pane: fleet (default), lag, queries, sessions, cost, timeline\n"
		"      --target NAME     --once: that target only\n"
		"      --drill NAME      start drill NAME at once (':drill stop' or quitting writes its report)\n"
		"      --serve           no screen: collect and publish to the [redis] url for viewers\n"
		"                        (one active collector per fleet; another waits as a standby)\n"
		"      --attach URL      show the fleet a --serve publishes at redis[s]://HOST:PORT/FLEET\n"
		"                        (no database or AWS connection; [redis] gives user, password, CA)\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n"
		"\n"
		"See dbfleet(1) and dbfleet.conf(5).\n");
}

static int fail(const char *msg)
{
	fprintf(stderr, "dbfleet: %s\n", msg);
	return 2;
}

/* fail() once the options hold targets: they are freed (LeakSanitizer watches every exit) */
static int fail_release(struct options *o, const char *msg)
{
	options_release(o);
	return fail(msg);
}

/* The config file: -c FILE must exist; the default path may not. */
static int read_config(struct options *o, const char *path, char *err, size_t n)
{
	char def[512];
	if (!path) {
		if (xdg_path(XDG_CONFIG, "config", def, sizeof def) < 0)
			return 0; /* no such file could exist */
		int rc = config_load(o, def, err, n);
		return rc == -2 ? 0 : rc;
	}
	return config_load(o, path, err, n);
}

/*
 * No core file, and no ptrace or /proc/PID/mem by the same user: memory holds
 * IAM tokens, AWS keys and whatever password libpq read from ~/.pgpass.
 * First thing in main(), before a file or the environment is read.
 */
static void no_core_dumps(void)
{
	struct rlimit none = {0, 0};
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		perror("dbfleet: setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		perror("dbfleet: prctl(PR_SET_DUMPABLE)");
}

/*
 * A socket a target: a thousand targets need more descriptors than the usual
 * soft limit of 1,024. Raise it to the hard limit (a user's own to take); the
 * fleet pane still says which targets could not get one (EMFILE is an error
 * like any other).
 */
static void enough_descriptors(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* The longest dbfleet waits, once the UI is gone, for an action to end by its own deadline. */
#define ACTION_WAIT_MAX_S 120.0

/*
 * An action still running when the UI has gone (a signal, the SSH session
 * dropped): it finishes headless and writes its outcome, or is recorded as
 * abandoned. The terminal is already restored, so stderr may be written.
 */
static void finish_actions(struct collector *col)
{
	char what[200];
	if (collector_actions_busy(col, what, sizeof what) == 0)
		return;
	for (char *p = what; *p; p++) /* a role or host name from a server: printable ASCII only here */
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	fprintf(stderr, "dbfleet: waiting for %s to finish: its outcome goes to the audit log\n", what);
	if (collector_finish_actions(col, ACTION_WAIT_MAX_S) > 0)
		fprintf(stderr, "dbfleet: it did not finish in time: recorded as abandoned in the audit log\n");
}

/* A drill still running when the UI has gone: its report is written now, and where is said. */
static void finish_drill(struct collector *col)
{
	char path[600];
	if (collector_drill_finish(col, path, sizeof path))
		fprintf(stderr, "dbfleet: drill report: %s\n", path);
}

enum { OPT_DRY_RUN = 250, OPT_READ_ONLY = 256, OPT_LIST_KEYS, OPT_KEYMAP, OPT_AWS, OPT_PROFILE, OPT_REGION,
       OPT_ONCE, OPT_FORMAT, OPT_PANE, OPT_TARGET, OPT_DRILL, OPT_RECORD, OPT_REPLAY, OPT_SERVE, OPT_ATTACH };

/* --replay FILE: the store is fed from the file; no collector, no connection, actions off. */
static int run_replay(struct options *o, struct keymap *km, const char *path)
{
	struct err e = {0};
	store = store_new(0);
	o->replay = store ? replay_open(store, path, &e) : NULL;
	if (!o->replay || replay_start(o->replay, &e) < 0) {
		replay_close(&o->replay);
		keymap_free(&km);
		return fail_release(o, e.msg[0] ? e.msg : "out of memory");
	}
	int status = ui_run(store, o, km, NULL);
	replay_close(&o->replay);
	keymap_free(&km);
	options_release(o);
	return status;
}

/* --attach URL: the store is fed from the fleet's Redis stream; no collector, no connection to the fleet. */
static int run_attach(struct options *o, struct keymap *km, const char *url)
{
	struct err e = {0};
	if (redis_url_parse(url, &o->serve.redis.url, &e) < 0) {
		keymap_free(&km);
		return fail_release(o, e.msg);
	}
	store = store_new(0);
	o->attach = store ? attach_open(&o->serve, store, &e) : NULL;
	if (!o->attach || attach_start(o->attach, &e) < 0) {
		attach_close(&o->attach);
		keymap_free(&km);
		return fail_release(o, e.msg[0] ? e.msg : "out of memory");
	}
	int status = ui_run(store, o, km, NULL);
	attach_close(&o->attach);
	keymap_free(&km);
	options_release(o);
	return status;
}

/* --serve lost its lease: start again, as a standby, with no descriptor of this run left open. */
static void restart_as_standby(char **argv)
{
	fflush(NULL);
	close_range(3, ~0U, 0);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "dbfleet serve: cannot start again: %s\n", strerror(errno));
}

/* The fleet's name when the config gives none: the config file's name without its extension. */
static void default_fleet_name(struct options *o, const char *config)
{
	if (o->fleet[0])
		return;
	const char *base = config ? strrchr(config, '/') : NULL;
	base = base ? base + 1 : config;
	size_t len = base ? strcspn(base, ".") : 0;
	if (!len || len >= sizeof o->fleet || strspn(base, FLEET_NAME_CHARS) < len)
		snprintf(o->fleet, sizeof o->fleet, "default");
	else
		snprintf(o->fleet, sizeof o->fleet, "%.*s", (int)len, base);
}

/* Run --once instead of the screen: the collectors, one snapshot, the exit status. */
static int run_once(struct store *st, struct options *o, struct collector *col, const struct once_request *q)
{
	if (q->target && once_target(st, q->target) < 0) {
		fprintf(stderr, "dbfleet: --target: no target named '%s'\n", q->target);
		return 2;
	}
	return once_run(st, o, col, q);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"refresh", required_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{"read-only", no_argument, NULL, OPT_READ_ONLY},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"keymap", required_argument, NULL, OPT_KEYMAP},
		{"aws", no_argument, NULL, OPT_AWS},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"region", required_argument, NULL, OPT_REGION},
		{"list-keys", no_argument, NULL, OPT_LIST_KEYS},
		{"record", required_argument, NULL, OPT_RECORD},
		{"replay", required_argument, NULL, OPT_REPLAY},
		{"once", no_argument, NULL, OPT_ONCE},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"pane", required_argument, NULL, OPT_PANE},
		{"target", required_argument, NULL, OPT_TARGET},
		{"drill", required_argument, NULL, OPT_DRILL},
		{"serve", no_argument, NULL, OPT_SERVE},
		{"attach", required_argument, NULL, OPT_ATTACH},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	struct options o;
	char err[1024];
	const char *config = NULL, *keymap = NULL, *drill = NULL, *record = NULL, *replay = NULL, *attach = NULL;
	struct cloud_config cli_regions = {0}, cli_profiles = {0};
	int aws = 0;
	double refresh = 0, timeout = 0;
	int list_keys = 0, read_only = 0, once = 0, serve = 0, c;
	struct once_request oq = {.format = NULL, .pane = NULL, .target = NULL};
	no_core_dumps();
	enough_descriptors();
	setlocale(LC_ALL, "");
	tzset(); /* once, before any thread: localtime_r() then only reads the zone */
	options_init(&o);
	while ((c = getopt_long(argc, argv, "c:r:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'r':
			if (config_seconds(optarg, &refresh) < 0)
				return fail("--refresh: give seconds between 0.1 and 3600");
			break;
		case 't':
			if (config_seconds(optarg, &timeout) < 0)
				return fail("--timeout: give seconds between 0.1 and 3600");
			break;
		case OPT_READ_ONLY: read_only = 1; break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_KEYMAP: keymap = optarg; break;
		case OPT_AWS: aws = 1; break;
		case OPT_PROFILE:
			if (config_set_profiles(&cli_profiles, optarg, err, sizeof err) < 0)
				return fail(err);
			aws = 1;
			break;
		case OPT_REGION:
			if (config_add_regions(&cli_regions, optarg, err, sizeof err) < 0)
				return fail(err);
			aws = 1;
			break;
		case OPT_LIST_KEYS: list_keys = 1; break;
		case OPT_RECORD: record = optarg; break;
		case OPT_REPLAY: replay = optarg; break;
		case OPT_ONCE: once = 1; break;
		case OPT_FORMAT: oq.format = optarg; break;
		case OPT_PANE: oq.pane = optarg; break;
		case OPT_TARGET: oq.target = optarg; break;
		case OPT_DRILL: drill = optarg; break;
		case OPT_SERVE: serve = 1; break;
		case OPT_ATTACH: attach = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("dbfleet %s\n", DBFLEET_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!once && (oq.format || oq.pane || oq.target))
		return fail("--format, --pane and --target go with --once");
	if (once && drill)
		return fail("--drill needs the screen: it does not go with --once");
	oq.format = oq.format ? oq.format : "json";
	oq.pane = oq.pane ? oq.pane : "fleet";
	if (once && once_check(&oq, err, sizeof err) < 0)
		return fail(err);
	if (read_config(&o, config, err, sizeof err) < 0)
		return fail_release(&o, err);
	default_fleet_name(&o, config);
	/* the command line wins over the file */
	if (refresh > 0)
		o.refresh_s = refresh;
	if (timeout > 0)
		o.timeout_s = timeout;
	if (read_only)
		o.read_only = 1;
	if (keymap)
		snprintf(o.keymap, sizeof o.keymap, "%s", keymap);
	if (aws)
		o.cloud.enabled = 1;
	if (cli_profiles.nprofiles) {
		memcpy(o.cloud.profiles, cli_profiles.profiles, sizeof o.cloud.profiles);
		o.cloud.nprofiles = cli_profiles.nprofiles;
		snprintf(o.cloud.profile, sizeof o.cloud.profile, "%s", cli_profiles.profile);
	}
	if (cli_regions.nregions) {
		memcpy(o.cloud.regions, cli_regions.regions, sizeof o.cloud.regions);
		o.cloud.nregions = cli_regions.nregions;
	}
	for (int i = optind; i < argc; i++)
		if (config_add_dsn(&o, argv[i], err, sizeof err) < 0)
			return fail_release(&o, err);
	for (size_t i = 0; i < o.ntargets; i++) {
		if (o.targets[i].interval_s <= 0)
			o.targets[i].interval_s = o.refresh_s;
		if (o.targets[i].timeout_s <= 0)
			o.targets[i].timeout_s = o.timeout_s;
	}

	struct keymap *km = keymap_new();
	if (!km)
		return fail_release(&o, "out of memory");
	if (!once && !serve && keys_load(km, o.keymap, err, sizeof err) < 0) { /* --once and --serve read no keys */
		keymap_free(&km);
		return fail_release(&o, err);
	}
	if (list_keys) {
		keys_list(km);
		keymap_free(&km);
		options_release(&o);
		return 0;
	}
	if (replay && (record || once))
		return fail_release(&o, record ? "--record and --replay: one or the other" : "--once and --replay: one or the other");
	if (!!replay + !!attach + serve + once > 1 || ((attach || serve) && (record || drill)))
		return fail_release(&o, "--serve, --attach, --replay and --once: one at a time; --record and --drill"
					" go with neither --serve nor --attach");
	o.serve.redis.iam = o.serve.redis.iam_cluster[0] != '\0';
	if (replay)
		return run_replay(&o, km, replay);
	if (attach) {
		if (optind < argc)
			return fail_release(&o, "--attach shows the collector's fleet: give no DSN");
		return run_attach(&o, km, attach);
	}
	if (serve && !o.serve.redis.url.host[0]) {
		keymap_free(&km);
		return fail_release(&o, "--serve: give the Redis to publish to as [redis] url in the config file"
					" (see dbfleet.conf(5))");
	}
	if (serve && o.read_only && o.serve.viewer_actions) { /* read-only wins: say so rather than pick one */
		keymap_free(&km);
		return fail_release(&o, "--serve: [redis] viewer_actions = on runs viewers' actions, and this collector"
					" is read-only (--read-only or read_only = true): turn one of them off");
	}
	if (o.ntargets == 0 && !o.cloud.enabled) {
		keymap_free(&km);
		return fail_release(&o, "no targets: give a DSN (dbfleet postgresql://user@host/db), --aws,"
					" or a config file (see dbfleet.conf(5))");
	}

	struct err e = {0};
	o.cloud.interval_s = o.refresh_s;
	o.cloud.timeout_s = o.timeout_s;
	store = store_new(o.ntargets); /* it grows for discovered instances the config connects to */
	struct collector *col = store ? collector_new(store, o.targets, o.ntargets, &e) : NULL;
	if (!col) {
		keymap_free(&km);
		return fail_release(&o, e.msg[0] ? e.msg : "out of memory");
	}
	collector_set_cloud(col, &o.cloud);
	collector_set_audit(col, o.audit_log);
	collector_set_samplers(col, o.samplers);
	collector_set_fleet(col, o.fleet);
	if (drill && collector_drill_begin(col, drill, &e) < 0) {
		keymap_free(&km);
		collector_stop(col, 0.5);
		return fail_release(&o, e.msg);
	}
	struct recorder *rec = NULL;
	if (record && !(rec = record_start(store, record, o.record_max_mb, &e))) {
		collector_stop(col, 0);
		keymap_free(&km);
		return fail_release(&o, e.msg);
	}
	int status = once ? run_once(store, &o, col, &oq)
		     : serve ? serve_run(&o.serve, o.serve.redis.url.fleet, store, col) : ui_run(store, &o, km, col);
	keymap_free(&km);
	finish_actions(col);
	finish_drill(col);
	/* a worker stuck in a library call is not waited for: leave without
	 * running atexit handlers (OpenSSL's among them) under its feet */
	int left = collector_stop(col, 0.5);
	record_stop(&rec, 2.0); /* what is queued, and the end record */
	if (status == SERVE_RESTART)
		restart_as_standby(argv);
	if (left > 0) {
		fflush(NULL);
		_exit(status);
	}
	options_release(&o);
	return status;
}
