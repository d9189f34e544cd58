/* sips-session-sip.c: the SIP side of a session, on sofia-sip nua
 *
 * One nua handle per session; its magic is the SipsNuaOwner embedded here, so every
 * event of the handle arrives in on_nua_event (see sips-sip-agent.h). nua runs the
 * transactions and soa the offer/answer; we give soa our audio m-line and read the
 * negotiated SDPs back. The seed's state machine, as driven from nua:
 *
 *   outgoing  New: NewOutgoing, NULL -> CALLING, INVITE
 *             180/183: GotRingIndication; 2xx: WillStart; ACK sent: -> ESTABLISHED, DidStart
 *             final error: -> TERMINATED, DidFail, DidEnd
 *   incoming  INVITE: NewIncoming, NULL -> INCOMING, 180 sent (autoalert is off)
 *             Accept: -> ACCEPTING, 200 + answer, WillStart; ACK: -> ESTABLISHED, DidStart
 *   ending    Terminate/Reject: WillEnd, -> TERMINATING, CANCEL / BYE / error response;
 *             when nua is done: -> TERMINATED, DidEnd("local") (no DidFail)
 *             remote BYE: -> TERMINATED, DidEnd("remote")
 *
 * Failure codes: a final response from the network is DidFail("remote", code, phrase);
 * one sofia made itself (timeout 408, transport error 503: no message came) is
 * DidFail("local", code, phrase). A caller that cancels gives the callee
 * DidFail("remote", 487, "Request Terminated"). Reject answers 603 Decline, Terminate
 * while INCOMING 486 Busy Here. Code 0 only for internal errors (the SIP stack went away).
 *
 * Once established, the dialog's offers (hold, stream proposals, the peer's re-INVITEs)
 * are sips-session-reinvite.c's; the wait of the initial INVITE or 200 for the chat's
 * MSRP relay is sips-session-relay.c's; an incoming INVITE taken, told a file offer or
 * not, refused, accepted or rejected is sips-session-sip-incoming.c's. */
#include "sips-session-sip-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#include "core/sips-error.h"
#include "presence/sips-pager.h"
#include "sips-rtp-ports.h"
#include "sips-sdp.h"
#include "sips-session-ice.h"
#include "sips-session-chat.h"
#include "sips-session-headers.h"
#include "sips-session-media.h"

/* sip_flags bit of the responses nta makes itself (timeout 408, transport error 503);
 * from sofia's private nta_internal.h, unchanged since 1.12.0 */
#define NTA_INTERNAL_MSG (1 << 15)

static void on_nua_event (gpointer owner, int event, int status, const char *phrase,
                          gpointer nh, gconstpointer sip, gconstpointer tags);

/* ---- private helpers ---- */

/* The session's signals (timestamp first, as the contract's) */
static void
emit_plain (SipsSession *session, const char *signal)
{
  g_signal_emit_by_name (session, signal, g_get_real_time ());
}

static void
emit_originator (SipsSession *session, const char *signal, const char *originator)
{
  g_signal_emit_by_name (session, signal, g_get_real_time (), originator);
}

static void
emit_did_fail (SipsSession *session, const char *originator, int code,
                            const char *reason)
{
  g_signal_emit_by_name (session, "did-fail", g_get_real_time (), originator, code, reason);
}

static SipsSessionState
state_of (SipsSessionSip *self)
{
  return sips_session_get_state (self->session);
}

static void
destroy_handle (SipsSessionSip *self)
{
  /* nua delivers no more events of a destroyed handle */
  if (self->nh != NULL)
    nua_handle_destroy (self->nh);
  self->nh = NULL;
  self->nua = NULL;
}

/* The ports close with the last reference: a stream still stopping keeps them open. */
static void
release_rtp (SipsSessionSip *self)
{
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);
}

