/*
 * fuzz_config - the configuration file (config_load in tui/config.c and the
 * key table of tui/config_keys.c): any file loads or is refused with a
 * message, and what loads is bounded. Input: the file's bytes.
 */
#include "../../tui/tui.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, "config");
	struct options o;
	char err[1024];
	options_init(&o);
	err[0] = '\0';
	int rc = config_load(&o, path, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(memchr(err, '\0', sizeof err) && (rc == 0 || err[0]));
	for (size_t i = 0; rc == 0 && i < o.ntargets; i++)
		FUZZ_ASSERT(memchr(o.targets[i].dsn, '\0', sizeof o.targets[i].dsn) &&
			    memchr(o.targets[i].name, '\0', sizeof o.targets[i].name));
	options_release(&o);
	unlink(path);
	return 0;
}
