/* my_batch.c - MySQL/MariaDB: the DSN and one sample's statements. */
#include "my_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int take(const char **p, const char *stop, char *out, size_t n)
{
	size_t len = strcspn(*p, stop);
	if (len >= n)
		return -1;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p += len;
	return 0;
}

/* One ?key=value of the DSN. */
static int dsn_param(struct my_dsn *d, const char *kv, struct err *err)
{
	const char *v = strchr(kv, '=');
	size_t klen = v ? (size_t)(v - kv) : strlen(kv);
	v = v ? v + 1 : "";
	if (klen == 6 && !strncmp(kv, "ssl-ca", 6))
		snprintf(d->ssl_ca, sizeof d->ssl_ca, "%s", v);
	else if (klen == 6 && !strncmp(kv, "socket", 6))
		snprintf(d->socket, sizeof d->socket, "%s", v);
	else if (klen == 8 && !strncmp(kv, "ssl-mode", 8)) {
		d->ssl_required = !strcasecmp(v, "REQUIRED") || !strcasecmp(v, "VERIFY_CA") ||
				  !strcasecmp(v, "VERIFY_IDENTITY");
		d->ssl_verify = !strcasecmp(v, "VERIFY_CA") || !strcasecmp(v, "VERIFY_IDENTITY");
		if (!d->ssl_required && strcasecmp(v, "DISABLED") && strcasecmp(v, "PREFERRED"))
			goto bad;
	} else if (klen == 8 && !strncmp(kv, "password", 8)) {
		snprintf(err->msg, sizeof err->msg, "a password in the DSN: put it in ~/.my.cnf instead");
		err->code = ERR_CONFIG;
		return -1;
	} else
		goto bad;
	return 0;
bad:
	err->code = ERR_CONFIG;
	snprintf(err->msg, sizeof err->msg, "DSN option '%.*s' is not one dbfleet knows", (int)klen, kv);
	return -1;
}

int my_dsn_parse(const char *dsn, struct my_dsn *d, struct err *err)
{
	memset(d, 0, sizeof *d);
	d->port = 3306;
	const char *p = strstr(dsn, "://");
	err->code = ERR_CONFIG;
	if (!p) {
		snprintf(err->msg, sizeof err->msg, "DSN must look like mysql://user@host:port/db");
		return -1;
	}
	p += 3;
	const char *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (at && (!slash || at < slash)) {
		if (take(&p, "@:", d->user, sizeof d->user) < 0 || *p == ':') {
			snprintf(err->msg, sizeof err->msg, "a password in the DSN: put it in ~/.my.cnf instead");
			return -1;
		}
		p++;
	}
	if (take(&p, ":/?", d->host, sizeof d->host) < 0)
		goto bad;
	if (*p == ':') {
		char port[8];
		p++;
		if (take(&p, "/?", port, sizeof port) < 0 || !(d->port = (unsigned)atoi(port)) || d->port > 65535)
			goto bad;
	}
	if (*p == '/') {
		p++;
		if (take(&p, "?", d->db, sizeof d->db) < 0)
			goto bad;
	}
	while (*p == '?' || *p == '&') {
		char kv[600];
		p++;
		if (take(&p, "&", kv, sizeof kv) < 0 || dsn_param(d, kv, err) < 0)
			return -1;
	}
	err->code = ERR_NONE;
	return 0;
bad:
	snprintf(err->msg, sizeof err->msg, "cannot read the DSN: want mysql://user@host:port/db");
	return -1;
}

char *my_build_batch(struct my_state *c)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	c->nparts = 0;
	c->parts[c->nparts++] = MY_PART_VARS;
	c->parts[c->nparts++] = MY_PART_STATUS;
	c->parts[c->nparts++] = MY_PART_SESSIONS;
	/* performance_schema.threads is the cheap way; the PROCESSLIST join the fallback */
	int ps_sessions = c->can_digest;
	int rc = rs_appendf(&buf, &len, &cap, "%s\n%s\n%s\n", MY_SQL_VARS, MY_SQL_STATUS,
			 ps_sessions ? MY_SQL_SESSIONS_PS
			 : c->can_process ? MY_SQL_SESSIONS : MY_SQL_SESSIONS_OWN);
	if (ps_sessions && c->can_process) {
		rc |= rs_appendf(&buf, &len, &cap, "%s\n", MY_SQL_TRX);
		c->parts[c->nparts++] = MY_PART_TRX;
	}
	/* lock-wait tables only while the last sample counted row-lock waits */
	if (c->can_process && c->lock_waits > 0) {
		rc |= rs_appendf(&buf, &len, &cap, "%s\n", !c->mariadb && c->vnum >= 80000
			      ? MY_SQL_LOCKS_PS : MY_SQL_LOCKS_INNODB);
		c->parts[c->nparts++] = MY_PART_LOCKS;
	}
	if (c->can_replica) {
		rc |= rs_appendf(&buf, &len, &cap, "%s\n", c->replica_sql);
		c->parts[c->nparts++] = MY_PART_REPLICA;
	}
	if (c->can_digest) {
		rc |= rs_appendf(&buf, &len, &cap, "%s\n", MY_SQL_DIGESTS);
		c->parts[c->nparts++] = MY_PART_DIGESTS;
	}
	char list[TEXTCACHE_FETCH_MAX * 72 + 1];
	if (c->can_digest && textcache_wanted_keys(&c->texts, list, sizeof list) > 0) {
		rc |= rs_appendf(&buf, &len, &cap, MY_SQL_TEXTS "\n", list);
		c->parts[c->nparts++] = MY_PART_TEXTS;
	}
	c->texts.nwant = 0;
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}
