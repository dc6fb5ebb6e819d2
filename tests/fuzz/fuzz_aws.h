/*
 * fuzz_aws.h - AWS answers from the fuzz input in place of the network: the
 * harness links with -Wl,--wrap=aws_post,--wrap=aws_post_ex (Makefile), so
 * each call the reader makes takes the next page of the input, pages
 * separated by FUZZ_AWS_SEP. A page that starts with "!ERR" is an error
 * answer (the rest is its body, read by aws_parse_error); once the input is
 * used up every call fails as the network would.
 */
#ifndef DBFLEET_FUZZ_AWS_H
#define DBFLEET_FUZZ_AWS_H

#include "../../aws/aws.h"
#include "fuzz.h"

#define FUZZ_AWS_SEP "\n===\n"

static struct fuzz_in fuzz_aws_in;
static int fuzz_aws_calls;

/* The client every reader is handed, made once (its keys are never used: the network is the input). */
static inline struct aws_client *fuzz_aws_client(void)
{
	static const struct aws_creds c = {"AKIDEXAMPLE", "secret", ""};
	static struct aws_client *cl;
	if (!cl)
		FUZZ_ASSERT(aws_global_init() == 0 && (cl = aws_client_new(&c, NULL)) != NULL);
	return cl;
}

int __wrap_aws_post(struct aws_client *cl, const struct aws_service *svc, const char *region,
		    const char *json_target, const char *body, char **resp, size_t *resplen, struct aws_error *e);
int __wrap_aws_post_ex(struct aws_client *cl, const struct aws_service *svc, const char *region,
		       const char *json_target, const char *body, char **resp, size_t *resplen, struct aws_error *e,
		       int idempotent);

int __wrap_aws_post_ex(struct aws_client *cl, const struct aws_service *svc, const char *region,
		       const char *json_target, const char *body, char **resp, size_t *resplen, struct aws_error *e,
		       int idempotent)
{
	(void)cl, (void)svc, (void)region, (void)json_target, (void)idempotent;
	FUZZ_ASSERT(body != NULL);
	memset(e, 0, sizeof *e);
	fuzz_aws_calls++;
	size_t len;
	char *page = fuzz_piece(&fuzz_aws_in, FUZZ_AWS_SEP, &len);
	if (!page) {
		e->kind = AWS_ERR_NET;
		snprintf(e->code, sizeof e->code, "NoNetwork");
		return -1;
	}
	if (!strncmp(page, "!ERR", 4)) {
		aws_parse_error(400, page + 4, len - 4, e);
		e->kind = e->kind ? e->kind : AWS_ERR_API;
		free(page);
		return -1;
	}
	*resp = page;
	*resplen = len;
	return 0;
}

int __wrap_aws_post(struct aws_client *cl, const struct aws_service *svc, const char *region,
		    const char *json_target, const char *body, char **resp, size_t *resplen, struct aws_error *e)
{
	return __wrap_aws_post_ex(cl, svc, region, json_target, body, resp, resplen, e, 1);
}

static inline void fuzz_aws_begin(const uint8_t *data, size_t size)
{
	fuzz_aws_in = (struct fuzz_in){data, size};
	fuzz_aws_calls = 0;
}

#endif
