/* sips-publication.h: an event publication (RFC 3903) on sofia's nua */
#pragma once

#include <glib-object.h>
#include "config/sips-config-section.h"
#include "core/sips-sip-agent.h"

G_BEGIN_DECLS

#define SIPS_TYPE_PUBLICATION (sips_publication_get_type ())
G_DECLARE_FINAL_TYPE (SipsPublication, sips_publication, SIPS, PUBLICATION, GObject)

/* Read-only, notified properties (as the contract's Publication1):
 *   "event" s, "state" s (publishing | published | unpublishing | unpublished | failed),
 *   "etag" s, "expires" u, "account" GObject (the owner; not referenced).
 * Signals (timestamp first, as Publication1):
 *   "did-succeed" (gint64, guint expires)  -- every successful PUBLISH (initial, refresh, update)
 *   "did-fail"    (gint64, gint code, const char *reason)  -- always followed by did-end
 *   "will-end"    (gint64)
 *   "did-end"     (gint64) */

/* The longest document a PUBLISH carries: peers (ours too) refuse SIP messages over
 * 64 KiB. Longer ones are InvalidArgument. */
#define SIPS_PUBLICATION_MAX_BODY (60 * 1024)

/* aor: the account's user@domain (the PUBLISH goes to it); config: its section. */
SipsPublication *sips_publication_new (SipsSipAgent      *agent,
                                       SipsConfigSection *config,
                                       const char        *aor,
                                       GObject           *account,
                                       const char        *event,
                                       const char        *content_type,
                                       const char        *body,
                                       guint              expires);

/* Sends the initial PUBLISH; a failure to do so is reported by did-fail + did-end. */
void        sips_publication_start    (SipsPublication *self);
/* Update()/End() of the contract: InvalidArgument for an empty content type, InvalidState
 * once ending or ended. */
gboolean    sips_publication_update   (SipsPublication *self, const char *content_type,
                                       const char *body, GError **error);
gboolean    sips_publication_unpublish (SipsPublication *self, GError **error);
/* Ends it as End() does, if it has not ended yet (account disabled, removed, stop). */
void        sips_publication_end      (SipsPublication *self);
gboolean    sips_publication_is_ended (SipsPublication *self);
const char *sips_publication_get_state (SipsPublication *self);

G_END_DECLS
