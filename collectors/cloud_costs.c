/*
 * cloud_costs.c - Cost Explorer for the cloud thread (cloud.c). One
 * account: its own figures. Several: the management (payer) account's,
 * which cover every member, grouped by LINKED_ACCOUNT ([aws] payer_profile,
 * or an account Organizations DescribeOrganization names as its own
 * master); without one, each account's own figures added up. The
 * snapshot's costs.scope says which. Every request is billed, so the
 * result is cached on disk (one file per set of profiles) and fetched at
 * most every cost_refresh_s.
 */
#include "cloud_private.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The management account: [aws] payer_profile's, else one that Organizations says is its own master; or NULL. */
static struct cloud_account *payer(struct cloud_state *s)
{
	const char *named = s->run->cfg.payer_profile;
	for (int i = 0; i < s->nacct && named[0]; i++) {
		struct cloud_account *a = &s->acct[i];
		if (strcmp(a->profile, named))
			continue;
		if ((a->costs_only || !a->cl) && cloud_resolve(s, a) < 0) {
			snprintf(s->cost_error, sizeof s->cost_error, "payer_profile %.60s: %.200s", named, a->error);
			return NULL;
		}
		return a;
	}
	for (int i = 0; i < s->nacct; i++) { /* once per account (cloud_resolve asks again for another) */
		struct cloud_account *a = &s->acct[i];
		struct aws_error e;
		if (!a->costs_only && a->cl && a->id[0] && !a->error[0] && !a->org_checked) {
			if (aws_org_master_account(a->cl, a->master, sizeof a->master, &e) < 0)
				a->master[0] = '\0'; /* not allowed to ask, or no answer: not known to be the payer */
			a->org_checked = 1;
			memcpy(a->org_of, a->id, sizeof a->org_of);
		}
	}
	for (int i = 0; i < s->nacct; i++)
		if (s->acct[i].master[0] && !strcmp(s->acct[i].master, s->acct[i].id))
			return &s->acct[i];
	return NULL;
}

/* The payer's figures, month to date by linked account (named by [aws] aliases where it can). 0 or -1. */
static int from_payer(struct cloud_state *s, struct cloud_account *p, time_t now, struct cloud_costs *c)
{
	struct aws_error e;
	if (aws_ce_fetch(p->cl, s->run->cfg.cost_tag, now, c, &e) < 0 || aws_ce_fetch_accounts(p->cl, c, &e) < 0) {
		snprintf(s->cost_error, sizeof s->cost_error, "Cost Explorer (%.40s): %.60s%s%.160s",
			 cloud_account_label(p), e.code, e.msg[0] ? ": " : "", e.msg);
		return -1;
	}
	for (int i = 0; i < c->naccount; i++) {
		char alias[64];
		cloud_alias_of(s->run->cfg.aliases, c->account[i].key, alias, sizeof alias);
		if (alias[0])
			snprintf(c->account[i].key, sizeof c->account[i].key, "%s", alias);
	}
	snprintf(c->scope, sizeof c->scope, "management account %.30s (profile %.30s), by linked account",
		 cloud_account_label(p), p->profile);
	return 0;
}

/* May this account's own figures be asked for: a discovered account whose keys worked this round. */
static int counted(const struct cloud_account *a)
{
	return !a->costs_only && a->cl && !a->error[0];
}

/* Each account's own figures, added up (an account two profiles reach, once). 0, or -1 if none could be read. */
static int summed(struct cloud_state *s, time_t now, struct cloud_costs *sum)
{
	int n = 0;
	memset(sum, 0, sizeof *sum);
	s->cost_error[0] = '\0';
	for (int i = 0; i < s->nacct; i++) {
		struct cloud_account *a = &s->acct[i];
		if (!counted(a))
			continue;
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = counted(&s->acct[j]) && a->id[0] && !strcmp(s->acct[j].id, a->id);
		if (seen)
			continue;
		struct cloud_costs one;
		struct aws_error e;
		char msg[300];
		if (aws_ce_fetch(a->cl, s->run->cfg.cost_tag, now, &one, &e) < 0) {
			snprintf(msg, sizeof msg, "Cost Explorer (%.40s): %.60s%s%.160s", cloud_account_label(a), e.code,
				 e.msg[0] ? ": " : "", e.msg);
			size_t o = strlen(s->cost_error);
			snprintf(s->cost_error + o, sizeof s->cost_error - o, "%s%s", o ? "; " : "", msg);
			continue;
		}
		if (aws_ce_add(sum, &one, cloud_account_label(a)) == 0)
			n++;
	}
	snprintf(sum->scope, sizeof sum->scope, "sum of %d account%s' own figures (no management account)", n,
		 n == 1 ? "" : "s");
	return n ? 0 : -1;
}

/* The cache file's name: the profile, or every profile when there are several. */
static void cache_name(const struct cloud_state *s, char *out, size_t n)
{
	if (!s->multi) {
		snprintf(out, n, "%s", s->acct[0].profile);
		return;
	}
	size_t o = (size_t)snprintf(out, n, "accounts");
	for (int i = 0; i < s->nacct && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "+%s", s->acct[i].profile[0] ? s->acct[i].profile : "default");
}

void cloud_costs(struct cloud_state *s, double *next, int force)
{
	const struct cloud_config *cfg = &s->run->cfg;
	char path[1024], name[600];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double epoch = (double)ts.tv_sec;
	cache_name(s, name, sizeof name);
	int cached = aws_ce_cache_path(name, path, sizeof path) == 0;
	struct cloud_costs c;
	*next = clock_mono() + cfg->cost_refresh_s; /* billed: no quick retry after an error either */
	if (!force && cached && aws_ce_cache_load(path, cfg->cost_tag, &c) == 0 && epoch - c.fetched_at < cfg->cost_refresh_s &&
	    epoch >= c.fetched_at) {
		s->costs = c;
		*next = clock_mono() + cfg->cost_refresh_s - (epoch - c.fetched_at);
		return;
	}
	int rc;
	if (!s->multi) {
		struct aws_error e;
		rc = aws_ce_fetch(s->acct[0].cl, cfg->cost_tag, (time_t)epoch, &c, &e);
		if (rc < 0)
			snprintf(s->cost_error, sizeof s->cost_error, "Cost Explorer: %.60s%s%.200s", e.code,
				 e.msg[0] ? ": " : "", e.msg);
		else
			s->cost_error[0] = '\0';
	} else {
		struct cloud_account *p = payer(s);
		rc = p ? from_payer(s, p, (time_t)epoch, &c) : summed(s, (time_t)epoch, &c);
		if (p && rc == 0)
			s->cost_error[0] = '\0';
	}
	if (rc < 0)
		return;
	s->costs = c;
	if (cached)
		aws_ce_cache_save(path, &c);
}
