/* sips-session-reinvite.c: the established dialog's offers and answers
 *
 * Ours: Hold/Unhold re-offer our m-line with a=sendonly (a=inactive when the peer holds
 * us too) and leave the state alone; stream changes (AddAudio...) go through PROPOSING:
 *
 *   local   AddAudio: GotStreamProposal("local"), ESTABLISHED -> PROPOSING, re-INVITE
 *           2xx with the stream: AcceptedStreamProposal("local"), -> ESTABLISHED
 *           2xx with it rejected (port 0), or an error response:
 *             RejectedStreamProposal("local", reason), -> ESTABLISHED (old streams kept)
 *           a remove (RemoveAudio, RemoveChat) has no proposal signals: the stream stops
 *           at once, PROPOSING until answered
 *   remote  a re-INVITE whose offer adds a stream (an m-line absent or at port 0 in the
 *           session gets a port): -> PROPOSED, GotStreamProposal("remote"); it waits
 *           AcceptProposal: 200 with the stream, AcceptedStreamProposal, -> ESTABLISHED
 *           (a stream we cannot set up: 488, RejectedStreamProposal with why)
 *           RejectProposal: 488, RejectedStreamProposal("remote"), -> ESTABLISHED
 *           the peer's CANCEL: RejectedStreamProposal("remote"), -> ESTABLISHED
 *
 * A chat stream through the MSRP relay (UseRelayOutgoing for AddChat, UseRelayIncoming
 * for AcceptProposal) authenticates first: the re-INVITE or the 200 waits for it; a
 * failed AUTH rejects the proposal (ours: no re-INVITE; the peer's: 488) and the chat
 * fails with the reason, the session goes on.
 *
 * A chat stream that fails goes the same way as RemoveChat when the session has audio
 * (once a proposal in progress is over); a chat-only session fails instead.
 *
 * nua answers no re-INVITE itself (NUTAG_AUTOANSWER(0) on the handle): the others (hold,
 * session refresh, a removed stream, a new address or codec) are answered here at once,
 * soa negotiating with our user SDP; the peer's hold shows in its offer's direction. A
 * 491 (glare) is retried after the RFC 3261 14.1 delay; nua itself answers 491/500 to a
 * re-INVITE crossing one in progress. */
#include "sips-session-sip-private.h"

#include <glib/gi18n.h>
#include <sofia-sip/sip_status.h>

#include "core/sips-error.h"
#include "sips-sdp.h"
#include "sips-session-chat.h"
#include "sips-session-ice.h"
#include "sips-session-media.h"

/* ---- private helpers ---- */

static SipsSessionState
state_of (SipsSessionSip *self)
{
  return sips_session_get_state (self->session);
}

static gboolean
call_is_gone (SipsSessionSip *self, GError **error)
{
  if (self->nh != NULL)
    return FALSE;
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The call is gone"));
  return TRUE;
}

static void
send_reoffer (SipsSessionSip *self)
{
  g_autofree char *sdp = NULL;

  if (self->nh == NULL)
    return;
  sips_session_media_prepare_offer (self->media);
  sdp = sips_session_sip_user_sdp (self);
  nua_invite (self->nh, SOATAG_USER_SDP_STR (sdp), SIPS_OFFER_ANSWER_TAGS, TAG_END ());
}

static gboolean
on_glare_retry (gpointer user_data)
{
  SipsSessionSip *self = user_data;
  SipsSessionState state = state_of (self);

  self->glare_retry_id = 0;
  if (state == SIPS_SESSION_STATE_ESTABLISHED || state == SIPS_SESSION_STATE_PROPOSING)
    send_reoffer (self);
  return G_SOURCE_REMOVE;
}

static void remove_lost_chat (SipsSessionSip *self);

