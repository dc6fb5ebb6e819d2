/*
 * fuzz_record - the record decoder (collectors/codec.c) with a round-trip
 * oracle: whatever decodes, encoded again (as a delta on the same base, and
 * as a key frame) decodes to the same record, field for field; and garbage
 * never crashes, leaks or reads past the input.
 * Input: chunks of [length: 2 bytes LE][type: 1 byte][payload]; snapshots and
 * cloud snapshots decode against the last one decoded for the same target
 * (its seq made the one the chunk names, so deltas are reached). Then the
 * whole input once more as a record file (frames, checksums, resync).
 */
#include "../../collectors/codec.h"
#include "fuzz.h"

#define BASES 4

static void check_snapshot(const struct rec_snapshot *x, const struct rec_snapshot *base)
{
	struct codec_buf b = {0};
	struct rec_snapshot back, key = *x;
	struct err e = {0};
	FUZZ_ASSERT(codec_put_snapshot(&b, x, base) == 0);
	FUZZ_ASSERT(codec_get_snapshot(b.p, b.len, base, &back, &e) == 0);
	FUZZ_ASSERT(codec_snapshot_equal(&back, x));
	codec_snapshot_release(&back);
	b.len = 0;
	key.base_seq = 0; /* shallow: the arrays stay x's */
	FUZZ_ASSERT(codec_put_snapshot(&b, x, NULL) == 0);
	FUZZ_ASSERT(codec_get_snapshot(b.p, b.len, NULL, &back, &e) == 0);
	FUZZ_ASSERT(codec_snapshot_equal(&back, &key));
	codec_snapshot_release(&back);
	codec_buf_release(&b);
}

static void check_cloud(const struct rec_cloud *x, const struct rec_cloud *base)
{
	struct codec_buf b = {0};
	struct rec_cloud back;
	struct err e = {0};
	FUZZ_ASSERT(codec_put_cloud(&b, x, base) == 0);
	FUZZ_ASSERT(codec_get_cloud(b.p, b.len, base, &back, &e) == 0);
	FUZZ_ASSERT(codec_cloud_equal(&back, x));
	codec_cloud_release(&back);
	codec_buf_release(&b);
}

/* A plain record: decode, encode, decode; both decodings are the same bytes (they zero what they fill). */
#define PLAIN(T, get, put, p, n) do { \
	T a, c; \
	struct err pe = {0}; \
	if (get(p, n, &a, &pe) == 0) { \
		struct codec_buf b = {0}; \
		FUZZ_ASSERT(put(&b, &a) == 0); \
		FUZZ_ASSERT(get(b.p, b.len, &c, &pe) == 0); \
		FUZZ_ASSERT(!memcmp(&a, &c, sizeof a)); \
		codec_buf_release(&b); \
	} \
} while (0)

static void one(int type, const uint8_t *p, size_t n, struct rec_snapshot *snaps, struct rec_cloud *cloud)
{
	struct codec_key k;
	struct err e = {0};
	if (codec_peek(type, p, n, &k) < 0)
		return;
	if (type == REC_SNAPSHOT) {
		struct rec_snapshot *base = &snaps[k.idx % BASES], out;
		base->seq = k.base_seq; /* the base it names */
		if (codec_get_snapshot(p, n, k.base_seq ? base : NULL, &out, &e) == 0) {
			check_snapshot(&out, k.base_seq ? base : NULL);
			codec_snapshot_release(base);
			*base = out;
		}
	} else if (type == REC_CLOUD) {
		struct rec_cloud out;
		cloud->seq = k.base_seq;
		if (codec_get_cloud(p, n, k.base_seq ? cloud : NULL, &out, &e) == 0) {
			check_cloud(&out, k.base_seq ? cloud : NULL);
			codec_cloud_release(cloud);
			memcpy(cloud, &out, sizeof out);
		}
	} else if (type == REC_HEADER) {
		PLAIN(struct rec_header, codec_get_header, codec_put_header, p, n);
	} else if (type == REC_TARGET) {
		PLAIN(struct rec_target, codec_get_target, codec_put_target, p, n);
	} else if (type == REC_STATE) {
		PLAIN(struct rec_state, codec_get_state, codec_put_state, p, n);
	} else if (type == REC_ACTION) {
		PLAIN(struct rec_action, codec_get_action, codec_put_action, p, n);
	} else if (type == REC_EVENT) {
		PLAIN(struct rec_event, codec_get_event, codec_put_event, p, n);
	} else if (type == REC_END) {
		PLAIN(struct rec_end, codec_get_end, codec_put_end, p, n);
	} else if (type == REC_PI) {
		PLAIN(struct rec_pi, codec_get_pi, codec_put_pi, p, n);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec_snapshot snaps[BASES];
	static struct rec_cloud cloud;
	memset(snaps, 0, sizeof snaps);
	memset(&cloud, 0, sizeof cloud);
	for (size_t pos = 0; pos + 3 <= size;) {
		size_t len = data[pos] | (size_t)data[pos + 1] << 8;
		int type = data[pos + 2];
		pos += 3;
		len = len < size - pos ? len : size - pos;
		one(type, data + pos, len, snaps, &cloud);
		pos += len;
	}
	for (int i = 0; i < BASES; i++)
		codec_snapshot_release(&snaps[i]);
	codec_cloud_release(&cloud);
	/* the same bytes as a file: frames found are well formed, nothing is read past the end */
	for (size_t pos = 0; pos < size;) {
		struct codec_frame f;
		enum codec_scan sc = codec_unframe(data + pos, size - pos, &f);
		if (sc == CODEC_FRAME_SHORT)
			break;
		if (sc == CODEC_FRAME_BAD) {
			pos++;
			continue;
		}
		FUZZ_ASSERT(f.size <= size - pos && f.payload + f.len == data + pos + f.size);
		pos += f.size;
	}
	return 0;
}
