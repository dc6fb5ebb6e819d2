/*
 * pane.h - panes, the table kit they draw with, and terminal-safe text.
 *
 * A pane is an ops table plus an instance (htop's Panel). recalc() turns
 * the store's snapshots into table rows without curses (unit-testable);
 * pane_repaint() only draws rows already made. Threads: UI thread only.
 */
#ifndef DBFLEET_PANE_H
#define DBFLEET_PANE_H

#include <stddef.h>

#include "../collectors/store.h"

/* ---- terminal-safe text (text.c) ---- */

/* Set once from the locale: 1 if the terminal takes UTF-8. */
void text_init(void);
int text_utf8(void);
/*
 * The one function every string from a database or an API passes through
 * before curses (draw_text calls it): control characters and escape
 * sequences are shown escaped (ESC as ^[; C1 controls, bidi controls,
 * zero-width, tag and blank filler characters, and a combining mark at the
 * start, as <U+hex code>), newlines and tabs become spaces, invalid UTF-8
 * becomes U+FFFD ('?' without UTF-8). Its output passes through unchanged.
 * Returns a new string of at most 'max' bytes (plus NUL), or NULL on OOM.
 */
char *text_sanitize(const char *in, size_t max);
/* The same, line by line: line breaks kept (overlays, prompts); at most 'cap' bytes. */
char *text_sanitize_lines(const char *text, size_t cap);
/* Display width of sanitised text (wide characters count two). */
int text_width(const char *s);
/* Bytes of sanitised 's' that fit in 'cols' columns; '*used' gets the width. */
size_t text_fit(const char *s, int cols, int *used);

/* ---- formatting (format.c), into caller buffers ---- */
void fmt_age(char *out, size_t n, double seconds);      /* "42s", "3m05s", "2h10m", "3d04h" */
void fmt_bytes(char *out, size_t n, double bytes);      /* "512 B", "6.1 MiB" */
void fmt_num(char *out, size_t n, double v);            /* "12.3", "4.5k", "-" if < 0 */
void fmt_spark(char *out, size_t n, const double *v, size_t nv, int width);
/* Epoch seconds as UTC: "2026-11-29 03:12:05Z" (the timeline, --once). */
void fmt_utc(char *out, size_t n, double epoch);
/* "host:port", every local spelling ("localhost", 127.x, ::1, a socket directory) as "local". */
void endpoint_norm(const char *host, int port, char *out, size_t n);
/* The same from a target's "host:port" endpoint. */
void endpoint_norm_target(const char *endpoint, char *out, size_t n);

/* ---- the table kit (table.c) ---- */

#define TABLE_MAX_COLS 16

enum row_attr { ROW_NORMAL, ROW_DIM, ROW_WARN, ROW_BAD, ROW_GOOD, ROW_BOLD };

struct column {
	const char *name;
	int width;      /* columns; the flex column takes what is left */
	int flex;
	int right;      /* right-aligned (numbers) */
	int sortable;
	int drop;       /* on a narrow terminal, columns with the highest 'drop' go first; 0 stays */
	int optional;   /* not shown while every row's cell is empty (a feature not configured) */
};

/*
 * What a row shows, typed (htop's Panel_getSelected hands back the object,
 * not a number to decode): the cursor follows it across recalcs and the
 * commands act on it.
 */
enum row_kind {
	ROW_ITEM,     /* a thing of the pane's target: 'item' (pid, queryid, action id), 'key' if needed */
	ROW_TARGET,   /* a watched database: 'target', the store's index */
	ROW_AWS,      /* an AWS instance: 'key' is "REGION/ID" */
	ROW_GROUP,    /* a group header of the fleet pane: 'key' is the group's name */
};

#define ROW_KEY_MAX 96

struct row_ref {
	enum row_kind kind;
	size_t target;
	long long item;
	char key[ROW_KEY_MAX];
};

/* 1 if both name the same object. */
int row_ref_eq(const struct row_ref *a, const struct row_ref *b);
/* The reference of a target, of an AWS instance ("REGION/ID"). */
struct row_ref row_ref_target(size_t t);
struct row_ref row_ref_aws(const char *region, const char *id);

