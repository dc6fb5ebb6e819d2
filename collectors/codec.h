/*
 * codec.h - the record encoding: snapshots, target descriptions and states,
 * action outcomes and AWS snapshots as compact, versioned, checksummed
 * frames, to and from memory. No file or socket I/O here: the recorder
 * (record.c) writes frames to a file, the replay (replay.c) reads them back,
 * and anything else (a stream publisher, a script) can read the same bytes.
 *
 * Frame: 0xDB 0xF1, the record type (1 byte), the payload's length (varint),
 * CRC32C (Castagnoli, little-endian) of the type, length and payload; then
 * the payload. A payload is fields, each a varint key (tag << 3 | wire type:
 * 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32) and its value, so a
 * reader skips the tags it does not know. Signed integers are zigzag
 * varints; a double is a varint when it is a whole number, a float when one
 * holds it exactly, else 8 bytes; times are varint milliseconds.
 *
 * A snapshot is a key frame (every field against zero) or a delta against
 * the same target's snapshot 'base_seq': only the fields that differ are
 * written (counters as what they grew by), and an array's elements are matched by their identity (query id,
 * session pid and start, replica name, instance id) so a reordered list
 * costs little. A reader that lost the base (a corrupt record) skips the
 * target's deltas until its next key frame. The format for other readers
 * is in man/dbfleet.1 (RECORD AND REPLAY); codec_tables.c lists the tags.
 *
 * Threads: none of its own; every function works on the caller's buffers.
 */
#ifndef DBFLEET_CODEC_H
#define DBFLEET_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define CODEC_VERSION 1
#define CODEC_FRAME_HEAD_MAX 12        /* sync 2 + type 1 + length <= 5 + crc 4 */
#define CODEC_PAYLOAD_MAX (16u << 20)  /* a longer length is corruption */

enum rec_type {
	REC_HEADER = 1,   /* first in a file: format version, writer, start */
	REC_TARGET = 2,   /* a target's fixed description (its index in the store) */
	REC_SNAPSHOT = 3, /* a target's sample */
	REC_STATE = 4,    /* a target's state changed (down, stalled, ...) with its error */
	REC_ACTION = 5,   /* an action's status (queued, running, its outcome) */
	REC_CLOUD = 6,    /* the AWS snapshot */
	REC_EVENT = 7,    /* a timeline entry (struct tl_event) */
	REC_END = 8,      /* the recorder stopped: why, and how many records it dropped */
	REC_PI = 9,       /* an instance's Performance Insights figures (read while a pane shows it) */
};

struct codec_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;          /* an append failed: the contents are incomplete */
};

void codec_buf_release(struct codec_buf *b);

struct rec_header {
	uint32_t version;       /* CODEC_VERSION of the writer */
	double at;              /* wall clock, epoch seconds */
	char writer[64];        /* "dbfleet 0.1.0" */
	char host[64];
};

struct rec_target {
	uint32_t idx;
	double at;
	char name[64], engine[16], endpoint[96];
	double interval_s, timeout_s;
	char cloud_id[64];
	char tags[256];
};

struct rec_state {
	uint32_t idx;
	double at;
	int32_t state;          /* enum target_state */
	char error[ERR_MSG_MAX];
};

struct rec_snapshot {
	uint32_t idx;
	uint64_t seq;           /* this target's snapshot number, from 1 */
	uint64_t base_seq;      /* 0: a key frame; else the snapshot it is a delta against */
	double at;              /* when it was taken, wall clock */
	double cost_ms_s;
	struct db_sample s;     /* owned: engine_sample_release() */
};

struct rec_action {
	double at;
	struct action_status a;
};

struct rec_cloud {
	uint64_t seq, base_seq;
	double at;
	struct cloud_snapshot c; /* inst and events owned; times (discovered_at...) wall clock */
};

struct rec_event {
	double at;              /* when it was recorded (an RDS event's own time is ev.at) */
	struct tl_event ev;     /* its seq is not kept: the reader's timeline numbers it */
};

struct rec_pi {
	double at;
	struct cloud_pi pi;
};

struct rec_end {
	double at;
	uint64_t dropped;       /* records the recorder could not write in time */
	char why[160];
};

