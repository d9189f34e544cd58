/* test-log.c: structured log fields (sips-log.h) reach the writer with the message */
#include <glib.h>
#include <string.h>

#include "core/sips-log.h"

typedef struct {
  GLogLevelFlags level;
  GHashTable *fields;   /* key -> value of the last record */
  guint records;
} Captured;

static Captured captured;

static GLogWriterOutput
on_write (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (captured.fields == NULL)
    captured.fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_remove_all (captured.fields);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_hash_table_insert (captured.fields, g_strdup (fields[i].key), g_strdup (fields[i].value));
  captured.level = level;
  captured.records++;
  return G_LOG_WRITER_HANDLED;
}

static const char *
field (const char *key)
{
  return g_hash_table_lookup (captured.fields, key);
}

static void
test_fields (void)
{
  g_autoptr(SipsLogContext) context = sips_log_context_new ();
  g_autoptr(SipsLogContext) shared = sips_log_context_ref (context);

  sips_log_context_set (context, SIPS_LOG_FIELD_SESSION, "/org/sipsimple/Session/7");
  sips_log_context_set (context, SIPS_LOG_FIELD_CALL_ID, "abc@host");
  sips_log_message (shared, "call %d up", 7);
  g_assert_cmpint (captured.level, ==, G_LOG_LEVEL_MESSAGE);
  g_assert_cmpstr (field ("MESSAGE"), ==, "call 7 up");
  g_assert_cmpstr (field ("SIPS_SESSION"), ==, "/org/sipsimple/Session/7");
  g_assert_cmpstr (field ("SIP_CALL_ID"), ==, "abc@host");
  g_assert_null (field ("SIPS_ACCOUNT"));

  /* replaced, removed, and a context-less line carries none */
  sips_log_context_set (context, SIPS_LOG_FIELD_CALL_ID, "def@host");
  sips_log_context_set (context, SIPS_LOG_FIELD_SESSION, NULL);
  sips_log_context_set (context, SIPS_LOG_FIELD_ACCOUNT, "alice@example.org");
  sips_log_warning (context, "again");
  g_assert_cmpint (captured.level, ==, G_LOG_LEVEL_WARNING);
  g_assert_cmpstr (field ("SIP_CALL_ID"), ==, "def@host");
  g_assert_null (field ("SIPS_SESSION"));
  g_assert_cmpstr (field ("SIPS_ACCOUNT"), ==, "alice@example.org");
  g_assert_cmpstr (sips_log_context_get (context, SIPS_LOG_FIELD_ACCOUNT), ==, "alice@example.org");

  sips_log_message (NULL, "plain");
  g_assert_cmpstr (field ("MESSAGE"), ==, "plain");
  g_assert_null (field ("SIP_CALL_ID"));
}

static void
test_debug_not_formatted_when_dropped (void)
{
  guint before = captured.records;

  g_log_set_debug_enabled (FALSE);
  sips_log_debug (NULL, "invisible");
  g_assert_cmpuint (captured.records, ==, before);
  g_log_set_debug_enabled (TRUE);
  sips_log_debug (NULL, "visible");
  g_assert_cmpuint (captured.records, ==, before + 1);
  g_log_set_debug_enabled (FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (on_write, NULL, NULL);
  g_test_add_func ("/log/fields", test_fields);
  g_test_add_func ("/log/debug-dropped", test_debug_not_formatted_when_dropped);
  return g_test_run ();
}
