/* sips-file-selector.c: RFC 5547 SDP attributes of a file transfer (file-selector,
 * file-date, file-transfer-id). Pure functions, no I/O. */
#include "sips-file-selector.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#define SHA1_LEN 20
#define TRANSFER_ID_MAX 256

/* RFC 4566 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E */
static gboolean
is_sdp_token_char (guchar c)
{
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
         c == 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
         (c >= 0x5e && c <= 0x7e);
}

/* RFC 2045 token: CHAR except SPACE, CTLs and tspecials */
static gboolean
is_mime_token_char (guchar c)
{
  return c > 0x20 && c < 0x7f && strchr ("()<>@,;:\\\"/[]?=", c) == NULL;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static gboolean
is_mime_token (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!is_mime_token_char (*s))
      return FALSE;
  return TRUE;
}

static gsize
span_mime_token (const char *p)
{
  gsize n = 0;

  while (p[n] != '\0' && is_mime_token_char (p[n]))
    n++;
  return n;
}

/* Decodes an RFC 5547 filename-string (between the quotes, [p, end)); NULL if it is
 * empty, holds a raw CR, LF, NUL or '"', a bad %-escape, or decodes to a NUL. */
static char *
decode_quoted (const char *p,
               const char *end)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (p == end)
    return NULL;
  for (; p < end; p++)
    {
      guchar c = *p;

      if (c == '%')
        {
          int hi, lo;

          if (end - p < 3 || (hi = g_ascii_xdigit_value (p[1])) < 0 ||
              (lo = g_ascii_xdigit_value (p[2])) < 0 || (hi == 0 && lo == 0))
            return NULL;
          g_string_append_c (out, (char) (hi * 16 + lo));
          p += 2;
        }
      else if (c == '\r' || c == '\n' || c == '"' || c == '\0')
        return NULL;
      else
        g_string_append_c (out, (char) c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The inverse: ", CR, LF and % escaped, everything else as is. */
static void
append_quoted (GString    *out,
               const char *s)
{
  g_string_append_c (out, '"');
  for (; *s != '\0'; s++)
    {
      if (*s == '"' || *s == '\r' || *s == '\n' || *s == '%')
        g_string_append_printf (out, "%%%02X", (guchar) *s);
      else
        g_string_append_c (out, *s);
    }
  g_string_append_c (out, '"');
}

/* A parameter value in Content-Type form: a token as is, else a quoted-string. */
static void
append_mime_value (GString    *out,
                   const char *value)
{
  if (is_mime_token (value))
    {
      g_string_append (out, value);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *s = value; *s != '\0'; s++)
    {
      if (*s == '"' || *s == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *s);
    }
  g_string_append_c (out, '"');
}

/* A decoded parameter value we carry: valid UTF-8 without control characters
 * (it ends up in D-Bus properties and MSRP Content-Type headers). */
static gboolean
mime_value_ok (const char *value)
{
  if (!g_utf8_validate (value, -1, NULL))
    return FALSE;
  for (const char *s = value; *s != '\0'; s++)
    if ((guchar) *s < 0x20 || *s == 0x7f)
      return FALSE;
  return TRUE;
}

/* Parses a Content-Type value (blanks around ';' and '=' allowed, quoted-strings with
 * '\' escapes) into "type/subtype" and attr/value pairs (decoded). */
static gboolean
parse_content_type (const char  *text,
                    char       **media,
                    GPtrArray   *params)
{
  const char *p = text;
  gsize n, m;

  while (is_blank (*p))
    p++;
  n = span_mime_token (p);
  if (n == 0 || p[n] != '/')
    return FALSE;
  m = span_mime_token (p + n + 1);
  if (m == 0)
    return FALSE;
  *media = g_strndup (p, n + 1 + m);
  p += n + 1 + m;
  for (;;)
    {
      g_autofree char *attr = NULL;
      g_autoptr(GString) value = g_string_new (NULL);

      while (is_blank (*p))
        p++;
      if (*p == '\0')
        return TRUE;
      if (*p++ != ';')
        return FALSE;
      while (is_blank (*p))
        p++;
      n = span_mime_token (p);
      if (n == 0)
        return FALSE;
      attr = g_strndup (p, n);
      p += n;
      while (is_blank (*p))
        p++;
      if (*p++ != '=')
        return FALSE;
      while (is_blank (*p))
        p++;
      if (*p == '"')
        {
          for (p++; *p != '"'; p++)
            {
              if (*p == '\\' && p[1] != '\0')
                p++;
              else if (*p == '\0')
                return FALSE;
              g_string_append_c (value, *p);
            }
          p++;
        }
      else
        {
          n = span_mime_token (p);
          if (n == 0)
            return FALSE;
          g_string_append_len (value, p, n);
          p += n;
        }
      if (value->len == 0 || !mime_value_ok (value->str))
        return FALSE;
      g_ptr_array_add (params, g_steal_pointer (&attr));
      g_ptr_array_add (params, g_string_free (g_steal_pointer (&value), FALSE));
    }
}

gboolean
sips_file_selector_type_valid (const char *type)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *media = NULL;

  return type != NULL && parse_content_type (type, &media, params);
}

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

SipsFileSelector *
sips_file_selector_copy (const SipsFileSelector *sel)
{
  SipsFileSelector *copy = sips_file_selector_new ();

  copy->name = g_strdup (sel->name);
  copy->type = g_strdup (sel->type);
  copy->size = sel->size;
  copy->hash = g_strdup (sel->hash);
  return copy;
}

gboolean
sips_file_selector_equal (const SipsFileSelector *a,
                          const SipsFileSelector *b)
{
  return g_strcmp0 (a->name, b->name) == 0 && g_strcmp0 (a->type, b->type) == 0 &&
         a->size == b->size && g_strcmp0 (a->hash, b->hash) == 0;
}

static SipsFileSelector *
fail (GError     **error,
      const char  *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("Invalid file-selector: %s"), why);
  return NULL;
}