/* Ends the proposal in progress: the seed's signal first, then back to ESTABLISHED. */
static void
conclude (SipsSessionSip *self, gboolean accepted, const char *reason)
{
  const char *proposer = self->proposal == SIPS_PROPOSAL_LOCAL ? "local" : "remote";
  gboolean adds = self->proposal_audio || self->proposal_chat;

  if (self->proposal_relay)
    {
      /* its chat was still authenticating at the relay: the stream goes unused */
      self->proposal_relay = FALSE;
      sips_session_chat_cancel_relay (self->chat);
      sips_session_chat_stop (self->chat);
    }
  if (self->proposal == SIPS_PROPOSAL_LOCAL && !accepted)
    {
      self->audio_off = self->proposal_audio_off;  /* our next offers as before it */
      if (self->proposal_chat)
        sips_session_chat_stop (self->chat);       /* the offered stream goes */
    }
  self->proposal = SIPS_PROPOSAL_NONE;
  self->proposal_audio = self->proposal_chat = FALSE;
  self->proposal_answered = FALSE;
  g_clear_pointer (&self->proposal_offer, g_free);

  if (adds && accepted)
    g_signal_emit_by_name (self->session, "accepted-stream-proposal", g_get_real_time (),
                           proposer);
  else if (adds)
    g_signal_emit_by_name (self->session, "rejected-stream-proposal", g_get_real_time (),
                           proposer, reason != NULL ? reason : "");
  sips_session_set_state (self->session, SIPS_SESSION_STATE_ESTABLISHED);
  remove_lost_chat (self);
}

/* The peer's proposal gets a 488 (RFC 3264 5.1 has no partial refusal of an offer that
 * we could express for a stream we cannot run). */
static void
refuse_remote (SipsSessionSip *self, const char *reason)
{
  if (self->nh != NULL)
    nua_respond (self->nh, SIP_488_NOT_ACCEPTABLE, TAG_END ());
  conclude (self, FALSE, reason);
}

/* ---- nua events (see sips-session-sip-private.h) ---- */

void
sips_session_reinvite_on_request (SipsSessionSip *self, int status, const sip_t *sip)
{
  SipsSdpInfo offer = { 0 };
  gboolean have_offer = FALSE;
  gboolean adds_audio = FALSE, adds_chat = FALSE;
  g_autofree char *sdp = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;

  /* nua answered it already (glare 491, overlap 500, bad SDP 400) */
  if (status >= 200 || self->nh == NULL)
    return;

  if (sip != NULL && sip->sip_payload != NULL && sip->sip_payload->pl_data != NULL &&
      sip->sip_payload->pl_len > 0)
    {
      body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
      have_offer = sips_sdp_parse (body, &offer);
    }
  if (have_offer)
    {
      adds_audio = offer.has_audio && !sips_session_get_boolean_prop (self->session, "has-audio");
      adds_chat = offer.has_chat && !sips_session_get_boolean_prop (self->session, "has-chat");
    }

  if (adds_audio || adds_chat)
    {
      sips_sdp_info_clear (&offer);
      if (state_of (self) != SIPS_SESSION_STATE_ESTABLISHED)
        {
          /* ending, or our own offer is out (nua lets no second one through) */
          nua_respond (self->nh, SIP_491_REQUEST_PENDING, TAG_END ());
          return;
        }
      self->proposal = SIPS_PROPOSAL_REMOTE;
      self->proposal_audio = adds_audio;
      self->proposal_chat = adds_chat;
      sips_session_set_state (self->session, SIPS_SESSION_STATE_PROPOSED);
      g_signal_emit_by_name (self->session, "got-stream-proposal", g_get_real_time (),
                             "remote", adds_audio, adds_chat);
      return;
    }

  /* not a proposal: a stream the peer removes (port 0) stays removed in our offers */
  if (have_offer && !offer.has_audio && sips_session_get_boolean_prop (self->session, "has-audio"))
    self->audio_off = TRUE;
  if (have_offer && !offer.has_chat && sips_session_chat_has_stream (self->chat))
    {
      sips_session_set_boolean_prop (self->session, "has-chat", FALSE);
      sips_session_chat_stop (self->chat);
    }
  sips_sdp_info_clear (&offer);

  /* new ICE credentials in the offer restart ICE: our answer carries new ones too */
  if (have_offer)
    sips_session_ice_remote_sdp (self->ice, body, TRUE);
  /* an offer our SRTP policy refuses leaves the session as it was */
  if (!sips_session_media_prepare_answer (self->media, have_offer ? body : NULL, &error))
    {
      sips_log_message (sips_session_get_log_context (self->session),
                        "Session %p: re-INVITE refused: %s", (void *) self->session, error->message);
      nua_respond (self->nh, SIP_488_NOT_ACCEPTABLE, TAG_END ());
      return;
    }
  sdp = sips_session_sip_user_sdp (self);
  nua_respond (self->nh, SIP_200_OK, SOATAG_USER_SDP_STR (sdp), SIPS_OFFER_ANSWER_TAGS,
               TAG_IF (self->contact != NULL, SIPTAG_CONTACT_STR (self->contact)), TAG_END ());
}

