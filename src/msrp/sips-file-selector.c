/* sips-file-selector.c: interim RFC 5547 attribute helpers (replaced by wip/ftsel) */
#include "sips-file-selector.h"

#include <string.h>
#include <gio/gio.h>

SipsFileSelector *
sips_file_selector_new (void)
{
  SipsFileSelector *sel = g_new0 (SipsFileSelector, 1);

  sel->size = -1;
  return sel;
}

void
sips_file_selector_free (SipsFileSelector *sel)
{
  if (sel == NULL)
    return;
  g_free (sel->name);
  g_free (sel->type);
  g_free (sel->hash);
  g_free (sel);
}

static char *
unescape_name (const char *s, gsize len)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '%' && i + 2 < len + 0 && g_ascii_isxdigit (s[i + 1]) && g_ascii_isxdigit (s[i + 2]))
        {
          g_string_append_c (out, (char) (g_ascii_xdigit_value (s[i + 1]) * 16 + g_ascii_xdigit_value (s[i + 2])));
          i += 2;
        }
      else
        g_string_append_c (out, s[i]);
    }
  return g_string_free (out, FALSE);
}

SipsFileSelector *
sips_file_selector_parse (const char *value, GError **error)
{
  g_autoptr(SipsFileSelector) sel = sips_file_selector_new ();
  const char *p = value;

  while (p != NULL && *p != '\0')
    {
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;
      if (g_str_has_prefix (p, "name:\""))
        {
          const char *end = strchr (p + 6, '"');

          if (end == NULL)
            goto bad;
          sel->name = unescape_name (p + 6, (gsize) (end - p - 6));
          p = end + 1;
          continue;
        }
      {
        gsize n = strcspn (p, " \t");
        g_autofree char *tok = g_strndup (p, n);

        p += n;
        if (g_str_has_prefix (tok, "type:"))
          sel->type = g_strdup (tok + 5);
        else if (g_str_has_prefix (tok, "size:"))
          {
            guint64 v;

            if (!g_ascii_string_to_unsigned (tok + 5, 10, 0, G_MAXINT64, &v, NULL))
              goto bad;
            sel->size = (gint64) v;
          }
        else if (g_str_has_prefix (tok, "hash:sha-1:"))
          sel->hash = g_ascii_strup (tok + 5, -1), memcpy (sel->hash, "sha-1", 5);
        else if (!g_str_has_prefix (tok, "hash:"))
          goto bad;
      }
    }
  return g_steal_pointer (&sel);
bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed file-selector");
  return NULL;
}

char *
sips_file_selector_format (const SipsFileSelector *sel)
{
  GString *s = g_string_new (NULL);

  if (sel->name != NULL)
    {
      g_string_append (s, "name:\"");
      for (const char *c = sel->name; *c != '\0'; c++)
        if (*c == '"' || *c == '%' || *c == '\r' || *c == '\n')
          g_string_append_printf (s, "%%%02X", (guchar) *c);
        else
          g_string_append_c (s, *c);
      g_string_append_c (s, '"');
    }
  if (sel->type != NULL)
    g_string_append_printf (s, "%stype:%s", s->len ? " " : "", sel->type);
  if (sel->size >= 0)
    g_string_append_printf (s, "%ssize:%" G_GINT64_FORMAT, s->len ? " " : "", sel->size);
  if (sel->hash != NULL)
    g_string_append_printf (s, "%shash:%s", s->len ? " " : "", sel->hash);
  return g_string_free (s, FALSE);
}

char *
sips_file_date_format (GDateTime *modification)
{
  g_autofree char *date = g_date_time_format (modification, "%a, %d %b %Y %H:%M:%S %z");

  return g_strdup_printf ("modification:\"%s\"", date);
}

gboolean
sips_file_transfer_id_valid (const char *id)
{
  return id != NULL && *id != '\0' && strpbrk (id, " \t\r\n") == NULL;
}

char *
sips_file_hash_from_checksum (GChecksum *sha1)
{
  g_autoptr(GChecksum) copy = g_checksum_copy (sha1);
  guint8 digest[20];
  gsize len = sizeof digest;
  GString *s = g_string_new ("sha-1:");

  g_checksum_get_digest (copy, digest, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%s%02X", i ? ":" : "", digest[i]);
  return g_string_free (s, FALSE);
}
