/* engine.c - the engine registry and what every engine shares. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
	const char *name;
	const struct engine_ops *ops;
} registry[] = {
	{"postgres", &engine_postgres_ops},
	{"postgresql", &engine_postgres_ops},
	{"pg", &engine_postgres_ops},
	{"mysql", &engine_mysql_ops},
	{"mariadb", &engine_mysql_ops},
	{"odbc", &engine_odbc_ops},
};

int engine_init_all(void)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
		if (registry[i].ops->global_init && (i == 0 || registry[i].ops != registry[i - 1].ops))
			rc |= registry[i].ops->global_init();
	return rc ? -1 : 0;
}

void engine_thread_end_all(void)
{
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
		if (registry[i].ops->thread_end && (i == 0 || registry[i].ops != registry[i - 1].ops))
			registry[i].ops->thread_end();
}

const struct engine_ops *engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
		if (strcasecmp(name, registry[i].name) == 0)
			return registry[i].ops;
	return NULL;
}

const struct engine_ops *engine_for_dsn(const char *dsn)
{
	if (strncmp(dsn, "odbc:", 5) == 0 && dsn[5])
		return &engine_odbc_ops;
	const char *colon = strstr(dsn, "://");
	if (!colon)
		/* a bare libpq conninfo ("host=... dbname=...") */
		return strchr(dsn, '=') ? &engine_postgres_ops : NULL;
	char scheme[16];
	size_t n = (size_t)(colon - dsn);
	if (n == 0 || n >= sizeof scheme)
		return NULL;
	memcpy(scheme, dsn, n);
	scheme[n] = '\0';
	return engine_find(scheme);
}

int engine_dsn_has_secret(const char *dsn, char *why, size_t n)
{
	const struct engine_ops *ops = engine_for_dsn(dsn);
	if (ops && ops->dsn_secret)
		return ops->dsn_secret(dsn, why, n);
	const char *p = strstr(dsn, "://");
	size_t auth = p ? strcspn(p + 3, "/?#") : 0;
	const char *at = p ? memrchr(p + 3, '@', auth) : NULL;
	if ((at && memchr(p + 3, ':', (size_t)(at - (p + 3)))) || strcasestr(dsn, "password")) {
		snprintf(why, n, "a password in the DSN: put it in ~/.pgpass instead");
		return 1;
	}
	return 0;
}

void engine_sample_release(struct db_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nqueries; i++)
		free(s->queries[i].text);
	for (size_t i = 0; i < s->nsessions; i++)
		free(s->sessions[i].query);
	free(s->queries);
	free(s->sessions);
	free(s->replicas);
	engine_triage_release(&s->triage);
	memset(s, 0, sizeof *s);
}

void engine_triage_release(struct db_triage *t)
{
	for (size_t i = 0; i < t->nlockq; i++)
		free(t->lockq[i].query);
	free(t->lockq);
	free(t->slots);
	free(t->wrap);
	free(t->vacuums);
	free(t->dead);
	free(t->xmin);
	free(t->binlogs);
	memset(t, 0, sizeof *t);
}
