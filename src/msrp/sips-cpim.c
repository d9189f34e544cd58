/* sips-cpim.c: Message/CPIM wrapping and unwrapping (RFC 3862) */
#include "sips-cpim.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/sips-error.h"

typedef struct {
  char *name;
  char *params;   /* ";lang=fr" or "" */
  char *value;
} Header;

struct _SipsCpimMessage {
  GArray   *headers;          /* Header: message headers */
  GArray   *content_headers;  /* Header: content headers but Content-Type */
  char     *content_type;
  char     *content;          /* text: UTF-8 without NUL, or base64 */
  gsize     content_len;
  gboolean  base64;
};

static const char * const canonical_names[] = {
  "From", "To", "cc", "DateTime", "Subject", "NS", "Require",
  "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description",
  "Content-Disposition", "Content-Length",
};

static void
header_clear (gpointer data)
{
  Header *h = data;

  g_free (h->name);
  g_free (h->params);
  g_free (h->value);
}

static GArray *
header_array_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Header));

  g_array_set_clear_func (a, header_clear);
  return a;
}

static gboolean
is_clean (const char *s)
{
  return s != NULL && strpbrk (s, "\r\n") == NULL;
}

static void
append_header (GArray     *headers,
               const char *name,
               const char *params,
               const char *value)
{
  Header h = { g_strdup (name), g_strdup (params != NULL ? params : ""), g_strdup (value) };

  g_array_append_val (headers, h);
}

static const char *
canonical_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (canonical_names); i++)
    if (g_ascii_strcasecmp (name, canonical_names[i]) == 0)
      return canonical_names[i];
  return name;
}

static void
remove_header (GArray     *headers,
               const char *name)
{
  for (guint i = headers->len; i > 0; i--)
    if (g_ascii_strcasecmp (g_array_index (headers, Header, i - 1).name, name) == 0)
      g_array_remove_index (headers, i - 1);
}

static const char *
find_header (GArray     *headers,
             const char *name)
{
  for (guint i = 0; i < headers->len; i++)
    {
      const Header *h = &g_array_index (headers, Header, i);

      if (g_ascii_strcasecmp (h->name, name) == 0)
        return h->value;
    }
  return NULL;
}

/* Printable UTF-8 for a header value that ends up in a signal. */
static char *
sanitize (const char *s,
          gsize       len)
{
  g_autofree char *copy = g_strndup (s, len);

  for (char *p = copy; *p != '\0'; p++)
    if (((guchar) *p < 0x20 && *p != '\t') || *p == 0x7f)
      *p = '?';
  return g_utf8_make_valid (copy, -1);
}

/* Takes the content as text, base64-encoding it unless it is NUL-free UTF-8
 * (g_utf8_validate refuses NULs within the length). */
static void
take_content (SipsCpimMessage *self,
              const guint8    *content,
              gsize            len,
              gboolean         already_base64)
{
  g_clear_pointer (&self->content, g_free);
  if (g_utf8_validate ((const char *) content, (gssize) len, NULL))
    {
      self->content = g_strndup ((const char *) content, len);
      self->base64 = already_base64;
    }
  else
    {
      self->content = g_base64_encode (content, len);
      self->base64 = TRUE;
    }
  self->content_len = strlen (self->content);
  if (self->base64)
    {
      remove_header (self->content_headers, "Content-Transfer-Encoding");
      append_header (self->content_headers, "Content-Transfer-Encoding", NULL, "base64");
    }
}

/* ---- building ---- */

SipsCpimMessage *
sips_cpim_message_new (void)
{
  SipsCpimMessage *self = g_new0 (SipsCpimMessage, 1);

  self->headers = header_array_new ();
  self->content_headers = header_array_new ();
  self->content_type = g_strdup ("text/plain");
  self->content = g_strdup ("");
  return self;
}

void
sips_cpim_message_free (SipsCpimMessage *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->headers);
  g_array_unref (self->content_headers);
  g_free (self->content_type);
  g_free (self->content);
  g_free (self);
}

void
sips_cpim_message_add_header (SipsCpimMessage *self,
                              const char      *name,
                              const char      *value)
{
  g_return_if_fail (is_clean (name) && *name != '\0' && strchr (name, ':') == NULL);
  g_return_if_fail (is_clean (value));

  append_header (self->headers, name, NULL, value);
}

void
sips_cpim_message_add_namespace (SipsCpimMessage *self,
                                 const char      *prefix,
                                 const char      *uri)
{
  g_autofree char *value = g_strdup_printf ("%s <%s>", prefix, uri);

  sips_cpim_message_add_header (self, "NS", value);
}