/* Reserves the RTP/RTCP ports (once per session) and publishes them. */
gboolean
sips_session_sip_reserve_rtp (SipsSessionSip *self, GError **error)
{
  if (self->rtp_socket == NULL)
    {
      /* sessions copy the RTP configuration when they start, as in the seed */
      g_free (self->rtp_address);
      self->rtp_address = g_strdup (sips_config_section_get_string (self->rtp, "LocalRtpAddress"));
      if (!sips_rtp_ports_reserve (self->rtp_address,
                                   sips_config_section_get_uint (self->settings, "RtpPortMin"),
                                   sips_config_section_get_uint (self->settings, "RtpPortMax"),
                                   &self->rtp_socket, &self->rtcp_socket, &self->rtp_port, error))
        return FALSE;
    }
  sips_session_set_string_prop (self->session, "audio-local-rtp-address", self->rtp_address);
  sips_session_set_uint_prop (self->session, "audio-local-rtp-port", self->rtp_port);
  return TRUE;
}

const char *
sips_session_sip_soa_address (const char *address)
{
  g_autoptr(GInetAddress) inet = address != NULL ? g_inet_address_new_from_string (address) : NULL;

  return inet != NULL && !g_inet_address_get_is_any (inet) ? address : NULL;
}

/* Our m-lines as soa's user SDP. Audio once RTP ports are reserved for it, with the
 * direction our hold wish gives and the SRTP profile and keys the media prepared; port
 * 0 once the audio stream was removed. Chat while the session has a chat stream: a
 * line soa does not find in it is rejected (port 0) in our offers and answers. */
char *
sips_session_sip_user_sdp (SipsSessionSip *self)
{
  const char *direction = "sendrecv";
  g_auto(GStrv) cryptos = sips_session_media_sdp_cryptos (self->media);
  g_autofree char *chat = sips_session_chat_sdp (self->chat);
  char *sdp;

  if (self->rtp_socket == NULL)
    {
      const char *address = sips_session_chat_address (self->chat);

      sdp = sips_sdp_build_session (address != NULL ? address : "127.0.0.1");
    }
  else
    {
      if (self->hold_local)
        direction = sips_session_get_boolean_prop (self->session, "on-hold-by-remote")
                    ? "inactive" : "sendonly";
      sdp = sips_sdp_build_audio_full (self->rtp_address, self->audio_off ? 0 : self->rtp_port,
                                       sips_config_section_get_strv (self->settings, "AudioCodecs"),
                                       direction, sips_session_media_sdp_secure (self->media),
                                       (const char * const *) cryptos);
      if (!self->audio_off)
        sdp = sips_session_ice_user_sdp (self->ice, sdp);
    }
  if (chat != NULL)
    {
      char *both = g_strconcat (sdp, chat, NULL);

      g_free (sdp);
      sdp = both;
    }
  return sdp;
}

void
sips_session_sip_note_user_agent (SipsSessionSip *self, gconstpointer sip_)
{
  const sip_t *sip = sip_;

  if (sip == NULL)
    return;
  if (sip->sip_user_agent != NULL && sip->sip_user_agent->g_string != NULL)
    sips_session_set_string_prop (self->session, "remote-user-agent", sip->sip_user_agent->g_string);
  else if (sip->sip_server != NULL && sip->sip_server->g_string != NULL)
    sips_session_set_string_prop (self->session, "remote-user-agent", sip->sip_server->g_string);
}

/* Ends the session: -> TERMINATED, then DidFail (when fail_originator) and DidEnd. */
void
sips_session_sip_finish (SipsSessionSip *self, const char *fail_originator, int code,
                         const char *reason, const char *end_originator)
{
  SipsSessionState state = state_of (self);

  if (state == SIPS_SESSION_STATE_NULL || state == SIPS_SESSION_STATE_TERMINATED)
    return;
  if (self->fail_reason != NULL)
    {
      /* a local failure decided it, whatever ended the dialog */
      fail_originator = "local";
      code = self->fail_code;
      reason = self->fail_reason;
      end_originator = "local";
    }
  sips_log_debug (sips_session_get_log_context (self->session),
                  "session %p ends (%s %d %s)", (void *) self->session,
           fail_originator != NULL ? fail_originator : "-", code, reason != NULL ? reason : "");
  sips_session_reinvite_clear (self);
  sips_session_sip_stop_timers (self);
  destroy_handle (self);
  sips_session_media_stop (self->media);
  sips_session_ice_stop (self->ice);
  sips_session_chat_stop (self->chat);
  release_rtp (self);
  sips_session_release_streams (self->session);
  sips_session_set_state (self->session, SIPS_SESSION_STATE_TERMINATED);
  if (fail_originator != NULL)
    emit_did_fail (self->session, fail_originator, code,
                                reason != NULL ? reason : "");
  emit_originator (self->session, "did-end", end_originator);
}

