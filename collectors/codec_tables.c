/*
 * codec_tables.c - what each record holds: one table of fields per struct
 * (tag, type, member). A tag once given keeps its meaning: a new member gets
 * a new tag, a member that goes away leaves its tag unused, so older and
 * newer readers skip what they do not know.
 */
#include "codec_private.h"

#include <stddef.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "packed arrays are written in host order");

#define SZ(st, m) sizeof(((st *)0)->m)
#define F(tag, type, st, m) {tag, type, 0, offsetof(st, m), SZ(st, m)}
#define K(tag, type, st, m) {tag, type, FD_ALWAYS, offsetof(st, m), SZ(st, m)}
#define D(tag, st, m) {tag, FT_I64, FD_DIFF, offsetof(st, m), SZ(st, m)}
#define N(x) (sizeof x / sizeof x[0])
#define MSG(f, a) {f, N(f), a, N(a)}
#define MSG0(f) {f, N(f), NULL, 0}

/* ---- a target's sample ---- */

#define S struct rec_snapshot
static const struct fdesc f_snapshot[] = {
	K(1, FT_U32, S, idx), K(2, FT_U64, S, seq), K(3, FT_U64, S, base_seq), K(4, FT_MS, S, at),
	F(5, FT_DBL, S, cost_ms_s),
	F(10, FT_STR, S, s.health.version), F(11, FT_I32, S, s.health.server_version_num),
	F(12, FT_I32, S, s.health.is_replica), F(13, FT_DBL, S, s.health.uptime_s),
	F(14, FT_I32, S, s.health.conns_used), F(15, FT_I32, S, s.health.conns_max),
	F(16, FT_I32, S, s.health.active), F(17, FT_I32, S, s.health.idle_in_xact),
	F(18, FT_I32, S, s.health.waiting_on_lock), F(19, FT_DBL, S, s.health.longest_xact_s),
	D(20, S, s.health.xact_total), D(21, S, s.health.queries_total),
	D(22, S, s.health.blks_hit), D(23, S, s.health.blks_read),
	D(24, S, s.health.xid_age), F(25, FT_I64, S, s.health.db_size_bytes),
	F(26, FT_DBL, S, s.health.server_now), F(27, FT_STR, S, s.health.tls),
	F(28, FT_STR, S, s.health.server_id), F(29, FT_DBL, S, s.health.server_started),
	F(30, FT_I32, S, s.health.rds_procs), F(31, FT_STR, S, s.health.dialect),
	F(32, FT_DBL, S, s.health.tps), F(33, FT_DBL, S, s.health.qps), F(34, FT_DBL, S, s.health.cache_hit_pct),
	F(35, FT_I32, S, s.health.slots_inactive), F(36, FT_I64, S, s.health.slot_idle_bytes),
	D(40, S, s.standby.replay_backlog_bytes), F(41, FT_DBL, S, s.standby.lag_s),
	F(42, FT_STR, S, s.standby.halted), F(43, FT_STR, S, s.standby.last_error),
	F(44, FT_I32, S, s.standby.streaming), F(45, FT_STR, S, s.standby.sender_host),
	F(46, FT_I32, S, s.standby.sender_port), F(47, FT_STR, S, s.standby.source_log),
	F(50, FT_I32, S, s.detail), F(51, FT_STR, S, s.queries_note), F(52, FT_STR, S, s.privilege_note),
	F(53, FT_DBL, S, s.lag_bytes), F(54, FT_DBL, S, s.lag_s), F(55, FT_I32, S, s.statements),
	F(56, FT_DBL, S, s.roundtrip_ms),
	/* the triage parts, while the triage pane shows the target */
	F(70, FT_I32, S, s.triage.read), F(71, FT_I64, S, s.triage.slot_keep_max), F(72, FT_I64, S, s.triage.freeze_max_age),
	F(73, FT_I64, S, s.triage.mxid_freeze_max_age), F(74, FT_I32, S, s.triage.vacuum_workers),
	F(75, FT_STR, S, s.triage.dead_db), F(76, FT_I64, S, s.triage.history_len), F(77, FT_I32, S, s.triage.binlog_on),
	F(78, FT_STR, S, s.triage.lock_note), F(79, FT_STR, S, s.triage.lock_fix), F(94, FT_STR, S, s.triage.note),
};
#undef S

