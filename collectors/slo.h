/*
 * slo.h - availability and latency objectives: per-minute good and bad
 * seconds of each target's probes, burn rates over 1 h and 6 h, the error
 * budget left, and the state file that carries them over a restart
 * (collectors/ internal; the store holds the set, store.h is the way in).
 */
#ifndef DBFLEET_SLO_H
#define DBFLEET_SLO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define SLO_MINUTES (7 * 24 * 60) /* per-minute buckets kept: the longest window, and the state file's bound */
#define SLO_FAST_1H 14.4          /* fast burn: the 1 h window burns at this rate or more ... */
#define SLO_FAST_6H 6.0           /* ... and the 6 h window at this one (SRE workbook, multi-window) */
#define SLO_GAP_S 60.0            /* a probe counts the time since the previous one, at most this much */

/* One minute of one target: seconds its probes said were good and bad. */
struct slo_bucket {
	uint32_t minute;               /* epoch minutes; 0 = empty */
	float good_s, bad_s;
};

struct slo_set;

/* A set for targets [0, n) (more are added as asked); NULL on OOM. */
struct slo_set *slo_new(void);
void slo_free(struct slo_set **s);
/* Target 't' (named 'name', the key in the state file) has an objective: 'avail' percent of
 * its time good; 'latency_ms' > 0: a probe slower than that is bad too; 'window_days' 1..7. */
int slo_configure(struct slo_set *s, size_t t, const char *name, double avail, double latency_ms, int window_days);
/* A probe of 't' ended at wall time 'at': answered ('ok') in 'rtt_ms' (< 0 unknown), or failed. Any thread. */
void slo_observe(struct slo_set *s, size_t t, int ok, double rtt_ms, double at);
/* What the fleet pane shows for 't' at wall time 'at'; 0 if 't' has no objective. Any thread. */
int slo_view_of(struct slo_set *s, size_t t, double at, struct slo_view *out);

/* ---- the arithmetic, pure: the unit test checks it by hand ---- */

/* Good and bad seconds of 'b[0..n)' in the 'minutes' ending at minute 'now_min' (inclusive). */
void slo_sum(const struct slo_bucket *b, size_t n, uint32_t now_min, uint32_t minutes, double *good, double *bad);
/* The burn rate: the bad fraction over the budget (1 - avail/100); -1 when nothing was observed. */
double slo_burn(double good, double bad, double avail);
/* Burn rates, the budget left and fast from the seconds and the objective in 'v'. */
void slo_view_finish(struct slo_view *v);
/* Fast burn: both windows at their thresholds. */
int slo_fast(double burn_1h, double burn_6h);

/* ---- the state file: $XDG_STATE_HOME/dbfleet/FLEET.state ---- */

/*
 * Read the state file at 'path' into the set (targets by name; unknown ones
 * are skipped). A file that does not parse or whose checksums fail is
 * renamed to PATH.corrupt-TIMESTAMP and 'msg' says so: returns -1. A missing
 * file is 0. Then the file is rewritten from the set (write-then-rename,
 * 0600): the oldest minutes beyond SLO_MINUTES are gone. Collector thread.
 */
int slo_load(struct slo_set *s, const char *path, double at, char *msg, size_t n);
/* Append the minutes that ended since the last call (one line each, with a CRC); 0 or -1 with 'msg'. */
int slo_append(struct slo_set *s, const char *path, double at, char *msg, size_t n);
/*
 * The reader, on its own (the fuzzer's way in): call 'rec' for every record of the
 * text 'buf'; 0, or -1 with 'msg' at the first bad line (a last line without its
 * newline, cut by a crash, is skipped).
 */
int slo_parse(const char *buf, size_t len, void (*rec)(void *ctx, const char *name, const struct slo_bucket *b),
	      void *ctx, char *msg, size_t n);
/* CRC-32 (IEEE) of 'len' bytes. */
uint32_t slo_crc32(const void *p, size_t len);

#endif
