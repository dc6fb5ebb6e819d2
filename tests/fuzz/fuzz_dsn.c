/*
 * fuzz_dsn - DSNs from the command line and the config file: which engine
 * takes one (collector_engine_for_dsn), its endpoint (libpq's
 * PQconninfoParse for PostgreSQL, my_endpoint, odbc_endpoint), the MySQL
 * URI parser (my_dsn_parse) and config_add_dsn. Input: the DSN.
 *
 * And the password rule (issue 11, finding 2): a DSN that libpq
 * (PQconninfoParse), an ODBC connection string (PWD/Password, any case) or
 * a mysql:// URI would take a password from must be refused.
 */
#include <ctype.h>
#include <libpq-fe.h>
#include <strings.h>

#include "../../collectors/collector.h"
#include "../../engines/my_private.h"
#include "../../tui/tui.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	unsetenv("PGHOST"); /* endpoints from the DSN alone */
	unsetenv("PGPORT");
	return 0;
}

/* libpq itself would send a password or an sslpassword from this DSN. */
static int libpq_has_password(const char *dsn)
{
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	int has = 0;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (o->val && o->val[0] && (!strcmp(o->keyword, "password") || !strcmp(o->keyword, "sslpassword")))
			has = 1;
	PQconninfoFree(opts);
	return has;
}

/* An ODBC connection string ("odbc:DSN=x;UID=u;PWD={p;w}") names PWD or Password, any case. */
static int odbc_has_password(const char *s)
{
	while (*s) {
		while (*s == ';' || isspace((unsigned char)*s))
			s++;
		size_t k = strcspn(s, "=;");
		size_t klen = k;
		while (klen && isspace((unsigned char)s[klen - 1]))
			klen--;
		if (s[k] == '=' && ((klen == 3 && !strncasecmp(s, "PWD", 3)) || (klen == 8 && !strncasecmp(s, "Password", 8))))
			return 1;
		s += k;
		if (*s == '=') {
			s++;
			while (isspace((unsigned char)*s))
				s++;
			if (*s == '{') { /* braced value: '}}' is a literal brace */
				for (s++; *s && !(*s == '}' && s[1] != '}'); s += *s == '}' ? 2 : 1)
					;
			}
			s += strcspn(s, ";");
		}
	}
	return 0;
}

/* A mysql:// or mariadb:// URI with user:password@ in its authority. */
static int mysql_has_password(const char *dsn)
{
	const char *p = strstr(dsn, "://");
	if (!p)
		return 0;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	const char *at = memrchr(p, '@', auth);
	return at && memchr(p, ':', (size_t)(at - p)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1000)
		return 0;
	char *dsn = fuzz_cstr(data, size);
	const char *engine = collector_engine_for_dsn(dsn);
	char ep[96];
	memset(ep, 'x', sizeof ep);
	collector_endpoint(dsn, ep, sizeof ep);
	FUZZ_ASSERT(memchr(ep, '\0', sizeof ep));
	FUZZ_ASSERT(!engine || ep[0]);

	struct my_dsn d;
	struct err e = {0};
	int rc = my_dsn_parse(dsn, &d, &e);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_ASSERT(memchr(d.host, '\0', sizeof d.host) && memchr(d.user, '\0', sizeof d.user) &&
			    memchr(d.ssl_ca, '\0', sizeof d.ssl_ca) && memchr(d.socket, '\0', sizeof d.socket));
	else
		FUZZ_ASSERT(e.msg[0]);

	struct options o;
	char err[256];
	options_init(&o);
	rc = config_add_dsn(&o, dsn, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(rc == 0 ? o.ntargets == 1 && !strcmp(o.targets[0].dsn, dsn) : o.ntargets == 0);
	FUZZ_ASSERT(rc == 0 || !strstr(err, "password=")); /* the refusal never echoes the secret */
	if (rc == 0 && engine) {
		int secret = !strcmp(engine, "postgres") ? libpq_has_password(dsn)
			     : !strcmp(engine, "odbc")   ? odbc_has_password(dsn + strcspn(dsn, ":") + 1)
							 : mysql_has_password(dsn);
		if (secret)
			fprintf(stderr, "%s DSN with a password was accepted\n", engine);
		FUZZ_ASSERT(!secret);
	}
	options_release(&o);
	free(dsn);
	return 0;
}
