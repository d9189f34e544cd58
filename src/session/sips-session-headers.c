/* sips-session-headers.c: what a session puts in (and reads from) SIP headers:
 * From, the route, digest credentials, URIs as strings (the Contact is the agent's:
 * sips_sip_agent_contact_for()) */
#include "sips-session-headers.h"

#include <string.h>
#include <sofia-sip/sip_header.h>

char *
sips_headers_url_string (const url_t *url)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  char *s = url != NULL ? url_as_string (home, url) : NULL;
  char *result = g_strdup (s != NULL ? s : "");

  su_home_deinit (home);
  return result;
}

/* "user@domain" -> "user" */
char *
sips_headers_user_part (const char *id)
{
  const char *at = strrchr (id, '@');

  return at != NULL ? g_strndup (id, at - id) : g_strdup (id);
}

/* From: "Display Name" <sip:user@domain> */
char *
sips_headers_from (SipsAccount *account)
{
  const char *display = sips_config_section_get_string (sips_account_get_config (account),
                                                        "DisplayName");
  GString *from = g_string_new (NULL);

  if (display != NULL && *display != '\0')
    {
      g_string_append_c (from, '"');
      for (const char *p = display; *p != '\0'; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (from, '\\');
          g_string_append_c (from, *p);
        }
      g_string_append (from, "\" ");
    }
  g_string_append_printf (from, "<sip:%s>", sips_account_get_id (account));
  return g_string_free (from, FALSE);
}

/* To: <callee>. Bare, the URI's parameters (;transport=tcp) would be the header's and
 * the Request-URI, made from To, would lose them. */
char *
sips_headers_to (const char *callee)
{
  if (strchr (callee, '<') != NULL)
    return g_strdup (callee);
  return g_strdup_printf ("<%s>", callee);
}

/* The account's OutboundProxy as a URI ("" = none; host[:port] is allowed there). */
char *
sips_headers_outbound_proxy (SipsAccount *account)
{
  const char *proxy = sips_config_section_get_string (sips_account_get_config (account),
                                                      "OutboundProxy");

  if (*proxy == '\0' || g_ascii_strncasecmp (proxy, "sip:", 4) == 0 ||
      g_ascii_strncasecmp (proxy, "sips:", 5) == 0)
    return g_strdup (proxy);
  return g_strconcat ("sip:", proxy, NULL);
}

/* NUTAG_AUTH's "scheme:\"realm\":user:password" for the challenge, or NULL. */
char *
sips_headers_credentials (SipsAccount *account, int status, const sip_t *sip)
{
  const msg_auth_t *au = status == 401 ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
  SipsConfigSection *config;
  const char *password, *auth_user, *realm;
  g_autofree char *user = NULL;

  if (au == NULL || account == NULL)
    return NULL;
  config = sips_account_get_config (account);
  password = sips_config_section_get_string (config, "Password");
  auth_user = sips_config_section_get_string (config, "AuthUsername");
  realm = msg_params_find (au->au_params, "realm=");
  if (password == NULL || *password == '\0' || realm == NULL)
    return NULL;
  user = (auth_user != NULL && *auth_user != '\0') ? g_strdup (auth_user)
                                                   : sips_headers_user_part (sips_account_get_id (account));
  if (realm[0] == '"')
    return g_strdup_printf ("%s:%s:%s:%s", au->au_scheme, realm, user, password);
  return g_strdup_printf ("%s:\"%s\":%s:%s", au->au_scheme, realm, user, password);
}

/* The transport a call to callee via proxy ("" = none) uses, as far as the URIs say. */
const char *
sips_headers_transport_of_target (const char *callee, const char *proxy)
{
  const char *target = *proxy != '\0' ? proxy : callee;
  g_autofree char *lower = g_ascii_strdown (target, -1);

  if (g_str_has_prefix (lower, "sips:") || strstr (lower, ";transport=tls") != NULL)
    return "tls";
  if (strstr (lower, ";transport=tcp") != NULL)
    return "tcp";
  return "udp";
}

const char *
sips_headers_transport_of_request (const sip_t *sip)
{
  const char *protocol = sip->sip_via != NULL ? sip->sip_via->v_protocol : NULL;

  if (protocol != NULL && g_str_has_suffix (protocol, "/TLS"))
    return "tls";
  if (protocol != NULL && g_str_has_suffix (protocol, "/TCP"))
    return "tcp";
  return "udp";
}
