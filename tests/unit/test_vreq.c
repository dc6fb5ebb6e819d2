/*
 * Unit tests: a viewer's action request as stream fields (collectors/vreq_fields.c): what a
 * viewer writes parses back to the same request, and the collector refuses, naming the field,
 * what it must not take.
 */
#include <stdlib.h>

#include "../../collectors/vreq.h"
#include "check.h"

#define ID "0123456789abcdef0123456789abcdef"

/* Parse "name=value" lines. */
static int parse_lines(const char *const *lines, size_t n, struct vreq_msg *m, struct err *e)
{
	const char *names[64], *vals[64];
	size_t nl[64], vl[64];
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(lines[i], '=');
		names[i] = lines[i], nl[i] = (size_t)(eq - lines[i]);
		vals[i] = eq + 1, vl[i] = strlen(eq + 1);
	}
	return vreq_parse(n, names, nl, vals, vl, m, e);
}

static struct vreq_msg cancel_msg(void)
{
	struct vreq_msg m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, ID);
	snprintf(m.os_user, sizeof m.os_user, "alice");
	snprintf(m.host, sizeof m.host, "laptop");
	snprintf(m.target, sizeof m.target, "pg-primary");
	snprintf(m.r.object, sizeof m.r.object, "pid 4242 (psql)");
	m.r.a.kind = ACT_CANCEL;
	m.r.a.pid = 4242;
	snprintf(m.r.a.backend_start, sizeof m.r.a.backend_start, "2026-11-29 11:00:00.123456+00");
	snprintf(m.r.a.dialect, sizeof m.r.a.dialect, "postgres");
	m.r.a.server_started = 1700000000.25;
	return m;
}

static void round_trips(void)
{
	static struct vreq_fields f;
	static struct vreq_msg back;
	struct vreq_msg m = cancel_msg();
	struct err e = {0};
	CHECK(vreq_encode(&m, &f, &e) == 0);
	size_t nl[VREQ_MAX_FIELDS];
	for (size_t i = 0; i < f.n; i++)
		nl[i] = strlen(f.name[i]);
	CHECK(vreq_parse(f.n, f.name, nl, f.val, f.vlen, &back, &e) == 0);
	CHECK(!memcmp(&m, &back, sizeof m));
	/* a bulk terminate: 'a' is the first session */
	m.r.a.kind = ACT_TERMINATE;
	m.r.nbulk = 2;
	m.r.bulk[0] = m.r.a;
	m.r.bulk[1] = m.r.a;
	m.r.bulk[1].pid = 4243;
	CHECK(vreq_encode(&m, &f, &e) == 0);
	for (size_t i = 0; i < f.n; i++)
		nl[i] = strlen(f.name[i]);
	CHECK(vreq_parse(f.n, f.name, nl, f.val, f.vlen, &back, &e) == 0);
	CHECK(!memcmp(&m, &back, sizeof m));
	CHECK(back.r.bulk[1].pid == 4243 && back.r.a.pid == 4242);
}

static void refuses(void)
{
	static const struct {
		const char *lines[8];
		size_t n;
		const char *msg;
	} bad[] = {
		{{"v=1", "id=" ID, "kind=drop", "target=t", "a.pid=1"}, 5, "unknown action kind"},
		{{"v=1", "id=" ID, "kind=cancel", "target=t", "a.pid=1", "shell=rm"}, 6, "unknown field 'shell'"},
		{{"v=1", "id=" ID, "kind=cancel", "target=t", "a.pid=1", "a.pid=2"}, 6, "field 'a.pid' twice"},
		{{"v=1", "id=" ID, "kind=cancel", "target=t", "a.pid=0"}, 5, "field 'a.pid' is not a number"},
		{{"v=1", "id=" ID, "kind=cancel", "target=t", "a.pid=1", "os_user=a\033[2Jb"}, 6, "control character"},
		{{"v=1", "id=XYZ", "kind=cancel", "target=t", "a.pid=1"}, 5, "field 'id' is not 32"},
		{{"v=2", "id=" ID, "kind=cancel", "target=t", "a.pid=1"}, 5, "version is not 1"},
		{{"v=1", "id=" ID, "kind=cancel", "a.pid=1"}, 4, "no field 'target'"},
		{{"v=1", "id=" ID, "kind=terminate", "target=t", "nbulk=1", "b1.pid=3"}, 6, "a session past 'nbulk'"},
		{{"v=1", "id=" ID, "kind=terminate", "target=t", "nbulk=1", "b0.pid=3", "a.pid=3"}, 7, "'a.' and 'nbulk'"},
		{{"v=1", "id=" ID, "kind=snapshot", "aws_id=x", "aws_region=r"}, 5, "'snapshot_id' and 'reason'"},
		{{"v=1", "id=" ID, "kind=cancel", "target=t", "a.pid=1", "a.server_started=-0.5"}, 6, "not a time"},
		{{"v=1", "id=" ID, "kind=cancel", "target=0123456789012345678901234567890123456789012345678901234567890123456789",
		  "a.pid=1"}, 5, "field 'target' is too long"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct vreq_msg m;
		struct err e = {0};
		CHECK(parse_lines(bad[i].lines, bad[i].n, &m, &e) == -1);
		CHECK(e.code == ERR_REFUSED);
		if (!strstr(e.msg, bad[i].msg))
			fprintf(stderr, "  case %zu: got \"%s\", want \"%s\"\n", i, e.msg, bad[i].msg), check_failed = 1;
	}
	/* a value with a NUL inside is refused, not cut short */
	const char *names[] = {"v", "id", "kind", "target", "a.pid"}, *vals[] = {"1", ID, "cancel", "t\0x", "1"};
	size_t nl[] = {1, 2, 4, 6, 5}, vl[] = {1, 32, 6, 3, 1};
	struct vreq_msg m;
	struct err e = {0};
	CHECK(vreq_parse(5, names, nl, vals, vl, &m, &e) == -1 && strstr(e.msg, "control character"));
}

static void makes_ids(void)
{
	char a[VREQ_ID_LEN + 1], b[VREQ_ID_LEN + 1];
	CHECK(vreq_new_id(a) == 0 && vreq_new_id(b) == 0);
	CHECK(vreq_id_ok(a) && vreq_id_ok(b) && strcmp(a, b));
}

int main(void)
{
	RUN(round_trips);
	RUN(refuses);
	RUN(makes_ids);
	return check_total_failed;
}
