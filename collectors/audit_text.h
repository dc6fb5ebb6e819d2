/*
 * audit_text.h - JSON text that is safe to read: the audit log's lines.
 *
 * Pure functions, any thread.
 */
#ifndef DBFLEET_AUDIT_TEXT_H
#define DBFLEET_AUDIT_TEXT_H

/*
 * A JSON text (cJSON's output) rewritten so that it is valid UTF-8 and
 * shows nothing a terminal or a reader would act on: invalid bytes become
 * \ufffd; C1 controls, DEL, bidi controls, zero-width, tag and separator
 * characters become \u escapes of four hex digits (surrogate pairs above U+FFFF). The
 * values it decodes to are the same but for the invalid bytes. cJSON
 * writes only ASCII outside strings, so every byte rewritten is inside
 * one. A new string (free()), or NULL on OOM.
 */
char *audit_text_escape(const char *json);

#endif
