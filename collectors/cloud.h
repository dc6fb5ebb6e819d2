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
	/* a discovered instance to connect to; 0, or -1 with why in 'why' (shown as the AWS error) */
	int (*adopt)(void *arg, const struct cloud_instance *ci, char *why, size_t n);
};

/* The thread: discovery, metrics, publish, until *stop. Frees 'run'. */
void *cloud_main(void *run);

#endif