void
sips_session_reinvite_on_cancel (SipsSessionSip *self)
{
  /* nua answered the re-INVITE 487 */
  if (self->proposal == SIPS_PROPOSAL_REMOTE && state_of (self) == SIPS_SESSION_STATE_PROPOSED)
    conclude (self, FALSE, _("The remote party withdrew its proposal"));
}

void
sips_session_reinvite_on_response (SipsSessionSip *self, int status, const char *phrase,
                                   const sip_t *sip)
{
  SipsSessionState state = state_of (self);

  if (status < 200 ||
      (state != SIPS_SESSION_STATE_ESTABLISHED && state != SIPS_SESSION_STATE_PROPOSING))
    return;

  /* glare: RFC 3261 14.1: the owner of the Call-ID waits 2.1-4 s, the other side 0-2 s */
  if (status == 491)
    {
      if (self->glare_retry_id == 0)
        {
          guint delay = self->outgoing ? (guint) g_random_int_range (2100, 4001)
                                       : (guint) g_random_int_range (0, 2001);

          self->glare_retry_id = g_timeout_add (delay, on_glare_retry, self);
        }
      return;
    }

  /* a hold whose re-INVITE failed keeps the old media; one sent while our proposal's
   * chat authenticates at the relay does not answer the proposal */
  if (self->proposal != SIPS_PROPOSAL_LOCAL || self->proposal_relay)
    return;
  if (status < 300)
    self->proposal_answered = TRUE;  /* concluded with its answer (nua_i_state) */
  else
    conclude (self, FALSE, phrase != NULL && *phrase != '\0' ? phrase
                                                             : _("Rejected by the remote party"));
}

gboolean
sips_session_reinvite_keep_offer (SipsSessionSip *self, const char *remote_sdp)
{
  if (self->proposal != SIPS_PROPOSAL_REMOTE || self->proposal_offer != NULL)
    return FALSE;
  self->proposal_offer = g_strdup (remote_sdp);
  return TRUE;
}

void
sips_session_reinvite_on_state (SipsSessionSip *self)
{
  gboolean accepted;

  if (self->proposal != SIPS_PROPOSAL_LOCAL || !self->proposal_answered)
    return;
  /* the session's streams now follow the peer's answer */
  accepted = (!self->proposal_audio || sips_session_get_boolean_prop (self->session, "has-audio")) &&
             (!self->proposal_chat || sips_session_get_boolean_prop (self->session, "has-chat"));
  conclude (self, accepted, accepted ? NULL : _("The remote party did not accept the stream"));
}

gboolean
sips_session_reinvite_refresh_offer (SipsSessionSip *self)
{
  if (state_of (self) != SIPS_SESSION_STATE_ESTABLISHED || self->nh == NULL ||
      self->proposal != SIPS_PROPOSAL_NONE || self->glare_retry_id != 0)
    return FALSE;
  send_reoffer (self);
  return TRUE;
}

void
sips_session_reinvite_clear (SipsSessionSip *self)
{
  g_clear_handle_id (&self->glare_retry_id, g_source_remove);
  self->proposal = SIPS_PROPOSAL_NONE;
  self->proposal_audio = self->proposal_chat = FALSE;
  self->proposal_answered = FALSE;
  self->proposal_relay = FALSE;
  self->offer_unapplied = FALSE;
  self->chat_lost = FALSE;
  g_clear_pointer (&self->proposal_offer, g_free);
}

/* ---- public API (sips-session-sip.h) ---- */