#define R struct db_replica
static const struct fdesc f_replica[] = {
	F(3, FT_STR, R, name), F(4, FT_STR, R, client), F(5, FT_STR, R, state), F(6, FT_STR, R, sync_state),
	D(7, R, lag_bytes), F(8, FT_DBL, R, write_lag_s), F(9, FT_DBL, R, flush_lag_s),
	F(10, FT_DBL, R, replay_lag_s),
};
#undef R

#define Q struct db_query
static const struct fdesc f_query[] = {
	F(3, FT_I64, Q, queryid), F(4, FT_U32, Q, dbid), F(5, FT_U32, Q, userid), F(6, FT_I32, Q, toplevel),
	F(7, FT_DBL, Q, calls), F(8, FT_DBL, Q, total_ms), F(9, FT_DBL, Q, rows), F(10, FT_PSTR, Q, text),
	F(11, FT_DBL, Q, calls_s), F(12, FT_DBL, Q, ms_s), F(13, FT_DBL, Q, rows_s), F(14, FT_DBL, Q, mean_ms),
};
#undef Q

#define X struct db_session
static const struct fdesc f_session[] = {
	F(3, FT_I32, X, pid), F(4, FT_STR, X, user), F(5, FT_STR, X, db), F(6, FT_STR, X, app),
	F(7, FT_STR, X, client), F(8, FT_STR, X, state), F(9, FT_STR, X, wait), F(10, FT_STR, X, backend_start),
	F(11, FT_DBL, X, query_age_s), F(12, FT_DBL, X, xact_age_s), F(13, FT_I32, X, nblockers),
	F(14, FT_I32ARR, X, blockers), F(15, FT_I32, X, is_blocker), F(16, FT_I32, X, is_self),
	F(17, FT_I32, X, locks_held), F(18, FT_PSTR, X, query), F(19, FT_STR, X, lock),
};
#undef X

static const struct fdesc f_slot[] = {
	F(3, FT_STR, struct db_slot, name), F(4, FT_STR, struct db_slot, type), F(5, FT_STR, struct db_slot, database),
	F(6, FT_I32, struct db_slot, active), F(7, FT_I32, struct db_slot, active_pid),
	F(8, FT_I64, struct db_slot, retained_bytes), F(9, FT_STR, struct db_slot, wal_status),
	F(10, FT_I64, struct db_slot, safe_wal_size), F(11, FT_I64, struct db_slot, xmin_age),
	F(12, FT_I64, struct db_slot, catalog_xmin_age),
};
static const struct fdesc f_wrap[] = {
	F(3, FT_STR, struct db_wrap, datname), F(4, FT_I64, struct db_wrap, xid_age), F(5, FT_I64, struct db_wrap, mxid_age),
};
static const struct fdesc f_vacuum[] = {
	F(3, FT_I32, struct db_vacuum, pid), F(4, FT_STR, struct db_vacuum, db), F(5, FT_STR, struct db_vacuum, table),
	F(6, FT_STR, struct db_vacuum, phase), F(7, FT_DBL, struct db_vacuum, pct), F(8, FT_I32, struct db_vacuum, wraparound),
};
static const struct fdesc f_deadtab[] = {
	F(3, FT_STR, struct db_deadtab, table), F(4, FT_I64, struct db_deadtab, dead), F(5, FT_I64, struct db_deadtab, live),
	F(6, FT_DBL, struct db_deadtab, vacuum_age_s),
};
static const struct fdesc f_xmin[] = {
	F(3, FT_STR, struct db_xmin_holder, kind), F(4, FT_STR, struct db_xmin_holder, name),
	F(5, FT_I32, struct db_xmin_holder, pid), F(6, FT_STR, struct db_xmin_holder, backend_start),
	F(7, FT_I64, struct db_xmin_holder, age), F(8, FT_DBL, struct db_xmin_holder, age_s),
};
static const struct fdesc f_binlog[] = {
	F(3, FT_STR, struct db_binlog, name), F(4, FT_I64, struct db_binlog, bytes),
};

