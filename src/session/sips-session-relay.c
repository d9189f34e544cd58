/* sips-session-relay.c: the initial INVITE and its 200 on the SIP side of a session,
 * and their wait for the chat's MSRP relay
 *
 * A chat stream through a relay needs the relay's AUTH first (our path carries its
 * Use-Path): the INVITE (outgoing) or the 200 (incoming) waits with awaiting_relay set and
 * nothing sent; the relay's answer sends it or fails the session. */
#include "sips-session-sip-private.h"

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include "sips-session-chat.h"
#include "sips-session-ice.h"
#include "sips-session-media.h"

static void
send_invite_now (SipsSessionSip *self)
{
  g_autofree char *sdp = NULL;

  sips_session_media_prepare_offer (self->media);
  sdp = sips_session_sip_user_sdp (self);
  /* no Contact here: the handle's (sips_session_sip_connect) is the one */
  nua_invite (self->nh, SOATAG_USER_SDP_STR (sdp), SIPS_OFFER_ANSWER_TAGS, TAG_END ());
}

/* once our ICE candidates are known (at most SIPS_ICE_GATHER_TIMEOUT_MS) */
void
sips_session_sip_send_invite (SipsSessionSip *self)
{
  sips_session_ice_when_gathered (self->ice, send_invite_now);
}

/* The chat's relay answered our AUTH: the INVITE goes, or the session fails unsent. */
static void
on_offer_relay_ready (SipsSessionSip *self, const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (error == NULL && !sips_session_chat_prepare_offer (self->chat, &local_error))
    error = local_error;
  if (error != NULL)
    {
      sips_session_sip_fail (self, 0, error->message);  /* while awaiting_relay: at once */
      return;
    }
  self->awaiting_relay = FALSE;
  sips_session_sip_send_invite (self);
}

static void
send_answer_now (SipsSessionSip *self)
{
  g_autofree char *sdp = sips_session_sip_user_sdp (self);

  if (self->nh == NULL)
    return;
  nua_respond (self->nh, SIP_200_OK, SOATAG_USER_SDP_STR (sdp), SIPS_OFFER_ANSWER_TAGS,
               TAG_IF (self->contact != NULL, SIPTAG_CONTACT_STR (self->contact)), TAG_END ());
  self->got_2xx = TRUE;
  g_signal_emit_by_name (self->session, "will-start", g_get_real_time ());
}

void
sips_session_sip_send_answer (SipsSessionSip *self)
{
  sips_session_ice_when_gathered (self->ice, send_answer_now);
}

/* The chat's relay answered our AUTH: the 200 goes, or the INVITE is refused. */
static void
on_answer_relay_ready (SipsSessionSip *self, const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (error == NULL &&
      !sips_session_chat_prepare_answer (self->chat, self->initial_offer, &local_error))
    error = local_error;
  if (error != NULL)
    {
      sips_session_sip_fail (self, 0, error->message);  /* while awaiting_relay: a 500 */
      return;
    }
  self->awaiting_relay = FALSE;
  if (self->nh != NULL)
    sips_session_sip_send_answer (self);
}

void
sips_session_relay_await_offer (SipsSessionSip *self)
{
  self->awaiting_relay = TRUE;
  sips_session_chat_authenticate (self->chat, NULL, on_offer_relay_ready);
}

void
sips_session_relay_await_answer (SipsSessionSip *self)
{
  self->awaiting_relay = TRUE;
  sips_session_chat_authenticate (self->chat, self->initial_offer, on_answer_relay_ready);
}

void
sips_session_relay_abandon (SipsSessionSip *self)
{
  /* nothing sent yet: the AUTH at the MSRP relay is dropped */
  self->awaiting_relay = FALSE;
  sips_session_chat_cancel_relay (self->chat);
  if (self->outgoing)
    sips_session_sip_finish (self, NULL, 0, NULL, "local");
  else if (self->fail_reason != NULL)
    nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
  else
    nua_respond (self->nh, SIP_486_BUSY_HERE, TAG_END ());
}
