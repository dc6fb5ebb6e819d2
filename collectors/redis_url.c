/*
 * redis_url.c - redis:// and rediss:// URLs (outside input: fuzzed by fuzz_redis_url), and
 * where a Redis password comes from: a file or the environment, never argv.
 */
#include "redis.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the fleet name's characters (tui/tui.h FLEET_NAME_CHARS: a fleet is a fleet wherever named) */
static const char fleet_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
static const char host_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
static const char user_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+=";

/* HOST or [IPv6] then optional :PORT, in s[0..n). */
static int parse_hostport(const char *s, size_t n, struct redis_url *u, struct err *e)
{
	const char *h = s, *colon;
	size_t hl;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return err_set(e, ERR_CONFIG, "redis URL: '[' without ']' around the IPv6 address");
		h = s + 1;
		hl = (size_t)(close - h);
		if (strspn(h, "0123456789abcdefABCDEF:.") < hl)
			return err_set(e, ERR_CONFIG, "redis URL: bad IPv6 address");
		colon = close + 1 < s + n ? close + 1 : NULL;
		if (colon && *colon != ':')
			return err_set(e, ERR_CONFIG, "redis URL: unexpected text after ']'");
	} else {
		colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
		if (strspn(h, host_chars) < hl)
			return err_set(e, ERR_CONFIG, "redis URL: bad host name (letters, digits, '.', '-', '_')");
	}
	if (hl == 0 || hl >= sizeof u->host)
		return err_set(e, ERR_CONFIG, "redis URL: %s host name", hl ? "too long a" : "no");
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	u->port = 6379;
	if (colon) {
		size_t pl = (size_t)(s + n - colon - 1);
		long port = 0;
		if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") < pl)
			return err_set(e, ERR_CONFIG, "redis URL: the port must be a number from 1 to 65535");
		for (size_t i = 0; i < pl; i++)
			port = port * 10 + (colon[1 + i] - '0');
		if (port < 1 || port > 65535)
			return err_set(e, ERR_CONFIG, "redis URL: the port must be a number from 1 to 65535");
		u->port = (int)port;
	}
	return 0;
}

/* Parse redis://[USER@]HOST[:PORT]/FLEET or rediss://... */
int redis_url_parse(const char *s, struct redis_url *u, struct err *e)
{
	memset(u, 0, sizeof *u);
	if (!strncmp(s, "redis://", 8)) {
		s += 8;
	} else if (!strncmp(s, "rediss://", 9)) {
		u->tls = 1;
		s += 9;
	} else {
		return err_set(e, ERR_CONFIG, "redis URL: must start with redis:// or rediss:// (TLS)");
	}
	const char *slash = strchr(s, '/');
	if (!slash)
		return err_set(e, ERR_CONFIG, "redis URL: no fleet: redis://HOST:PORT/FLEET");
	const char *at = memchr(s, '@', (size_t)(slash - s));
	if (at) {
		size_t ul = (size_t)(at - s);
		if (memchr(s, ':', ul))
			return err_set(e, ERR_CONFIG, "redis URL: no password in the URL: use redis_password_file "
						      "or DBFLEET_REDIS_PASSWORD");
		if (ul == 0 || ul >= sizeof u->user || strspn(s, user_chars) < ul)
			return err_set(e, ERR_CONFIG, "redis URL: bad user name");
		memcpy(u->user, s, ul);
		u->user[ul] = '\0';
		s = at + 1;
	}
	if (parse_hostport(s, (size_t)(slash - s), u, e) < 0)
		return -1;
	const char *f = slash + 1;
	size_t fl = strlen(f);
	if (fl == 0 || fl >= sizeof u->fleet || strspn(f, fleet_chars) < fl)
		return err_set(e, ERR_CONFIG, "redis URL: the fleet must be 1 to %d letters, digits, '.', '_' "
					      "or '-'", (int)sizeof u->fleet - 1);
	memcpy(u->fleet, f, fl + 1);
	return 0;
}

/* The first line of 'path', which only its owner may read. */
static int password_from_file(const char *path, char *out, size_t n, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, ERR_CONFIG, "cannot open redis password file '%s': %s", path, strerror(errno));
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, ERR_CONFIG, "redis password file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		err_set(e, ERR_CONFIG, "redis password file '%s' is readable by others: chmod 600 it", path);
		goto out;
	}
	ssize_t got = read(fd, out, n - 1);
	if (got < 0) {
		err_set(e, ERR_CONFIG, "cannot read redis password file '%s': %s", path, strerror(errno));
		goto out;
	}
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if ((size_t)got == n - 1 && strlen(out) == n - 1) {
		err_set(e, ERR_CONFIG, "redis password file '%s': the password is too long", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The password: the file, else the environment, else none. */
int redis_password(const struct redis_conf *c, char *out, size_t n, struct err *e)
{
	out[0] = '\0';
	if (c->password_file[0])
		return password_from_file(c->password_file, out, n, e);
	const char *env = getenv("DBFLEET_REDIS_PASSWORD");
	if (env) {
		if (strlen(env) >= n)
			return err_set(e, ERR_CONFIG, "DBFLEET_REDIS_PASSWORD is too long");
		snprintf(out, n, "%s", env);
	}
	return 0;
}
