/*
 * fuzz_redis_url - redis:// and rediss:// URLs (collectors/redis_url.c), as --attach will take
 * them from the command line. Oracles: every field NUL-terminated; a port in 1..65535; a
 * fleet of the fleet-name characters; a URL with user:password@ never accepted, and the
 * refusal quotes nothing of the URL.
 */
#include "../../collectors/redis.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2000)
		return 0;
	char *s = fuzz_cstr(data, size);
	struct redis_url u;
	struct err e = {0};
	int rc = redis_url_parse(s, &u, &e);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_ASSERT(memchr(u.host, '\0', sizeof u.host) && memchr(u.user, '\0', sizeof u.user) &&
			    memchr(u.fleet, '\0', sizeof u.fleet));
		FUZZ_ASSERT(u.host[0] && u.fleet[0] && u.port >= 1 && u.port <= 65535);
		FUZZ_ASSERT(strspn(u.fleet, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
			    strlen(u.fleet));
		FUZZ_ASSERT(!strchr(u.user, ':'));
		FUZZ_ASSERT(u.tls == !strncmp(s, "rediss://", 9));
	} else {
		FUZZ_ASSERT(e.msg[0] && e.code == ERR_CONFIG);
		/* the password refusal names no part of the URL */
		if (strstr(e.msg, "no password in the URL"))
			FUZZ_ASSERT(!strchr(e.msg, '@'));
	}
	free(s);
	return 0;
}
