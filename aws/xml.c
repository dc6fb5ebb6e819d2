/*
 * xml.c - expat into a tree of struct xnode. Chosen over libxml2 because it
 * is small, streaming, and all we need is elements and their text; over a
 * hand-written parser because AWS bodies come from the network and expat
 * has had the fuzzing a new parser would not.
 */
#include "xml.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct build {
	struct xnode *root, *cur;
	size_t nodes;
	int depth;
	int oom, toobig;
	XML_Parser p;
};

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct build *b = ud;
	(void)atts;
	if (b->oom || b->toobig)
		return;
	if (++b->nodes > XML_MAX_NODES || ++b->depth > XML_MAX_DEPTH) {
		b->toobig = 1;
		XML_StopParser(b->p, XML_FALSE);
		return;
	}
	struct xnode *n = calloc(1, sizeof *n);
	const char *local = strrchr(name, ' '); /* namespace-aware: "uri local" */
	if (n)
		n->name = strdup(local ? local + 1 : name);
	if (!n || !n->name) {
		free(n);
		b->oom = 1;
		XML_StopParser(b->p, XML_FALSE);
		return;
	}
	n->parent = b->cur;
	if (!b->cur)
		b->root = n;
	else if (b->cur->last)
		b->cur->last = b->cur->last->next = n;
	else
		b->cur->child = b->cur->last = n;
	b->cur = n;
}

static void on_end(void *ud, const XML_Char *name)
{
	struct build *b = ud;
	(void)name;
	if (b->oom || b->toobig || !b->cur)
		return;
	if (!b->cur->text && !(b->cur->text = calloc(1, 1)))
		b->oom = 1;
	b->cur = b->cur->parent;
	b->depth--;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
	struct build *b = ud;
	if (b->oom || b->toobig || !b->cur || len <= 0)
		return;
	struct xnode *n = b->cur;
	char *t = realloc(n->text, n->textlen + (size_t)len + 1);
	if (!t) {
		b->oom = 1;
		XML_StopParser(b->p, XML_FALSE);
		return;
	}
	memcpy(t + n->textlen, s, (size_t)len);
	n->textlen += (size_t)len;
	t[n->textlen] = '\0';
	n->text = t;
}

/* Give every node a text so callers never see NULL (the tree may be cut short). */
static void fill_text(struct xnode *n)
{
	for (; n; n = n->next) {
		if (!n->text)
			n->text = calloc(1, 1);
		fill_text(n->child);
	}
}

struct xnode *xml_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct build b = { 0 };
	b.p = XML_ParserCreateNS(NULL, ' ');
	if (!b.p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	XML_SetUserData(b.p, &b);
	XML_SetElementHandler(b.p, on_start, on_end);
	XML_SetCharacterDataHandler(b.p, on_text);
	int ok = len <= (size_t)0x7fffffff && XML_Parse(b.p, buf, (int)len, XML_TRUE) == XML_STATUS_OK;
	if (b.oom)
		snprintf(err, errlen, "out of memory parsing the response");
	else if (b.toobig)
		snprintf(err, errlen, "response too large or too deep to parse");
	else if (!ok)
		snprintf(err, errlen, "malformed XML at line %lu: %s",
			 (unsigned long)XML_GetCurrentLineNumber(b.p), XML_ErrorString(XML_GetErrorCode(b.p)));
	XML_ParserFree(b.p);
	if (!ok || b.oom || b.toobig || !b.root) {
		if (ok && !b.root)
			snprintf(err, errlen, "empty XML response");
		xml_free(b.root);
		return NULL;
	}
	fill_text(b.root);
	return b.root;
}

void xml_free(struct xnode *n)
{
	while (n) {
		struct xnode *next = n->next;
		xml_free(n->child);
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

struct xnode *xml_child(const struct xnode *n, const char *name)
{
	for (struct xnode *c = n ? n->child : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

struct xnode *xml_path(const struct xnode *n, const char *path)
{
	char step[128];
	while (n && *path) {
		size_t len = strcspn(path, "/");
		if (len >= sizeof step)
			return NULL;
		memcpy(step, path, len);
		step[len] = '\0';
		n = xml_child(n, step);
		path += len + (path[len] == '/');
	}
	return (struct xnode *)n;
}

const char *xml_text(const struct xnode *n, const char *path)
{
	const struct xnode *c = xml_path(n, path);
	return c && c->text ? c->text : "";
}

struct xnode *xml_find(const struct xnode *n, const char *name)
{
	for (const struct xnode *c = n ? n->child : NULL; c; c = c->next) {
		if (!strcmp(c->name, name))
			return (struct xnode *)c;
		struct xnode *d = xml_find(c, name);
		if (d)
			return d;
	}
	return NULL;
}
