/* sips-log.c: structured log fields per session/account (see sips-log.h) */
#include "sips-log.h"

#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 4

struct _SipsLogContext {
  gatomicrefcount ref;
  char *keys[MAX_FIELDS];
  char *values[MAX_FIELDS];
};

SipsLogContext *
sips_log_context_new (void)
{
  SipsLogContext *context = g_new0 (SipsLogContext, 1);

  g_atomic_ref_count_init (&context->ref);
  return context;
}

SipsLogContext *
sips_log_context_ref (SipsLogContext *context)
{
  g_atomic_ref_count_inc (&context->ref);
  return context;
}

void
sips_log_context_unref (SipsLogContext *context)
{
  if (context == NULL || !g_atomic_ref_count_dec (&context->ref))
    return;
  for (gsize i = 0; i < MAX_FIELDS; i++)
    {
      g_free (context->keys[i]);
      g_free (context->values[i]);
    }
  g_free (context);
}

void
sips_log_context_set (SipsLogContext *context, const char *field, const char *value)
{
  gssize free_slot = -1;

  g_return_if_fail (context != NULL && field != NULL);

  for (gsize i = 0; i < MAX_FIELDS; i++)
    {
      if (context->keys[i] == NULL)
        {
          if (free_slot < 0)
            free_slot = i;
          continue;
        }
      if (!g_str_equal (context->keys[i], field))
        continue;
      if (value == NULL || *value == '\0')
        g_clear_pointer (&context->keys[i], g_free);
      g_free (context->values[i]);
      context->values[i] = context->keys[i] != NULL ? g_strdup (value) : NULL;
      return;
    }
  if (value == NULL || *value == '\0')
    return;
  g_return_if_fail (free_slot >= 0);
  context->keys[free_slot] = g_strdup (field);
  context->values[free_slot] = g_strdup (value);
}

const char *
sips_log_context_get (SipsLogContext *context, const char *field)
{
  for (gsize i = 0; context != NULL && i < MAX_FIELDS; i++)
    if (context->keys[i] != NULL && g_str_equal (context->keys[i], field))
      return context->values[i];
  return NULL;
}

void
sips_log (SipsLogContext *context, GLogLevelFlags level, const char *format, ...)
{
  GLogField fields[2 + MAX_FIELDS];
  gsize n = 0;
  g_autofree char *message = NULL;
  va_list args;

  /* Debug lines are many: don't format what nobody reads. */
  if (g_log_writer_default_would_drop (level, NULL))
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fields[n++] = (GLogField) { "MESSAGE", message, -1 };
  for (gsize i = 0; context != NULL && i < MAX_FIELDS; i++)
    if (context->keys[i] != NULL)
      fields[n++] = (GLogField) { context->keys[i], context->values[i], -1 };
  g_log_structured_array (level, fields, n);
}

static int
priority_of (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return 3;
  if (level & G_LOG_LEVEL_CRITICAL)
    return 4;
  if (level & G_LOG_LEVEL_WARNING)
    return 4;
  if (level & G_LOG_LEVEL_MESSAGE)
    return 5;
  if (level & G_LOG_LEVEL_INFO)
    return 6;
  return 7;
}

GLogWriterOutput
sips_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer export)
{
  g_autoptr(GString) record = NULL;

  if (export == NULL)
    return g_log_writer_default (level, fields, n_fields, NULL);
  if (g_log_writer_default_would_drop (level, NULL))
    return G_LOG_WRITER_HANDLED;

  record = g_string_new (NULL);
  g_string_append_printf (record, "PRIORITY=%d\n", priority_of (level));
  for (gsize i = 0; i < n_fields; i++)
    {
      const char *value = fields[i].value;
      gsize length = fields[i].length < 0 ? strlen (value) : (gsize) fields[i].length;

      if (fields[i].length >= 0 && memchr (value, '\0', length) != NULL)
        continue;  /* binary fields (GLib's own pointers) have no text form */
      if (g_str_equal (fields[i].key, "PRIORITY"))
        continue;
      g_string_append_printf (record, "%s=", fields[i].key);
      /* one record line per field: newlines inside a value become spaces */
      for (gsize j = 0; j < length; j++)
        g_string_append_c (record, value[j] == '\n' ? ' ' : value[j]);
      g_string_append_c (record, '\n');
    }
  g_string_append_c (record, '\n');
  fwrite (record->str, 1, record->len, stderr);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}
