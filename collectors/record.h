/*
 * record.h - --record FILE and --replay FILE: the session's snapshots,
 * states, actions and AWS snapshots to a file of codec.h frames, and back
 * into a store at the recorded pace.
 *
 * Threads: each of the recorder and the replay has one thread of its own
 * that does all of its file I/O; the calls below never wait on the disk and
 * may be made from the UI thread, except record_start/replay_open (main,
 * before the UI) and the *_stop/_close calls (main, after it).
 */
#ifndef DBFLEET_RECORD_H
#define DBFLEET_RECORD_H

#include <stdint.h>

#include "store.h"

#define RECORD_MAX_MB_DEFAULT 256
#define RECORD_KEYFRAME_S 60.0   /* every target's snapshot is a key frame at least this often */

struct recorder;

/*
 * Append a session to 'path' (created 0600; a new header if it has one
 * already), taking every snapshot, state change, action status and AWS
 * snapshot the store takes in from now on. When the file would pass
 * 'max_mb' it is renamed to 'path'.1 (replacing that) and a new file is
 * started, so the two hold at most twice that. NULL with 'err' if the file
 * cannot be opened.
 */
struct recorder *record_start(struct store *st, const char *path, double max_mb, struct err *err);
/*
 * The same records to a sink instead of a file (--serve: a Redis stream). The recorder's
 * thread calls 'publish' with the frames of each batch (after gathering for 'gather_s'), and
 * every 'state_s' (and after a failure) also with the whole state as frames: each target's
 * description, its latest snapshot as a key frame with the number the next deltas name, its
 * state when not ok, and the AWS snapshot, so a reader can start there. With nothing to send
 * for 'idle_s' it calls publish with n = 0 (a sink renews its lease). publish returns 0
 * (sent), -1 (not sent: what follows starts again with descriptions and key frames) or -2
 * (never again: the recorder drops everything from then on).
 */
struct record_sink {
	int (*publish)(void *arg, const uint8_t *p, size_t n, const uint8_t *state, size_t state_len);
	void *arg;
	double gather_s, state_s, idle_s;
};
struct recorder *record_start_sink(struct store *st, const struct record_sink *sink, struct err *err);
/* The header frame a writer starts with (format version, program, host, now) appended to
 * 'out' (a codec_buf); 0 or -1 (out of memory). --serve's first entry is one. */
struct codec_buf;
int record_header_frame(struct codec_buf *out);

/* Records the recorder could not write because the disk was slower than the fleet; any thread. */
unsigned long long record_dropped(struct recorder *r);
/* Stop taking, write what is queued and an end record, close (waits at most 'wait_s'). NULL-safe, sets *r NULL. */
void record_stop(struct recorder **r, double wait_s);

struct replay;

/* Open a record file for replay into 'st' (an empty store); NULL with 'err'. */
struct replay *replay_open(struct store *st, const char *path, struct err *err);
/* Start playing from the beginning (its thread); 0 or -1 with 'err'. */
int replay_start(struct replay *rp, struct err *err);
void replay_close(struct replay **rp);

/* Where the replay is: its clock is the recorded wall clock (epoch seconds), for ages and the status bar. */
struct replay_status {
	double now;             /* the replay's time; 0 before the first record */
	double first, last;     /* the file's first and last record times (0 while indexing) */
	int speed;              /* 1, 2, 4 ... 64 */
	int paused;
	int ended;              /* played to the last record */
	unsigned long seq;      /* bumped with each new message */
	char message[256];      /* the latest report: damage found, a record skipped, a goto's answer */
	char damage[160];       /* what is wrong with the file, for the status bar; "" none */
};
void replay_get_status(struct replay *rp, struct replay_status *out);
/* Its clock alone (the UI's "now" for ages). */
double replay_now(struct replay *rp);
void replay_toggle_pause(struct replay *rp);
/* +1 doubles the speed, -1 halves it (1x to 64x). */
void replay_change_speed(struct replay *rp, int dir);
/* Paused: play the next record. */
void replay_step(struct replay *rp);
/* Jump to wall-clock time 't' (epoch seconds); going back replays from the start, fast. */
void replay_goto(struct replay *rp, double t);

/*
 * "03:12", "03:12:05", "03:12Z", "03:12+02:00", "03:12 local" (the zone TZ
 * names) as epoch seconds on the day (in that zone) of 'ref', the replay's
 * time. 0, or -1 with 'msg'. Pure.
 */
int replay_parse_time(const char *s, double ref, double *out, char *msg, size_t n);

#endif
