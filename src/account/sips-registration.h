/* sips-registration.h: the REGISTER side of an account (RFC 3261 section 10) on sofia's nua */
#pragma once

#include <glib-object.h>
#include "config/sips-config-section.h"
#include "core/sips-sip-agent.h"

G_BEGIN_DECLS

#define SIPS_TYPE_REGISTRATION (sips_registration_get_type ())
G_DECLARE_FINAL_TYPE (SipsRegistration, sips_registration, SIPS, REGISTRATION, GObject)

/* Read-only, notified properties:
 *   "state" s: unregistered | registering | registered | unregistering | failed
 *   "registrar" s: where the REGISTER goes (the OutboundProxy, else sip:<domain>)
 *   "expires" u: seconds the registrar granted (0 when not registered)
 *   "contact-uri" s: our binding as the registrar returned it
 * Signals (as the contract's Registration1 signals, timestamp first):
 *   "did-succeed" (gint64, const char *contact_uri, GStrv contact_uri_list, guint expires,
 *                  const char *registrar)  -- also after every refresh
 *   "did-fail"    (gint64, gint code, const char *reason, guint retry_after)
 *   "will-end"    (gint64)
 *   "did-end"     (gint64, gboolean expired)  -- expired: the binding ran out or could
 *                                                not be removed, rather than removed */

/* aor: "user@domain"; config: the account's section (Enabled, Register, DisplayName,
 * AuthUsername, Password, OutboundProxy, RegisterInterval are read from it). */
SipsRegistration *sips_registration_new (const char        *aor,
                                         SipsConfigSection *config,
                                         SipsSipAgent      *agent);

/* Registers when the account is enabled with Register true, and from then on follows
 * the configuration. */
void     sips_registration_start      (SipsRegistration *self);
/* Unregisters (best effort) and ignores the configuration until the next start(). The
 * un-REGISTER is on its way when this returns (nua_shutdown waits for it). */
void     sips_registration_stop       (SipsRegistration *self);
/* Register()/Unregister() of the contract: register now (or refresh now), unregister. */
void     sips_registration_register   (SipsRegistration *self);
void     sips_registration_unregister (SipsRegistration *self);

/* The owner drops its reference: an un-REGISTER still in flight finishes on its own
 * (its response, a new nua, or a time limit), then the object goes. No signals after this. */
void     sips_registration_release    (SipsRegistration *self);

const char *sips_registration_get_state       (SipsRegistration *self);
const char *sips_registration_get_registrar   (SipsRegistration *self);
guint       sips_registration_get_expires     (SipsRegistration *self);
const char *sips_registration_get_contact_uri (SipsRegistration *self);

/* Back-off after a failure: first delay, doubled after every further failure up to the
 * maximum (seconds). A Retry-After from the registrar is honoured when longer. */
#define SIPS_REGISTRATION_RETRY_MIN 30
#define SIPS_REGISTRATION_RETRY_MAX 1800

G_END_DECLS