/* Reads the latest local and remote SDP into the session's audio properties. A
 * received offer also tells whether the peer holds us (it does not want to receive). */
static void
update_media (SipsSessionSip *self, gboolean offer_received)
{
  SipsSdpInfo local = { 0 }, remote = { 0 };
  gboolean have_local = sips_sdp_parse (self->local_sdp, &local);
  gboolean have_remote = sips_sdp_parse (self->remote_sdp, &remote);

  if (have_remote)
    {
      sips_session_set_string_prop (self->session, "audio-remote-rtp-address-sdp",
                                    remote.address != NULL ? remote.address : "");
      sips_session_set_uint_prop (self->session, "audio-remote-rtp-port-sdp", remote.port);
    }

  /* the codec is the first of the answer: both sides read the same one */
  if (have_local && have_remote && self->negotiated)
    {
      SipsSdpInfo *answer = self->answer_is_local ? &local : &remote;

      sips_session_set_boolean_prop (self->session, "has-audio", local.has_audio && remote.has_audio);
      sips_session_set_boolean_prop (self->session, "has-chat", local.has_chat && remote.has_chat);
      if (answer->codec != NULL)
        {
          sips_session_set_string_prop (self->session, "audio-codec", answer->codec);
          sips_session_set_uint_prop (self->session, "audio-sample-rate", answer->sample_rate);
        }
    }

  if (offer_received && have_remote && remote.has_audio)
    {
      gboolean held = !remote.receives;

      if (held != sips_session_get_boolean_prop (self->session, "on-hold-by-remote"))
        {
          sips_session_set_boolean_prop (self->session, "on-hold-by-remote", held);
          if (self->established)
            emit_originator (self->session,
                                          held ? "got-hold-request" : "got-unhold-request",
                                          "remote");
        }
    }

  sips_sdp_info_clear (&local);
  sips_sdp_info_clear (&remote);
}

/* ---- nua events ---- */

/* An answer to our offer against our SRTP policy. The initial INVITE's (in the 2xx, or
 * earlier in a reliable 18x): a refused one fails the call (488, as the peer would have
 * said); a re-INVITE's that does not fit keeps the keys we had. */
static void
accept_answer (SipsSessionSip *self, const char *answer)
{
  g_autoptr(GError) error = NULL;

  sips_session_chat_answer_received (self->chat, answer);
  if (sips_session_media_answer_received (self->media, answer, &error))
    return;
  sips_log_message (sips_session_get_log_context (self->session),
                    "Session %p: %s", (void *) self->session, error->message);
  if (!self->established && self->fail_reason == NULL)
    {
      self->fail_code = 488;
      self->fail_reason = g_strdup (error->message);
    }
}

static void
check_answer (SipsSessionSip *self, const sip_t *sip)
{
  g_autofree char *body = NULL;

  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_data == NULL ||
      sip->sip_payload->pl_len == 0)
    return;
  body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  accept_answer (self, body);
}

static void
on_invite_response (SipsSessionSip *self, int status, const char *phrase, const sip_t *sip)
{
  SipsSessionState state = state_of (self);

  if (self->established)
    {
      sips_session_reinvite_on_response (self, status, phrase, sip);
      return;
    }

  if (status < 200)
    {
      if ((status == 180 || status == 183) && state == SIPS_SESSION_STATE_CALLING)
        {
          emit_plain (self->session, "got-ring-indication");
          sips_session_media_ring_outbound (self->media);
        }
      return;
    }

  if (status < 300)
    {
      if (state == SIPS_SESSION_STATE_CALLING && !self->got_2xx)
        {
          self->got_2xx = TRUE;
          check_answer (self, sip);
          /* a refused answer: no WillStart, BYE once the ACK is out */
          if (self->fail_reason == NULL)
            emit_plain (self->session, "will-start");
        }
      else if (state == SIPS_SESSION_STATE_TERMINATING)
        self->bye_when_ready = TRUE;  /* our CANCEL lost the race with the 2xx */
      return;
    }

  if ((status == 401 || status == 407) && sip != NULL && state == SIPS_SESSION_STATE_CALLING &&
      !self->auth_tried)
    {
      g_autofree char *credentials = sips_headers_credentials (self->account, status, sip);

      /* once: a second challenge means the credentials are wrong */
      if (credentials != NULL)
        {
          self->auth_tried = TRUE;
          nua_authenticate (self->nh, NUTAG_AUTH (credentials), TAG_END ());
          return;
        }
    }

  if (self->local_end)
    sips_session_sip_finish (self, NULL, 0, NULL, "local");
  else if (sip != NULL && !(sip->sip_flags & NTA_INTERNAL_MSG))
    sips_session_sip_finish (self, "remote", status, phrase, "remote");
  else
    sips_session_sip_finish (self, "local", status, phrase, "local");
}

