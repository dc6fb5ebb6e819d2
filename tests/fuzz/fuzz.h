/*
 * fuzz.h - what the libFuzzer harnesses share: reading a fuzz input as a
 * stream of small decisions, strings and pages, and a failing check that
 * aborts (so libFuzzer keeps the input). One harness per parser, each in
 * tests/fuzz/fuzz_NAME.c; tests/fuzz/run.sh runs them.
 */
#ifndef DBFLEET_FUZZ_H
#define DBFLEET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property of the code under test does not hold: say which, and abort. */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* The input, read front to back; reads past its end give zeros and "". */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline unsigned fuzz_byte(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/*
 * The next piece up to 'sep' (not included) as a NUL-terminated copy the
 * caller frees, or NULL when the input is used up. A NUL inside the piece
 * ends the C string early, as it would for text from a C client library.
 */
static inline char *fuzz_piece(struct fuzz_in *in, const char *sep, size_t *len)
{
	if (!in->n)
		return NULL;
	size_t sl = strlen(sep), k = 0;
	while (k < in->n && !(in->n - k >= sl && memcmp(in->p + k, sep, sl) == 0))
		k++;
	char *s = malloc(k + 1);
	if (!s)
		abort();
	memcpy(s, in->p, k);
	s[k] = '\0';
	if (len)
		*len = k;
	size_t skip = k < in->n ? k + sl : k;
	in->p += skip;
	in->n -= skip;
	return s;
}

/* The whole input as a NUL-terminated copy (to free). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Write the input to a private file (for parsers that take a path); its path. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *name)
{
	static char path[256];
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir) /* memory-backed where there is one: thousands of files a second */
		dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof path, "%s/dbfleet-fuzz-%s-%d", dir, name, (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return path;
}

#endif
