/* Unit tests: the config file, DSNs on the command line, and key files. */
#include <stdlib.h>
#include <unistd.h>

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

static int load(const char *text, struct options *o, char *err, size_t n)
{
	write_file(text);
	options_init(o);
	int rc = config_load(o, path, err, n);
	unlink(path);
	return rc;
}

static void good_file(void)
{
	struct options o;
	char err[512] = "";
	int rc = load("# comment\n[dbfleet]\nrefresh = 0.5\nkeymap = vi\n\n"
		      "[target orders-db]\nengine = postgres\ndsn = host=10.0.0.5 dbname=orders\n"
		      "interval = 5\ntags = prod\n[target b]\ndsn = postgresql://mon@b/x\n",
		      &o, err, sizeof err);
	CHECK(rc == 0);
	CHECK(o.refresh_s == 0.5);
	CHECK_STR(o.keymap, "vi");
	CHECK(o.ntargets == 2);
	CHECK_STR(o.targets[0].name, "orders-db");
	CHECK_STR(o.targets[0].dsn, "host=10.0.0.5 dbname=orders");
	CHECK(o.targets[0].interval_s == 5);
	CHECK(o.targets[1].interval_s == 0); /* takes the global refresh later */
}

static void errors_name_file_and_line(void)
{
	struct options o;
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

int main(void)
{
	RUN(good_file);
	RUN(errors_name_file_and_line);
	RUN(dsn_targets);
	RUN(key_files);
	return check_total_failed;
}
