/*
 * Unit tests: what the Redis client reads from outside without a server: redis:// URLs, the
 * password's file or environment, and replies through the size-capping scanner and hiredis'
 * reader (collectors/redis_url.c, redis_reply.c).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../collectors/redis.h"
#include "check.h"

static void parses_urls(void)
{
	struct redis_url u;
	struct err e = {0};
	CHECK(redis_url_parse("rediss://cache.abc.use1.cache.amazonaws.com:6380/prod-eu", &u, &e) == 0);
	CHECK(u.tls == 1 && u.port == 6380 && !u.user[0]);
	CHECK_STR(u.host, "cache.abc.use1.cache.amazonaws.com");
	CHECK_STR(u.fleet, "prod-eu");
	CHECK(redis_url_parse("redis://viewer@127.0.0.1/lab", &u, &e) == 0);
	CHECK(u.tls == 0 && u.port == 6379);
	CHECK_STR(u.user, "viewer");
	CHECK_STR(u.host, "127.0.0.1");
	CHECK(redis_url_parse("redis://[::1]:7000/f.1_x", &u, &e) == 0);
	CHECK_STR(u.host, "::1");
	CHECK(u.port == 7000);
}

static void refuses_bad_urls(void)
{
	struct redis_url u;
	static const struct {
		const char *url, *msg;
	} bad[] = {
		{"http://h/f", "must start with redis://"},
		{"redis://h:6379", "no fleet"},
		{"redis://h/", "the fleet must be"},
		{"redis://h/a b", "the fleet must be"},
		{"redis://h/{x}", "the fleet must be"},
		{"redis://:6379/f", "no host name"},
		{"redis://h:0/f", "port must be"},
		{"redis://h:65536/f", "port must be"},
		{"redis://h:12a/f", "port must be"},
		{"redis://h:/f", "port must be"},
		{"redis://[::1/f", "without ']'"},
		{"redis://[::1]x/f", "after ']'"},
		{"redis://ho st/f", "bad host name"},
		{"redis://user:secret@h/f", "no password in the URL"},
		{"redis://@h/f", "bad user name"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct err e = {0};
		CHECK(redis_url_parse(bad[i].url, &u, &e) == -1);
		CHECK(e.code == ERR_CONFIG);
		if (!strstr(e.msg, bad[i].msg))
			fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", bad[i].url, e.msg, bad[i].msg), check_failed = 1;
		CHECK(!strstr(e.msg, "secret"));
	}
}

static void reads_the_password(void)
{
	struct redis_conf c = {0};
	char pw[REDIS_PASSWORD_MAX];
	struct err e = {0};
	char path[] = "/tmp/dbfleet-test-redis-pw-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "s3cret\nignored\n", 15) == 15);
	close(fd);
	snprintf(c.password_file, sizeof c.password_file, "%s", path);
	setenv("DBFLEET_REDIS_PASSWORD", "from-env", 1);
	CHECK(redis_password(&c, pw, sizeof pw, &e) == 0);
	CHECK_STR(pw, "s3cret"); /* the file wins over the environment */
	chmod(path, 0644);
	CHECK(redis_password(&c, pw, sizeof pw, &e) == -1);
	CHECK(strstr(e.msg, "readable by others") != NULL);
	unlink(path);
	CHECK(redis_password(&c, pw, sizeof pw, &e) == -1);
	CHECK(strstr(e.msg, "cannot open redis password file") != NULL);
	c.password_file[0] = '\0';
	CHECK(redis_password(&c, pw, sizeof pw, &e) == 0);
	CHECK_STR(pw, "from-env");
	unsetenv("DBFLEET_REDIS_PASSWORD");
	CHECK(redis_password(&c, pw, sizeof pw, &e) == 0);
	CHECK_STR(pw, "");
}

/* Feed 's' in pieces of 'step' bytes; the number of whole replies, or -1 with msg. */
static int feed(const char *s, size_t len, size_t max, size_t step, redisReply **first, char *msg, size_t n)
{
	struct resp_reader r;
	int count = 0;
	*first = NULL;
	CHECK(resp_reader_init(&r, max) == 0);
	for (size_t i = 0; i < len; i += step) {
		size_t k = len - i < step ? len - i : step;
		if (resp_reader_feed(&r, s + i, k, msg, n) < 0) {
			count = -1;
			break;
		}
		redisReply *rep;
		int got;
		while ((got = resp_reader_next(&r, &rep, msg, n)) == 1) {
			if (!*first)
				*first = rep;
			else
				freeReplyObject(rep);
			count++;
		}
		if (got < 0) {
			count = -1;
			break;
		}
	}
	resp_reader_release(&r);
	return count;
}

