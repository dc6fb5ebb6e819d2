/* Unit tests: a password in a DSN is found in every spelling its engine reads. */
#include "../../engines/engine.h"
#include "check.h"

#include <string.h>

static int refused(const char *dsn, const char *hint)
{
	char why[200] = "";
	int r = engine_dsn_has_secret(dsn, why, sizeof why);
	return r == 1 && strstr(why, hint) && !strstr(why, "s3cret");
}

static int accepted(const char *dsn)
{
	char why[200] = "";
	return engine_dsn_has_secret(dsn, why, sizeof why) == 0;
}

static void libpq_conninfo(void)
{
	CHECK(refused("host=db1 password=s3cret", "~/.pgpass"));
	CHECK(refused("host=db1 password = s3cret", "~/.pgpass"));
	CHECK(refused("host=db1 password='s3cret x'", "~/.pgpass"));
	CHECK(refused("host=db1 sslpassword=s3cret sslkey=/k", "sslpassword"));
	CHECK(accepted("host=db1 dbname=app user=mon"));
	CHECK(accepted("host=db1 application_name=password"));
	CHECK(accepted("host=db1 passfile=/home/mon/pgpass"));
}

static void libpq_uri(void)
{
	CHECK(refused("postgresql://mon:s3cret@db1/app", "~/.pgpass"));
	CHECK(refused("postgresql://db1/app?password=s3cret", "~/.pgpass"));
	CHECK(refused("postgresql://db1/app?passw%6Frd=s3cret", "~/.pgpass"));
	CHECK(refused("postgres://db1/app?sslmode=require&sslpassword=s3cret", "sslpassword"));
	CHECK(accepted("postgresql://mon@db1:5433/app?sslmode=require"));
	CHECK(accepted("postgresql://mon@db1/app?application_name=password"));
	/* libpq cannot read it, yet it would show in ps */
	CHECK(refused("postgresql://db1/app?Password=s3cret", "~/.pgpass"));
}

static void odbc_string(void)
{
	CHECK(refused("odbc:Driver=FreeTDS;Server=db1;UID=mon;PWD=s3cret", "odbc.ini"));
	CHECK(refused("odbc:Driver=FreeTDS;Server=db1;UID=mon;pwd=s3cret;", "odbc.ini"));
	CHECK(refused("odbc:Driver=FreeTDS;Server=db1;Password=s3cret", "odbc.ini"));
	CHECK(refused("odbc:Driver=FreeTDS; Server=db1; PASSWORD = s3cret", "odbc.ini"));
	CHECK(refused("odbc:Driver={My;Driver};Server=db1;pwd ={s3;cr}}et}", "odbc.ini"));
	CHECK(accepted("odbc:orders-mssql"));
	CHECK(accepted("odbc:Driver=FreeTDS;Server=db1;UID=mon;Database=app"));
	/* a braced value may hold what looks like a key */
	CHECK(accepted("odbc:Driver={x;PWD=y};Server=db1"));
}

static void mysql_uri(void)
{
	CHECK(refused("mysql://mon:s3cret@db1/app", "~/.my.cnf"));
	CHECK(refused("mariadb://db1/app?passw%6Frd=s3cret", "~/.my.cnf"));
	CHECK(accepted("mysql://mon@db1:3306/app"));
}

int main(void)
{
	RUN(libpq_conninfo);
	RUN(libpq_uri);
	RUN(odbc_string);
	RUN(mysql_uri);
	return check_total_failed;
}
