/*
 * fuzz_sso - what IAM Identity Center sign-in reads from outside (aws/sso.c, aws/sso_http.c):
 * the token cache file that `aws sso login` (or anything else) left in ~/.aws/sso/cache, the
 * portal's GetRoleCredentials answer, SSO OIDC's CreateToken answer, and their error bodies.
 * The readers are static, so this harness includes sso.c (the Makefile links an archive: its
 * own sso.o is left out). Input: one byte picks the reader, the rest is its text; for an
 * error, the x-amzn-ErrorType header and the body are two pieces separated by SEP.
 *
 * Oracles: what goes into a header or a JSON body is printable ASCII without spaces (no header
 * splitting from a hostile cache file); keys come back bounded and NUL-terminated; a token
 * written back reads again with the new values and every other field kept; error codes and
 * messages are printable ASCII.
 */
#include "../../aws/sso.c"
#include "fuzz.h"

#define SEP "\n===\n" /* as FUZZ_AWS_SEP: the header, then the body */

static void header_safe(const char *s)
{
	FUZZ_ASSERT(s && *s && strlen(s) < SSO_FIELD_MAX);
	for (; *s; s++)
		FUZZ_ASSERT(*s > ' ' && *s <= '~');
}

static void printable_ascii(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	FUZZ_ASSERT(n < cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i] >= 0x20 && s[i] < 0x7F);
}

/* Every member name of the original is still there after the write-back. */
static void fields_kept(const cJSON *before, const cJSON *after)
{
	for (const cJSON *i = before ? before->child : NULL; i; i = i->next)
		FUZZ_ASSERT(!i->string || cJSON_GetObjectItemCaseSensitive(after, i->string) ||
			    !strcmp(i->string, "refreshToken"));
}

static void token_file(const char *text, size_t len)
{
	static const struct aws_sso_config sc = {"dev", "corp", "https://corp.awsapps.com/start", "eu-west-1",
						 "123456789012", "ReadOnly"};
	struct sso_token t;
	char why[160];
	if (token_parse(text, len, &t, why, sizeof why) < 0) {
		FUZZ_ASSERT(why[0] && memchr(why, '\0', sizeof why));
		return;
	}
	header_safe(t.access);
	FUZZ_ASSERT(t.expires > 0);
	if (t.refresh)
		header_safe(t.refresh);
	/* the refresh's write-back: parse what would be written, as the next run reads it */
	cJSON *orig = cJSON_ParseWithLength(text, len);
	FUZZ_ASSERT(token_update(&t, &sc, "new-access", "new-refresh", 1798675200) == 0);
	char *out = cJSON_PrintUnformatted(t.doc);
	FUZZ_ASSERT(out);
	struct sso_token again;
	FUZZ_ASSERT(token_parse(out, strlen(out), &again, why, sizeof why) == 0);
	FUZZ_ASSERT(!strcmp(again.access, "new-access") && again.refresh && !strcmp(again.refresh, "new-refresh"));
	FUZZ_ASSERT(again.expires == 1798675200);
	fields_kept(orig, again.doc);
	wipe_delete(again.doc);
	free(out);
	cJSON_Delete(orig);
	wipe_delete(t.doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0:
		token_file(text, len);
		break;
	case 1: {
		struct aws_creds c;
		time_t exp = 0;
		memset(&c, 0x55, sizeof c);
		if (role_creds_parse(text, len, &c, &exp) == 0) {
			FUZZ_ASSERT(c.akid[0] && c.secret[0] && c.token[0] && exp > 0);
			FUZZ_ASSERT(memchr(c.akid, '\0', sizeof c.akid) && memchr(c.secret, '\0', sizeof c.secret) &&
				    memchr(c.token, '\0', sizeof c.token));
		}
		break;
	}
	case 2: {
		char *access, *refresh;
		long life = 0;
		if (create_token_parse(text, len, &access, &refresh, &life) == 0) {
			header_safe(access);
			if (refresh)
				header_safe(refresh);
			FUZZ_ASSERT(life >= 1 && life <= 86400L * 366);
			free(access);
			free(refresh);
		}
		break;
	}
	default: {
		struct fuzz_in in = {data + 1, size - 1};
		size_t tl = 0, bl = 0;
		char *type = fuzz_piece(&in, SEP, &tl), *body = fuzz_piece(&in, SEP, &bl);
		char hdr[128];
		size_t o = 0; /* as on_header keeps it: printable, no spaces, bounded */
		for (size_t i = 0; type && i < tl && o + 1 < sizeof hdr && type[i] > ' ' && type[i] <= '~'; i++)
			hdr[o++] = type[i];
		hdr[o] = '\0';
		struct aws_error e;
		memset(&e, 0x55, sizeof e);
		aws_sso_error(401, hdr, body ? body : "", body ? bl : 0, &e);
		printable_ascii(e.code, sizeof e.code);
		printable_ascii(e.msg, sizeof e.msg);
		FUZZ_ASSERT(e.code[0] && e.status == 401);
		free(type);
		free(body);
	}
	}
	return 0;
}
