/* sips-presence-sip.c: From, proxy, Contact and credentials of an account's presence
 * requests, as the account's registration makes them (sips-registration.c). */
#include "sips-presence-sip.h"

#include <string.h>

#include "account/sips-registration-sip.h"

void
sips_presence_account_init (SipsPresenceAccount *pa, SipsSipAgent *agent,
                            SipsConfigSection *config, const char *aor)
{
  const char *at = strchr (aor, '@');

  pa->agent = g_object_ref (agent);
  pa->config = g_object_ref (config);
  pa->aor = g_strdup (aor);
  pa->user = at != NULL ? g_strndup (aor, at - aor) : g_strdup (aor);
}

void
sips_presence_account_clear (SipsPresenceAccount *pa)
{
  g_clear_object (&pa->agent);
  g_clear_object (&pa->config);
  g_clear_pointer (&pa->aor, g_free);
  g_clear_pointer (&pa->user, g_free);
}

char *
sips_presence_account_from (SipsPresenceAccount *pa)
{
  return sips_registration_sip_name_addr (sips_config_section_get_string (pa->config, "DisplayName"),
                                          pa->aor);
}

char *
sips_presence_account_proxy (SipsPresenceAccount *pa)
{
  const char *proxy = sips_config_section_get_string (pa->config, "OutboundProxy");

  if (*proxy == '\0')
    return g_strdup ("");
  if (g_ascii_strncasecmp (proxy, "sip:", 4) == 0 || g_ascii_strncasecmp (proxy, "sips:", 5) == 0)
    return g_strdup (proxy);
  return g_strconcat ("sip:", proxy, NULL);
}

char *
sips_presence_account_contact (SipsPresenceAccount *pa, const char *target)
{
  static const char * const fallbacks[] = { "udp", "tcp", "tls" };
  g_autofree char *proxy = sips_presence_account_proxy (pa);
  const char *transport = sips_registration_sip_transport (*proxy != '\0' ? proxy : target);
  char *contact = sips_sip_agent_contact_for (pa->agent, transport, pa->user);

  for (gsize i = 0; contact == NULL && i < G_N_ELEMENTS (fallbacks); i++)
    contact = sips_sip_agent_contact_for (pa->agent, fallbacks[i], pa->user);
  return contact;
}

char *
sips_presence_account_credentials (SipsPresenceAccount *pa, gconstpointer sip)
{
  const char *auth_user = sips_config_section_get_string (pa->config, "AuthUsername");

  return sips_registration_sip_credentials (sip, *auth_user != '\0' ? auth_user : pa->user,
                                            sips_config_section_get_string (pa->config, "Password"));
}
