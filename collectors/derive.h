/* derive.h - figures derived from one sample, once, whatever the engine (collectors/ internal). */
#ifndef DBFLEET_DERIVE_H
#define DBFLEET_DERIVE_H

#include "../model/model.h"

/* Mark blockers (a pid some session waits for) and sum up replication lag. */
void sample_derive(struct db_sample *x);

#endif
