/*
 * xml.h - AWS Query-protocol responses as a small tree, parsed with expat.
 *
 * Element names are kept without namespace; text is the element's own
 * character data. A malformed or truncated body is an error, never a
 * partial tree. No limits on shape beyond XML_MAX_NODES and XML_MAX_DEPTH,
 * so a hostile body cannot make us allocate without bound.
 */
#ifndef DBFLEET_AWS_XML_H
#define DBFLEET_AWS_XML_H

#include <stddef.h>

#define XML_MAX_NODES 200000
#define XML_MAX_DEPTH 64

struct xnode {
	char *name;
	char *text;   /* never NULL once parsed */
	size_t textlen;
	struct xnode *child, *last, *next, *parent;
};

/* Parse 'len' bytes; the root element, or NULL with 'err'. */
struct xnode *xml_parse(const char *buf, size_t len, char *err, size_t errlen);
void xml_free(struct xnode *n);

/* The first child named 'name' (NULL if none, or 'n' NULL). */
struct xnode *xml_child(const struct xnode *n, const char *name);
/* Follow a path of child names "A/B/C"; NULL if any step is missing. */
struct xnode *xml_path(const struct xnode *n, const char *path);
/* The text of the child at 'path', or "" (never NULL). */
const char *xml_text(const struct xnode *n, const char *path);
/* The first element named 'name' anywhere below 'n' (depth first). */
struct xnode *xml_find(const struct xnode *n, const char *name);

#endif