static void
on_call_state (SipsSessionSip *self, int status, const char *phrase, const tagi_t *tags)
{
  int callstate = -1;
  int offer_recv = 0, answer_recv = 0, offer_sent = 0, answer_sent = 0;
  const char *local = NULL, *remote = NULL;
  gboolean offer_received;
  SipsSessionState state = state_of (self);

  tl_gets (tags,
           NUTAG_CALLSTATE_REF (callstate),
           NUTAG_OFFER_RECV_REF (offer_recv),
           NUTAG_ANSWER_RECV_REF (answer_recv),
           NUTAG_OFFER_SENT_REF (offer_sent),
           NUTAG_ANSWER_SENT_REF (answer_sent),
           SOATAG_LOCAL_SDP_STR_REF (local),
           SOATAG_REMOTE_SDP_STR_REF (remote),
           TAG_END ());

  /* soa still reports the offer of a re-INVITE we refused (488): not ours to apply */
  if (self->offer_refused && offer_recv)
    {
      offer_recv = 0;
      remote = NULL;
      self->offer_refused = FALSE;
    }
  /* a stream proposal's offer waits for AcceptProposal */
  if (offer_recv && remote != NULL && sips_session_reinvite_keep_offer (self, remote))
    remote = NULL;
  /* an accepted proposal's offer is read with our answer */
  offer_received = (offer_recv && remote != NULL) || (self->offer_unapplied && local != NULL);
  if (local != NULL)
    self->offer_unapplied = FALSE;

  if (local != NULL)
    {
      g_free (self->local_sdp);
      self->local_sdp = g_strdup (local);
    }
  if (remote != NULL)
    {
      g_free (self->remote_sdp);
      self->remote_sdp = g_strdup (remote);
    }
  if (answer_sent || answer_recv)
    {
      self->negotiated = TRUE;
      self->answer_is_local = answer_sent != 0;
    }
  if (answer_recv && remote != NULL)
    accept_answer (self, remote);
  if (remote != NULL)
    sips_session_ice_remote_sdp (self->ice, remote, offer_recv != 0);
  if (local != NULL || remote != NULL)
    update_media (self, offer_received);
  if (self->established)
    {
      sips_session_reinvite_on_state (self);
      if (local != NULL || remote != NULL)
        {
          sips_session_media_sync (self->media);
          sips_session_chat_sync (self->chat);
        }
    }

  if (callstate == nua_callstate_ready && !self->established)
    {
      self->established = TRUE;
      if (self->fail_reason != NULL && self->nh != NULL)
        nua_bye (self->nh, TAG_END ());  /* the answer was refused: DidFail when it is over */
      else if (state == SIPS_SESSION_STATE_CALLING || state == SIPS_SESSION_STATE_ACCEPTING)
        {
          sips_session_set_state (self->session, SIPS_SESSION_STATE_ESTABLISHED);
          emit_plain (self->session, "did-start");
          sips_session_media_sync (self->media);
          sips_session_chat_sync (self->chat);
        }
      else if (self->bye_when_ready && self->nh != NULL)
        nua_bye (self->nh, TAG_END ());
      return;
    }

  if (callstate != nua_callstate_terminated)
    return;

  if (self->local_end)
    sips_session_sip_finish (self, NULL, 0, NULL, "local");
  else if (state == SIPS_SESSION_STATE_INCOMING)
    /* the caller cancelled (or its INVITE went away) before we answered */
    sips_session_sip_finish (self, "remote", 487, "Request Terminated", "remote");
  else if (self->remote_bye)
    sips_session_sip_finish (self, NULL, 0, NULL, "remote");
  else if (state == SIPS_SESSION_STATE_ACCEPTING)
    sips_session_sip_finish (self, "remote", status >= 300 ? status : 408,
            status >= 300 ? phrase : "No ACK received", "remote");
  else
    /* the dialog died under us: session timer expiry, re-INVITE 408/481... */
    sips_session_sip_finish (self, "remote", status >= 300 ? status : 408,
            status >= 300 ? phrase : "Request Timeout", "remote");
}

