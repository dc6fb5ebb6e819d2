/* Unit tests: viewers' interest as text (collectors/interest.c), both sides of the wire. */
#include <stdlib.h>

#include "../../collectors/interest.h"
#include "check.h"

static struct interest_set set;

static void parse(const char *text)
{
	interest_parse(text, strlen(text), &set);
}

static void parse_the_three_kinds(void)
{
	parse("watch orders-db\ntriage billing\npi us-east-1/orders-prod\n");
	CHECK(set.n == 3 && set.skipped == 0);
	CHECK(set.line[0].kind == INTEREST_WATCH && set.line[1].kind == INTEREST_TRIAGE && set.line[2].kind == INTEREST_PI);
	CHECK_STR(set.line[0].name, "orders-db");
	CHECK_STR(set.line[1].name, "billing");
	CHECK_STR(set.line[2].name, "us-east-1/orders-prod");
	parse("watch a name with spaces"); /* no final newline; the name is the rest of the line */
	CHECK(set.n == 1 && !strcmp(set.line[0].name, "a name with spaces"));
	parse("");
	CHECK(set.n == 0 && set.skipped == 0); /* an empty set: nothing now */
}

static void parse_skips_what_is_not_a_line(void)
{
	char name63[64], name64[65], line[160];
	memset(name63, 'x', 63), name63[63] = '\0';
	memset(name64, 'y', 64), name64[64] = '\0';
	snprintf(line, sizeof line, "watch %s\nwatch %s\n", name63, name64);
	parse(line);
	CHECK(set.n == 1 && set.skipped == 1 && !strcmp(set.line[0].name, name63)); /* a target name is < 64 */
	parse("explain orders\nwatch \nWATCH a\nwatch\tb\nwatch c\x1b[2J\npi noslash\npi /id\npi region/\npi a/b/c\n\n");
	CHECK(set.n == 0 && set.skipped == 9);
	const char nul[] = "watch a\0b\ntriage ok";
	interest_parse(nul, sizeof nul - 1, &set);
	CHECK(set.n == 1 && set.skipped == 1 && !strcmp(set.line[0].name, "ok"));
}

static void parse_caps_lines_and_bytes(void)
{
	char *text = malloc(INTEREST_TEXT_MAX * 2);
	size_t o = 0;
	for (int i = 0; i < INTEREST_LINES + 5; i++)
		o += (size_t)sprintf(text + o, "watch t%d\n", i);
	parse(text);
	CHECK(set.n == INTEREST_LINES && set.skipped == 5);
	/* past the byte cap: the line cut in two is not read as a shorter name */
	o = 0;
	while (o < INTEREST_TEXT_MAX - 7)
		text[o++] = '\n';
	o += (size_t)sprintf(text + o, "watch db-12\n");
	interest_parse(text, o, &set);
	CHECK(set.n == 0 && set.skipped == 1);
	free(text);
}

static void format_what_the_store_watches(void)
{
	struct store *s = store_new(4);
	store_describe(s, 0, "quiet", "postgres", "h:1", 1, 1);
	store_describe(s, 1, "orders-db", "postgres", "h:2", 1, 1);
	store_describe(s, 2, "billing", "mysql", "h:3", 1, 1);
	store_describe(s, 3, "bad\nname", "mysql", "h:4", 1, 1);
	CHECK(store_find(s, "billing") == 2 && store_find(s, "nope") == -1 && store_find(s, "bad\nname") == 3);
	char out[INTEREST_TEXT_MAX];
	CHECK(interest_format(s, out, sizeof out) == 0 && out[0] == '\0');
	store_watch(s, 1, 30);
	store_watch(s, 2, 30);
	store_watch_triage(s, 2, 30);
	store_watch(s, 3, 30); /* a name that would break the lines: left out */
	store_pi_watch(s, "eu-west-1", "orders-prod", 30);
	CHECK(interest_format(s, out, sizeof out) == 4);
	CHECK_STR(out, "watch orders-db\nwatch billing\ntriage billing\npi eu-west-1/orders-prod\n");
	parse(out); /* what one side writes, the other reads */
	CHECK(set.n == 4 && set.skipped == 0 && set.line[3].kind == INTEREST_PI);
	char small[30]; /* only whole lines */
	CHECK(interest_format(s, small, sizeof small) == 1);
	CHECK_STR(small, "watch orders-db\n");
	store_free(&s);
}

static void due_on_change_and_on_renewal(void)
{
	struct store *s = store_new(2);
	store_describe(s, 0, "a", "postgres", "h:1", 1, 1);
	store_describe(s, 1, "b", "postgres", "h:2", 1, 1);
	struct interest_pub p = {0};
	CHECK(interest_due(&p, s) == 1); /* the first word, even of nothing */
	CHECK(interest_due(&p, s) == 0);
	store_watch(s, 1, 30); /* a pane opened: said at once */
	CHECK(interest_due(&p, s) == 1 && interest_due(&p, s) == 0);
	store_watch(s, 1, 0); /* and left */
	CHECK(interest_due(&p, s) == 1 && interest_due(&p, s) == 0);
	p.due = 0; /* the renewal's time came: the same set again */
	CHECK(interest_due(&p, s) == 1 && interest_due(&p, s) == 0);
	store_free(&s);
}

int main(void)
{
	RUN(parse_the_three_kinds);
	RUN(parse_skips_what_is_not_a_line);
	RUN(parse_caps_lines_and_bytes);
	RUN(format_what_the_store_watches);
	RUN(due_on_change_and_on_renewal);
	return check_total_failed;
}
