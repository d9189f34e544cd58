/* sips-account.h: a SIP account (its configuration section + its registration state) */
#pragma once

#include <glib-object.h>
#include "config/sips-config-section.h"
#include "core/sips-sip-agent.h"
#include "account/sips-registration.h"
#include "presence/sips-publication.h"
#include "presence/sips-subscription.h"

G_BEGIN_DECLS

#define SIPS_TYPE_ACCOUNT (sips_account_get_type ())
G_DECLARE_FINAL_TYPE (SipsAccount, sips_account, SIPS, ACCOUNT, GObject)

/* The registration (state, registrar, expires, contact, the four Registration1 signals)
 * is a SipsRegistration of its own: see sips_account_get_registration(). Pager-mode
 * messages (SendMessage and its signals) are a SipsPager of its own. */
typedef struct _SipsPager SipsPager;

/* id: "user@domain". local: the built-in account 0 (never registers, cannot be removed). */
SipsAccount       *sips_account_new        (const char        *id,
                                            SipsConfigSection *config,
                                            gboolean           local);
const char        *sips_account_get_id     (SipsAccount *self);
gboolean           sips_account_is_local   (SipsAccount *self);
SipsConfigSection *sips_account_get_config (SipsAccount *self);
/* NULL for the local account (it never registers) and before the agent is attached. */
SipsRegistration  *sips_account_get_registration       (SipsAccount *self);
const char        *sips_account_get_registration_state (SipsAccount *self);
/* NULL before the agent is attached. */
SipsPager         *sips_account_get_pager              (SipsAccount *self);

/* Register()/Unregister(): PermissionDenied on the local account, InvalidState on a
 * disabled one. Register() registers now (or refreshes now); Unregister() unregisters
 * and the account stays unregistered until Register(), a configuration change that
 * asks for it, or the next start. */
gboolean sips_account_register   (SipsAccount *self, GError **error);
gboolean sips_account_unregister (SipsAccount *self, GError **error);

/* The SIP side. The engine attaches the agent when it makes the account, calls start()
 * once the agent runs (and for accounts added later), stop() before removal and at
 * shutdown. An enabled account with Register true registers by itself from start(). */
void sips_account_set_sip_agent (SipsAccount *self, SipsSipAgent *agent);
/* How long ended subscriptions and publications stay (Settings' TerminatedSessionLinger). */
typedef guint (*SipsAccountLingerFunc) (gpointer user_data);
void sips_account_set_linger_func (SipsAccount *self, SipsAccountLingerFunc func, gpointer user_data);
void sips_account_start         (SipsAccount *self);
void sips_account_stop          (SipsAccount *self);

/* Presence (src/presence): the account owns its subscriptions and publications. Disabling,
 * stopping or removing the account ends them on the wire; ended ones stay the linger time.
 * Signals: "presence-added" (GObject *: a SipsSubscription or SipsPublication),
 *          "presence-removed" (GObject *) once its linger time is over.
 * InvalidArgument for a malformed URI, an empty event or content type; InvalidState on a
 * disabled account or without a SIP stack. expires 0 = SubscribeInterval/PublishInterval.
 * Return the new object (transfer none). */
SipsSubscription *sips_account_subscribe (SipsAccount        *self,
                                          const char         *to_uri,
                                          const char         *event,
                                          const char * const *accept,
                                          guint               expires,
                                          GError            **error);
SipsPublication  *sips_account_publish   (SipsAccount        *self,
                                          const char         *event,
                                          const char         *content_type,
                                          const char         *body,
                                          guint               expires,
                                          GError            **error);
/* The subscriptions and publications not removed yet (transfer container). */
GPtrArray        *sips_account_list_presence (SipsAccount *self);

G_END_DECLS
