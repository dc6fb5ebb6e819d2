/* my_private.h - what mysql.c and my_batch.c share; not for other folders. */
#ifndef DBFLEET_MY_PRIVATE_H
#define DBFLEET_MY_PRIVATE_H

#include <mysql.h>

#include "engine.h"
#include "my_sql.h"
#include "textcache.h"

/* mysql://user@host:port/db?ssl-ca=FILE&ssl-mode=REQUIRED|VERIFY_IDENTITY */
struct my_dsn {
	char user[64], host[256], db[64], socket[256], ssl_ca[512];
	unsigned port;
	int ssl_required, ssl_verify;
};

struct my_digest {
	int64_t id;
	char digest[65];
};

struct engine_conn {
	MYSQL *m;
	struct my_dsn dsn;
	double timeout_s;
	char version[64], user[128];
	int mariadb, vnum;                 /* 101119 for 10.11.19 */
	unsigned long self_id;             /* our CONNECTION_ID() */
	int ps_on, can_process, can_replica, can_digest;
	char replica_sql[32];
	struct textcache texts;
	struct my_digest *digests;         /* id -> digest of the last sample, for text fetches */
	size_t ndigests;
	int batch_texts;                   /* the batch in flight asks for texts */
};

/* Parse a mysql:// or mariadb:// DSN; 0 or -1 with 'err'. */
int my_dsn_parse(const char *dsn, struct my_dsn *d, struct err *err);
/* The statements of one sample, as one multi-statement string; NULL on OOM. */
char *my_build_batch(struct engine_conn *c);
/* The id of a statement digest in a schema (FNV-1a of both). */
int64_t my_digest_id(const char *schema, const char *digest);
/* Read every result of the batch into 'out'; 0 or -1 with 'err'. */
int my_read_batch(struct engine_conn *c, struct db_sample *out, struct err *err);

#endif
