/* Unit tests: the config file, DSNs on the command line, and key files. */
#include <stdlib.h>
#include <unistd.h>

#include "../../model/ini.h"
#include "../../model/xdg.h"
#include "../../collectors/prices.h"
#include "../../tui/config_private.h"
#include "../../tui/tui.h"
#include "check.h"

static char path[64];

static void write_file(const char *text)
{
	snprintf(path, sizeof path, "/tmp/dbfleet-unit-%d", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* 'o' zeroed or loaded before: what it held is freed first */
static int load(const char *text, struct options *o, char *err, size_t n)
{
	write_file(text);
	options_release(o);
	options_init(o);
	int rc = config_load(o, path, err, n);
	unlink(path);
	return rc;
}

static void good_file(void)
{
	struct options o = {0};
	char err[512] = "";
	int rc = load("# comment\n[dbfleet]\nrefresh = 0.5\nkeymap = vi\n\n"
		      "[target orders-db]\nengine = postgres\ndsn = host=10.0.0.5 dbname=orders\n"
		      "interval = 5\ntags = team=orders\n[target b]\ndsn = postgresql://mon@b/x\n",
		      &o, err, sizeof err);
	CHECK(rc == 0);
	CHECK(o.refresh_s == 0.5);
	CHECK_STR(o.keymap, "vi");
	CHECK(o.ntargets == 2);
	CHECK_STR(o.targets[0].name, "orders-db");
	CHECK_STR(o.targets[0].dsn, "host=10.0.0.5 dbname=orders");
	CHECK(o.targets[0].interval_s == 5);
	CHECK_STR(o.targets[0].tags, "team=orders");
	CHECK(o.targets[1].interval_s == 0); /* takes the global refresh later */
	CHECK(o.samplers == 0 && o.mouse == 1); /* one sampler a core, mouse on */
	options_release(&o);
}

static void errors_name_file_and_line(void)
{
	struct options o = {0};
	char err[512], want[600];
	CHECK(load("[target a]\ndsn = host=x\nbogus = 1\n", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s:3: unknown key 'bogus' in a [target] section", path);
	CHECK_STR(err, want);
	CHECK(load("[target a]\nengine = oracle\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: unknown engine 'oracle'") != NULL);
	CHECK(load("[dbfleet]\nrefresh = fast\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: refresh: 'fast' is not a number") != NULL);
	CHECK(load("[target a]\ndsn = host=x\n[target a]\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":3: target 'a' is defined twice") != NULL);
	CHECK(load("[target a]\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "target 'a' has no dsn") != NULL);
	CHECK(load("[weird\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":1: a section header") != NULL);
	CHECK(load("refresh = 1\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":1: 'refresh' outside a section") != NULL);
	CHECK(load("[target a]\ndsn = postgresql://u:secret@h/db\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "password") != NULL && !strstr(err, "secret"));
	options_release(&o);
	options_init(&o);
	CHECK(config_load(&o, "/nonexistent/dbfleet.conf", err, sizeof err) == -2);
}

static void dsn_targets(void)
{
	struct options o;
	char err[256];
	options_init(&o);
	CHECK(config_add_dsn(&o, "postgresql://mon@db1:5433/app", err, sizeof err) == 0);
	CHECK(config_add_dsn(&o, "host=db1 port=5433", err, sizeof err) == 0);
	CHECK(o.ntargets == 2);
	CHECK_STR(o.targets[0].name, "db1:5433");
	CHECK_STR(o.targets[1].name, "db1:5433#2");
	CHECK(config_add_dsn(&o, "host=x password=hunter2", err, sizeof err) == -1);
	CHECK(config_add_dsn(&o, "oracle://x", err, sizeof err) == -1);
	double s;
	CHECK(config_seconds("0.5", &s) == 0 && s == 0.5);
	CHECK(config_seconds("0", &s) == -1 && config_seconds("2x", &s) == -1);
	options_release(&o);
	CHECK(o.targets == NULL && o.ntargets == 0);
}

static void key_files(void)
{
	const char *cmds[] = {"quit", "help", "cursor.down"};
	struct keymap *km = keymap_new();
	char err[512];
	write_file("# keys\nq quit\n?  help\nDown cursor.down\nj cursor.down\nC-l help\n");
	CHECK(keymap_load(km, path, cmds, 3, err, sizeof err) == 0);
	CHECK(keymap_lookup(km, 'q') == 0);
	CHECK(keymap_lookup(km, KM_DOWN) == 2 && keymap_lookup(km, 'j') == 2);
	CHECK(keymap_lookup(km, 12) == 1);
	int keys[4];
	CHECK(keymap_keys_for(km, 2, keys, 4) == 2);
	write_file("q none\n");
	CHECK(keymap_load(km, path, cmds, 3, err, sizeof err) == 0);
	CHECK(keymap_lookup(km, 'q') == -1);
	write_file("q quit\nx explode\n");
	CHECK(keymap_load(km, path, cmds, 3, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: unknown command 'explode'") != NULL);
	write_file("Hyper-q quit\n");
	CHECK(keymap_load(km, path, cmds, 3, err, sizeof err) == -1);
	CHECK(strstr(err, ":1: unknown key name 'Hyper-q'") != NULL);
	char name[16];
	keymap_key_name(KM_BTAB, name, sizeof name);
	CHECK_STR(name, "BTab");
	keymap_key_name(12, name, sizeof name);
	CHECK_STR(name, "C-l");
	unlink(path);
	keymap_free(&km);
	CHECK(km == NULL);
}

/* ---- include, [defaults], service, many targets ---- */

static char dir[64];

/* DIR/NAME holds TEXT (folders made); its full path in a static buffer. */
static const char *put(const char *name, const char *text)
{
	static char full[256];
	char cmd[400];
	snprintf(full, sizeof full, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", full);
	CHECK(system(cmd) == 0);
	FILE *f = fopen(full, "w");
	fputs(text, f);
	fclose(f);
	return full;
}

static int load_at(const char *name, struct options *o, char *err, size_t n)
{
	char full[256];
	snprintf(full, sizeof full, "%s/%s", dir, name);
	options_release(o);
	options_init(o);
	return config_load(o, full, err, n);
}

static void include_globs_in_name_order_relative_to_the_file(void)
{
	struct options o = {0};
	char err[512] = "";
	put("main.conf", "# conf.d is next to this file, not the working directory\n"
	    "include = conf.d/*.conf\n[dbfleet]\nrefresh = 4\ninclude = last.conf\n");
	put("conf.d/b.conf", "[target b]\ndsn = host=b\n");
	put("conf.d/a.conf", "include = sub/x.conf\n[target a]\ndsn = host=a\n");
	put("conf.d/sub/x.conf", "[target x]\ndsn = host=x\n");
	put("conf.d/c.txt", "[target not-a-conf]\ndsn = host=c\n");
	put("last.conf", "[dbfleet]\ninclude = empty.d/*.conf\n[target z]\ndsn = host=z\n");
	CHECK(load_at("main.conf", &o, err, sizeof err) == 0);
	CHECK_STR(err, "");
	CHECK(o.ntargets == 4);
	const char *want[] = {"x", "a", "b", "z"}; /* a.conf's include comes before its target */
	for (size_t i = 0; i < 4 && i < o.ntargets; i++)
		CHECK_STR(o.targets[i].name, want[i]);
	CHECK(o.refresh_s == 4);

	/* a folder named like a glob is taken as it is; a folder a glob matches is skipped */
	put("odd[1]/config", "include = *.d/*\n");
	put("odd[1]/t.d/b", "[target ob]\ndsn = host=b\n");
	put("odd[1]/t.d/a/inner.conf", "[target never]\ndsn = host=n\n");
	CHECK(load_at("odd[1]/config", &o, err, sizeof err) == 0);
	CHECK(o.ntargets == 1 && !strcmp(o.targets[0].name, "ob"));
	put("empty.conf", "include =\n");
	CHECK(load_at("empty.conf", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "empty.conf:1: include: give a file or a glob") != NULL);
	options_release(&o);
}

static void include_errors_name_the_right_file_and_line(void)
{
	struct options o = {0};
	char err[512], want[600];
	put("missing.conf", "[dbfleet]\n\ninclude = nothere.conf\n");
	CHECK(load_at("missing.conf", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s/missing.conf:3: include: %s/nothere.conf: No such file or directory", dir, dir);
	CHECK_STR(err, want);

	put("outer.conf", "include = inner.d/*.conf\n");
	put("inner.d/bad.conf", "[target a]\ndsn = host=a\ncolour = red\n");
	CHECK(load_at("outer.conf", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s/inner.d/bad.conf:3: unknown key 'colour' in a [target] section", dir);
	CHECK_STR(err, want);

	put("nodsn.conf", "include = nodsn.d/t.conf\n");
	put("nodsn.d/t.conf", "\n[target lost]\ninterval = 2\n");
	CHECK(load_at("nodsn.conf", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s/nodsn.d/t.conf:2: target 'lost' has no dsn or service", dir);
	CHECK_STR(err, want);

	put("loop1.conf", "include = loop2.conf\n");
	put("loop2.conf", "[dbfleet]\ninclude = loop1.conf\n");
	CHECK(load_at("loop1.conf", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s/loop2.conf:2: include: a cycle: '%s/loop1.conf' is already being read", dir, dir);
	CHECK_STR(err, want);
	put("self.d/me.conf", "include = *.conf\n");
	CHECK(load_at("self.d/me.conf", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "me.conf:1: include: a cycle") != NULL);

	for (int i = 0; i < 12; i++) { /* d0 includes d1 ... d11: too deep */
		char name[32], text[64];
		snprintf(name, sizeof name, "deep/d%d.conf", i);
		snprintf(text, sizeof text, i < 11 ? "include = d%d.conf\n" : "\n", i + 1);
		put(name, text);
	}
	CHECK(load_at("deep/d0.conf", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "d7.conf:1: include: files nested more than 8 deep") != NULL);

	put("intarget.conf", "[target a]\ndsn = host=a\ninclude = x.conf\n");
	CHECK(load_at("intarget.conf", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "intarget.conf:3: unknown key 'include' in a [target] section") != NULL);
	options_release(&o);
}

static void defaults_fill_what_a_target_leaves_out(void)
{
	struct options o = {0};
	char err[512] = "";
	int rc = load("[defaults]\ninterval = 7\nactions = none\ntags = team=db,env=prod\n"
		      "[target a]\ndsn = host=a\nactions = all\n"
		      "[target b]\ndsn = host=b\ntags = team=payments\ninterval = 1\n"
		      "[defaults]\nconfirm = typed\nengine = mysql\n" /* after the targets: still theirs */
		      "[target c]\nservice = orders_prod-1.eu\n",
		      &o, err, sizeof err);
	CHECK(rc == 0);
	CHECK_STR(err, "");
	CHECK(o.ntargets == 3);
	if (o.ntargets == 3) {
		struct collector_target *a = &o.targets[0], *b = &o.targets[1], *c = &o.targets[2];
		CHECK(a->interval_s == 7 && a->actions == TARGET_ACTIONS_ALL); /* its own 'all' stands */
		CHECK_STR(a->tags, "team=db,env=prod");
		CHECK(a->confirm == CONFIRM_TYPED);
		CHECK_STR(a->engine, "mysql");
		CHECK(b->interval_s == 1 && b->actions == TARGET_ACTIONS_NONE);
		CHECK_STR(b->tags, "team=payments");
		CHECK_STR(c->dsn, "service=orders_prod-1.eu");
		CHECK_STR(c->engine, "postgres"); /* service says postgres; the default engine does not win */
		CHECK(c->actions == TARGET_ACTIONS_NONE);
	}
	CHECK(load("[defaults]\ndsn = host=x\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: dsn belongs in a [target] section, not in [defaults]") != NULL);
	CHECK(load("[defaults]\nservice = x\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: service belongs in a [target] section") != NULL);
	CHECK(load("[defaults]\ntags = nokeyvalue\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: tags: want key=value") != NULL);
	options_release(&o);
}

static void service_is_a_pg_service_name_never_with_a_dsn(void)
{
	struct options o = {0};
	char err[512];
	CHECK(load("[target a]\ndsn = host=a\nservice = orders\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":3: give dsn or service, not both") != NULL);
	CHECK(load("[target a]\nservice = orders\ndsn = host=a\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":3: give service or dsn, not both") != NULL);
	CHECK(load("[target a]\nservice = orders db\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: service: 'orders db' is not a service name") != NULL);
	CHECK(load("[target a]\nservice = x'y\n", &o, err, sizeof err) == -1);
	CHECK(load("[dbfleet]\nsamplers = 17\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: samplers: '17' is not a number of sampler threads") != NULL);
	CHECK(load("[dbfleet]\nsamplers = 4\nmouse = off\n", &o, err, sizeof err) == 0);
	CHECK(o.samplers == 4 && o.mouse == 0);
	CHECK(load("[dbfleet]\nmouse = sometimes\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: mouse: 'sometimes' is not on or off") != NULL);
	options_release(&o);
}

static void a_thousand_targets_and_more_on_the_command_line(void)
{
	size_t cap = 1000 * 64 + 64, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "[defaults]\ntags = fleet=big\n");
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(text + len, cap - len, "[target db%04d]\ndsn = host=10.0.%d.%d\n", i, i / 250,
					i % 250);
	struct options o = {0};
	char err[512] = "";
	CHECK(load(text, &o, err, sizeof err) == 0);
	CHECK_STR(err, "");
	CHECK(o.ntargets == 1000);
	if (o.ntargets == 1000) {
		CHECK_STR(o.targets[999].name, "db0999");
		CHECK_STR(o.targets[999].dsn, "host=10.0.3.249");
		CHECK_STR(o.targets[999].tags, "fleet=big");
	}
	CHECK(config_add_dsn(&o, "postgresql://mon@extra/db", err, sizeof err) == 0);
	CHECK(o.ntargets == 1001);
	CHECK_STR(o.targets[1000].tags, ""); /* [defaults] is the file's, not the command line's */
	free(text);
	options_release(&o);
}

/* [aws] and [prices] went from a strcmp ladder to the table: the same values, the same refusals. */
static void aws_keys_through_the_table(void)
{
	struct options o = {0};
	char err[512] = "";
	CHECK(load("[aws]\nenabled = yes\nprofile = ro\nregions = us-east-1, eu-west-1\nbudget = 50\n"
		   "connect = orders-*,tag:team=x\nconnect_user = mon\nconnect_auth = iam\nconnect_tls = verify-full\n"
		   "cost = off\ncost_tag = team\ncost_refresh = 600\ndiscover = 30\n[prices]\ndb.r6g.large = 0.21\n",
		   &o, err, sizeof err) == 0);
	CHECK_STR(err, "");
	CHECK(o.cloud.enabled == 1 && o.cloud.cost == 0 && o.cloud.budget == 50 && o.cloud.connect_iam == 1);
	CHECK(o.cloud.nregions == 2 && o.cloud.discover_s == 30 && o.cloud.cost_refresh_s == 600);
	CHECK_STR(o.cloud.regions[1], "eu-west-1");
	CHECK_STR(o.cloud.connect_tls, "verify-full");
	CHECK_STR(o.cloud.connect, "orders-*,tag:team=x");
	CHECK(o.cloud.nprices == 1 && o.cloud.prices[0].v == 0.21);
	CHECK(load("[aws]\ndiscover = 5\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: discover: '5' is not a number of seconds between 10 and 3600") != NULL);
	CHECK(load("[aws]\nconnect_user = a=b\n", &o, err, sizeof err) == -1);
	CHECK(load("[aws]\nconnect_tls = maybe\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: connect_tls: 'maybe' is not require, verify-full or prefer") != NULL);
	CHECK(load("[aws]\nbudget = 5000\n", &o, err, sizeof err) == -1);
	CHECK(load("[aws]\nregions = US_EAST\n", &o, err, sizeof err) == -1);
	CHECK(load("[prices]\nr6g = 1\n", &o, err, sizeof err) == -1);
	/* [vcpus] overrides the class table the way [prices] does; a class it lacks is read from its size */
	CHECK(load("[vcpus]\ndb.r6g.large = 6\n", &o, err, sizeof err) == 0);
	CHECK(class_vcpus(&o.cloud, "db.r6g.large") == 6 && class_vcpus(&o.cloud, "DB.R6G.XLARGE") == 4);
	CHECK(class_vcpus(&o.cloud, "db.x2g.8xlarge") == 32 && class_vcpus(&o.cloud, "db.m6i.large") == 2);
	CHECK(class_vcpus(&o.cloud, "db.t4g.2xlarge") == -1 && class_vcpus(&o.cloud, "db.serverless") == -1);
	CHECK(class_vcpus(NULL, "db.r7g.2xlarge") == 8 && class_vcpus(NULL, "db.r6g.0xlarge") == -1);
	CHECK(load("[vcpus]\ndb.r6g.large = 1.5\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: vcpus: want 'db.CLASS = vCPUs', got 'db.r6g.large = 1.5'") != NULL);
	CHECK(load("[vcpus]\nr6g = 2\n", &o, err, sizeof err) == -1);
	CHECK(load("[dbfleet]\nkeymap = Vi!\n", &o, err, sizeof err) == -1);
	CHECK(load("[target a]\ndsn = host=a\npassword = x\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":3: passwords do not belong in the config") != NULL);
	options_release(&o);
}

/* Several accounts: profiles with their own regions, the payer, account names; and what is refused. */
static void aws_profiles_payer_and_aliases(void)
{
	struct options o = {0};
	char err[512] = "";
	CHECK(load("[aws]\nprofiles = prod, data:eu-west-1+us-east-1 ,audit\npayer_profile = billing\n"
		   "aliases = 111111111111=payments, 222222222222=data team\n", &o, err, sizeof err) == 0);
	CHECK_STR(err, "");
	CHECK(o.cloud.nprofiles == 3);
	CHECK_STR(o.cloud.profile, "prod");
	CHECK_STR(o.cloud.profiles[1].name, "data");
	CHECK(o.cloud.profiles[0].nregions == 0 && o.cloud.profiles[1].nregions == 2 && o.cloud.profiles[2].nregions == 0);
	CHECK_STR(o.cloud.profiles[1].regions[1], "us-east-1");
	CHECK_STR(o.cloud.profiles[2].name, "audit");
	CHECK_STR(o.cloud.payer_profile, "billing");
	CHECK_STR(o.cloud.aliases, "111111111111=payments,222222222222=data team");
	CHECK(load("[aws]\nprofiles = a, b, a\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":2: profiles: 'a' is given twice") != NULL);
	CHECK(load("[aws]\nprofiles = a:\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "profiles: 'a:' names no region") != NULL);
	CHECK(load("[aws]\nprofiles = a:EU_WEST\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "'EU_WEST' is not an AWS region name") != NULL);
	CHECK(load("[aws]\nprofiles = a,b,c,d,e,f,g,h,i\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "profiles: at most 8") != NULL);
	CHECK(load("[aws]\nprofiles = ,\n", &o, err, sizeof err) == -1);
	CHECK(load("[aws]\naliases = 1111=short\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "aliases: want ACCOUNT_ID=NAME") != NULL);
	CHECK(load("[aws]\naliases = 111111111111=\n", &o, err, sizeof err) == -1);
	CHECK(load("[aws]\naliases = 111111111111=it's\n", &o, err, sizeof err) == -1);
	/* the command line's --profile reads the same way */
	struct cloud_config c = {0};
	CHECK(config_set_profiles(&c, "x:us-west-2,y", err, sizeof err) == 0);
	CHECK(c.nprofiles == 2 && c.profiles[0].nregions == 1);
	CHECK_STR(c.profile, "x");
	options_release(&o);
}

/* Every key of the table is in dbfleet.conf(5), under its own section's heading. */
static void man_page_documents_every_key(void)
{
	static char man[65536];
	FILE *f = fopen("man/dbfleet.conf.5", "r"); /* tests run from the top of the tree */
	CHECK(f != NULL);
	if (!f)
		return;
	man[fread(man, 1, sizeof man - 1, f)] = '\0';
	fclose(f);
	static const char *const heading[] = {[SEC_GLOBAL] = ".SS [dbfleet]", [SEC_TARGET] = ".SS [target",
					      [SEC_AWS] = ".SS [aws]", [SEC_REDIS] = ".SS [redis]"};
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		if (!strcmp(k->name, "password") || !strcmp(k->name, "region"))
			continue; /* a refusal, and an alias of regions */
		const char *from = strstr(man, heading[k->section]);
		const char *to = from ? strstr(from + 4, "\n.SS ") : NULL;
		char want[64];
		snprintf(want, sizeof want, "\n.B %s\n", k->name);
		const char *at = from ? strstr(from, want) : NULL;
		if (!at || (to && at > to)) {
			fprintf(stderr, "  key '%s' is not documented under %s\n", k->name, heading[k->section]);
			check_failed = 1;
		}
	}
}

/* ---- model/ini and model/xdg ---- */

struct seen_lines {
	char text[8][2100];
	int n;
};

static int note_line(void *ctx, const struct ini_line *l, struct err *e)
{
	struct seen_lines *s = ctx;
	(void)e;
	if (s->n < 8)
		snprintf(s->text[s->n++], sizeof s->text[0], "%d [%s] %s=%s", l->line, l->section,
			 l->key ? l->key : "-", l->value ? l->value : "-");
	return 0;
}

static void ini_reader_keeps_long_lines_whole(void)
{
	char cmd[1001], text[1200], want[1100];
	memset(cmd, 'c', sizeof cmd - 1);
	cmd[sizeof cmd - 1] = '\0';
	snprintf(text, sizeof text, "\xef\xbb\xbf; aws style\n  # indented comment\n[profile  vault ]\n"
		 "credential_process =   %s  \r\n\n  region=eu-west-1\n", cmd);
	write_file(text);
	struct seen_lines s = {0};
	struct err e = {0};
	CHECK(ini_read(path, 0, note_line, &s, &e) == 0);
	CHECK(s.n == 3);
	CHECK_STR(s.text[0], "3 [profile  vault] -=-");
	snprintf(want, sizeof want, "4 [profile  vault] credential_process=%s", cmd);
	CHECK_STR(s.text[1], want); /* 1,000 characters, not the 200 libinih keeps */
	CHECK_STR(s.text[2], "6 [profile  vault] region=eu-west-1");

	write_file("[a]\nkey = value\njust words\n");
	s.n = 0;
	CHECK(ini_read(path, 0, note_line, &s, &e) == -1);
	char want2[128];
	snprintf(want2, sizeof want2, "%s:3: expected 'key = value'", path);
	CHECK_STR(e.msg, want2);
	s.n = 0;
	CHECK(ini_read(path, INI_LENIENT, note_line, &s, &e) == 0 && s.n == 2);
	write_file("[a] trailing\n");
	CHECK(ini_read(path, 0, note_line, &s, &e) == -1 && strstr(e.msg, ":1: a section header") != NULL);
	CHECK(ini_read(path, INI_LENIENT, note_line, &s, &e) == 0);
	write_file(" = value\n");
	CHECK(ini_read(path, 0, note_line, &s, &e) == -1 && strstr(e.msg, ":1: a key name is missing") != NULL);
	unlink(path);
	CHECK(ini_read(path, 0, note_line, &s, &e) == -2 && strstr(e.msg, "No such file") != NULL);
}

static void xdg_paths(void)
{
	char out[256];
	setenv("HOME", "/home/oncall", 1);
	unsetenv("XDG_CONFIG_HOME");
	setenv("XDG_STATE_HOME", "", 1); /* empty counts as unset */
	setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
	CHECK(xdg_path(XDG_CONFIG, "config", out, sizeof out) == 0);
	CHECK_STR(out, "/home/oncall/.config/dbfleet/config");
	CHECK(xdg_path(XDG_STATE, "audit.log", out, sizeof out) == 0);
	CHECK_STR(out, "/home/oncall/.local/state/dbfleet/audit.log");
	CHECK(xdg_path(XDG_CACHE, NULL, out, sizeof out) == 0);
	CHECK_STR(out, "/var/cache/me/dbfleet");
	setenv("XDG_CONFIG_HOME", "/etc/xdg-me", 1);
	CHECK(xdg_path(XDG_CONFIG, "keys", out, sizeof out) == 0);
	CHECK_STR(out, "/etc/xdg-me/dbfleet/keys");
	CHECK(xdg_path(XDG_CONFIG, "keys", out, 10) == -1);
	CHECK_STR(out, "");
}

/* [group NAME]: the objectives of the targets with its tag, under a target's own and over [defaults]. */
static void group_objectives(void)
{
	struct options o = {0};
	char err[512] = "", want[600];
	int rc = load("[defaults]\nslo_availability = 99\nslo_latency_ms = 500\n"
		      "[target pay1]\ndsn = host=a\ntags = env=prod,team=payments\n"
		      "[target pay2]\ndsn = host=b\ntags = team=payments\nslo_latency_ms = 20\n"
		      "[target other]\ndsn = host=c\ntags = team=paymentsx\n"
		      "[group payments]\nmatch = tag:team=payments\nslo_availability = 99.95\nslo_latency_ms = 50\n"
		      "slo_window = 7\n",
		      &o, err, sizeof err);
	CHECK(rc == 0);
	CHECK(o.ntargets == 3);
	CHECK(o.targets[0].slo_availability == 99.95 && o.targets[0].slo_latency_ms == 50);
	CHECK(o.targets[0].slo_window_days == 7);
	CHECK(o.targets[1].slo_availability == 99.95 && o.targets[1].slo_latency_ms == 20); /* its own */
	CHECK(o.targets[2].slo_availability == 99 && o.targets[2].slo_latency_ms == 500); /* [defaults] */
	CHECK_STR(o.targets[1].slo_group, "team=payments"); /* the fleet pane's group row takes its objective */
	CHECK(o.targets[1].slo_group_availability == 99.95);
	CHECK_STR(o.targets[2].slo_group, "");
	CHECK(load("[group g]\nmatch = team=payments\n", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s:2: match: want tag:KEY=VALUE, got 'team=payments'", path);
	CHECK_STR(err, want);
	CHECK(load("[group g]\nmatch = tag:team=p\ndsn = host=x\n", &o, err, sizeof err) == -1);
	CHECK(strstr(err, ":3: unknown key 'dsn' in a [group] section") != NULL);
	CHECK(load("[target a]\ndsn = host=x\n[group g]\nslo_availability = 99.9\n", &o, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s:3: a [group] needs match = tag:KEY=VALUE", path);
	CHECK_STR(err, want);
	options_release(&o);
}

int main(void)
{
	RUN(group_objectives);
	snprintf(dir, sizeof dir, "/tmp/dbfleet-unit-inc-%d", (int)getpid());
	RUN(good_file);
	RUN(errors_name_file_and_line);
	RUN(dsn_targets);
	RUN(key_files);
	RUN(include_globs_in_name_order_relative_to_the_file);
	RUN(include_errors_name_the_right_file_and_line);
	RUN(defaults_fill_what_a_target_leaves_out);
	RUN(service_is_a_pg_service_name_never_with_a_dsn);
	RUN(a_thousand_targets_and_more_on_the_command_line);
	RUN(aws_keys_through_the_table);
	RUN(aws_profiles_payer_and_aliases);
	RUN(man_page_documents_every_key);
	RUN(ini_reader_keeps_long_lines_whole);
	RUN(xdg_paths); /* last: it changes HOME and the XDG variables */
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return check_total_failed;
}
