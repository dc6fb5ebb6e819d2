/*
 * aws_round.c - one discovery and one CloudWatch round over every region
 * given, through the same aws/ code dbfleet's cloud thread runs, then the
 * figures: wall time, API requests, CPU and peak RSS. Driven by
 * bench/aws_bench.py against the emulated fleet.
 *
 *   aws_round REGION...   (credentials and endpoint from the environment)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../aws/aws.h"
#include "../model/model.h"

/* Peak RSS of this program, from /proc: getrusage's ru_maxrss would count
 * the parent's pages at fork (a Python driver's 60 MB), exec or not. */
static long vm_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct aws_creds c;
	char src[96], region[32], err[256];
	if (argc < 2 || aws_global_init() < 0 ||
	    aws_creds_resolve(NULL, &c, src, sizeof src, region, sizeof region, err, sizeof err) < 0) {
		fprintf(stderr, "usage: aws_round REGION... (with AWS credentials in the environment)\n");
		return 2;
	}
	struct aws_client *cl = aws_client_new(&c, NULL);
	struct cloud_instance *v = NULL;
	size_t n = 0, cap = 0;
	struct aws_error e;
	double t0 = now();
	for (int i = 1; i < argc; i++)
		if (aws_rds_discover(cl, argv[i], &v, &n, &cap, &e) < 0) {
			fprintf(stderr, "discovery: %s: %s\n", e.code, e.msg);
			return 1;
		}
	double t1 = now();
	unsigned long r1 = aws_client_requests(cl);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (int i = 1; i < argc; i++)
		if (aws_cw_latest(cl, argv[i], v, n, (double)ts.tv_sec, 600, &e) < 0) {
			fprintf(stderr, "metrics: %s: %s\n", e.code, e.msg);
			return 1;
		}
	double t2 = now();
	size_t with_cpu = 0;
	for (size_t i = 0; i < n; i++)
		with_cpu += v[i].metric[CW_CPU] >= 0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("instances %zu\nwith_cpu %zu\ndiscovery_s %.3f\nmetrics_s %.3f\nrequests_discovery %lu\n"
	       "requests_metrics %lu\ncpu_s %.3f\nmaxrss_kb %ld\n",
	       n, with_cpu, t1 - t0, t2 - t1, r1, aws_client_requests(cl) - r1,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	       vm_hwm_kb());
	free(v);
	aws_client_free(&cl);
	return 0;
}