void
sips_cpim_message_set_datetime (SipsCpimMessage *self,
                                GDateTime       *datetime)
{
  g_autofree char *base = g_date_time_format (datetime, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *offset = NULL;
  g_autofree char *value = NULL;
  gint usec = g_date_time_get_microsecond (datetime);
  char fraction[16] = "";

  /* RFC 3339: fractional seconds only when there are any, Z for UTC */
  if (usec != 0)
    g_snprintf (fraction, sizeof fraction, ".%06d", usec);
  offset = g_date_time_get_utc_offset (datetime) == 0 ? g_strdup ("Z")
                                                      : g_date_time_format (datetime, "%:z");
  value = g_strconcat (base, fraction, offset, NULL);
  remove_header (self->headers, "DateTime");
  append_header (self->headers, "DateTime", NULL, value);
}

void
sips_cpim_message_add_content_header (SipsCpimMessage *self,
                                      const char      *name,
                                      const char      *value)
{
  g_return_if_fail (is_clean (name) && *name != '\0' && strchr (name, ':') == NULL);
  g_return_if_fail (is_clean (value));
  g_return_if_fail (g_ascii_strcasecmp (name, "Content-Type") != 0);

  append_header (self->content_headers, name, NULL, value);
}

void
sips_cpim_message_set_content (SipsCpimMessage *self,
                               const char      *content_type,
                               const guint8    *content,
                               gsize            len)
{
  g_return_if_fail (is_clean (content_type));
  g_return_if_fail (content != NULL || len == 0);

  g_free (self->content_type);
  self->content_type = g_strdup (content_type);
  remove_header (self->content_headers, "Content-Transfer-Encoding");
  take_content (self, content != NULL ? content : (const guint8 *) "", len, FALSE);
}

static void
append_headers (GString      *s,
                const GArray *headers)
{
  for (guint i = 0; i < headers->len; i++)
    {
      const Header *h = &g_array_index (headers, Header, i);

      g_string_append_printf (s, "%s:%s %s\r\n", h->name, h->params, h->value);
    }
}

GBytes *
sips_cpim_message_to_bytes (const SipsCpimMessage *self)
{
  GString *s = g_string_sized_new (256 + self->content_len);

  append_headers (s, self->headers);
  g_string_append (s, "\r\n");
  g_string_append_printf (s, "Content-Type: %s\r\n", self->content_type);
  append_headers (s, self->content_headers);
  g_string_append (s, "\r\n");
  g_string_append_len (s, self->content, (gssize) self->content_len);
  return g_string_free_to_bytes (s);
}

/* ---- reading ---- */

/* Header-name ":" *( ";" Parameter ) SP Header-value; FALSE if malformed. */
static gboolean
parse_header_line (const char *line,
                   gsize       len,
                   char      **name,
                   char      **params,
                   char      **value)
{
  const char *colon = memchr (line, ':', len), *p, *end = line + len, *params_end;

  if (colon == NULL || colon == line)
    return FALSE;
  for (p = line; p < colon; p++)
    if (!g_ascii_isalnum (*p) && (*p == '\0' || strchr ("-._!%*+`'~", *p) == NULL))
      return FALSE;

  p = colon + 1;
  params_end = p;
  if (p < end && *p == ';')
    {
      while (params_end < end && *params_end != ' ')
        params_end++;
    }
  p = params_end;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
    end--;

  *name = g_strndup (line, (gsize) (colon - line));
  *params = sanitize (colon + 1, (gsize) (params_end - colon - 1));
  *value = sanitize (p, (gsize) (end - p));
  return TRUE;
}

/* Reads header lines into headers (or Content-Type into content_type) up to a blank
 * line; returns the offset after it, or 0 if the data ended first. */
static gsize
parse_block (const guint8  *data,
             gsize          len,
             gsize          offset,
             GArray        *headers,
             char         **content_type,
             gboolean      *ok)
{
  *ok = TRUE;
  while (offset < len)
    {
      const char *line = (const char *) data + offset;
      const char *nl = memchr (line, '\n', len - offset);
      gsize line_len = nl != NULL ? (gsize) (nl - line) : len - offset;
      g_autofree char *name = NULL;
      g_autofree char *params = NULL;
      g_autofree char *value = NULL;

      offset += line_len + (nl != NULL ? 1 : 0);
      if (line_len > 0 && line[line_len - 1] == '\r')
        line_len--;
      if (line_len == 0)
        return nl != NULL ? offset : 0;
      if (!parse_header_line (line, line_len, &name, &params, &value))
        {
          *ok = FALSE;
          return 0;
        }
      if (content_type != NULL && g_ascii_strcasecmp (name, "Content-Type") == 0)
        {
          g_free (*content_type);
          *content_type = g_steal_pointer (&value);
        }
      else
        append_header (headers, canonical_name (name), params, value);
      if (nl == NULL)
        return 0;
    }
  return 0;
}

SipsCpimMessage *
sips_cpim_message_parse (const guint8  *data,
                         gsize          len,
                         GError       **error)
{
  g_autoptr(SipsCpimMessage) self = sips_cpim_message_new ();
  g_autofree char *content_type = NULL;
  gsize offset;
  gboolean ok;
  const char *cte;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  offset = parse_block (data, len, 0, self->headers, NULL, &ok);
  if (!ok || offset == 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   ok ? _("CPIM message without content") : _("Malformed CPIM header"));
      return NULL;
    }
  /* content headers; a content part that ends without its blank line has no content */
  offset = parse_block (data, len, offset, self->content_headers, &content_type, &ok);
  if (!ok)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Malformed CPIM content header"));
      return NULL;
    }
  if (content_type != NULL)
    {
      g_free (self->content_type);
      self->content_type = g_steal_pointer (&content_type);
    }

  cte = find_header (self->content_headers, "Content-Transfer-Encoding");
  if (offset == 0)
    take_content (self, (const guint8 *) "", 0, FALSE);
  else
    take_content (self, data + offset, len - offset,
                  cte != NULL && g_ascii_strcasecmp (cte, "base64") == 0);
  return g_steal_pointer (&self);
}