/* A re-INVITE whose offer is malformed is refused with the reason; the call stays as
 * it was. TRUE when refused. */
static gboolean
refuse_reinvite (SipsSessionSip *self, int status, const sip_t *sip)
{
  g_autofree char *body = NULL;
  g_autofree char *warning = NULL;
  g_autoptr(GError) error = NULL;

  self->offer_refused = FALSE;
  if (status >= 200 || self->nh == NULL || sip == NULL || sip->sip_payload == NULL ||
      sip->sip_payload->pl_data == NULL || sip->sip_payload->pl_len == 0)
    return FALSE;
  body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (sips_session_offer_usable (body, FALSE, &error))
    return FALSE;
  self->offer_refused = TRUE;
  sips_log_message (sips_session_get_log_context (self->session),
                    "Session %p: re-INVITE refused: %s", (void *) self->session, error->message);
  warning = sips_session_offer_warning (error->message);
  nua_respond (self->nh, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR (warning), TAG_END ());
  return TRUE;
}

/* The dialog's Call-ID goes into the session's log lines (journalctl SIP_CALL_ID=...). */
void
sips_session_sip_note_call_id (SipsSessionSip *self, gconstpointer sip_)
{
  const sip_t *sip = sip_;
  SipsLogContext *log = sips_session_get_log_context (self->session);

  if (sip != NULL && sip->sip_call_id != NULL && sips_log_context_get (log, SIPS_LOG_FIELD_CALL_ID) == NULL)
    sips_log_context_set (log, SIPS_LOG_FIELD_CALL_ID, sip->sip_call_id->i_id);
}

static void
on_nua_event (gpointer owner, int event, int status, const char *phrase, gpointer nh,
              gconstpointer sip_, gconstpointer tags_)
{
  SipsSessionSip *self = owner;
  const sip_t *sip = sip_;
  /* handlers of our signals must not finalize the session under us */
  g_autoptr(SipsSession) hold = g_object_ref (self->session);

  if (nh != self->nh)
    return;
  sips_session_sip_note_user_agent (self, sip);
  sips_session_sip_note_call_id (self, sip);

  switch (event)
    {
    case nua_r_invite:
      on_invite_response (self, status, phrase, sip);
      break;
    case nua_i_state:
      on_call_state (self, status, phrase, tags_);
      break;
    case nua_i_bye:
      self->remote_bye = TRUE;
      break;
    case nua_i_invite:
      /* the initial INVITE reached the session manager before the handle was ours */
      if (self->established && !refuse_reinvite (self, status, sip))
        sips_session_reinvite_on_request (self, status, sip);
      break;
    case nua_i_cancel:
      self->remote_cancel = TRUE;
      if (self->established)
        sips_session_reinvite_on_cancel (self);
      break;
    case nua_i_message:
      /* an in-dialog MESSAGE (RFC 3428 §4) is the account's, like one outside a dialog */
      if (status < 200 && self->account != NULL && sips_account_get_pager (self->account) != NULL)
        sips_pager_receive (sips_account_get_pager (self->account), nh, sip);
      else if (status < 200)
        nua_respond (nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END ());
      break;
    default:
      /* BYE/CANCEL responses end in nua_i_state */
      break;
    }
}

/* ---- public API ---- */

