/* ini.c - the one INI reader (see ini.h): getline, so no line is ever cut short. */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

struct ini_state {
	const char *path;
	unsigned flags;
	ini_handler fn;
	void *ctx;
	char *section;       /* malloc'd, "" before the first header */
	struct ini_line l;
};

/* "[name]", maybe followed by a comment (or, lenient, by anything). */
static int header(struct ini_state *st, char *s, struct err *e)
{
	char *end = strchr(s, ']');
	char *rest = end ? trim(end + 1) : NULL;
	if (!end || (*rest && *rest != '#' && *rest != ';' && !(st->flags & INI_LENIENT)))
		return err_set(e, ERR_CONFIG, "%s:%d: a section header must look like [NAME]", st->path, st->l.line);
	*end = '\0';
	char *name = strdup(trim(s + 1));
	if (!name)
		return err_set(e, ERR_FAIL, "%s:%d: out of memory", st->path, st->l.line);
	free(st->section);
	st->section = name;
	st->l.section = name;
	st->l.key = st->l.value = NULL;
	return st->fn(st->ctx, &st->l, e);
}

static int key_value(struct ini_state *st, char *s, struct err *e)
{
	char *eq = strchr(s, '=');
	if (eq) {
		*eq = '\0';
		st->l.key = trim(s);
		st->l.value = trim(eq + 1);
	}
	if (eq && *st->l.key)
		return st->fn(st->ctx, &st->l, e);
	if (st->flags & INI_LENIENT)
		return 0;
	return err_set(e, ERR_CONFIG, "%s:%d: %s", st->path, st->l.line,
		       eq ? "a key name is missing before '='" : "expected 'key = value'");
}

/* One line: 0 to go on, else what ini_read returns. */
static int one_line(struct ini_state *st, char *s, struct err *e)
{
	if (st->l.line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3; /* a UTF-8 byte order mark some editors write */
	s = trim(s);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	return *s == '[' ? header(st, s, e) : key_value(st, s, e);
}

int ini_read(const char *path, unsigned flags, ini_handler fn, void *ctx, struct err *e)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int saved = errno;
		err_set(e, ERR_CONFIG, "%s: %s", path, strerror(saved));
		errno = saved;
		return -2;
	}
	struct ini_state st = {.path = path, .flags = flags, .fn = fn, .ctx = ctx};
	st.l = (struct ini_line){.file = path, .section = ""};
	char *buf = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&buf, &cap, f) >= 0) {
		st.l.line++;
		st.l.section = st.section ? st.section : "";
		rc = one_line(&st, buf, e);
	}
	if (rc == 0 && ferror(f))
		rc = err_set(e, ERR_CONFIG, "%s: %s", path, strerror(errno));
	free(buf);
	free(st.section);
	fclose(f);
	return rc;
}