const char *
sips_cpim_message_get_header (const SipsCpimMessage *self,
                              const char            *name)
{
  const char *value = find_header (self->headers, name);

  return value != NULL ? value : find_header (self->content_headers, name);
}

static void
add_to_table (GHashTable   *table,
              const GArray *headers)
{
  for (guint i = 0; i < headers->len; i++)
    {
      const Header *h = &g_array_index (headers, Header, i);
      char *key = g_strconcat (h->name, h->params, NULL);
      const char *old = g_hash_table_lookup (table, key);

      if (old != NULL)
        g_hash_table_insert (table, key, g_strconcat (old, ", ", h->value, NULL));
      else
        g_hash_table_insert (table, key, g_strdup (h->value));
    }
}

GHashTable *
sips_cpim_message_dup_headers (const SipsCpimMessage *self)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  add_to_table (table, self->headers);
  add_to_table (table, self->content_headers);
  return table;
}

GDateTime *
sips_cpim_message_dup_datetime (const SipsCpimMessage *self)
{
  const char *value = find_header (self->headers, "DateTime");

  return value != NULL ? g_date_time_new_from_iso8601 (value, NULL) : NULL;
}

const char *
sips_cpim_message_get_content_type (const SipsCpimMessage *self)
{
  return self->content_type;
}

const char *
sips_cpim_message_get_content (const SipsCpimMessage *self,
                               gsize                 *len)
{
  if (len != NULL)
    *len = self->content_len;
  return self->content;
}

gboolean
sips_cpim_message_is_base64 (const SipsCpimMessage *self)
{
  return self->base64;
}

char *
sips_cpim_format_address (const char *display_name,
                          const char *uri)
{
  GString *s;
  gboolean plain = TRUE;

  if (display_name == NULL || *display_name == '\0')
    return g_strdup_printf ("<%s>", uri);

  /* Formal-name = 1*( Token SP ) / String */
  for (const char *p = display_name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-.!%*_+`'~", *p) == NULL &&
        !(*p == ' ' && p[1] != ' ' && p[1] != '\0' && p != display_name))
      plain = FALSE;
  if (plain)
    return g_strdup_printf ("%s <%s>", display_name, uri);

  s = g_string_new ("\"");
  for (const char *p = display_name; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      if (*p != '\r' && *p != '\n')
        g_string_append_c (s, *p);
    }
  g_string_append_printf (s, "\" <%s>", uri);
  return g_string_free (s, FALSE);
}

char *
sips_cpim_content_to_text (const guint8 *content,
                           gsize         len,
                           gboolean     *is_base64)
{
  gboolean text = g_utf8_validate ((const char *) content, (gssize) len, NULL) &&
                  memchr (content, '\0', len) == NULL;

  if (is_base64 != NULL)
    *is_base64 = !text;
  return text ? g_strndup ((const char *) content, len) : g_base64_encode (content, len);
}