/* Elements matched by name (slots, databases, tables, binary logs: a struct with its name first). */
static int same_name(const void *a, const void *b)
{
	return !strcmp((const char *)a, (const char *)b);
}

static int same_vacuum(const void *a, const void *b)
{
	return ((const struct db_vacuum *)a)->pid == ((const struct db_vacuum *)b)->pid;
}

static int same_replica(const void *a, const void *b)
{
	const struct db_replica *x = a, *y = b;
	return !strcmp(x->name, y->name) && !strcmp(x->client, y->client);
}

static int same_query(const void *a, const void *b)
{
	const struct db_query *x = a, *y = b;
	return x->queryid == y->queryid && x->dbid == y->dbid && x->userid == y->userid && x->toplevel == y->toplevel;
}

static int same_session(const void *a, const void *b)
{
	const struct db_session *x = a, *y = b;
	return x->pid == y->pid && !strcmp(x->backend_start, y->backend_start);
}

static const struct mdesc m_replica = MSG0(f_replica), m_query = MSG0(f_query), m_session = MSG0(f_session),
			  m_slot = MSG0(f_slot), m_wrap = MSG0(f_wrap), m_vacuum = MSG0(f_vacuum),
			  m_deadtab = MSG0(f_deadtab), m_xmin = MSG0(f_xmin), m_binlog = MSG0(f_binlog);
_Static_assert(offsetof(struct db_slot, name) == 0 && offsetof(struct db_wrap, datname) == 0 &&
	       offsetof(struct db_deadtab, table) == 0 && offsetof(struct db_binlog, name) == 0, "same_name: the name first");

#define ARR(ct, et, st, ptr, n, type, m, same) \
	{ct, et, offsetof(st, ptr), offsetof(st, n), 0, sizeof(type), &m, same}
static const struct adesc a_snapshot[] = {
	ARR(60, 61, struct rec_snapshot, s.replicas, s.nreplicas, struct db_replica, m_replica, same_replica),
	ARR(62, 63, struct rec_snapshot, s.queries, s.nqueries, struct db_query, m_query, same_query),
	ARR(64, 65, struct rec_snapshot, s.sessions, s.nsessions, struct db_session, m_session, same_session),
	ARR(80, 81, struct rec_snapshot, s.triage.slots, s.triage.nslots, struct db_slot, m_slot, same_name),
	ARR(82, 83, struct rec_snapshot, s.triage.wrap, s.triage.nwrap, struct db_wrap, m_wrap, same_name),
	ARR(84, 85, struct rec_snapshot, s.triage.vacuums, s.triage.nvacuums, struct db_vacuum, m_vacuum, same_vacuum),
	ARR(86, 87, struct rec_snapshot, s.triage.dead, s.triage.ndead, struct db_deadtab, m_deadtab, same_name),
	ARR(88, 89, struct rec_snapshot, s.triage.xmin, s.triage.nxmin, struct db_xmin_holder, m_xmin, NULL),
	ARR(90, 91, struct rec_snapshot, s.triage.lockq, s.triage.nlockq, struct db_session, m_session, same_session),
	ARR(92, 93, struct rec_snapshot, s.triage.binlogs, s.triage.nbinlogs, struct db_binlog, m_binlog, same_name),
};
static const struct mdesc m_snapshot = MSG(f_snapshot, a_snapshot);

/* ---- the AWS side ---- */

