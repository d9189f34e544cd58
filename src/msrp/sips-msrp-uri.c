/* sips-msrp-uri.c: msrp:// and msrps:// URIs (RFC 4975 §6 and §9) */
#include "sips-msrp-uri.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "core/sips-error.h"
#include "sips-msrp-grammar.h"

/* RFC 3986 character classes; ';' and '/' end the authority in an MSRP URI. */
static gboolean
is_unreserved (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static gboolean
is_sub_delim_but_semicolon (char c)
{
  return c != '\0' && strchr ("!$&'()*+,=", c) != NULL;
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-.!%*_+`'~", c) != NULL);
}

/* unreserved / pct-encoded / sub-delims (and ':' in userinfo) */
static gboolean
is_valid_component (const char *s,
                    gsize       len,
                    gboolean    allow_colon)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '%')
        {
          if (i + 2 >= len || !g_ascii_isxdigit (s[i + 1]) || !g_ascii_isxdigit (s[i + 2]))
            return FALSE;
          i += 2;
        }
      else if (!is_unreserved (c) && !is_sub_delim_but_semicolon (c) &&
               !(allow_colon && c == ':'))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_valid_token (const char *s,
                gsize       len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!is_token_char (s[i]))
      return FALSE;
  return TRUE;
}

static SipsMsrpUri *
fail (GError     **error,
      const char  *text,
      const char  *why)
{
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an MSRP URI: %s"), text, why);
  return NULL;
}

/* host [":" port] between p and end; NULL on success, else why not. */
static const char *
parse_host_port (SipsMsrpUri *uri,
                 const char  *p,
                 const char  *end)
{
  const char *host_end, *colon = NULL;

  if (p < end && *p == '[')
    {
      g_autofree char *literal = NULL;
      g_autoptr(GInetAddress) address = NULL;
      const char *close = memchr (p, ']', (gsize) (end - p));

      if (close == NULL)
        return _("unterminated IPv6 address");
      literal = g_strndup (p + 1, (gsize) (close - p - 1));
      address = g_inet_address_new_from_string (literal);
      if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
        return _("invalid IPv6 address");
      uri->host = g_steal_pointer (&literal);
      host_end = close + 1;
      if (host_end < end && *host_end != ':')
        return _("junk after the IPv6 address");
      if (host_end < end)
        colon = host_end;
    }
  else
    {
      colon = memchr (p, ':', (gsize) (end - p));
      host_end = colon != NULL ? colon : end;
      if (host_end == p)
        return _("empty host");
      if (!is_valid_component (p, (gsize) (host_end - p), FALSE))
        return _("invalid host");
      uri->host = g_strndup (p, (gsize) (host_end - p));
    }

  if (colon != NULL)
    {
      guint64 port;

      if (!sips_msrp_parse_number (colon + 1, (gsize) (end - colon - 1), &port) ||
          port == 0 || port > 65535)
        return _("invalid port");
      uri->port = (guint16) port;
    }
  return NULL;
}

static gboolean
is_session_id_char (char c)
{
  return is_unreserved (c) || c == '+' || c == '=' || c == '/';
}

SipsMsrpUri *
sips_msrp_uri_parse (const char  *text,
                     GError     **error)
{
  g_autoptr(SipsMsrpUri) uri = g_new0 (SipsMsrpUri, 1);
  const char *p, *authority_end, *at, *semicolon, *why;

  g_return_val_if_fail (text != NULL, NULL);

  if (g_ascii_strncasecmp (text, "msrps://", 8) == 0)
    {
      uri->secure = TRUE;
      p = text + 8;
    }
  else if (g_ascii_strncasecmp (text, "msrp://", 7) == 0)
    p = text + 7;
  else
    return fail (error, text, _("the scheme is not msrp or msrps"));

  /* authority: up to the session-id or the transport */
  authority_end = p + strcspn (p, "/;");
  at = memchr (p, '@', (gsize) (authority_end - p));
  if (at != NULL)
    {
      if (!is_valid_component (p, (gsize) (at - p), TRUE))
        return fail (error, text, _("invalid user part"));
      uri->user = g_strndup (p, (gsize) (at - p));
      p = at + 1;
    }
  why = parse_host_port (uri, p, authority_end);
  if (why != NULL)
    return fail (error, text, why);
  p = authority_end;

  if (*p == '/')
    {
      const char *id = ++p;

      while (is_session_id_char (*p))
        p++;
      if (p == id)
        return fail (error, text, _("empty session-id"));
      uri->session_id = g_strndup (id, (gsize) (p - id));
    }

  /* the transport is mandatory */
  if (*p != ';')
    return fail (error, text, _("no transport parameter"));
  p++;
  semicolon = p + strcspn (p, ";");
  for (const char *t = p; t < semicolon; t++)
    if (!g_ascii_isalnum (*t))
      return fail (error, text, _("invalid transport"));
  if (semicolon == p)
    return fail (error, text, _("invalid transport"));
  uri->transport = g_ascii_strdown (p, semicolon - p);
  p = semicolon;

  /* *( ";" token ["=" token] ) */
  if (*p != '\0')
    {
      const char *params = p;

      while (*p == ';')
        {
          const char *name = ++p, *value;
          gsize name_len = strcspn (name, "=;"), value_len;

          if (!is_valid_token (name, name_len))
            return fail (error, text, _("invalid parameter"));
          p = name + name_len;
          if (*p == '=')
            {
              value = ++p;
              value_len = strcspn (value, ";");
              if (!is_valid_token (value, value_len))
                return fail (error, text, _("invalid parameter"));
              p = value + value_len;
            }
        }
      if (*p != '\0')
        return fail (error, text, _("junk after the parameters"));
      uri->params = g_strdup (params);
    }

  return g_steal_pointer (&uri);
}

SipsMsrpUri *
sips_msrp_uri_new (gboolean    secure,
                   const char *host,
                   guint16     port,
                   const char *session_id)
{
  SipsMsrpUri *uri = g_new0 (SipsMsrpUri, 1);

  g_return_val_if_fail (host != NULL, NULL);

  uri->secure = secure;
  uri->host = g_strdup (host);
  uri->port = port;
  uri->session_id = g_strdup (session_id);
  uri->transport = g_strdup ("tcp");
  return uri;
}

SipsMsrpUri *
sips_msrp_uri_copy (const SipsMsrpUri *uri)
{
  SipsMsrpUri *copy = g_new0 (SipsMsrpUri, 1);

  copy->secure = uri->secure;
  copy->user = g_strdup (uri->user);
  copy->host = g_strdup (uri->host);
  copy->port = uri->port;
  copy->session_id = g_strdup (uri->session_id);
  copy->transport = g_strdup (uri->transport);
  copy->params = g_strdup (uri->params);
  return copy;
}

void
sips_msrp_uri_free (SipsMsrpUri *uri)
{
  if (uri == NULL)
    return;
  g_free (uri->user);
  g_free (uri->host);
  g_free (uri->session_id);
  g_free (uri->transport);
  g_free (uri->params);
  g_free (uri);
}

char *
sips_msrp_uri_to_string (const SipsMsrpUri *uri)
{
  GString *s = g_string_new (uri->secure ? "msrps://" : "msrp://");

  if (uri->user != NULL)
    g_string_append_printf (s, "%s@", uri->user);
  if (strchr (uri->host, ':') != NULL)
    g_string_append_printf (s, "[%s]", uri->host);
  else
    g_string_append (s, uri->host);
  if (uri->port != 0)
    g_string_append_printf (s, ":%u", uri->port);
  if (uri->session_id != NULL)
    g_string_append_printf (s, "/%s", uri->session_id);
  g_string_append_printf (s, ";%s", uri->transport != NULL ? uri->transport : "tcp");
  if (uri->params != NULL)
    g_string_append (s, uri->params);
  return g_string_free (s, FALSE);
}

/* Lower-cased, with percent-encoded unreserved characters decoded (RFC 3986 §6.2.2). */
static char *
normalize_host (const char *host)
{
  GString *s = g_string_new (NULL);

  for (const char *p = host; *p != '\0'; p++)
    {
      if (p[0] == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
        {
          char c = (char) (g_ascii_xdigit_value (p[1]) * 16 + g_ascii_xdigit_value (p[2]));

          if (is_unreserved (c))
            {
              g_string_append_c (s, g_ascii_tolower (c));
              p += 2;
              continue;
            }
          g_string_append_c (s, '%');
          g_string_append_c (s, g_ascii_toupper (p[1]));
          g_string_append_c (s, g_ascii_toupper (p[2]));
          p += 2;
          continue;
        }
      g_string_append_c (s, g_ascii_tolower (*p));
    }
  return g_string_free (s, FALSE);
}

static gboolean
hosts_equal (const char *a,
             const char *b)
{
  g_autoptr(GInetAddress) ia = g_inet_address_new_from_string (a);
  g_autoptr(GInetAddress) ib = g_inet_address_new_from_string (b);
  g_autofree char *na = NULL;
  g_autofree char *nb = NULL;

  if (ia != NULL && ib != NULL)
    return g_inet_address_equal (ia, ib);
  if ((ia != NULL) != (ib != NULL))
    return FALSE;
  na = normalize_host (a);
  nb = normalize_host (b);
  return strcmp (na, nb) == 0;
}

gboolean
sips_msrp_uri_equal (const SipsMsrpUri *a,
                     const SipsMsrpUri *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->secure == b->secure &&
         a->port == b->port &&
         g_strcmp0 (a->session_id, b->session_id) == 0 &&
         g_ascii_strcasecmp (a->transport, b->transport) == 0 &&
         hosts_equal (a->host, b->host);
}

gboolean
sips_msrp_uri_str_equal (const char *a,
                         const char *b)
{
  g_autoptr(SipsMsrpUri) ua = sips_msrp_uri_parse (a, NULL);
  g_autoptr(SipsMsrpUri) ub = sips_msrp_uri_parse (b, NULL);

  return ua != NULL && ub != NULL && sips_msrp_uri_equal (ua, ub);
}

GPtrArray *
sips_msrp_uri_parse_path (const char  *value,
                          GError     **error)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func ((GDestroyNotify) sips_msrp_uri_free);
  g_auto(GStrv) parts = g_strsplit (value, " ", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      SipsMsrpUri *uri;

      if (parts[i][0] == '\0')
        continue;  /* tolerate doubled spaces */
      uri = sips_msrp_uri_parse (parts[i], error);
      if (uri == NULL)
        return NULL;
      g_ptr_array_add (path, uri);
    }
  if (path->len == 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Empty MSRP path"));
      return NULL;
    }
  return g_steal_pointer (&path);
}
