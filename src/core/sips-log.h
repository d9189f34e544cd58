/* sips-log.h: log lines that carry structured fields naming what they are about
 * (SIPS_SESSION, SIP_CALL_ID, SIPS_ACCOUNT), so that `journalctl SIP_CALL_ID=...`
 * finds one call's lines. The message text is the same as with g_message(). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Field names, as journald shows them. */
#define SIPS_LOG_FIELD_SESSION "SIPS_SESSION"
#define SIPS_LOG_FIELD_CALL_ID "SIP_CALL_ID"
#define SIPS_LOG_FIELD_ACCOUNT "SIPS_ACCOUNT"

/* A reference-counted set of fields shared by an object and the parts it owns
 * (a session, its audio stream, its chat): set once, seen by every line of each. */
typedef struct _SipsLogContext SipsLogContext;

SipsLogContext *sips_log_context_new   (void);
SipsLogContext *sips_log_context_ref   (SipsLogContext *context);
void            sips_log_context_unref (SipsLogContext *context);
/* Sets (or with value NULL/"" removes) one field. */
void            sips_log_context_set   (SipsLogContext *context, const char *field, const char *value);
const char     *sips_log_context_get   (SipsLogContext *context, const char *field);

/* Logs format at level with the context's fields (context may be NULL). */
void sips_log (SipsLogContext *context, GLogLevelFlags level, const char *format, ...) G_GNUC_PRINTF (3, 4);

#define sips_log_debug(context, ...)   sips_log ((context), G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define sips_log_message(context, ...) sips_log ((context), G_LOG_LEVEL_MESSAGE, __VA_ARGS__)
#define sips_log_warning(context, ...) sips_log ((context), G_LOG_LEVEL_WARNING, __VA_ARGS__)

/* A writer for g_log_set_writer_func(): GLib's default, or, with export TRUE, every
 * record in journal export format on stderr (KEY=VALUE lines, a blank line after
 * each) for log shippers and tests where no journald runs. */
GLogWriterOutput sips_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                  gpointer export);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsLogContext, sips_log_context_unref)

G_END_DECLS
