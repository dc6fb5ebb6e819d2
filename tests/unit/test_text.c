/* Unit tests: the terminal-safe sanitiser and the formatting helpers. */
#include <locale.h>
#include <stdlib.h>

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
	RUN(formatting);
	return check_total_failed;
}
