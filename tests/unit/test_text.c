/* Unit tests: the terminal-safe sanitiser and the formatting helpers. */
#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <wchar.h>

#include "../../panes/pane.h"
#include "check.h"

static void escapes_are_shown_not_sent(void)
{
	char *s = text_sanitize("a\x1b[2Jb\x1b]52;c;ZXZpbA==\x07" "c\x9b" "d", 200);
	CHECK(s && !strchr(s, 0x1b) && !strchr(s, 0x07));
	CHECK_STR(s, "a^[[2Jb^[]52;c;ZXZpbA==^Gc\xEF\xBF\xBD" "d");
	free(s);
	/* C1 CSI as a proper UTF-8 code point U+009B */
	s = text_sanitize("x\xc2\x9by", 100);
	CHECK_STR(s, "x<U+009B>y");
	free(s);
}

static void newlines_tabs_del_bidi(void)
{
	char *s = text_sanitize("SELECT 1\n\tFROM t\x7f\xe2\x80\xae" "evil", 100);
	CHECK_STR(s, "SELECT 1  FROM t^?<U+202E>evil");
	free(s);
}

static void invalid_utf8_replaced(void)
{
	char *s = text_sanitize("ok\xff\xfe\xc0\xaf end", 100);
	CHECK_STR(s, "ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
	free(s);
	s = text_sanitize("\xed\xa0\x80", 100); /* a UTF-16 surrogate */
	CHECK(s && strstr(s, "\xEF\xBF\xBD"));
	free(s);
}

static void bounded_and_whole_characters(void)
{
	char *s = text_sanitize("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 7); /* three CJK, 3 bytes each */
	CHECK_STR(s, "\xe6\x97\xa5\xe6\x9c\xac");
	free(s);
	s = text_sanitize(NULL, 10);
	CHECK_STR(s, "");
	free(s);
}

static void wide_characters_measured(void)
{
	CHECK(text_width("abc") == 3);
	CHECK(text_width("\xe6\x97\xa5\xe6\x9c\xac") == 4);
	int used = 0;
	size_t n = text_fit("\xe6\x97\xa5\xe6\x9c\xac", 3, &used);
	CHECK(n == 3 && used == 2);
	CHECK(text_width("e\xcc\x81") == 1); /* combining accent takes no column */
}

/* Two user names that look the same must not read the same: each invisible character is shown. */
static void zero_width_shown(void)
{
	char *s = text_sanitize("ad\xe2\x80\x8bmin", 100); /* U+200B */
	CHECK_STR(s, "ad<U+200B>min");
	free(s);
	s = text_sanitize("a\xe2\x80\x8c" "b\xe2\x80\x8d" "c\xe2\x81\xa0" "d\xef\xbb\xbf" "e", 100);
	CHECK_STR(s, "a<U+200C>b<U+200D>c<U+2060>d<U+FEFF>e");
	free(s);
}

static void tag_characters_shown(void)
{
	char *s = text_sanitize("root\xf3\xa0\x81\x81\xf3\xa0\x81\xbf", 100); /* U+E0041, U+E007F */
	CHECK_STR(s, "root<U+E0041><U+E007F>");
	free(s);
}

static void every_bidi_control_shown(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"\xe2\x80\xaa", "<U+202A>"}, {"\xe2\x80\xab", "<U+202B>"}, {"\xe2\x80\xac", "<U+202C>"},
		{"\xe2\x80\xad", "<U+202D>"}, {"\xe2\x80\xae", "<U+202E>"}, {"\xe2\x81\xa6", "<U+2066>"},
		{"\xe2\x81\xa7", "<U+2067>"}, {"\xe2\x81\xa8", "<U+2068>"}, {"\xe2\x81\xa9", "<U+2069>"},
		{"\xe2\x80\x8e", "<U+200E>"}, {"\xe2\x80\x8f", "<U+200F>"}, {"\xd8\x9c", "<U+061C>"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char in[32], want[32];
		snprintf(in, sizeof in, "x%sy", cases[i].in);
		snprintf(want, sizeof want, "x%sy", cases[i].want);
		char *s = text_sanitize(in, 100);
		CHECK_STR(s, want);
		free(s);
	}
}

/* A combining mark first would join what is drawn before the text (a column's space). */
static void leading_combining_mark_shown(void)
{
	char *s = text_sanitize("\xcc\x81" "alice", 100);
	CHECK_STR(s, "<U+0301>alice");
	free(s);
	s = text_sanitize("e\xcc\x81", 100); /* after a letter it is an accent: kept */
	CHECK_STR(s, "e\xcc\x81");
	free(s);
	s = text_sanitize("\x1b\xcc\x81", 100); /* after an escape, as at the start */
	CHECK_STR(s, "^[<U+0301>");
	free(s);
}

/* Sanitised text passes again unchanged: the drawing kit sanitises what it is given. */
static void sanitised_text_is_stable(void)
{
	const char *in = "\xcc\x81" "a\xe2\x80\xae\x1b[1m\xff\xe6\x97\xa5\xc2\x9b" "e\xcc\x81\xf3\xa0\x81\x81";
	char *once = text_sanitize(in, 200), *twice = text_sanitize(once, 200);
	CHECK_STR(twice, once ? once : "");
	free(once);
	free(twice);
}

/* What a user sees: draw_text, the one way text reaches curses, shows raw text escaped. */
static void draw_text_sanitises_what_it_draws(void)
{
	FILE *out = fopen("/dev/null", "w");
	SCREEN *scr = out ? newterm("xterm", out, stdin) : NULL;
	CHECK(scr != NULL);
	if (!scr) {
		if (out)
			fclose(out);
		return;
	}
	draw_text(stdscr, 0, 0, 40, "sessions - \xe2\x80\xae" "evil\xe2\x80\x8b" "x\x1b[2J");
	wchar_t line[64] = {0};
	mvinnwstr(0, 0, line, 40);
	char got[256];
	size_t n = wcstombs(got, line, sizeof got - 1);
	got[n == (size_t)-1 ? 0 : n] = '\0';
	char *end = got + strlen(got);
	while (end > got && end[-1] == ' ')
		*--end = '\0';
	CHECK_STR(got, "sessions - <U+202E>evil<U+200B>x^[[2J");
	endwin();
	delscreen(scr);
	fclose(out);
}

static void formatting(void)
{
	char b[32];
	fmt_age(b, sizeof b, 42);
	CHECK_STR(b, "42s");
	fmt_age(b, sizeof b, 185);
	CHECK_STR(b, "3m05s");
	fmt_age(b, sizeof b, 7800);
	CHECK_STR(b, "2h10m");
	fmt_age(b, sizeof b, 2 * 86400 + 3 * 3600);
	CHECK_STR(b, "2d03h");
	fmt_age(b, sizeof b, -1);
	CHECK_STR(b, "-");
	fmt_bytes(b, sizeof b, 512);
	CHECK_STR(b, "512 B");
	fmt_bytes(b, sizeof b, 6423552);
	CHECK_STR(b, "6.1 MiB");
	fmt_num(b, sizeof b, 680.9);
	CHECK_STR(b, "681");
	fmt_num(b, sizeof b, 0.203);
	CHECK_STR(b, "0.203");
	fmt_num(b, sizeof b, 45678);
	CHECK_STR(b, "45.7k");
	fmt_num(b, sizeof b, -3);
	CHECK_STR(b, "-");
	double v[] = {0, 1, 2, 4, 8};
	fmt_spark(b, sizeof b, v, 5, 5);
	CHECK_STR(b, "\u2581\u2582\u2583\u2585\u2588");
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	text_init();
	RUN(escapes_are_shown_not_sent);
	RUN(newlines_tabs_del_bidi);
	RUN(invalid_utf8_replaced);
	RUN(bounded_and_whole_characters);
	RUN(wide_characters_measured);
	RUN(zero_width_shown);
	RUN(tag_characters_shown);
	RUN(every_bidi_control_shown);
	RUN(leading_combining_mark_shown);
	RUN(sanitised_text_is_stable);
	RUN(draw_text_sanitises_what_it_draws);
	RUN(formatting);
	return check_total_failed;
}