struct row {
	char *cell[TABLE_MAX_COLS];   /* sanitised, owned */
	double key[TABLE_MAX_COLS];   /* sort keys for numeric columns */
	enum row_attr attr;
	struct row_ref ref;           /* the object the row shows */
	int group;                    /* its group's place (fleet grouping), 0 if none: sorting stays inside */
	int seq;                      /* the order recalc made it in: ties keep it */
	int pending;                  /* > 0: cells left for ops->fill (a row off screen); the pane's index + 1 */
};

struct table {
	const struct column *cols;
	int ncols;
	struct row *rows;
	int nrows, cap;
};

void table_init(struct table *t, const struct column *cols, int ncols);
void table_clear(struct table *t);
void table_release(struct table *t);
/* A new empty row, or NULL on OOM. */
struct row *table_add(struct table *t);
/* Set a cell from raw (untrusted) text: it is sanitised here. */
void row_text(struct row *r, int col, const char *raw);
/* Set a cell we format ourselves, with its sort key. */
void row_setf(struct row *r, int col, double key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define TABLE_SEARCH_MAX 64
/* Keep only the rows with a cell containing 'text' (ASCII case aside). */
void table_keep_matching(struct table *t, const char *text);
/* Stable sort on a column inside each group (its header first): numbers by key, text by the cell. */
void table_sort(struct table *t, int col, int desc);

/* ---- panes ---- */

enum pane_cmd {
	PANE_UP, PANE_DOWN, PANE_PGUP, PANE_PGDN, PANE_HOME, PANE_END,
	PANE_SORT_NEXT, PANE_SORT_REVERSE, PANE_FILTER_NEXT, PANE_OPEN, PANE_TOGGLE_SELF,
	PANE_SCOPE_NEXT, /* the timeline: the fleet, the selected target, its group */
};

/* What every pane sees when it recalculates. */
struct pane_ctx {
	struct store *store;
	size_t target;        /* the selected target (fleet cursor) */
	struct row_ref aws;   /* kind ROW_AWS: the fleet cursor is on an AWS instance with no target */
	double now;           /* monotonic, engine clock */
	int now_is_wall;      /* --replay, --attach: 'now' is the wall clock (the recording's in a replay) */
	int replaying;        /* --replay: what the recording lacks will not come */
	const char *fleet;    /* the fleet's name (config "fleet"), NULL none */
};

#define PANE_NOTES 3
#define PANE_OVERLAY_MAX 8192
#define PANE_BADGES 16

/* One coloured count of the line above the table ("12 down"). */
struct pane_badge {
	char text[40];
	enum row_attr attr;
};

struct pane;

struct pane_ops {
	const char *name;     /* "fleet": shown in the tab bar */
	const struct column *cols;
	int ncols;
	int default_sort;     /* -1: keep recalc's order until the user sorts */
	int unsortable;       /* the order means something (a tree) */
	/* rows, title status and notes from the store; no curses */
	void (*recalc)(struct pane *p, const struct pane_ctx *ctx);
	/* pane-specific commands; 1 if handled */
	int (*on_command)(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx);
	/*
	 * Make the cells recalc left for later (r->pending): pane_recalc calls
	 * it for the rows the next repaint can show, and for every row while a
	 * "/" text filter needs their text. Draw cost follows the screen, not
	 * the fleet. Optional.
	 */
	void (*fill)(struct pane *p, struct row *r);
	/* free what the pane keeps in p->priv (NULL-safe) */
	void (*release)(struct pane *p);
};

struct pane {
	const struct pane_ops *ops;
	struct table tab;
	char title[256];              /* "queries - pg-primary" */
	char status[ERR_MSG_MAX + 32]; /* "3s ago", "STALE 95s", or the error */
	int status_bad;
	char note[PANE_NOTES][256];   /* shown above the table: how to fix what is missing */
	struct pane_badge badge[PANE_BADGES]; /* a line of coloured counts above the notes */
	int nbadges;
	int sel, top;                 /* cursor row, first visible row */
	int sort_col, sort_desc;
	int filter;                   /* pane-specific */
	char search[TABLE_SEARCH_MAX]; /* "/" text filter: rows containing it, "" = all */
	int show_self;
	char *overlay;                /* full-text view (Enter), owned; NULL if none */
	/* a live overlay: rewritten with every recalc while open (figures that move) */
	void (*overlay_refresh)(struct pane *p, const struct pane_ctx *ctx);
	struct row_ref overlay_ref;   /* what it shows, for overlay_refresh */
	int first_y, nvisible;        /* where repaint drew the rows: screen line of the first, how many */
	void *priv;                   /* the pane's own state (ops->release frees it) */
};

extern const struct pane_ops pane_fleet_ops, pane_lag_ops, pane_queries_ops, pane_sessions_ops,
	pane_cost_ops, pane_actions_ops, pane_events_ops, pane_timeline_ops,
	pane_triage_ops;

/*
 * The timeline (timeline.c): the grouping its group scope uses (the fleet
 * pane's, fleet_grouping_spec; "none" means "cluster": a replication set or
 * an Aurora cluster). Takes effect at the next recalc.
 */
void timeline_set_grouping(struct pane *p, const char *spec);
/* The fleet pane's grouping as its spec: "none", "cluster", "tag:team". */
void fleet_grouping_spec(struct pane *p, char *out, size_t n);

/* The value of 'key' in tags "k=v,k=v" (config) or ",k=v," (AWS) into 'out'; 1 if found. */
int fleet_tag(const char *tags, const char *key, char *out, size_t n);
/* The AWS instance a database target is: by its aws_instance, then name, then endpoint; or NULL. */
const struct cloud_instance *fleet_cloud_of(const struct cloud_snapshot *c, const struct target_status *st);
/* The AWS instance an ROW_AWS reference names, or NULL (gone since, or not AWS). */
const struct cloud_instance *cloud_of_ref(const struct cloud_snapshot *c, const struct row_ref *r);
/* CloudWatch's replica lag of an instance in seconds (ReplicaLag, or AuroraReplicaLag / 1000); -1 none. */
double cloud_lag_s(const struct cloud_instance *ci);

/*
 * The fleet pane's view (fleet.c): problems first, grouped, collapsible,
 * filtered. The tui's commands call these on the fleet pane; each takes
 * effect at the next recalc. 0, or -1 with 'e' saying what was wrong.
 */
/* "cluster", "tag:KEY", "region", "account", "engine" or "none". */
int fleet_set_grouping(struct pane *p, const char *spec, struct err *e);
/* The next grouping (none, cluster, engine, region, account, tag:KEY for each tag key seen); its name in 'name'. */
void fleet_next_grouping(struct pane *p, char *name, size_t n);
/* "state=down engine=mysql tag:env=prod name=orders*", all must hold; "" shows every row. */
int fleet_set_filter(struct pane *p, const char *spec, struct err *e);
/* Collapse or expand the group under the cursor (a header or one of its rows); 0 if there is none. */
int fleet_toggle_group(struct pane *p);
/* Collapse every group, or expand every group if all are collapsed. */
void fleet_toggle_all(struct pane *p);
/* Open the group holding target 't' at the next recalc (a jump to it). */
void fleet_reveal(struct pane *p, size_t t);

struct pane *pane_new(const struct pane_ops *ops);
void pane_free(struct pane **p);
/* Rebuild rows (ops->recalc) and re-sort; keeps the cursor on the same object. */
void pane_recalc(struct pane *p, const struct pane_ctx *ctx);
/* Make every row's cells now (recalc leaves off-screen rows for later): a batch reader wants them all. */
void pane_fill_all(struct pane *p);
/* The row under the cursor, or NULL if there is none. */
const struct row *pane_selected(const struct pane *p);
/* Put the cursor on the row showing 'ref'; its index, or -1 if no row shows it. */
int pane_select(struct pane *p, const struct row_ref *ref);
/* Add a count to the line above the table. */
void pane_badge(struct pane *p, enum row_attr attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Navigation common to all panes, then ops->on_command. 1 if handled. */
int pane_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx, int page);
/* Wall-clock seconds, whole (AWS's timestamps are): now, or the recording's in a replay. */
double pane_wall(const struct pane_ctx *ctx);
/* The pane title's age-or-error part for a target (shared by the panes). */
void pane_status_of(struct pane *p, const struct target_status *st, const struct snapshot *snap,
		    double now);
/* Replace the overlay text (copied, sanitised line by line); NULL closes it. */
void pane_set_overlay(struct pane *p, const char *text);

/* Drawing (draw.c, curses): the table in a window area. */
struct _win_st;
void pane_repaint(struct pane *p, struct _win_st *w, int y, int x, int h, int wdt, int color);
/*
 * The one way text reaches curses: 's' (any text, NULL for none) is passed
 * through text_sanitize, clipped to 'cols' columns and padded with spaces.
 */
void draw_text(struct _win_st *w, int y, int x, int cols, const char *s);

#endif
