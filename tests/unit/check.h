/* check.h - the smallest test kit: each TEST prints "PASS name" or "FAIL name". */
#ifndef DBFLEET_CHECK_H
#define DBFLEET_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed, check_total_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		check_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (strcmp(a_ ? a_ : "(null)", b_) != 0) { \
		fprintf(stderr, "  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)", b_); \
		check_failed = 1; \
	} \
} while (0)

#define RUN(fn) do { \
	check_failed = 0; \
	fn(); \
	printf("%s %s\n", check_failed ? "FAIL" : "PASS", #fn); \
	check_total_failed |= check_failed; \
} while (0)

#endif
