/* Unit tests: MySQL/MariaDB DSNs and digest ids. */
#include "../../engines/my_private.h"
#include "check.h"

static void full_dsn(void)
{
	struct my_dsn d;
	struct err e;
	CHECK(my_dsn_parse("mysql://mon@db1.example:3307/app?ssl-ca=/etc/rds.pem&ssl-mode=VERIFY_IDENTITY", &d, &e) == 0);
	CHECK_STR(d.user, "mon");
	CHECK_STR(d.host, "db1.example");
	CHECK(d.port == 3307);
	CHECK_STR(d.db, "app");
	CHECK_STR(d.ssl_ca, "/etc/rds.pem");
	CHECK(d.ssl_required && d.ssl_verify);
}

static void short_forms(void)
{
	struct my_dsn d;
	struct err e;
	CHECK(my_dsn_parse("mariadb://10.0.0.5", &d, &e) == 0);
	CHECK_STR(d.host, "10.0.0.5");
	CHECK(d.port == 3306 && !d.user[0] && !d.db[0] && !d.ssl_required);
	CHECK(my_dsn_parse("mysql://mon@h/?ssl-mode=REQUIRED", &d, &e) == 0);
	CHECK(d.ssl_required && !d.ssl_verify);
}

static void refused(void)
{
	struct my_dsn d;
	struct err e;
	CHECK(my_dsn_parse("mysql://mon:secret@h/", &d, &e) == -1);
	CHECK(strstr(e.msg, "~/.my.cnf") && !strstr(e.msg, "secret"));
	CHECK(my_dsn_parse("mysql://h/?password=x", &d, &e) == -1);
	CHECK(my_dsn_parse("mysql://h:99999/", &d, &e) == -1);
	CHECK(my_dsn_parse("mysql://h/?colour=red", &d, &e) == -1);
	CHECK(strstr(e.msg, "colour") != NULL);
	CHECK(my_dsn_parse("h:3306", &d, &e) == -1);
	/* the key percent-encoded or in capitals is still the password */
	CHECK(my_dsn_parse("mysql://h/?passw%6Frd=s3cret", &d, &e) == -1);
	CHECK(strstr(e.msg, "~/.my.cnf") && !strstr(e.msg, "s3cret"));
	CHECK(my_dsn_parse("mysql://h/?PASSWORD=s3cret", &d, &e) == -1);
	CHECK(strstr(e.msg, "~/.my.cnf") != NULL);
}

/* The check made before a DSN is taken: it finds a password that a parse would stop before. */
static void secret_spellings(void)
{
	char why[200];
	CHECK(my_dsn_secret("mysql://mon:s3cret@h/", why, sizeof why) == 1);
	CHECK(strstr(why, "~/.my.cnf") && !strstr(why, "s3cret"));
	CHECK(my_dsn_secret("mysql://h/?password=s3cret", why, sizeof why) == 1);
	CHECK(my_dsn_secret("mysql://h/?passw%6Frd=s3cret", why, sizeof why) == 1);
	CHECK(my_dsn_secret("mysql://h/?%70assword=s3cret", why, sizeof why) == 1);
	CHECK(my_dsn_secret("mysql://h/?colour=red&Password=s3cret", why, sizeof why) == 1);
	CHECK(my_dsn_secret("mariadb://mon:@h:3306/app", why, sizeof why) == 1);
	CHECK(my_dsn_secret("mysql://mon@db1:3307/app?ssl-mode=REQUIRED", why, sizeof why) == 0);
	CHECK(my_dsn_secret("mysql://db1/app?ssl-ca=/etc/pass:word.pem", why, sizeof why) == 0);
}

static void digest_ids(void)
{
	CHECK(my_digest_id("app", "abc") == my_digest_id("app", "abc"));
	CHECK(my_digest_id("app", "abc") != my_digest_id("other", "abc"));
	CHECK(my_digest_id("", "abc") != my_digest_id("a", "bc"));
}

int main(void)
{
	RUN(full_dsn);
	RUN(short_forms);
	RUN(refused);
	RUN(secret_spellings);
	RUN(digest_ids);
	return check_total_failed;
}