#define I struct cloud_instance
static const struct fdesc f_instance[] = {
	F(3, FT_STR, I, id), F(4, FT_STR, I, region), F(5, FT_STR, I, engine), F(6, FT_STR, I, engine_version),
	F(7, FT_STR, I, klass), F(8, FT_STR, I, az), F(9, FT_STR, I, status), F(10, FT_STR, I, cluster),
	F(11, FT_STR, I, role), F(12, FT_STR, I, source), F(13, FT_STR, I, global), F(14, FT_STR, I, tags),
	F(15, FT_I32, I, global_writer), F(16, FT_STR, I, host), F(17, FT_I32, I, port), F(18, FT_I32, I, multi_az),
	F(19, FT_DBLARR, I, metric), F(20, FT_DBLARR, I, metric_at), F(21, FT_DBL, I, hourly_usd),
	F(22, FT_STR, I, maintenance), F(23, FT_STR, I, account), F(24, FT_STR, I, account_alias),
	F(25, FT_STR, I, profile), F(26, FT_STR, I, resource_id), F(27, FT_I32, I, pi_enabled),
};
#undef I

#define E struct cloud_event
static const struct fdesc f_event[] = {
	F(3, FT_DBL, E, at), F(4, FT_STR, E, region), F(5, FT_STR, E, source), F(6, FT_STR, E, type),
	F(7, FT_STR, E, category), F(8, FT_STR, E, message), F(9, FT_STR, E, account),
};
#undef E

static const struct fdesc f_group[] = {
	F(3, FT_STR, struct cost_group, key), F(4, FT_DBL, struct cost_group, usd),
};

#define C struct rec_cloud
static const struct fdesc f_cloud[] = {
	K(1, FT_U64, C, seq), K(2, FT_U64, C, base_seq), K(3, FT_MS, C, at),
	F(10, FT_STR, C, c.source), F(11, FT_STR, C, c.regions), F(12, FT_STR, C, c.endpoint),
	F(13, FT_STR, C, c.error), F(14, FT_I32, C, c.auth_failed), F(15, FT_MS, C, c.discovered_at),
	F(16, FT_MS, C, c.metrics_at), F(17, FT_U64, C, c.requests), F(18, FT_STR, C, c.cost_error),
	F(19, FT_MS, C, c.events_at),
	F(20, FT_I32, C, c.costs.valid), F(21, FT_STR, C, c.costs.month_start), F(22, FT_STR, C, c.costs.today),
	F(23, FT_DBL, C, c.costs.mtd_usd), F(24, FT_DBL, C, c.costs.forecast_usd), F(25, FT_STR, C, c.costs.unit),
	F(26, FT_STR, C, c.costs.tag_key), F(27, FT_DBLARR, C, c.costs.daily), F(28, FT_STR, C, c.costs.daily_from),
	F(29, FT_I32, C, c.costs.ndaily), F(30, FT_DBL, C, c.costs.fetched_at), F(31, FT_I32, C, c.costs.from_cache),
	F(32, FT_U32, C, c.costs.requests), F(33, FT_STR, C, c.costs.scope),
};
_Static_assert(sizeof(unsigned long) == 8 && sizeof(unsigned) == 4, "cloud_snapshot.requests is a u64, costs.requests a u32");

static int same_instance(const void *a, const void *b)
{
	const struct cloud_instance *x = a, *y = b;
	return !strcmp(x->id, y->id) && !strcmp(x->region, y->region) && !strcmp(x->account, y->account);
}

static int same_event(const void *a, const void *b)
{
	const struct cloud_event *x = a, *y = b;
	return x->at == y->at && !strcmp(x->source, y->source) && !strcmp(x->message, y->message);
}

static const struct mdesc m_instance = MSG0(f_instance), m_event = MSG0(f_event), m_group = MSG0(f_group);

static const struct adesc a_cloud[] = {
	ARR(40, 41, C, c.inst, c.n, struct cloud_instance, m_instance, same_instance),
	ARR(42, 43, C, c.events, c.nevents, struct cloud_event, m_event, same_event),
	{44, 45, offsetof(C, c.costs.service), offsetof(C, c.costs.nservice), COST_GROUPS, sizeof(struct cost_group),
	 &m_group, NULL},
	{46, 47, offsetof(C, c.costs.tag), offsetof(C, c.costs.ntag), COST_GROUPS, sizeof(struct cost_group),
	 &m_group, NULL},
	{48, 49, offsetof(C, c.costs.account), offsetof(C, c.costs.naccount), COST_GROUPS, sizeof(struct cost_group),
	 &m_group, NULL},
};
#undef C
static const struct mdesc m_cloud = MSG(f_cloud, a_cloud);

