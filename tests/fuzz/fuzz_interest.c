/*
 * fuzz_interest - viewers' interest as the collector reads it (collectors/interest.c): the
 * text any ACL user that may write dbfleet:{F}:interest writes. Oracles: at most
 * INTEREST_LINES lines, each of a known kind with a name that is not empty, shorter than its
 * field and free of control bytes ("pi" names are REGION/ID, one slash); what the viewer's side writes
 * for those targets reads back as the same lines.
 */
#include "../../collectors/interest.h"
#include "fuzz.h"

static struct store *st;
static struct interest_set a, b;
static char text[INTEREST_TEXT_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	st = store_new(INTEREST_LINES);
	return st ? 0 : -1;
}

static void check_set(const struct interest_set *s)
{
	FUZZ_ASSERT(s->n <= INTEREST_LINES);
	for (size_t i = 0; i < s->n; i++) {
		const struct interest_line *l = &s->line[i];
		size_t len = strnlen(l->name, sizeof l->name);
		FUZZ_ASSERT(len > 0 && len < sizeof l->name);
		for (size_t k = 0; k < len; k++)
			FUZZ_ASSERT((unsigned char)l->name[k] >= 0x20 && l->name[k] != 0x7f);
		FUZZ_ASSERT(l->kind == INTEREST_WATCH || l->kind == INTEREST_TRIAGE || l->kind == INTEREST_PI);
		if (l->kind == INTEREST_PI)
			FUZZ_ASSERT(strchr(l->name, '/') && strchr(l->name, '/') == strrchr(l->name, '/') &&
				    l->name[0] != '/' && l->name[len - 1] != '/');
		else
			FUZZ_ASSERT(len < 64);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	interest_parse((const char *)data, size, &a);
	check_set(&a);
	/* the viewer's side: a store watched for a's target lines, in slot order */
	size_t n = 0;
	for (size_t i = 0; i < INTEREST_LINES; i++) {
		store_watch(st, i, 0);
		store_watch_triage(st, i, 0);
	}
	for (size_t i = 0; i < a.n; i++) {
		if (a.line[i].kind == INTEREST_PI)
			continue;
		store_describe(st, n, a.line[i].name, "postgres", "h:1", 1, 1);
		if (a.line[i].kind == INTEREST_WATCH)
			store_watch(st, n, 60);
		else
			store_watch_triage(st, n, 60);
		a.line[n++] = a.line[i];
	}
	interest_format(st, text, sizeof text);
	interest_parse(text, strlen(text), &b);
	check_set(&b);
	FUZZ_ASSERT(b.n == n && b.skipped == 0);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(b.line[i].kind == a.line[i].kind && !strcmp(b.line[i].name, a.line[i].name));
	return 0;
}
