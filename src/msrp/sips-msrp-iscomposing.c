/* sips-msrp-iscomposing.c: application/im-iscomposing+xml documents (RFC 3994) */
#include "sips-msrp-iscomposing.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/sips-error.h"

#define MAX_DOCUMENT 4096

GBytes *
sips_iscomposing_build (const char *state, const char *content_type, guint refresh)
{
  GString *xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\n");
  g_autofree char *escaped_state = NULL;

  g_return_val_if_fail (state != NULL, NULL);

  escaped_state = g_markup_escape_text (state, -1);
  g_string_append_printf (xml, "  <state>%s</state>\n", escaped_state);
  if (content_type != NULL && content_type[0] != '\0')
    {
      g_autofree char *escaped = g_markup_escape_text (content_type, -1);

      g_string_append_printf (xml, "  <contenttype>%s</contenttype>\n", escaped);
    }
  if (refresh > 0)
    g_string_append_printf (xml, "  <refresh>%u</refresh>\n", refresh);
  g_string_append (xml, "</isComposing>\n");
  return g_string_free_to_bytes (xml);
}

typedef struct {
  SipsIsComposing *result;
  gboolean         root_seen;
  guint            depth;
  const char      *element;  /* the current child of the root, static name */
  GString         *text;
} ParseState;

/* "ns:state" -> "state" */
static const char *
local_name (const char *name)
{
  const char *colon = strrchr (name, ':');

  return colon != NULL ? colon + 1 : name;
}

static void
on_start (GMarkupParseContext *context, const char *name, const char **attr_names,
          const char **attr_values, gpointer user_data, GError **error)
{
  ParseState *st = user_data;
  const char *local = local_name (name);
  static const char *const known[] = { "state", "lastactive", "contenttype", "refresh" };

  st->depth++;
  if (st->depth == 1)
    {
      if (strcmp (local, "isComposing") != 0)
        g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "not isComposing");
      st->root_seen = TRUE;
      return;
    }
  if (st->depth == 2)
    {
      st->element = NULL;
      for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
        if (strcmp (local, known[i]) == 0)
          st->element = known[i];
      g_string_truncate (st->text, 0);
    }
}

static void
on_text (GMarkupParseContext *context, const char *text, gsize len, gpointer user_data,
         GError **error)
{
  ParseState *st = user_data;

  if (st->depth == 2 && st->element != NULL && st->text->len + len < MAX_DOCUMENT)
    g_string_append_len (st->text, text, (gssize) len);
}

static void
on_end (GMarkupParseContext *context, const char *name, gpointer user_data, GError **error)
{
  ParseState *st = user_data;

  if (st->depth == 2 && st->element != NULL)
    {
      g_autofree char *value = g_strstrip (g_strdup (st->text->str));

      if (strcmp (st->element, "state") == 0)
        {
          g_free (st->result->state);
          st->result->state = g_steal_pointer (&value);
        }
      else if (strcmp (st->element, "contenttype") == 0)
        {
          g_free (st->result->content_type);
          st->result->content_type = g_steal_pointer (&value);
        }
      else if (strcmp (st->element, "refresh") == 0)
        {
          guint64 n = 0;

          if (g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT32, &n, NULL))
            st->result->refresh = (guint) n;
        }
      else if (strcmp (st->element, "lastactive") == 0)
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (value, NULL);

          if (dt != NULL)
            st->result->last_active = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
                                      g_date_time_get_microsecond (dt);
        }
      st->element = NULL;
    }
  st->depth--;
}

SipsIsComposing *
sips_iscomposing_parse (const guint8 *data, gsize len, GError **error)
{
  static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
  g_autoptr(GMarkupParseContext) context = NULL;
  ParseState st = { 0 };
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  st.result = g_new0 (SipsIsComposing, 1);
  st.text = g_string_new (NULL);
  context = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, &st, NULL);
  ok = len <= MAX_DOCUMENT &&
       g_markup_parse_context_parse (context, (const char *) data, (gssize) len, &local_error) &&
       g_markup_parse_context_end_parse (context, &local_error);
  g_string_free (st.text, TRUE);

  if (!ok || !st.root_seen || st.result->state == NULL ||
      (strcmp (st.result->state, "active") != 0 && strcmp (st.result->state, "idle") != 0))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Not an is-composing document: %s"),
                   local_error != NULL ? local_error->message : _("no active or idle state"));
      sips_iscomposing_free (st.result);
      return NULL;
    }
  return st.result;
}

void
sips_iscomposing_free (SipsIsComposing *self)
{
  if (self == NULL)
    return;
  g_free (self->state);
  g_free (self->content_type);
  g_free (self);
}
