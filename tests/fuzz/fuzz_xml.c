/*
 * fuzz_xml - the XML reader (aws/xml.c) under every AWS answer: a body is a
 * tree or an error, never a crash; the tree keeps within XML_MAX_DEPTH, its
 * text is NUL-terminated at textlen, and the lookups the readers use walk it.
 */
#include "../../aws/xml.h"
#include "fuzz.h"

static size_t walk(const struct xnode *n, int depth)
{
	FUZZ_ASSERT(depth <= XML_MAX_DEPTH + 1);
	FUZZ_ASSERT(n->name && n->text && n->text[n->textlen] == '\0');
	size_t count = 1;
	for (const struct xnode *c = n->child; c; c = c->next) {
		FUZZ_ASSERT(c->parent == n);
		count += walk(c, depth + 1);
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];
	struct xnode *x = xml_parse((const char *)data, size, err, sizeof err);
	if (!x) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) && err[0]);
		return 0;
	}
	FUZZ_ASSERT(walk(x, 1) <= XML_MAX_NODES);
	xml_find(x, "Code");
	xml_text(x, "Error/Message");
	if (x->child) {
		char path[200];
		snprintf(path, sizeof path, "%s/%s", x->child->name, x->child->child ? x->child->child->name : "x");
		FUZZ_ASSERT(xml_path(x, path) != NULL || !x->child->child);
	}
	xml_free(x);
	return 0;
}