SipsSessionSip *
sips_session_sip_new (SipsSession *session, SipsSipAgent *agent, SipsConfigSection *settings,
                      SipsConfigSection *rtp, SipsRingtoneConfig *ringtones,
                      SipsMsrpTransport *msrp, SipsConfigSection *msrp_config)
{
  SipsSessionSip *self = g_new0 (SipsSessionSip, 1);

  self->owner.func = on_nua_event;
  self->owner.owner = self;
  self->session = session;
  self->agent = g_object_ref (agent);
  self->settings = g_object_ref (settings);
  self->rtp = g_object_ref (rtp);
  self->answer_timeout = sips_config_section_get_uint (settings, "AnswerTimeout");
  self->media = sips_session_media_new (self, rtp, ringtones);
  self->ice = sips_session_ice_new (self);
  self->chat = sips_session_chat_new (self, msrp, msrp_config);
  return self;
}

void
sips_session_sip_free (SipsSessionSip *self)
{
  if (self == NULL)
    return;
  sips_session_reinvite_clear (self);
  sips_session_sip_stop_timers (self);
  destroy_handle (self);
  g_clear_pointer (&self->media, sips_session_media_free);
  g_clear_pointer (&self->ice, sips_session_ice_free);
  g_clear_pointer (&self->chat, sips_session_chat_free);
  release_rtp (self);
  g_clear_object (&self->agent);
  g_clear_object (&self->settings);
  g_clear_object (&self->rtp);
  g_clear_object (&self->account);
  g_free (self->rtp_address);
  g_free (self->contact);
  g_free (self->local_sdp);
  g_free (self->remote_sdp);
  g_free (self->fail_reason);
  g_free (self->initial_offer);
  g_free (self);
}

gboolean
sips_session_sip_connect (SipsSessionSip *self, const char *callee_uri, SipsAccount *account,
                          const char *route, gboolean audio, gboolean chat, GError **error)
{
  nua_t *nua = sips_sip_agent_get_nua (self->agent);
  g_autofree char *proxy = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *local_uri = NULL;
  g_autofree char *user = NULL;
  const char *soa_address;

  if (nua == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The SIP stack is not running"));
      return FALSE;
    }
  if (chat && !sips_session_chat_available (self->chat, error))
    return FALSE;
  if (audio && (!sips_session_sip_reserve_rtp (self, error) ||
                !sips_session_ice_start (self->ice, TRUE, error)))
    {
      release_rtp (self);
      return FALSE;
    }

  /* route "" = the account's outbound proxy, else sofia's RFC 3263 lookup of the callee */
  proxy = (route != NULL && *route != '\0') ? g_strdup (route) : sips_headers_outbound_proxy (account);
  from = sips_headers_from (account);
  to = sips_headers_to (callee_uri);
  user = sips_headers_user_part (sips_account_get_id (account));
  self->contact = sips_sip_agent_contact_for (self->agent,
                                              sips_headers_transport_of_target (callee_uri, proxy),
                                              user);
  /* The Contact saved with the handle goes into every request of the dialog (INVITE,
   * re-INVITE, BYE), so no request adds another. The peer's re-INVITEs wait for us: a
   * stream proposal is the application's to answer. */
  /* (a chat-only call's MSRP address is not known yet: soa looks one up as before) */
  soa_address = audio ? sips_session_sip_soa_address (self->rtp_address) : NULL;
  self->nh = nua_handle (nua, &self->owner,
                         NUTAG_AUTOANSWER (0),
                         TAG_IF (soa_address != NULL, SOATAG_ADDRESS (soa_address)),
                         SIPTAG_TO_STR (to),
                         SIPTAG_FROM_STR (from),
                         TAG_IF (self->contact != NULL, SIPTAG_CONTACT_STR (self->contact)),
                         TAG_END ());
  if (self->nh == NULL)
    {
      release_rtp (self);
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot create a SIP call"));
      return FALSE;
    }
  self->nua = nua;
  self->outgoing = TRUE;
  g_set_object (&self->account, account);
  /* The route is a handle parameter: nua_handle() keeps only nua/soa tags as parameters
   * and drops NUTAG_PROXY (an nta tag), so the INVITE went to the callee URI's RFC 3263
   * target. Set here, every request of the handle goes to the route, over its transport.
   * (Only then: a round of sofia's queue and an event each, ahead of the INVITE.) */
  if (*proxy != '\0')
    nua_set_hparams (self->nh, NUTAG_PROXY (URL_STRING_MAKE (proxy)), TAG_END ());

  local_uri = g_strconcat ("sip:", sips_account_get_id (account), NULL);
  sips_session_set_string_prop (self->session, "direction", "outgoing");
  sips_session_set_account (self->session, account);
  sips_session_set_string_prop (self->session, "route", proxy);
  sips_session_set_string_prop (self->session, "local-uri", local_uri);
  sips_session_set_string_prop (self->session, "remote-uri", callee_uri);
  sips_session_set_string_prop (self->session, "caller-uri", local_uri);
  sips_session_set_string_prop (self->session, "callee-uri", callee_uri);
  sips_session_set_boolean_prop (self->session, "has-audio", audio);
  sips_session_set_boolean_prop (self->session, "has-chat", chat);

  /* through the relay the INVITE waits for its AUTH (our path carries its Use-Path) */
  if (chat && sips_session_chat_wants_relay (self->chat, NULL))
    {
      emit_plain (self->session, "new-outgoing");
      sips_session_set_state (self->session, SIPS_SESSION_STATE_CALLING);
      sips_session_relay_await_offer (self);
      return TRUE;
    }

  /* the chat stream's path goes in the offer */
  if (chat && !sips_session_chat_prepare_offer (self->chat, error))
    {
      destroy_handle (self);
      release_rtp (self);
      sips_session_set_boolean_prop (self->session, "has-audio", FALSE);
      sips_session_set_boolean_prop (self->session, "has-chat", FALSE);
      return FALSE;
    }

  emit_plain (self->session, "new-outgoing");
  sips_session_set_state (self->session, SIPS_SESSION_STATE_CALLING);
  sips_session_sip_send_invite (self);
  return TRUE;
}

