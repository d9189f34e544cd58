/* sips-session-sip-incoming.c: an incoming INVITE on the SIP side of a session: taken
 * (NewIncoming, -> INCOMING, 180), told a file offer (RFC 5547 push: a=sendonly with
 * a=file-selector and no audio; announced by its transfer, no ring) or not, refused
 * before a session exists (488 with a Warning), accepted (the 200, maybe after the MSRP
 * relay's AUTH) or rejected (603). */
#include "sips-session-sip-private.h"

#include <glib/gi18n.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include "core/sips-error.h"
#include "sips-sdp.h"
#include "sips-session-ice.h"
#include "sips-session-chat.h"
#include "sips-session-headers.h"
#include "sips-session-media.h"

static void
emit_new_incoming (SipsSession *session, gboolean has_audio, gboolean has_chat)
{
  g_signal_emit_by_name (session, "new-incoming", g_get_real_time (), has_audio, has_chat);
}

void
sips_session_sip_take_incoming (SipsSessionSip *self, gpointer nh, gconstpointer sip_,
                                SipsAccount *account)
{
  const sip_t *sip = sip_;
  g_autofree char *remote_uri = sips_headers_url_string (sip->sip_from != NULL ? sip->sip_from->a_url : NULL);
  g_autofree char *local_uri = sips_headers_url_string (sip->sip_to != NULL ? sip->sip_to->a_url : NULL);
  const char *soa_address;

  self->nh = nh;
  self->nua = sips_sip_agent_get_nua (self->agent);
  self->outgoing = FALSE;
  sips_session_sip_note_call_id (self, sip);
  g_set_object (&self->account, account);
  self->contact = sips_sip_agent_contact_for (self->agent, sips_headers_transport_of_request (sip),
                                              sip->sip_request != NULL
                                              ? sip->sip_request->rq_url->url_user : NULL);
  nua_handle_bind (self->nh, &self->owner);
  soa_address = sips_session_sip_soa_address (sips_config_section_get_string (self->rtp,
                                                                              "LocalRtpAddress"));
  nua_set_hparams (self->nh, NUTAG_AUTOANSWER (0),
                   TAG_IF (soa_address != NULL, SOATAG_ADDRESS (soa_address)), TAG_END ());

  /* an INVITE without SDP wants our offer in the 200: audio then */
  self->offered_audio = TRUE;
  if (sip->sip_payload != NULL && sip->sip_payload->pl_data != NULL &&
      sip->sip_payload->pl_len > 0)
    {
      g_autofree char *body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
      SipsSdpInfo offer = { 0 };

      SipsSdpChat chat = { 0 };

      if (sips_sdp_parse (body, &offer))
        {
          self->offered_audio = offer.has_audio;
          self->offered_chat = offer.has_chat;
        }
      sips_sdp_info_clear (&offer);
      /* a push (a=sendonly); a pull request (a=recvonly) is not served */
      self->file_offer = sips_sdp_parse_chat (body, &chat) && chat.present &&
                         chat.file_selector != NULL && !chat.recvonly && !self->offered_audio;
      sips_sdp_chat_clear (&chat);
      self->initial_offer = g_steal_pointer (&body);
    }

  sips_session_set_string_prop (self->session, "direction", "incoming");
  sips_session_set_account (self->session, account);
  sips_session_set_string_prop (self->session, "local-uri", local_uri);
  sips_session_set_string_prop (self->session, "remote-uri", remote_uri);
  sips_session_set_string_prop (self->session, "caller-uri", remote_uri);
  sips_session_set_string_prop (self->session, "callee-uri", local_uri);
  sips_session_sip_note_user_agent (self, sip);

  /* a file offer is announced by its transfer (IncomingFileTransfer) and does not ring */
  if (!self->file_offer)
    emit_new_incoming (self->session, self->offered_audio, self->offered_chat);
  sips_session_set_state (self->session, SIPS_SESSION_STATE_INCOMING);
  sips_session_sip_start_answer_timer (self);
  if (self->nh != NULL)
    nua_respond (self->nh, SIP_180_RINGING,
                 TAG_IF (self->contact != NULL, SIPTAG_CONTACT_STR (self->contact)), TAG_END ());
  if (sips_session_get_state (self->session) == SIPS_SESSION_STATE_INCOMING && !self->file_offer)
    sips_session_media_ring_inbound (self->media, remote_uri);
}

gboolean
sips_session_sip_is_file_offer (SipsSessionSip *self)
{
  return self != NULL && self->file_offer;
}

const char *
sips_session_sip_get_initial_offer (SipsSessionSip *self)
{
  return self != NULL ? self->initial_offer : NULL;
}

gboolean
sips_session_sip_refuse_incoming (gpointer nh, gconstpointer sip_, SipsConfigSection *rtp)
{
  const sip_t *sip = sip_;
  g_autofree char *body = NULL;
  g_autofree char *warning = NULL;
  g_autoptr(GError) error = NULL;

  if (sip->sip_payload != NULL && sip->sip_payload->pl_data != NULL && sip->sip_payload->pl_len > 0)
    body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (sips_session_offer_usable (body, TRUE, &error) &&
      sips_session_media_offer_acceptable (body, rtp, &error) &&
      sips_session_ice_offer_acceptable (body, rtp, &error))
    return FALSE;
  g_message ("Incoming call refused: %s", error->message);
  warning = sips_session_offer_warning (error->message);
  nua_respond (nh, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR (warning), TAG_END ());
  nua_handle_destroy (nh);
  return TRUE;
}

gboolean
sips_session_sip_accept (SipsSessionSip *self, gboolean audio, gboolean chat, GError **error)
{

  if (audio && !self->offered_audio)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The caller did not propose an audio stream"));
      return FALSE;
    }
  if (chat && !self->offered_chat)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The caller did not propose a chat stream"));
      return FALSE;
    }
  if (self->nh == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The call is gone"));
      return FALSE;
    }
  if (chat && !sips_session_chat_available (self->chat, error))
    return FALSE;
  /* a stream not accepted has no m-line in our SDP: soa answers it with port 0 */
  if (audio && (!sips_session_sip_reserve_rtp (self, error) ||
                !sips_session_media_prepare_answer (self->media, self->initial_offer, error) ||
                !sips_session_ice_prepare_answer (self->ice, self->initial_offer, error)))
    return FALSE;
  self->accepted_at = g_get_monotonic_time ();
  if (chat && sips_session_chat_wants_relay (self->chat, self->initial_offer))
    {
      /* the 200 waits for the relay's AUTH (our path carries its Use-Path) */
      sips_session_set_boolean_prop (self->session, "has-audio", audio);
      sips_session_set_boolean_prop (self->session, "has-chat", chat);
      sips_session_set_state (self->session, SIPS_SESSION_STATE_ACCEPTING);
      sips_session_relay_await_answer (self);
      return TRUE;
    }
  if (chat && !sips_session_chat_prepare_answer (self->chat, self->initial_offer, error))
    return FALSE;

  sips_session_set_boolean_prop (self->session, "has-audio", audio);
  sips_session_set_boolean_prop (self->session, "has-chat", chat);
  sips_session_set_state (self->session, SIPS_SESSION_STATE_ACCEPTING);
  sips_session_sip_send_answer (self);
  return TRUE;
}

gboolean
sips_session_sip_reject (SipsSessionSip *self, GError **error)
{
  if (self->nh == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The call is gone"));
      return FALSE;
    }
  sips_session_sip_begin_local_end (self);
  nua_respond (self->nh, SIP_603_DECLINE, TAG_END ());
  return TRUE;
}
