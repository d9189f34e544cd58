/* sips-subscription.h: an outgoing event subscription (RFC 6665) on sofia's nua */
#pragma once

#include <glib-object.h>
#include "config/sips-config-section.h"
#include "core/sips-sip-agent.h"

G_BEGIN_DECLS

#define SIPS_TYPE_SUBSCRIPTION (sips_subscription_get_type ())
G_DECLARE_FINAL_TYPE (SipsSubscription, sips_subscription, SIPS, SUBSCRIPTION, GObject)

/* Read-only, notified properties (as the contract's Subscription1):
 *   "to-uri" s, "event" s, "state" s (pending | active | terminated),
 *   "account" GObject (the owner; not referenced).
 * Signals (timestamp first, as Subscription1):
 *   "did-succeed" (gint64)                        -- first 2xx to the SUBSCRIBE
 *   "did-fail"    (gint64, gint code, const char *reason)  -- always followed by did-end
 *   "will-end"    (gint64)
 *   "did-end"     (gint64, const char *originator)        -- "local" or "remote"
 *   "got-notify"  (gint64, const char *content_type, const char *body,
 *                  const char *subscription_state)         -- every NOTIFY */

/* aor: the account's user@domain; config: its section (DisplayName, AuthUsername, Password,
 * OutboundProxy). accept: NULL or empty = the event's usual types. expires: seconds (> 0). */
SipsSubscription *sips_subscription_new (SipsSipAgent       *agent,
                                         SipsConfigSection  *config,
                                         const char         *aor,
                                         GObject            *account,
                                         const char         *to_uri,
                                         const char         *event,
                                         const char * const *accept,
                                         guint               expires);

/* Sends the SUBSCRIBE; a failure to do so is reported by did-fail + did-end. */
void        sips_subscription_start       (SipsSubscription *self);
/* Unsubscribe() of the contract: InvalidState once terminated or ending. */
gboolean    sips_subscription_unsubscribe (SipsSubscription *self, GError **error);
/* Ends it as Unsubscribe() does, if it has not ended yet (account disabled, removed, stop). */
void        sips_subscription_end         (SipsSubscription *self);
gboolean    sips_subscription_is_ended    (SipsSubscription *self);
const char *sips_subscription_get_state   (SipsSubscription *self);

/* accept for an event when the caller gives none (NULL = no Accept header). */
const char *sips_subscription_default_accept (const char *event);

G_END_DECLS
