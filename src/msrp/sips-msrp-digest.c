/* sips-msrp-digest.c: digest challenges and answers for MSRP AUTH (RFC 4976, RFC 2617) */
#include "sips-msrp-digest.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/sips-error.h"

void
sips_msrp_digest_challenge_free (SipsMsrpDigestChallenge *challenge)
{
  if (challenge == NULL)
    return;
  g_free (challenge->realm);
  g_free (challenge->nonce);
  g_free (challenge->opaque);
  g_free (challenge->algorithm);
  g_free (challenge);
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_space (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* A token or a quoted-string (unescaped) at *p; NULL on bad syntax. */
static char *
take_value (const char **p)
{
  const char *s = *p;
  GString *out;

  if (*s != '"')
    {
      const char *start = s;

      while (is_token_char (*s))
        s++;
      if (s == start)
        return NULL;
      *p = s;
      return g_strndup (start, s - start);
    }
  out = g_string_new (NULL);
  for (s++; *s != '"'; s++)
    {
      if (*s == '\\' && s[1] != '\0')
        s++;
      if (*s == '\0')
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append_c (out, *s);
    }
  *p = s + 1;
  return g_string_free (out, FALSE);
}

static gboolean
take_qop (SipsMsrpDigestChallenge *c, const char *value)
{
  g_auto(GStrv) options = g_strsplit (value, ",", -1);

  c->has_qop = TRUE;
  for (char **o = options; *o != NULL; o++)
    if (g_ascii_strcasecmp (g_strstrip (*o), "auth") == 0)
      c->qop_auth = TRUE;
  return TRUE;
}

SipsMsrpDigestChallenge *
sips_msrp_digest_challenge_parse (const char *value, GError **error)
{
  g_autoptr(SipsMsrpDigestChallenge) c = g_new0 (SipsMsrpDigestChallenge, 1);
  const char *p = skip_space (value != NULL ? value : "");

  if (g_ascii_strncasecmp (p, "Digest", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                   _("The MSRP relay asks for an authentication scheme other than Digest"));
      return NULL;
    }
  p += 6;
  for (;;)
    {
      g_autofree char *name = NULL;
      g_autofree char *val = NULL;
      const char *start;

      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      if (*p == '\0')
        break;
      for (start = p; is_token_char (*p); p++)
        ;
      name = g_strndup (start, p - start);
      p = skip_space (p);
      if (*name == '\0' || *p != '=')
        goto bad;
      p = skip_space (p + 1);
      if ((val = take_value (&p)) == NULL)
        goto bad;
      if (g_ascii_strcasecmp (name, "realm") == 0)
        g_free (c->realm), c->realm = g_steal_pointer (&val);
      else if (g_ascii_strcasecmp (name, "nonce") == 0)
        g_free (c->nonce), c->nonce = g_steal_pointer (&val);
      else if (g_ascii_strcasecmp (name, "opaque") == 0)
        g_free (c->opaque), c->opaque = g_steal_pointer (&val);
      else if (g_ascii_strcasecmp (name, "algorithm") == 0)
        g_free (c->algorithm), c->algorithm = g_steal_pointer (&val);
      else if (g_ascii_strcasecmp (name, "stale") == 0)
        c->stale = g_ascii_strcasecmp (val, "true") == 0;
      else if (g_ascii_strcasecmp (name, "qop") == 0)
        take_qop (c, val);
    }
  if (c->realm == NULL || c->nonce == NULL)
    goto bad;
  if (c->algorithm == NULL)
    c->algorithm = g_strdup ("MD5");
  if (g_ascii_strcasecmp (c->algorithm, "MD5") != 0 &&
      g_ascii_strcasecmp (c->algorithm, "MD5-sess") != 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                   _("The MSRP relay asks for the digest algorithm %s"), c->algorithm);
      return NULL;
    }
  if (c->has_qop && !c->qop_auth)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                   _("The MSRP relay asks for a digest quality of protection other than auth"));
      return NULL;
    }
  return g_steal_pointer (&c);

bad:
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
               _("The MSRP relay sent a malformed digest challenge"));
  return NULL;
}

static char *
md5_join (const char *first, ...)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);
  const char *part = first;
  va_list args;

  va_start (args, first);
  for (gboolean sep = FALSE; part != NULL; part = va_arg (args, const char *), sep = TRUE)
    {
      if (sep)
        g_checksum_update (sum, (const guchar *) ":", 1);
      g_checksum_update (sum, (const guchar *) part, strlen (part));
    }
  va_end (args);
  return g_strdup (g_checksum_get_string (sum));
}

/* ", name="value"" with quotes and backslashes escaped (no comma for the first one). */
static void
append_quoted (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, "%s%s=\"", g_str_has_suffix (out->str, "Digest") ? " " : ", ",
                          name);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

char *
sips_msrp_digest_authorization (const SipsMsrpDigestChallenge *challenge, const char *method,
                                const char *uri, const char *username, const char *password,
                                guint nc, const char *cnonce)
{
  g_autofree char *ha1 = md5_join (username, challenge->realm, password, NULL);
  g_autofree char *ha2 = md5_join (method, uri, NULL);
  g_autofree char *response = NULL;
  char ncs[9];
  GString *out = g_string_new ("Digest");

  g_snprintf (ncs, sizeof ncs, "%08x", nc);
  if (g_ascii_strcasecmp (challenge->algorithm, "MD5-sess") == 0)
    {
      g_autofree char *sess = md5_join (ha1, challenge->nonce, cnonce, NULL);

      g_free (ha1);
      ha1 = g_steal_pointer (&sess);
    }
  if (challenge->qop_auth)
    response = md5_join (ha1, challenge->nonce, ncs, cnonce, "auth", ha2, NULL);
  else
    response = md5_join (ha1, challenge->nonce, ha2, NULL);

  append_quoted (out, "username", username);
  append_quoted (out, "realm", challenge->realm);
  append_quoted (out, "nonce", challenge->nonce);
  append_quoted (out, "uri", uri);
  append_quoted (out, "response", response);
  g_string_append_printf (out, ", algorithm=%s", challenge->algorithm);
  if (challenge->qop_auth)
    {
      append_quoted (out, "cnonce", cnonce);
      g_string_append_printf (out, ", qop=auth, nc=%s", ncs);
    }
  if (challenge->opaque != NULL)
    append_quoted (out, "opaque", challenge->opaque);
  return g_string_free (out, FALSE);
}
