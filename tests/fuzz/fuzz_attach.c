/*
 * fuzz_attach - what a viewer (--attach) takes from Redis: replies to HGETALL of the fleet's
 * state hash and to XREAD of its stream, as a hostile server or a writer with the collector's
 * ACL user could shape them (collectors/attach.c, feed.c; the frames inside go through codec.c).
 * The first byte picks state or stream for each reply; the rest goes through the size-capped
 * RESP reader (1 MiB) and every whole reply is applied to one viewer's store, which lives
 * across inputs as a viewer's does. Oracles: no crash, leak or undefined behaviour; the store
 * never holds more targets than the feed's bound; the status strings stay terminated.
 */
#include "../../collectors/attach.h"
#include "fuzz.h"

static struct store *st;
static struct attach *at;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct serve_conf c = {0};
	struct err e = {0};
	snprintf(c.redis.url.host, sizeof c.redis.url.host, "localhost");
	snprintf(c.redis.url.fleet, sizeof c.redis.url.fleet, "lab");
	c.redis.url.port = 6379;
	st = store_new(0);
	at = st ? attach_open(&c, st, &e) : NULL;
	return at ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned pick = fuzz_byte(&in);
	struct resp_reader r;
	char msg[160];
	if (resp_reader_init(&r, 1u << 20) < 0)
		return 0;
	if (resp_reader_feed(&r, (const char *)in.p, in.n, msg, sizeof msg) == 0) {
		redisReply *rep;
		for (int i = 0; resp_reader_next(&r, &rep, msg, sizeof msg) == 1; i++) {
			attach_apply(at, rep, (pick >> (i & 7)) & 1);
			freeReplyObject(rep);
		}
	}
	resp_reader_release(&r);
	FUZZ_ASSERT(store_count(st) <= 100000);
	struct attach_status s;
	attach_get_status(at, &s);
	FUZZ_ASSERT(memchr(s.collector, 0, sizeof s.collector) && memchr(s.message, 0, sizeof s.message));
	return 0;
}