/* ---- the small records ---- */

#define H struct rec_header
static const struct fdesc f_header[] = {
	K(1, FT_U32, H, version), K(2, FT_MS, H, at), F(3, FT_STR, H, writer), F(4, FT_STR, H, host),
};
#undef H
#define T struct rec_target
static const struct fdesc f_target[] = {
	K(1, FT_U32, T, idx), K(2, FT_MS, T, at), F(3, FT_STR, T, name), F(4, FT_STR, T, engine),
	F(5, FT_STR, T, endpoint), F(6, FT_DBL, T, interval_s), F(7, FT_DBL, T, timeout_s),
	F(8, FT_STR, T, cloud_id), F(9, FT_STR, T, tags),
};
#undef T
#define ST struct rec_state
static const struct fdesc f_state[] = {
	K(1, FT_U32, ST, idx), K(2, FT_MS, ST, at), F(3, FT_I32, ST, state), F(4, FT_STR, ST, error),
};
#undef ST
#define A struct rec_action
static const struct fdesc f_action[] = {
	K(1, FT_MS, A, at), F(2, FT_I32, A, a.id), F(3, FT_U64, A, a.target), F(4, FT_STR, A, a.target_name),
	F(5, FT_STR, A, a.what), F(6, FT_STR, A, a.object), F(7, FT_STR, A, a.who), F(8, FT_DBL, A, a.started),
	F(9, FT_DBL, A, a.ended), F(10, FT_I32, A, a.state), F(11, FT_STR, A, a.sql), F(12, FT_STR, A, a.message),
};
#undef A
_Static_assert(sizeof(size_t) == 8, "action_status.target is a u64");
#define EV struct rec_event
static const struct fdesc f_event_rec[] = {
	K(1, FT_MS, EV, at), F(2, FT_DBL, EV, ev.at), F(3, FT_I32, EV, ev.source), F(4, FT_I32, EV, ev.kind),
	F(5, FT_I32, EV, ev.level), F(6, FT_STR, EV, ev.state), F(7, FT_STR, EV, ev.target),
	F(8, FT_STR, EV, ev.group), F(9, FT_STR, EV, ev.text),
};
#undef EV
#define EN struct rec_end
static const struct fdesc f_end[] = {
	K(1, FT_MS, EN, at), F(2, FT_U64, EN, dropped), F(3, FT_STR, EN, why),
};
#undef EN

#define P struct rec_pi
static const struct fdesc f_pi[] = {
	K(1, FT_MS, P, at), F(2, FT_STR, P, pi.region), F(3, FT_STR, P, pi.id), F(4, FT_STR, P, pi.resource_id),
	F(5, FT_DBL, P, pi.fetched_at), F(6, FT_I32, P, pi.window_s), F(7, FT_DBL, P, pi.load),
	F(8, FT_I32, P, pi.vcpus), F(9, FT_U32, P, pi.requests), F(10, FT_STR, P, pi.error),
};
static const struct fdesc f_pi_wait[] = {
	F(3, FT_STR, struct pi_wait, name), F(4, FT_STR, struct pi_wait, type), F(5, FT_DBL, struct pi_wait, load),
};
static const struct fdesc f_pi_sql[] = {
	F(3, FT_STR, struct pi_sql, id), F(4, FT_DBL, struct pi_sql, load), F(5, FT_STR, struct pi_sql, wait),
	F(6, FT_I32, struct pi_sql, full), F(7, FT_STR, struct pi_sql, text),
};
static const struct mdesc m_pi_wait = MSG0(f_pi_wait), m_pi_sql = MSG0(f_pi_sql);
static const struct adesc a_pi[] = {
	{20, 21, offsetof(P, pi.wait), offsetof(P, pi.nwait), PI_WAITS, sizeof(struct pi_wait), &m_pi_wait, NULL},
	{22, 23, offsetof(P, pi.sql), offsetof(P, pi.nsql), PI_TOP_SQL, sizeof(struct pi_sql), &m_pi_sql, NULL},
};
#undef P
_Static_assert(sizeof(unsigned) == 4, "cloud_pi.requests is a u32");
static const struct mdesc m_pi = MSG(f_pi, a_pi);