gboolean
sips_session_sip_hold (SipsSessionSip *self, gboolean hold, GError **error)
{
  if (call_is_gone (self, error))
    return FALSE;
  if (self->hold_local == hold)
    return TRUE;  /* already so */

  self->hold_local = hold;
  sips_session_set_boolean_prop (self->session, "on-hold-by-local", hold);
  g_signal_emit_by_name (self->session, hold ? "got-hold-request" : "got-unhold-request",
                         g_get_real_time (), "local");
  /* the media holds at once; nua queues the re-INVITE behind one in progress */
  sips_session_media_sync (self->media);
  send_reoffer (self);
  return TRUE;
}

/* The relay answered the AUTH of our proposed chat: the re-INVITE goes, or the
 * proposal is rejected (the stream failed with the reason) and the session goes on. */
static void
on_proposal_offer_relay_ready (SipsSessionSip *self, const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  self->proposal_relay = FALSE;
  if (self->nh == NULL || self->proposal != SIPS_PROPOSAL_LOCAL ||
      state_of (self) != SIPS_SESSION_STATE_PROPOSING)
    {
      sips_session_chat_stop (self->chat);  /* the session is ending */
      return;
    }
  if (error == NULL && !sips_session_chat_prepare_offer (self->chat, &local_error))
    error = local_error;
  if (error != NULL)
    {
      sips_log_message (sips_session_get_log_context (self->session),
                        "Session %p: the proposed chat stream failed: %s", (void *) self->session,
                 error->message);
      conclude (self, FALSE, error->message);
      return;
    }
  send_reoffer (self);
}

gboolean
sips_session_sip_change_streams (SipsSessionSip *self, SipsStreamChange change, GError **error)
{
  gboolean adds_audio = change == SIPS_STREAM_ADD_AUDIO;
  gboolean adds_chat = change == SIPS_STREAM_ADD_CHAT;
  gboolean via_relay = FALSE;

  if (call_is_gone (self, error))
    return FALSE;
  if (adds_chat && !sips_session_chat_available (self->chat, error))
    return FALSE;
  /* through the relay the re-INVITE waits for its AUTH (our path carries its Use-Path) */
  via_relay = adds_chat && sips_session_chat_wants_relay (self->chat, NULL);
  /* the new stream's m-line: RTP ports, or the chat's path */
  if ((adds_audio && !sips_session_sip_reserve_rtp (self, error)) ||
      (adds_chat && !via_relay && !sips_session_chat_prepare_offer (self->chat, error)))
    return FALSE;

  self->proposal = SIPS_PROPOSAL_LOCAL;
  self->proposal_audio = adds_audio;
  self->proposal_chat = adds_chat;
  self->proposal_answered = FALSE;
  self->proposal_audio_off = self->audio_off;
  switch (change)
    {
    case SIPS_STREAM_ADD_AUDIO:
      self->audio_off = FALSE;
      break;
    case SIPS_STREAM_REMOVE_AUDIO:
      self->audio_off = TRUE;
      sips_session_set_boolean_prop (self->session, "has-audio", FALSE);  /* stopped at once */
      sips_session_media_sync (self->media);
      break;
    case SIPS_STREAM_REMOVE_CHAT:
      sips_session_set_boolean_prop (self->session, "has-chat", FALSE);
      sips_session_chat_stop (self->chat);
      break;
    case SIPS_STREAM_ADD_CHAT:
    default:
      break;
    }
  if (adds_audio || adds_chat)
    g_signal_emit_by_name (self->session, "got-stream-proposal", g_get_real_time (),
                           "local", adds_audio, adds_chat);
  sips_session_set_state (self->session, SIPS_SESSION_STATE_PROPOSING);
  if (via_relay)
    {
      self->proposal_relay = TRUE;
      sips_session_chat_authenticate (self->chat, NULL, on_proposal_offer_relay_ready);
      return TRUE;
    }
  send_reoffer (self);
  return TRUE;
}

/* A chat stream that failed while the session had a proposal in progress leaves now. */
static void
remove_lost_chat (SipsSessionSip *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->chat_lost || state_of (self) != SIPS_SESSION_STATE_ESTABLISHED)
    return;
  self->chat_lost = FALSE;
  if (!sips_session_sip_change_streams (self, SIPS_STREAM_REMOVE_CHAT, &error))
    sips_log_message (sips_session_get_log_context (self->session),
                      "Session %p: cannot remove the chat stream: %s", (void *) self->session,
               error->message);
}