/* One frame found in a buffer. */
struct codec_frame {
	int type;
	const uint8_t *payload;
	size_t len;             /* of the payload */
	size_t size;            /* of the whole frame */
};

enum codec_scan { CODEC_FRAME_OK, CODEC_FRAME_SHORT, CODEC_FRAME_BAD };

/*
 * Append a frame of 'type' around 'payload' to 'out'; 0 or -1 (out of memory).
 */
int codec_frame(struct codec_buf *out, int type, const struct codec_buf *payload);
/*
 * The frame at the start of [p, p+n): OK fills 'f'; SHORT: the bytes end
 * inside it (a truncated file, or read more); BAD: no frame starts here (bad
 * sync, length or checksum: look for the next sync bytes).
 */
enum codec_scan codec_unframe(const uint8_t *p, size_t n, struct codec_frame *f);
/* CRC32C of [p, p+n) continuing 'crc' (0 to start). */
uint32_t codec_crc32c(uint32_t crc, const uint8_t *p, size_t n);

/*
 * Encoders: the payload of one record appended to 'out' (frame it with
 * codec_frame). 0 or -1 (out of memory). A snapshot is a delta against
 * 'base' (the same target's previous record, whose seq becomes base_seq)
 * or a key frame when 'base' is NULL; the same for the cloud snapshot.
 */
int codec_put_header(struct codec_buf *out, const struct rec_header *r);
int codec_put_target(struct codec_buf *out, const struct rec_target *r);
int codec_put_state(struct codec_buf *out, const struct rec_state *r);
int codec_put_snapshot(struct codec_buf *out, const struct rec_snapshot *r, const struct rec_snapshot *base);
int codec_put_action(struct codec_buf *out, const struct rec_action *r);
int codec_put_cloud(struct codec_buf *out, const struct rec_cloud *r, const struct rec_cloud *base);
int codec_put_event(struct codec_buf *out, const struct rec_event *r);
int codec_put_end(struct codec_buf *out, const struct rec_end *r);
int codec_put_pi(struct codec_buf *out, const struct rec_pi *r);

/*
 * Decoders: 0, or -1 with 'err' (a malformed payload: nothing is left
 * allocated in 'out'). Unknown fields are skipped. A snapshot or cloud
 * delta needs the base it names ('base' with that seq; see codec_peek).
 */
int codec_get_header(const uint8_t *p, size_t n, struct rec_header *out, struct err *err);
int codec_get_target(const uint8_t *p, size_t n, struct rec_target *out, struct err *err);
int codec_get_state(const uint8_t *p, size_t n, struct rec_state *out, struct err *err);
int codec_get_snapshot(const uint8_t *p, size_t n, const struct rec_snapshot *base, struct rec_snapshot *out,
		       struct err *err);
int codec_get_action(const uint8_t *p, size_t n, struct rec_action *out, struct err *err);
int codec_get_cloud(const uint8_t *p, size_t n, const struct rec_cloud *base, struct rec_cloud *out,
		    struct err *err);
int codec_get_event(const uint8_t *p, size_t n, struct rec_event *out, struct err *err);
int codec_get_end(const uint8_t *p, size_t n, struct rec_end *out, struct err *err);
int codec_get_pi(const uint8_t *p, size_t n, struct rec_pi *out, struct err *err);

/* What every record names first: its time, and for snapshots and states the target, seq, base_seq (0 if none). */
struct codec_key {
	double at;
	uint32_t idx;
	uint64_t seq, base_seq;
};
/* The key fields of a payload of 'type' without decoding the rest; 0 or -1 (malformed). */
int codec_peek(int type, const uint8_t *p, size_t n, struct codec_key *k);

/* Deep copies and frees of decoded records (the copy's strings and arrays are its own). */
int codec_snapshot_copy(struct rec_snapshot *dst, const struct rec_snapshot *src);
void codec_snapshot_release(struct rec_snapshot *r);
int codec_cloud_copy(struct rec_cloud *dst, const struct rec_cloud *src);
void codec_cloud_release(struct rec_cloud *r);
/* 1 if every encoded field is the same (doubles bit for bit): the round-trip check. */
int codec_snapshot_equal(const struct rec_snapshot *a, const struct rec_snapshot *b);
int codec_cloud_equal(const struct rec_cloud *a, const struct rec_cloud *b);

#endif