/* name:"..." at p (after "name:"); *end = where it stops. */
static char *
parse_name (const char  *p,
            const char **end)
{
  const char *close;

  if (*p != '"')
    return NULL;
  close = strchr (p + 1, '"');
  if (close == NULL)
    return NULL;
  *end = close + 1;
  return decode_quoted (p + 1, close);
}

/* type:type/subtype *(";" attr "=" (DQUOTE value-string DQUOTE / token)) at p, in
 * Content-Type form (parameter values decoded). */
static char *
parse_type (const char  *p,
            const char **end)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize n, m;

  n = span_mime_token (p);
  if (n == 0 || p[n] != '/')
    return NULL;
  m = span_mime_token (p + n + 1);
  if (m == 0)
    return NULL;
  g_string_append_len (out, p, n + 1 + m);
  p += n + 1 + m;
  while (*p == ';')
    {
      g_autofree char *value = NULL;

      p++;
      n = span_mime_token (p);
      if (n == 0 || p[n] != '=')
        return NULL;
      g_string_append_c (out, ';');
      g_string_append_len (out, p, n);
      g_string_append_c (out, '=');
      p += n + 1;
      if (*p == '"')
        {
          const char *close = strchr (p + 1, '"');

          if (close == NULL)
            return NULL;
          value = decode_quoted (p + 1, close);
          p = close + 1;
        }
      else
        {
          n = span_mime_token (p);
          value = n > 0 ? g_strndup (p, n) : NULL;
          p += n;
        }
      if (value == NULL || !mime_value_ok (value))
        return NULL;
      append_mime_value (out, value);
    }
  *end = p;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* size:1*DIGIT at p */
static gboolean
parse_size (const char  *p,
            const char **end,
            gint64      *size)
{
  guint64 v = 0;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      guint64 digit = (guint64) (*p - '0');

      if (v > ((guint64) G_MAXINT64 - digit) / 10)
        return FALSE;
      v = v * 10 + digit;
    }
  *size = (gint64) v;
  *end = p;
  return TRUE;
}

/* hash:algorithm:XX(:XX)* at p; sets *sha1 (upper-case) for sha-1, else leaves it. */
static gboolean
parse_hash (const char  *p,
            const char **end,
            gboolean    *is_sha1,
            char       **sha1)
{
  const char *alg = p;
  g_autoptr(GString) out = g_string_new ("sha-1");
  guint bytes = 0;

  while (is_sdp_token_char (*p))
    p++;
  if (p == alg || *p != ':')
    return FALSE;
  *is_sha1 = p - alg == 5 && g_ascii_strncasecmp (alg, "sha-1", 5) == 0;
  do
    {
      p++;
      if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]))
        return FALSE;
      if (*is_sha1 && ++bytes > SHA1_LEN)
        return FALSE;
      if (*is_sha1)
        g_string_append_printf (out, ":%c%c", g_ascii_toupper (p[0]), g_ascii_toupper (p[1]));
      p += 2;
    }
  while (*p == ':');
  if (*is_sha1 && bytes != SHA1_LEN)
    return FALSE;
  if (*is_sha1)
    *sha1 = g_string_free (g_steal_pointer (&out), FALSE);
  *end = p;
  return TRUE;
}

/* ABNF literals are case-insensitive */
static gboolean
has_prefix (const char *p,
            const char *prefix)
{
  return g_ascii_strncasecmp (p, prefix, strlen (prefix)) == 0;
}