static const struct mdesc m_header = MSG0(f_header), m_target = MSG0(f_target), m_state = MSG0(f_state),
			  m_action = MSG0(f_action), m_end = MSG0(f_end), m_event_rec = MSG0(f_event_rec);

/* ---- the public encoders and decoders ---- */

int codec_put_header(struct codec_buf *out, const struct rec_header *r) { return msg_put(out, &m_header, r, NULL); }
int codec_put_target(struct codec_buf *out, const struct rec_target *r) { return msg_put(out, &m_target, r, NULL); }
int codec_put_state(struct codec_buf *out, const struct rec_state *r) { return msg_put(out, &m_state, r, NULL); }
int codec_put_action(struct codec_buf *out, const struct rec_action *r) { return msg_put(out, &m_action, r, NULL); }
int codec_put_end(struct codec_buf *out, const struct rec_end *r) { return msg_put(out, &m_end, r, NULL); }
int codec_put_event(struct codec_buf *out, const struct rec_event *r) { return msg_put(out, &m_event_rec, r, NULL); }
int codec_put_pi(struct codec_buf *out, const struct rec_pi *r) { return msg_put(out, &m_pi, r, NULL); }

int codec_put_snapshot(struct codec_buf *out, const struct rec_snapshot *r, const struct rec_snapshot *base)
{
	struct rec_snapshot k = *r; /* shallow: only the key fields change */
	k.base_seq = base ? base->seq : 0;
	return msg_put(out, &m_snapshot, &k, base);
}

int codec_put_cloud(struct codec_buf *out, const struct rec_cloud *r, const struct rec_cloud *base)
{
	struct rec_cloud k;
	memcpy(&k, r, sizeof k); /* shallow, as above (memcpy: the struct holds an atomic) */
	k.base_seq = base ? base->seq : 0;
	return msg_put(out, &m_cloud, &k, base);
}

/* Decode a record with no base into 'out' (zeroed first). */
static int get_plain(const uint8_t *p, size_t n, const struct mdesc *m, void *out, size_t size, struct err *err)
{
	memset(out, 0, size);
	return msg_get(p, n, m, out, NULL, err);
}

int codec_get_header(const uint8_t *p, size_t n, struct rec_header *out, struct err *err)
{
	return get_plain(p, n, &m_header, out, sizeof *out, err);
}
int codec_get_target(const uint8_t *p, size_t n, struct rec_target *out, struct err *err)
{
	return get_plain(p, n, &m_target, out, sizeof *out, err);
}
int codec_get_state(const uint8_t *p, size_t n, struct rec_state *out, struct err *err)
{
	return get_plain(p, n, &m_state, out, sizeof *out, err);
}
int codec_get_action(const uint8_t *p, size_t n, struct rec_action *out, struct err *err)
{
	return get_plain(p, n, &m_action, out, sizeof *out, err);
}
int codec_get_event(const uint8_t *p, size_t n, struct rec_event *out, struct err *err)
{
	return get_plain(p, n, &m_event_rec, out, sizeof *out, err);
}
int codec_get_end(const uint8_t *p, size_t n, struct rec_end *out, struct err *err)
{
	return get_plain(p, n, &m_end, out, sizeof *out, err);
}
int codec_get_pi(const uint8_t *p, size_t n, struct rec_pi *out, struct err *err)
{
	return get_plain(p, n, &m_pi, out, sizeof *out, err);
}

/* A delta decodes against the base it names, and only that one. */
static int get_delta(const uint8_t *p, size_t n, const struct mdesc *m, void *out, size_t size, size_t base_seq_off,
		     const void *base, uint64_t base_seq, struct err *err)
{
	memset(out, 0, size);
	if (msg_peek(p, n, m, out) < 0)
		return err_set(err, ERR_FAIL, "malformed record");
	uint64_t want;
	memcpy(&want, (char *)out + base_seq_off, sizeof want);
	if (want && (!base || base_seq != want))
		return err_set(err, ERR_FAIL, "a delta against record %llu, which is missing", (unsigned long long)want);
	memset(out, 0, size);
	return msg_get(p, n, m, out, want ? base : NULL, err);
}

