/* sips-pager.h: pager-mode instant messages (RFC 3428 SIP MESSAGE) of one account */
#pragma once

#include <glib-object.h>
#include "core/sips-sip-agent.h"

G_BEGIN_DECLS

#define SIPS_TYPE_PAGER (sips_pager_get_type ())
G_DECLARE_FINAL_TYPE (SipsPager, sips_pager, SIPS, PAGER, GObject)

/* typedef'd by sips-account.h too (C11 allows the repeat); no include cycle */
typedef struct _SipsAccount SipsAccount;

/* RFC 3428 §8: without congestion control a MESSAGE stays under 1300 bytes. A body
 * longer than this goes only where the URIs name TCP or TLS. */
#define SIPS_PAGER_UDP_BODY_LIMIT 1300

/* Signals, named and typed as Account1's (the D-Bus layer forwards them by name):
 *   "did-deliver-message"     (gint64 timestamp, const char *message_id, int code,
 *                              const char *reason): a 2xx answered the MESSAGE
 *   "did-not-deliver-message" (same): a final failure (408 on timeout; 0 when the SIP
 *                              stack went away with the MESSAGE in flight)
 *   "got-message"             (gint64 timestamp, const char *from_uri, const char *content,
 *                              const char *content_type, GVariant *cpim_headers (a{ss}),
 *                              const char *message_id (the SIP Call-ID))
 */

/* account: the owner, not referenced (it disposes the pager before it goes). */
SipsPager *sips_pager_new     (SipsAccount  *account,
                               SipsSipAgent *agent);

/* Sends content as a SIP MESSAGE to to_uri (content_type NULL or "" = text/plain) from
 * the account, through its OutboundProxy if it has one. Returns the message id (the
 * MESSAGE's Call-ID) that the delivery signal will carry. InvalidArgument: a malformed URI
 * or content type, empty content, or a body over SIPS_PAGER_UDP_BODY_LIMIT bytes when
 * the route is not TCP/TLS; InvalidState: the account is disabled; Failed: no SIP stack.
 * Nothing is sent on error. */
char      *sips_pager_send    (SipsPager   *self,
                               const char  *to_uri,
                               const char  *content,
                               const char  *content_type,
                               GError     **error);

/* An incoming MESSAGE (sip: a sip_t const *) on nh, for this account: "got-message"
 * (CPIM unwrapped, content that is not UTF-8 in base64), then 200 OK; a malformed CPIM
 * body is answered 400 and not reported. A handle nobody owns (a new request) is
 * destroyed after the answer; a dialog's stays its owner's. */
void       sips_pager_receive (SipsPager     *self,
                               gpointer       nh,
                               gconstpointer  sip);

G_END_DECLS
