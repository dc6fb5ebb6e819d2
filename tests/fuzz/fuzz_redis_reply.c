/*
 * fuzz_redis_reply - what a Redis server sends back (collectors/redis_reply.c: the scanner
 * that caps a reply's size in front of hiredis' redisReader). The first byte picks the
 * cap (64 bytes to 16 KiB) and the piece size; the rest is fed in pieces and every whole
 * reply taken. Oracles: no reply bigger than the cap comes out (its strings and element
 * counts add up to less); after a refusal the reader is not fed again.
 */
#include "../../collectors/redis.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

/* Bytes a reply takes at least: each string's payload, 3 per item. */
static size_t weight(const redisReply *r)
{
	size_t w = 3;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS)
		w += r->len;
	if (r->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < r->elements; i++)
			w += weight(r->element[i]);
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned b = fuzz_byte(&in);
	size_t max = (size_t)64 << (b & 7);
	size_t step = 1 + (b >> 3) * 7;
	struct resp_reader r;
	if (resp_reader_init(&r, max) < 0)
		return 0;
	char msg[160];
	while (in.n > 0) {
		size_t k = in.n < step ? in.n : step;
		if (resp_reader_feed(&r, (const char *)in.p, k, msg, sizeof msg) < 0) {
			FUZZ_ASSERT(msg[0]);
			break;
		}
		in.p += k;
		in.n -= k;
		redisReply *rep;
		int got;
		while ((got = resp_reader_next(&r, &rep, msg, sizeof msg)) == 1) {
			FUZZ_ASSERT(weight(rep) <= max + 3);
			freeReplyObject(rep);
		}
		if (got < 0)
			break;
	}
	resp_reader_release(&r);
	return 0;
}
