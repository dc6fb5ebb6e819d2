/*
 * feed.h - records (codec.h frames) into a store, as the collectors would have put them there:
 * what --replay plays from a file and --attach reads from a Redis stream.
 *
 * A feed keeps each target's last snapshot (the base the next delta names) and the last AWS
 * snapshot. A delta whose base it does not have (a damaged record, a stream entry trimmed
 * away) is skipped, with the target's later deltas, until its next key frame.
 *
 * Threads: a feed belongs to one thread; the store it feeds is any thread's.
 */
#ifndef DBFLEET_FEED_H
#define DBFLEET_FEED_H

#include "codec.h"

struct feed_base {
	struct snapshot *snap;
	uint64_t seq;
	double at;
	int skipping;              /* deltas are being skipped until a key frame */
};

struct feed {
	struct store *st;
	struct feed_base *bases;
	size_t nbases;
	struct cloud_snapshot *cloud;
	uint64_t cloud_seq;
	const char *prices_date;   /* what the cost pane says its prices are from */
	/* what a record told (damage, a dropped count): one line, 'arg' passed back */
	void (*say)(void *arg, const char *msg);
	void *arg;
};

void feed_init(struct feed *f, struct store *st, const char *prices_date, void (*say)(void *, const char *), void *arg);
void feed_release(struct feed *f);
/* Put one record into the store; 'at' is its time (for messages). */
void feed_frame(struct feed *f, const struct codec_frame *fr, double at);
/* Forget every base: the next deltas wait for key frames (a new writer, a gap). */
void feed_forget(struct feed *f, int quiet);
/* Skip deltas until each target's next key frame, keeping the bases (a jump over a gap). */
void feed_skip_deltas(struct feed *f);

/* "03:12:07Z" (UTC) for a record's time in messages; "--:--:--Z" for none. */
void feed_hms(double t, char *out, size_t n);

#endif