SipsFileSelector *
sips_file_selector_parse (const char  *value,
                          GError     **error)
{
  g_autoptr(SipsFileSelector) sel = sips_file_selector_new ();
  g_autofree char *text = NULL;
  const char *p;

  g_return_val_if_fail (value != NULL, NULL);
  text = g_strdup (value);
  /* trailing blanks (and a line end left on by a raw reader) */
  for (gsize n = strlen (text); n > 0 && strchr (" \t\r\n", text[n - 1]) != NULL; n--)
    text[n - 1] = '\0';
  p = text;
  while (is_blank (*p))
    p++;

  while (*p != '\0')
    {
      const char *end = NULL;

      if (has_prefix (p, "name:"))
        {
          if (sel->name != NULL)
            return fail (error, _("name given twice"));
          sel->name = parse_name (p + 5, &end);
          if (sel->name == NULL)
            return fail (error, _("bad name"));
        }
      else if (has_prefix (p, "type:"))
        {
          if (sel->type != NULL)
            return fail (error, _("type given twice"));
          sel->type = parse_type (p + 5, &end);
          if (sel->type == NULL)
            return fail (error, _("bad type"));
        }
      else if (has_prefix (p, "size:"))
        {
          if (sel->size >= 0)
            return fail (error, _("size given twice"));
          if (!parse_size (p + 5, &end, &sel->size))
            return fail (error, _("bad size"));
        }
      else if (has_prefix (p, "hash:"))
        {
          gboolean is_sha1 = FALSE;
          g_autofree char *sha1 = NULL;

          if (!parse_hash (p + 5, &end, &is_sha1, &sha1))
            return fail (error, _("bad hash"));
          if (is_sha1 && sel->hash != NULL)
            return fail (error, _("sha-1 hash given twice"));
          if (is_sha1)
            sel->hash = g_steal_pointer (&sha1);
        }
      else
        return fail (error, _("unknown selector"));

      /* selectors are separated by blanks */
      if (*end != '\0' && !is_blank (*end))
        return fail (error, _("junk after a selector"));
      p = end;
      while (is_blank (*p))
        p++;
    }
  return g_steal_pointer (&sel);
}

char *
sips_file_selector_format (const SipsFileSelector *sel)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *media = NULL;

  g_return_val_if_fail (sel != NULL, NULL);
  if (sel->name != NULL && sel->name[0] != '\0')
    {
      g_string_append (out, "name:");
      append_quoted (out, sel->name);
    }
  if (sel->type != NULL && parse_content_type (sel->type, &media, params))
    {
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "type:%s", media);
      for (guint i = 0; i + 1 < params->len; i += 2)
        {
          g_string_append_printf (out, ";%s=", (const char *) params->pdata[i]);
          append_quoted (out, params->pdata[i + 1]);
        }
    }
  else if (sel->type != NULL)
    g_debug ("file-selector: content type “%s” left out: not type/subtype", sel->type);
  if (sel->size >= 0)
    g_string_append_printf (out, "%ssize:%" G_GINT64_FORMAT, out->len > 0 ? " " : "",
                            sel->size);
  if (sel->hash != NULL)
    g_string_append_printf (out, "%shash:%s", out->len > 0 ? " " : "", sel->hash);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
sips_file_date_format (GDateTime *modification)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (modification != NULL, NULL);
  utc = g_date_time_to_utc (modification);
  return g_strdup_printf ("modification:\"%s, %02d %s %04d %02d:%02d:%02d +0000\"",
                          days[g_date_time_get_day_of_week (utc) - 1],
                          g_date_time_get_day_of_month (utc),
                          months[g_date_time_get_month (utc) - 1],
                          g_date_time_get_year (utc), g_date_time_get_hour (utc),
                          g_date_time_get_minute (utc), g_date_time_get_second (utc));
}

gboolean
sips_file_transfer_id_valid (const char *id)
{
  gsize n = 0;

  if (id == NULL)
    return FALSE;
  for (; id[n] != '\0'; n++)
    if (n >= TRANSFER_ID_MAX || !is_sdp_token_char (id[n]))
      return FALSE;
  return n > 0;
}

char *
sips_file_hash_from_digest (const guint8 *digest)
{
  GString *out = g_string_new ("sha-1");

  for (gsize i = 0; i < SHA1_LEN; i++)
    g_string_append_printf (out, ":%02X", digest[i]);
  return g_string_free (out, FALSE);
}

char *
sips_file_hash_from_checksum (GChecksum *sha1)
{
  g_autoptr(GChecksum) copy = NULL;
  guint8 digest[64];
  gsize len = sizeof digest;

  g_return_val_if_fail (sha1 != NULL, NULL);
  copy = g_checksum_copy (sha1);
  g_checksum_get_digest (copy, digest, &len);
  if (len != SHA1_LEN)
    return NULL;
  return sips_file_hash_from_digest (digest);
}