void
sips_session_reinvite_chat_failed (SipsSessionSip *self, const char *reason)
{
  SipsSessionState state = state_of (self);

  if (state == SIPS_SESSION_STATE_TERMINATING || state == SIPS_SESSION_STATE_TERMINATED)
    return;
  if (!sips_session_get_boolean_prop (self->session, "has-audio"))
    {
      /* the session's only stream */
      sips_session_sip_fail (self, 0, reason);
      return;
    }
  sips_session_set_boolean_prop (self->session, "has-chat", FALSE);
  sips_session_chat_stop (self->chat);
  self->chat_lost = TRUE;
  remove_lost_chat (self);  /* else when the proposal in progress is over */
}

/* Our 200 to the peer's proposal, its chat (if any) ready for prepare_answer(). */
static void
answer_proposal (SipsSessionSip *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = NULL;

  if (self->proposal_chat &&
      !sips_session_chat_prepare_answer (self->chat, self->proposal_offer, &error))
    {
      refuse_remote (self, error->message);
      return;
    }

  if (self->proposal_audio)
    {
      self->audio_off = FALSE;
      sips_session_set_boolean_prop (self->session, "has-audio", TRUE);
    }
  if (self->proposal_chat)
    sips_session_set_boolean_prop (self->session, "has-chat", TRUE);
  /* the offer is read into the session with our answer (nua_i_state) */
  if (self->proposal_offer != NULL)
    {
      g_free (self->remote_sdp);
      self->remote_sdp = g_steal_pointer (&self->proposal_offer);
      self->offer_unapplied = TRUE;
    }
  sdp = sips_session_sip_user_sdp (self);
  nua_respond (self->nh, SIP_200_OK, SOATAG_USER_SDP_STR (sdp), SIPS_OFFER_ANSWER_TAGS,
               TAG_IF (self->contact != NULL, SIPTAG_CONTACT_STR (self->contact)), TAG_END ());
  conclude (self, TRUE, NULL);
}

/* The relay answered the AUTH of the chat we accept: the 200 goes, or a 488 (the
 * stream failed with the reason). */
static void
on_proposal_answer_relay_ready (SipsSessionSip *self, const GError *error)
{
  self->proposal_relay = FALSE;
  if (self->nh == NULL || self->proposal != SIPS_PROPOSAL_REMOTE ||
      state_of (self) != SIPS_SESSION_STATE_PROPOSED)
    {
      sips_session_chat_stop (self->chat);  /* the session is ending */
      return;
    }
  if (error != NULL)
    {
      sips_log_message (sips_session_get_log_context (self->session),
                        "Session %p: the accepted chat stream failed: %s", (void *) self->session,
                 error->message);
      refuse_remote (self, error->message);
      return;
    }
  answer_proposal (self);
}

gboolean
sips_session_sip_accept_proposal (SipsSessionSip *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (call_is_gone (self, error))
    return FALSE;
  if (self->proposal_relay)
    return TRUE;  /* accepted already: the 200 waits for the relay */

  /* the seed: a stream that cannot be set up rejects the proposal, the call succeeds */
  if ((self->proposal_audio && !sips_session_sip_reserve_rtp (self, &local_error)) ||
      !sips_session_media_prepare_answer (self->media, self->proposal_offer, &local_error) ||
      (self->proposal_chat && !sips_session_chat_available (self->chat, &local_error)))
    {
      refuse_remote (self, local_error->message);
      return TRUE;
    }
  /* through the relay the 200 waits for its AUTH (our path carries its Use-Path) */
  if (self->proposal_chat && sips_session_chat_wants_relay (self->chat, self->proposal_offer))
    {
      self->proposal_relay = TRUE;
      sips_session_chat_authenticate (self->chat, self->proposal_offer,
                                      on_proposal_answer_relay_ready);
      return TRUE;
    }
  answer_proposal (self);
  return TRUE;
}

gboolean
sips_session_sip_reject_proposal (SipsSessionSip *self, GError **error)
{
  if (call_is_gone (self, error))
    return FALSE;
  refuse_remote (self, _("Rejected by the local party"));
  return TRUE;
}
