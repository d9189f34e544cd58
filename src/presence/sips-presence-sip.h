/* sips-presence-sip.h: what subscriptions and publications share on the SIP side:
 * the account's From, outbound proxy, Contact and digest credentials. */
#pragma once

#include <glib.h>
#include "config/sips-config-section.h"
#include "core/sips-sip-agent.h"

G_BEGIN_DECLS

/* The account a subscription or publication acts for (a plain copy of what it needs). */
typedef struct {
  SipsSipAgent      *agent;
  SipsConfigSection *config;
  char              *aor;    /* user@domain */
  char              *user;
} SipsPresenceAccount;

void  sips_presence_account_init  (SipsPresenceAccount *pa, SipsSipAgent *agent,
                                   SipsConfigSection *config, const char *aor);
void  sips_presence_account_clear (SipsPresenceAccount *pa);

/* "Display" <sip:aor> */
char *sips_presence_account_from  (SipsPresenceAccount *pa);
/* OutboundProxy as a URI, "" when unset. */
char *sips_presence_account_proxy (SipsPresenceAccount *pa);
/* Our Contact for requests to target (or through the proxy), NULL = sofia's pick. */
char *sips_presence_account_contact (SipsPresenceAccount *pa, const char *target);
/* Credentials for a 401/407 response (NUTAG_AUTH value), NULL when there is no challenge. */
char *sips_presence_account_credentials (SipsPresenceAccount *pa, gconstpointer sip);

/* A nua status for the contract: nua's internal 9xx become 0. */
static inline int
sips_presence_code (int status)
{
  return status < 700 ? status : 0;
}

G_END_DECLS