int codec_get_snapshot(const uint8_t *p, size_t n, const struct rec_snapshot *base, struct rec_snapshot *out,
		       struct err *err)
{
	return get_delta(p, n, &m_snapshot, out, sizeof *out, offsetof(struct rec_snapshot, base_seq), base, base ? base->seq : 0, err);
}

int codec_get_cloud(const uint8_t *p, size_t n, const struct rec_cloud *base, struct rec_cloud *out,
		    struct err *err)
{
	return get_delta(p, n, &m_cloud, out, sizeof *out, offsetof(struct rec_cloud, base_seq), base, base ? base->seq : 0, err);
}

int codec_peek(int type, const uint8_t *p, size_t n, struct codec_key *k)
{
	union {
		struct rec_header h;
		struct rec_target t;
		struct rec_state s;
		struct rec_snapshot x;
		struct rec_action a;
		struct rec_cloud c;
		struct rec_end e;
		struct rec_event v;
		struct rec_pi pi;
	} u;
	memset(&u, 0, sizeof u);
	*k = (struct codec_key){0};
	switch (type) {
	case REC_HEADER: if (msg_peek(p, n, &m_header, &u.h) < 0) return -1; k->at = u.h.at; break;
	case REC_TARGET: if (msg_peek(p, n, &m_target, &u.t) < 0) return -1; k->at = u.t.at; k->idx = u.t.idx; break;
	case REC_STATE: if (msg_peek(p, n, &m_state, &u.s) < 0) return -1; k->at = u.s.at; k->idx = u.s.idx; break;
	case REC_SNAPSHOT:
		if (msg_peek(p, n, &m_snapshot, &u.x) < 0)
			return -1;
		*k = (struct codec_key){u.x.at, u.x.idx, u.x.seq, u.x.base_seq};
		break;
	case REC_ACTION: if (msg_peek(p, n, &m_action, &u.a) < 0) return -1; k->at = u.a.at; break;
	case REC_CLOUD:
		if (msg_peek(p, n, &m_cloud, &u.c) < 0)
			return -1;
		*k = (struct codec_key){u.c.at, 0, u.c.seq, u.c.base_seq};
		break;
	case REC_END: if (msg_peek(p, n, &m_end, &u.e) < 0) return -1; k->at = u.e.at; break;
	case REC_EVENT: if (msg_peek(p, n, &m_event_rec, &u.v) < 0) return -1; k->at = u.v.at; break;
	case REC_PI: if (msg_peek(p, n, &m_pi, &u.pi) < 0) return -1; k->at = u.pi.at; break;
	default: return -1;
	}
	return 0;
}

int codec_snapshot_copy(struct rec_snapshot *dst, const struct rec_snapshot *src)
{
	memset(dst, 0, sizeof *dst);
	if (msg_copy(&m_snapshot, dst, src) < 0) {
		msg_release(&m_snapshot, dst);
		return -1;
	}
	return 0;
}

void codec_snapshot_release(struct rec_snapshot *r) { msg_release(&m_snapshot, r); }

int codec_cloud_copy(struct rec_cloud *dst, const struct rec_cloud *src)
{
	memset(dst, 0, sizeof *dst);
	if (msg_copy(&m_cloud, dst, src) < 0) {
		msg_release(&m_cloud, dst);
		return -1;
	}
	return 0;
}

void codec_cloud_release(struct rec_cloud *r) { msg_release(&m_cloud, r); }
int codec_snapshot_equal(const struct rec_snapshot *a, const struct rec_snapshot *b) { return msg_equal(&m_snapshot, a, b); }
int codec_cloud_equal(const struct rec_cloud *a, const struct rec_cloud *b) { return msg_equal(&m_cloud, a, b); }