static void reads_replies_whole_or_in_pieces(void)
{
	static const char s[] = "+OK\r\n-ERR no\r\n:42\r\n$-1\r\n*-1\r\n*0\r\n$5\r\nhe\r\no\r\n"
				"*2\r\n*2\r\n$1\r\na\r\n:1\r\n$0\r\n\r\n";
	for (size_t step = 1; step <= sizeof s; step += 3) {
		redisReply *first;
		char msg[160] = "";
		CHECK(feed(s, sizeof s - 1, 1024, step, &first, msg, sizeof msg) == 8);
		CHECK(first && first->type == REDIS_REPLY_STATUS && !strcmp(first->str, "OK"));
		freeReplyObject(first);
	}
	redisReply *rep;
	char msg[160];
	static const char arr[] = "*3\r\n$1\r\nx\r\n*1\r\n:7\r\n$3\r\na\nb\r\n";
	CHECK(feed(arr, sizeof arr - 1, 1024, 2, &rep, msg, sizeof msg) == 1);
	CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3);
	CHECK(rep && rep->element[1]->element[0]->integer == 7 && rep->element[2]->len == 3);
	freeReplyObject(rep);
}

static void caps_before_the_reader_allocates(void)
{
	redisReply *rep;
	char msg[160];
	/* a header alone is refused: no payload needs to arrive */
	CHECK(feed("$2000000000\r\n", 13, 1 << 20, 13, &rep, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "reply larger than 1048576 bytes refused (a string of 2000000000)") != NULL);
	CHECK(feed("*2000000000\r\n", 13, 1 << 20, 13, &rep, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "reply larger than 1048576 bytes refused (an array of 2000000000)") != NULL);
	/* nested arrays add up within one reply */
	CHECK(feed("*2\r\n*200\r\n", 10, 600, 10, &rep, msg, sizeof msg) == -1);
	/* an array whose items (3 bytes each at least) could not fit */
	char big[4096];
	size_t o = (size_t)snprintf(big, sizeof big, "*1000\r\n");
	for (int i = 0; i < 1000 && o + 4 < sizeof big; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, ":1\r\n");
	CHECK(feed(big, o, 1024, 64, &rep, msg, sizeof msg) == -1);
	/* the same under a larger cap */
	CHECK(feed(big, o, 8192, 64, &rep, msg, sizeof msg) == 1);
	CHECK(rep && rep->elements == 1000);
	freeReplyObject(rep);
	/* a long status line counts too */
	memset(big, 'a', sizeof big);
	big[0] = '+';
	CHECK(feed(big, sizeof big, 1024, 100, &rep, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "reply larger than 1024 bytes refused") != NULL);
	/* a second reply starts with a fresh count */
	static const char two[] = "$600\r\n";
	char buf[2 * 610];
	size_t n = 0;
	for (int k = 0; k < 2; k++) {
		memcpy(buf + n, two, 6);
		n += 6;
		memset(buf + n, 'z', 600);
		n += 600;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	CHECK(feed(buf, n, 700, 50, &rep, msg, sizeof msg) == 2);
	freeReplyObject(rep);
}

static void refuses_what_is_not_resp(void)
{
	redisReply *rep;
	char msg[160];
	CHECK(feed("HTTP/1.1 400\r\n", 14, 1024, 14, &rep, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "not a Redis reply (byte 0x48)") != NULL);
	CHECK(feed("$1x\r\n", 5, 1024, 5, &rep, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "bad string length") != NULL);
	CHECK(feed("*-2\r\n", 5, 1024, 5, &rep, msg, sizeof msg) == -1);
	CHECK(feed("$+1\r\n", 5, 1024, 5, &rep, msg, sizeof msg) == -1);
	CHECK(feed("%1\r\n", 4, 1024, 4, &rep, msg, sizeof msg) == -1); /* RESP3 map: never asked for */
	CHECK(feed("$1\r\nab\r\n", 8, 1024, 8, &rep, msg, sizeof msg) == -1); /* the reader checks the CRLF */
}

int main(void)
{
	RUN(parses_urls);
	RUN(refuses_bad_urls);
	RUN(reads_the_password);
	RUN(reads_replies_whole_or_in_pieces);
	RUN(caps_before_the_reader_allocates);
	RUN(refuses_what_is_not_resp);
	return check_total_failed;
}
