/*
 * fuzz_vreq - a viewer's action request as the collector reads it from a stream entry
 * (collectors/vreq_fields.c): hostile input from any ACL user allowed to write a request.
 * Input: lines "name=value" (a value may hold any byte but the newline). Oracles: a refusal
 * is ERR_REFUSED with a message and quotes no control character; an accepted request has
 * every string terminated, an id of 32 hex, a kind it knows, its sessions' pids, 'a' the
 * first of a bulk; and it encodes back to fields that parse to the very same request.
 */
#include "../../collectors/vreq.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_accepted(const struct vreq_msg *m)
{
	const struct action_request *r = &m->r;
	FUZZ_ASSERT(vreq_id_ok(m->id));
	FUZZ_ASSERT(r->a.kind >= ACT_CANCEL && r->a.kind <= ACT_FAILOVER);
	FUZZ_ASSERT(r->nbulk >= 0 && r->nbulk <= ACTION_BULK_MAX);
	FUZZ_ASSERT(terminated(m->os_user, sizeof m->os_user) && terminated(m->host, sizeof m->host) &&
		    terminated(m->target, sizeof m->target) && terminated(r->object, sizeof r->object) &&
		    terminated(r->aws_id, sizeof r->aws_id) && terminated(r->reason, sizeof r->reason) &&
		    terminated(r->a.backend_start, sizeof r->a.backend_start) && terminated(r->a.user, sizeof r->a.user));
	FUZZ_ASSERT(!r->via_acl_user[0] && !r->target && !r->aws_profile[0]); /* never from the request */
	if (r->a.kind == ACT_CANCEL || r->a.kind == ACT_TERMINATE) {
		FUZZ_ASSERT(m->target[0] && r->a.pid > 0);
		for (int i = 0; i < r->nbulk; i++)
			FUZZ_ASSERT(r->bulk[i].pid > 0 && r->bulk[i].kind == r->a.kind);
		FUZZ_ASSERT(!r->nbulk || !memcmp(&r->a, &r->bulk[0], sizeof r->a));
	}
	if (r->a.kind == ACT_SNAPSHOT || r->a.kind == ACT_FAILOVER)
		FUZZ_ASSERT(r->aws_id[0] && r->aws_region[0]);
}

/* Encode 'm' and parse the fields back: the same request. */
static void check_round_trip(const struct vreq_msg *m)
{
	static struct vreq_fields f;
	static struct vreq_msg back;
	struct err e = {0};
	FUZZ_ASSERT(vreq_encode(m, &f, &e) == 0);
	size_t nl[VREQ_MAX_FIELDS];
	for (size_t i = 0; i < f.n; i++)
		nl[i] = strlen(f.name[i]);
	int rc = vreq_parse(f.n, f.name, nl, f.val, f.vlen, &back, &e);
	if (rc) {
		fprintf(stderr, "re-parse: %s\n", e.msg);
		abort();
	}
	FUZZ_ASSERT(!memcmp(m, &back, sizeof back));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8000)
		return 0;
	struct fuzz_in in = {data, size};
	const char *names[VREQ_MAX_FIELDS + 8], *vals[VREQ_MAX_FIELDS + 8];
	size_t nl[VREQ_MAX_FIELDS + 8], vl[VREQ_MAX_FIELDS + 8], n = 0, len;
	char *pieces[VREQ_MAX_FIELDS + 8];
	char *line;
	while (n < VREQ_MAX_FIELDS + 8 && (line = fuzz_piece(&in, "\n", &len))) {
		pieces[n] = line;
		char *eq = memchr(line, '=', len);
		size_t k = eq ? (size_t)(eq - line) : len;
		names[n] = line, nl[n] = k;
		vals[n] = eq ? eq + 1 : line + len, vl[n] = eq ? len - k - 1 : 0;
		n++;
	}
	static struct vreq_msg m;
	struct err e = {0};
	int rc = vreq_parse(n, names, nl, vals, vl, &m, &e);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		check_accepted(&m);
		check_round_trip(&m);
	} else {
		FUZZ_ASSERT(e.code == ERR_REFUSED && e.msg[0]);
		for (const char *p = e.msg; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	for (size_t i = 0; i < n; i++)
		free(pieces[i]);
	return 0;
}
