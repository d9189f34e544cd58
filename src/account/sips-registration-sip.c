/* sips-registration-sip.c: what a registration puts into and reads out of SIP messages */
#include "sips-registration-sip.h"

#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

char *
sips_registration_sip_name_addr (const char *display_name, const char *aor)
{
  GString *s = g_string_new (NULL);

  if (display_name != NULL && *display_name != '\0')
    {
      g_string_append_c (s, '"');
      for (const char *p = display_name; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append (s, "\" ");
    }
  g_string_append_printf (s, "<sip:%s>", aor);
  return g_string_free (s, FALSE);
}

const char *
sips_registration_sip_transport (const char *uri)
{
  const char *param = strstr (uri, ";transport=");

  if (g_ascii_strncasecmp (uri, "sips:", 5) == 0)
    return "tls";
  if (param == NULL)
    return "udp";
  param += strlen (";transport=");
  if (g_ascii_strncasecmp (param, "tcp", 3) == 0)
    return "tcp";
  if (g_ascii_strncasecmp (param, "tls", 3) == 0)
    return "tls";
  return "udp";
}

/* sofia's own pick would be the first transport it bound, whatever the registrar's. */

char *
sips_registration_sip_credentials (gconstpointer sip_message, const char *auth_user,
                                   const char *password)
{
  const sip_t *sip = sip_message;
  const msg_auth_t *challenge = NULL;
  const char *realm;
  gboolean quoted;

  if (sip != NULL)
    challenge = sip->sip_www_authenticate != NULL ? sip->sip_www_authenticate
                                                  : sip->sip_proxy_authenticate;
  if (challenge == NULL || challenge->au_scheme == NULL)
    return NULL;
  realm = msg_header_find_param (challenge->au_common, "realm=");
  if (realm == NULL)
    return NULL;

  quoted = realm[0] == '"';
  return g_strdup_printf ("%s:%s%s%s:%s:%s", challenge->au_scheme, quoted ? "" : "\"", realm,
                          quoted ? "" : "\"", auth_user, password);
}

/* Does port (NULL = 5060) name one of the listening URIs' ports? */
static gboolean
is_listening_port (const char * const *listening_uris, const char *port)
{
  if (port == NULL)
    port = "5060";
  for (guint i = 0; listening_uris[i] != NULL; i++)
    {
      const char *colon = strrchr (listening_uris[i], ':');
      gsize n;

      if (colon == NULL)
        continue;
      n = strcspn (colon + 1, ";");
      if (strlen (port) == n && strncmp (colon + 1, port, n) == 0)
        return TRUE;
    }
  return FALSE;
}

void
sips_registration_sip_read_success (gconstpointer        sip_message,
                                    const char          *user,
                                    const char * const  *listening_uris,
                                    guint                requested,
                                    GStrv               *contacts,
                                    char               **ours,
                                    guint               *expires)
{
  const sip_t *sip = sip_message;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  su_home_t home[1] = { SU_HOME_INIT (home) };
  gboolean any_port = listening_uris == NULL || listening_uris[0] == NULL;

  *ours = NULL;
  *expires = requested;
  if (sip != NULL && sip->sip_expires != NULL)
    *expires = sip->sip_expires->ex_delta;

  for (const sip_contact_t *m = sip != NULL ? sip->sip_contact : NULL; m != NULL; m = m->m_next)
    {
      char *uri = url_as_string (home, m->m_url);

      if (uri == NULL)
        continue;
      g_strv_builder_add (builder, uri);
      if (*ours == NULL && g_strcmp0 (m->m_url->url_user, user) == 0 &&
          (any_port || is_listening_port (listening_uris, m->m_url->url_port)))
        {
          *ours = g_strdup (uri);
          if (m->m_expires != NULL)
            *expires = (guint) strtoul (m->m_expires, NULL, 10);
        }
    }
  su_home_deinit (home);
  *contacts = g_strv_builder_end (builder);
}

guint
sips_registration_sip_retry_after (gconstpointer sip_message)
{
  const sip_t *sip = sip_message;

  if (sip == NULL || sip->sip_retry_after == NULL)
    return 0;
  return (guint) sip->sip_retry_after->af_delta;
}
