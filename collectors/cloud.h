/* cloud.h - the AWS collector thread; scheduler.c starts it beside the workers. */
#ifndef DBFLEET_CLOUD_H
#define DBFLEET_CLOUD_H

#include "collector.h"

#include <pthread.h>

struct cloud_run {
	struct store *st;
	struct cloud_config cfg;
	const atomic_int *stop;
	pthread_mutex_t *mu;      /* with cv: the collector's stop signal */
	pthread_cond_t *cv;
	void (*done)(void *arg);  /* called last, from the thread */
	void *done_arg;
	/* a discovered instance the config says to connect to; the collector decides */
	void (*adopt)(void *arg, const struct cloud_instance *ci);
};

/* The thread: discovery, metrics, publish, until *stop. Frees 'run'. */
void *cloud_main(void *run);

#endif
