/* Unit tests: the statement text cache and the keys pasted into SQL. */
#include "../../engines/textcache.h"
#include "check.h"

static void miss_then_hit_then_expire(void)
{
	struct textcache tc = {0};
	CHECK(textcache_get(&tc, 42) == NULL && tc.nwant == 1);
	CHECK(textcache_get(&tc, 42) == NULL && tc.nwant == 1); /* asked once */
	CHECK(textcache_put(&tc, 42, "SELECT 1") == 0);
	CHECK_STR(textcache_get(&tc, 42), "SELECT 1");
	for (int i = 0; i <= TEXTCACHE_KEEP + 1; i++)
		textcache_tick(&tc);
	CHECK(textcache_get(&tc, 42) == NULL);
	textcache_release(&tc);
}

static void only_hex_keys_reach_sql(void)
{
	struct textcache tc = {0};
	CHECK(textcache_key(&tc, 1, "0a1b2c") == 0);
	CHECK(textcache_key(&tc, 2, "0x1A2B3C4D5E6F7081") == 0);
	CHECK(textcache_key(&tc, 3, "ab'); DROP TABLE x; --") == -1);
	CHECK(textcache_key(&tc, 4, "") == -1);
	CHECK(textcache_key(&tc, 5, "0x") == -1);
	textcache_get(&tc, 1);
	textcache_get(&tc, 2);
	textcache_get(&tc, 3);
	char list[256];
	CHECK(textcache_wanted_keys(&tc, list, sizeof list) == 2);
	CHECK_STR(list, "'0a1b2c','0x1A2B3C4D5E6F7081'");
	CHECK(tc.nwant == 0);
	textcache_keys_reset(&tc);
	textcache_get(&tc, 1);
	CHECK(textcache_wanted_keys(&tc, list, sizeof list) == 0 && !list[0]);
	textcache_release(&tc);
}

int main(void)
{
	RUN(miss_then_hit_then_expire);
	RUN(only_hex_keys_reach_sql);
	return check_total_failed;
}
