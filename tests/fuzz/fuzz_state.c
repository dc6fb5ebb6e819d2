/*
 * fuzz_state - the SLO state file's reader (slo_parse in collectors/slo.c):
 * $XDG_STATE_HOME/dbfleet/FLEET.state, which a crash, a full disk or a
 * hand may have left in any shape. The input is the file.
 *
 * And: every record handed on is one the file could hold (a name of 1 to
 * 63 bytes without NUL, a minute, finite seconds from 0 to 3600); a reader
 * that fails says where, and never hands on a record after the bad line.
 */
#include <math.h>

#include "../../collectors/slo.h"
#include "fuzz.h"

struct seen {
	int n;
	int failed;
};

static void on_record(void *p, const char *name, const struct slo_bucket *b)
{
	struct seen *s = p;
	size_t len = strlen(name);
	FUZZ_ASSERT(!s->failed);
	FUZZ_ASSERT(len >= 1 && len <= 63);
	FUZZ_ASSERT(b->minute > 0);
	FUZZ_ASSERT(isfinite(b->good_s) && isfinite(b->bad_s) && b->good_s >= 0 && b->bad_s >= 0);
	FUZZ_ASSERT(b->good_s + b->bad_s <= 3600.5f);
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = {0};
	char msg[200] = "";
	int rc = slo_parse((const char *)data, size, on_record, &s, msg, sizeof msg);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(rc == 0 || (msg[0] && strlen(msg) < sizeof msg));
	return 0;
}