void
sips_session_sip_begin_local_end (SipsSessionSip *self)
{
  self->local_end = TRUE;
  emit_plain (self->session, "will-end");
  sips_session_set_state (self->session, SIPS_SESSION_STATE_TERMINATING);
}

gboolean
sips_session_sip_terminate (SipsSessionSip *self)
{
  SipsSessionState state = state_of (self);

  if (self->nh == NULL)
    return FALSE;

  sips_session_sip_begin_local_end (self);
  if (self->awaiting_relay || sips_session_ice_abandon (self->ice))
    {
      sips_session_relay_abandon (self);
      return TRUE;
    }
  switch (state)
    {
    case SIPS_SESSION_STATE_CALLING:
      if (self->got_2xx)
        self->bye_when_ready = TRUE;  /* ACK on its way: BYE once ready */
      else
        nua_cancel (self->nh, TAG_END ());
      break;
    case SIPS_SESSION_STATE_INCOMING:
      nua_respond (self->nh, SIP_486_BUSY_HERE, TAG_END ());
      break;
    case SIPS_SESSION_STATE_PROPOSED:
      /* the peer's pending re-INVITE gets its final response before our BYE */
      nua_respond (self->nh, SIP_487_REQUEST_TERMINATED, TAG_END ());
      nua_bye (self->nh, TAG_END ());
      break;
    default:
      nua_bye (self->nh, TAG_END ());
      break;
    }
  return TRUE;
}

void
sips_session_sip_fail (SipsSessionSip *self, int code, const char *reason)
{
  SipsSessionState state = state_of (self);

  if (self->fail_reason != NULL || state == SIPS_SESSION_STATE_NULL ||
      state == SIPS_SESSION_STATE_TERMINATING || state == SIPS_SESSION_STATE_TERMINATED)
    return;
  self->fail_code = code;
  self->fail_reason = g_strdup (reason != NULL ? reason : "");
  /* no dialog left to end: over at once */
  if (!sips_session_sip_terminate (self))
    sips_session_sip_finish (self, "local", code, self->fail_reason, "local");
}

void
sips_session_sip_nua_closing (SipsSessionSip *self, gpointer nua)
{
  g_autoptr(SipsSession) hold = NULL;

  if (self->nh == NULL || self->nua != nua)
    return;
  /* destroyed (nua sends CANCEL or BYE once) so that the nua's shutdown need not wait */
  destroy_handle (self);
  hold = g_object_ref (self->session);
  if (self->local_end)
    sips_session_sip_finish (self, NULL, 0, NULL, "local");
  else
    sips_session_sip_finish (self, "local", 0, _("The SIP stack was restarted"), "local");
}
