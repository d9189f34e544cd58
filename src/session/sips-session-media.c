/* sips-session-media.c: a session's audio media on its SIP side
 *
 * SDES (RFC 4568) per RTPConfiguration1 as copied when the session was made:
 *   off      RTP/AVP, no a=crypto; an RTP/SAVP offer is refused (488)
 *   optional RTP/AVP with a=crypto: SRTP when the answer carries one of our keys
 *   forced   RTP/SAVP with a=crypto only: an offer without usable keys gets 488, an answer
 *            without one of our keys fails the call
 * Our keys stay the same across the dialog's re-offers so that hold or a session refresh
 * does not rebuild the pipeline (a rebuild would end a recording).
 *
 * The SipsAudioStream follows the session (sips_session_media_sync): started on DidStart
 * from the negotiated SDPs (codec and payload types from the answer, destination, a=rtcp
 * and a=ptime from the peer's), updated when a re-INVITE changes them, held, stopped when
 * the audio goes or the session ends. Its reports become the session's properties and
 * signals; a pipeline error ends the session with DidFail("local", 0), and so does
 * RtpTimeout with RtpTimeoutEndsSession (copied when the session was made). */
#include "sips-session-media.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/sips-error.h"
#include "media/sips-audio-stream.h"
#include "media/sips-media-module.h"
#include "media/sips-ringtone-player.h"
#include "media/sips-sdes.h"
#include "sips-sdp.h"
#include "sips-session-ice.h"

struct _SipsSessionMedia {
  SipsSessionSip     *sip;
  SipsRingtoneConfig *ringtones;
  gulong              state_handler;

  gboolean            use_srtp;
  gboolean            srtp_forced;
  GPtrArray          *offer_keys;    /* SipsSdesCrypto*: what our offers carry, made once */
  SipsSdesCrypto     *local_key;     /* agreed: we encrypt with it (NULL = plain RTP) */
  SipsSdesCrypto     *remote_key;
  gboolean            sdp_secure;    /* our m-line as prepared last */
  GPtrArray          *sdp_keys;      /* SipsSdesCrypto* (borrowed or owned, see below) */

  SipsAudioStream    *stream;
  char               *remote_address;  /* the last usable one (a c=0.0.0.0 hold keeps it) */
  gboolean            no_audio_reported;
  gboolean            rtp_timeout_ends;  /* Settings1.RtpTimeoutEndsSession */

  char               *recording;     /* full path while recording */
  char               *playing;       /* the file PlayAudioFile plays, NULL = none */
  gboolean            recording_stop_announced;

  SipsRingtonePlayer *ringtone;
};

/* ---- process-wide: streams and ringtones still stopping (files being finalised) ---- */

static guint   n_stopping;
static GSList *stop_waiters;  /* GSource* (idle, not attached yet) */

static void
stopping_begin (void)
{
  n_stopping++;
}

static void
stopping_end (void)
{
  g_return_if_fail (n_stopping > 0);
  if (--n_stopping > 0)
    return;
  while (stop_waiters != NULL)
    {
      GSource *source = stop_waiters->data;

      stop_waiters = g_slist_delete_link (stop_waiters, stop_waiters);
      g_source_attach (source, NULL);
      g_source_unref (source);
    }
}

void
sips_session_media_when_stopped (GSourceFunc func, gpointer data)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, data, NULL);
  if (n_stopping == 0)
    {
      g_source_attach (source, NULL);
      g_source_unref (source);
    }
  else
    stop_waiters = g_slist_append (stop_waiters, source);
}

/* ---- private helpers ---- */

static SipsSession *
session_of (SipsSessionMedia *self)
{
  return self->sip->session;
}

static void
set_key (SipsSdesCrypto **slot, SipsSdesCrypto *key)
{
  g_clear_pointer (slot, sips_sdes_crypto_free);
  *slot = key;
}

static void
set_plain (SipsSessionMedia *self)
{
  set_key (&self->local_key, NULL);
  set_key (&self->remote_key, NULL);
}

/* "sip:alice@example.org;transport=tcp" -> "alice" (or the host without a user) */
static char *
uri_user (const char *uri)
{
  const char *start = uri != NULL ? strchr (uri, ':') : NULL;
  const char *end;
  GString *user = g_string_new (NULL);

  start = start != NULL ? start + 1 : (uri != NULL ? uri : "");
  end = strchr (start, '@');
  if (end == NULL)
    end = start + strcspn (start, ":;?>");
  for (const char *p = start; p < end && user->len < 64; p++)  /* the name fits NAME_MAX */
    g_string_append_c (user, g_ascii_isalnum (*p) || strchr ("-_.+", *p) != NULL ? *p : '_');
  if (user->len == 0)
    g_string_append (user, "unknown");
  return g_string_free (user, FALSE);
}

/* ---- recording ---- */

static void
announce_recording_stopped (SipsSessionMedia *self, const char *path)
{
  g_autofree char *file = g_strdup (path);
  SipsSession *session = session_of (self);

  if (!self->recording_stop_announced)
    g_signal_emit_by_name (session, "will-stop-recording-audio", g_get_real_time (), file);
  g_clear_pointer (&self->recording, g_free);
  self->recording_stop_announced = FALSE;
  sips_session_set_string_prop (session, "audio-recording-file-name", "");
  g_signal_emit_by_name (session, "did-stop-recording-audio", g_get_real_time (), file);
}

static void
on_recording_stopped (SipsAudioStream *stream, const char *path, gpointer user_data)
{
  SipsSessionMedia *self = user_data;

  if (self->recording != NULL && g_strcmp0 (self->recording, path) == 0)
    announce_recording_stopped (self, path);
}

/* ---- the stream ---- */

static void
on_stream_stopped (SipsAudioStream *stream, gpointer user_data)
{
  SipsSessionMedia *self = user_data;
  SipsSession *session = session_of (self);

  g_signal_handlers_disconnect_by_data (stream, self);
  /* a recording the stream dropped without its final signal is over all the same */
  if (self->recording != NULL && self->stream == NULL)
    announce_recording_stopped (self, self->recording);
  stopping_end ();
  g_object_unref (session);  /* taken in stop_stream: may free us */
}

/* EOS through the branches (a recording gets its final header), then down; the session
 * stays alive until then so that DidStopRecordingAudio still comes. */
static void
stop_stream (SipsSessionMedia *self)
{
  g_autoptr(SipsAudioStream) stream = g_steal_pointer (&self->stream);

  if (stream == NULL)
    return;
  sips_log_debug (sips_session_get_log_context (session_of (self)),
                  "session %p: audio stops", (void *) session_of (self));
  g_signal_handlers_disconnect_by_data (stream, self);
  sips_session_set_boolean_prop (session_of (self), "audio-srtp-active", FALSE);
  if (self->playing != NULL)
    {
      g_autofree char *path = g_steal_pointer (&self->playing);

      sips_session_set_string_prop (session_of (self), "audio-playing-file-name", "");
      g_signal_emit_by_name (session_of (self), "did-stop-playing-audio-file", g_get_real_time (),
                             path, FALSE);
    }
  if (self->recording != NULL && !self->recording_stop_announced)
    {
      self->recording_stop_announced = TRUE;
      g_signal_emit_by_name (session_of (self), "will-stop-recording-audio", g_get_real_time (),
                             self->recording);
    }
  stopping_begin ();
  g_object_ref (session_of (self));
  g_signal_connect (stream, "recording-stopped", G_CALLBACK (on_recording_stopped), self);
  g_signal_connect (stream, "stopped", G_CALLBACK (on_stream_stopped), self);
  sips_audio_stream_stop (stream);
}

static void
on_got_dtmf (SipsAudioStream *stream, const char *digit, gpointer user_data)
{
  SipsSessionMedia *self = user_data;

  g_signal_emit_by_name (session_of (self), "got-dtmf", g_get_real_time (), digit);
}

static void
on_got_no_audio (SipsAudioStream *stream, gpointer user_data)
{
  SipsSessionMedia *self = user_data;

  /* once per session, even if the pipeline was rebuilt since */
  if (self->no_audio_reported)
    return;
  self->no_audio_reported = TRUE;
  g_signal_emit_by_name (session_of (self), "got-no-audio", g_get_real_time ());
}

static void
on_rtp_timeout (SipsAudioStream *stream, guint seconds, gpointer user_data)
{
  SipsSessionMedia *self = user_data;
  g_autofree char *reason = NULL;

  sips_log_message (sips_session_get_log_context (session_of (self)),
                    "Session %p: no RTP received for %u s", (void *) session_of (self), seconds);
  /* Settings1.RtpTimeoutEndsSession (as when the session was made): BYE, DidFail, DidEnd */
  if (!self->rtp_timeout_ends)
    return;
  /* the contract's reason, as clients may match it: not translated */
  reason = g_strdup_printf ("No RTP received for %u s", seconds);
  sips_session_sip_fail (self->sip, 0, reason);
}

static void
on_stream_error (SipsAudioStream *stream, GError *error, gpointer user_data)
{
  SipsSessionMedia *self = user_data;

  sips_log_message (sips_session_get_log_context (session_of (self)),
                    "Session %p: the audio stream failed: %s", (void *) session_of (self), error->message);
  sips_session_sip_fail (self->sip, 0, error->message);
}

static void
on_stream_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  SipsSessionMedia *self = user_data;
  SipsAudioStream *stream = SIPS_AUDIO_STREAM (object);
  SipsSession *session = session_of (self);

  g_object_freeze_notify (G_OBJECT (session));
  sips_session_set_string_prop (session, "audio-remote-rtp-address-received",
                                sips_audio_stream_get_remote_address_received (stream));
  sips_session_set_uint_prop (session, "audio-remote-rtp-port-received",
                              sips_audio_stream_get_remote_port_received (stream));
  if (sips_audio_stream_get_audio_was_received (stream))
    sips_session_set_boolean_prop (session, "audio-was-received", TRUE);
  sips_session_ice_publish_received (self->sip->ice);  /* under ICE it knows better */
  sips_session_set_boolean_prop (session, "audio-srtp-active",
                                 sips_audio_stream_get_srtp_active (stream));
  g_object_thaw_notify (G_OBJECT (session));
}

static void
on_file_started (SipsAudioStream *stream, const char *path, gpointer user_data)
{
  SipsSessionMedia *self = user_data;

  g_free (self->playing);
  self->playing = g_strdup (path);
  sips_session_set_string_prop (session_of (self), "audio-playing-file-name", path);
  g_signal_emit_by_name (session_of (self), "did-start-playing-audio-file", g_get_real_time (), path);
}

static void
on_file_stopped (SipsAudioStream *stream, const char *path, gboolean completed, gpointer user_data)
{
  SipsSessionMedia *self = user_data;

  if (g_strcmp0 (self->playing, path) == 0)
    {
      g_clear_pointer (&self->playing, g_free);
      sips_session_set_string_prop (session_of (self), "audio-playing-file-name", "");
    }
  g_signal_emit_by_name (session_of (self), "did-stop-playing-audio-file", g_get_real_time (),
                         path, completed);
}

static SipsAudioStream *
new_stream (SipsSessionMedia *self)
{
  SipsAudioStream *stream = sips_audio_stream_new (self->sip->rtp_socket, self->sip->rtcp_socket);
  static const char *const notified[] = {
    "notify::remote-address-received", "notify::remote-port-received",
    "notify::audio-was-received", "notify::srtp-active",
  };

  g_signal_connect (stream, "got-dtmf", G_CALLBACK (on_got_dtmf), self);
  g_signal_connect (stream, "got-no-audio", G_CALLBACK (on_got_no_audio), self);
  g_signal_connect (stream, "rtp-timeout", G_CALLBACK (on_rtp_timeout), self);
  g_signal_connect (stream, "error", G_CALLBACK (on_stream_error), self);
  g_signal_connect (stream, "recording-stopped", G_CALLBACK (on_recording_stopped), self);
  g_signal_connect (stream, "file-started", G_CALLBACK (on_file_started), self);
  g_signal_connect (stream, "file-stopped", G_CALLBACK (on_file_stopped), self);
  for (guint i = 0; i < G_N_ELEMENTS (notified); i++)
    g_signal_connect (stream, notified[i], G_CALLBACK (on_stream_notify), self);
  return stream;
}

static gboolean
is_unspecified (const char *address)
{
  g_autoptr(GInetAddress) inet = address != NULL ? g_inet_address_new_from_string (address) : NULL;

  return inet == NULL || g_inet_address_get_is_any (inet);
}

/* The stream's configuration from our SDP and the peer's (both with audio). */
static void
fill_config (SipsSessionMedia *self, const SipsSdpAudio *local, const SipsSdpAudio *remote,
             SipsAudioStreamConfig *config)
{
  SipsConfigSection *settings = self->sip->settings;
  const SipsSdpAudio *answer = self->sip->answer_is_local ? local : remote;

  /* the answer has the codec both use first and the payload types both agreed on */
  config->codec = answer->codec;
  config->payload_type = answer->payload_type;
  config->dtmf_payload_type = answer->clock_rate == 48000 ? answer->dtmf_48000 : answer->dtmf_8000;
  /* what the peer wants to receive */
  config->ptime = remote->ptime;
  if (!is_unspecified (remote->address) || self->remote_address == NULL)
    {
      g_free (self->remote_address);
      self->remote_address = g_strdup (remote->address);
    }
  config->remote_address = self->remote_address;
  config->remote_port = remote->port;
  config->remote_rtcp_port = remote->rtcp_port;
  config->input_device = sips_config_section_get_string (settings, "AudioInputDevice");
  config->output_device = sips_config_section_get_string (settings, "AudioOutputDevice");
  config->rtp_timeout = sips_config_section_get_uint (settings, "RtpTimeout");
  config->ice_agent = sips_session_ice_media (self->sip->ice, &config->ice_stream_id);
  if (self->local_key != NULL && self->remote_key != NULL)
    {
      config->srtp_local_suite = self->local_key->suite;
      config->srtp_local_key = self->local_key->key;
      config->srtp_remote_suite = self->remote_key->suite;
      config->srtp_remote_key = self->remote_key->key;
    }
}

void
sips_session_media_sync (SipsSessionMedia *self)
{
  SipsSessionSip *sip = self->sip;
  SipsSession *session = session_of (self);
  SipsSessionState state = sips_session_get_state (session);
  SipsSdpAudio local = { 0 }, remote = { 0 };
  SipsAudioStreamConfig config = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if ((state != SIPS_SESSION_STATE_ESTABLISHED && state != SIPS_SESSION_STATE_PROPOSING &&
       state != SIPS_SESSION_STATE_PROPOSED) ||
      !sip->negotiated || sip->audio_off || sip->rtp_socket == NULL ||
      !sips_session_get_boolean_prop (session, "has-audio") ||
      !sips_sdp_parse_audio (sip->local_sdp, &local) || !local.present ||
      !sips_sdp_parse_audio (sip->remote_sdp, &remote) || !remote.present)
    {
      sips_sdp_audio_clear (&local);
      sips_sdp_audio_clear (&remote);
      stop_stream (self);
      return;
    }

  fill_config (self, &local, &remote, &config);
  sips_log_debug (sips_session_get_log_context (session),
                  "session %p: audio %s %s/%u to %s:%u%s", (void *) session,
           self->stream == NULL ? "starts" : "follows", config.codec, config.payload_type,
           config.remote_address, config.remote_port,
           config.srtp_local_key != NULL ? " (SRTP)" : "");
  if (self->stream == NULL)
    {
      ok = sips_media_available (&error);
      if (ok)
        self->stream = new_stream (self);
      ok = ok && sips_audio_stream_start (self->stream, &config, &error);
      if (!ok && self->stream != NULL)
        {
          g_signal_handlers_disconnect_by_data (self->stream, self);
          g_clear_object (&self->stream);
        }
    }
  else
    ok = sips_audio_stream_update (self->stream, &config, &error);
  sips_sdp_audio_clear (&local);
  sips_sdp_audio_clear (&remote);

  if (!ok)
    {
      sips_log_message (sips_session_get_log_context (session),
                        "Session %p: cannot run the audio stream: %s", (void *) session, error->message);
      sips_session_sip_fail (sip, 0, error->message);
      return;
    }
  sips_audio_stream_set_hold (self->stream, sip->hold_local,
                              sips_session_get_boolean_prop (session, "on-hold-by-remote"));
  on_stream_notify (G_OBJECT (self->stream), NULL, self);
}

/* ---- ringtones ---- */

static void
on_ringtone_stopped (SipsRingtonePlayer *player, gpointer user_data)
{
  g_signal_handlers_disconnect_by_func (player, on_ringtone_stopped, user_data);
  stopping_end ();
}

static void
stop_ringtone (SipsSessionMedia *self)
{
  g_autoptr(SipsRingtonePlayer) player = g_steal_pointer (&self->ringtone);

  if (player == NULL)
    return;
  stopping_begin ();
  g_signal_connect (player, "stopped", G_CALLBACK (on_ringtone_stopped), NULL);
  sips_ringtone_player_stop (player);  /* keeps itself alive until stopped */
}

static void
on_ringtone_error (SipsRingtonePlayer *player, GError *error, gpointer user_data)
{
  g_message ("Ringtone: %s", error->message);
}

static void
play_ringtone (SipsSessionMedia *self, const char *path)
{
  g_autoptr(GError) error = NULL;
  const char *device = sips_config_section_get_string (self->sip->settings, "AudioAlertDevice");

  if (path == NULL || *path == '\0' || self->ringtone != NULL)
    return;
  if (!sips_media_available (&error))
    {
      g_message ("Cannot play the ringtone %s: %s", path, error->message);
      return;
    }
  self->ringtone = sips_ringtone_player_new ();
  g_signal_connect (self->ringtone, "error", G_CALLBACK (on_ringtone_error), NULL);
  if (!sips_ringtone_player_play (self->ringtone, path, device, &error))
    {
      g_message ("Cannot play the ringtone %s: %s", path, error->message);
      g_clear_object (&self->ringtone);
    }
}

void
sips_session_media_ring_inbound (SipsSessionMedia *self, const char *remote_uri)
{
  g_autofree char *path = NULL;

  if (self->ringtones != NULL)
    path = sips_ringtone_config_get_ringtone_for_sipuri (self->ringtones, remote_uri, NULL);
  play_ringtone (self, path);
}

void
sips_session_media_ring_outbound (SipsSessionMedia *self)
{
  if (self->ringtones != NULL)
    play_ringtone (self, sips_config_section_get_string (
                           sips_ringtone_config_get_section (self->ringtones), "OutboundRingtone"));
}

static void
on_session_state (SipsSession *session, GParamSpec *pspec, gpointer user_data)
{
  SipsSessionMedia *self = user_data;
  SipsSessionState state = sips_session_get_state (session);

  /* inbound while INCOMING; outbound after a ring indication while CALLING */
  if (state != SIPS_SESSION_STATE_INCOMING && state != SIPS_SESSION_STATE_CALLING)
    stop_ringtone (self);
  if (state == SIPS_SESSION_STATE_TERMINATED)
    stop_stream (self);
}

/* ---- SDES ---- */

static gboolean
refuse (GError **error, const char *message)
{
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED, message);
  return FALSE;
}

/* The policy on an offer; *usable: the first of its keys we can use (answerer side). */
static gboolean
check_offer (const SipsSdpAudio *offer, gboolean use_srtp, gboolean forced,
             SipsSdesCrypto **remote, SipsSdesCrypto **local, GError **error)
{
  g_autoptr(GError) sdes_error = NULL;

  if (!offer->present)
    return TRUE;
  if (offer->secure && !use_srtp)
    return refuse (error, _("The peer requires SRTP, which is off (RTPConfiguration UseSrtp)"));
  if (use_srtp && offer->cryptos[0] != NULL &&
      sips_sdes_answer ((const char * const *) offer->cryptos, remote, local, &sdes_error))
    return TRUE;
  if (forced || offer->secure)
    return refuse (error, _("The offer carries no usable SRTP key and SRTP is required"));
  return TRUE;  /* plain RTP */
}

gboolean
sips_session_media_offer_acceptable (const char *offer_sdp, SipsConfigSection *rtp, GError **error)
{
  SipsSdpAudio offer = { 0 };
  g_autoptr(SipsSdesCrypto) remote = NULL;
  g_autoptr(SipsSdesCrypto) local = NULL;
  gboolean ok = TRUE;

  /* SrtpForced implies SRTP, as for our own offers (sips_session_media_new) */
  if (offer_sdp != NULL && sips_sdp_parse_audio (offer_sdp, &offer))
    ok = check_offer (&offer,
                      sips_config_section_get_boolean (rtp, "UseSrtp") ||
                      sips_config_section_get_boolean (rtp, "SrtpForced"),
                      sips_config_section_get_boolean (rtp, "SrtpForced"), &remote, &local, error);
  sips_sdp_audio_clear (&offer);
  return ok;
}

void
sips_session_media_prepare_offer (SipsSessionMedia *self)
{
  g_autoptr(GError) error = NULL;

  g_ptr_array_set_size (self->sdp_keys, 0);
  self->sdp_secure = FALSE;
  if (!self->use_srtp)
    return;
  if (self->offer_keys == NULL)
    {
      self->offer_keys = sips_sdes_generate_offer (&error);
      if (self->offer_keys == NULL)
        {
          g_warning ("No SRTP keys: %s", error->message);
          return;
        }
      /* the key we already send with stays (same suite, our tag) */
      for (guint i = 0; self->local_key != NULL && i < self->offer_keys->len; i++)
        {
          SipsSdesCrypto *key = g_ptr_array_index (self->offer_keys, i);

          if (g_str_equal (key->suite, self->local_key->suite))
            {
              SipsSdesCrypto *same = sips_sdes_crypto_copy (self->local_key);

              same->tag = key->tag;
              g_ptr_array_index (self->offer_keys, i) = same;
              sips_sdes_crypto_free (key);
              break;
            }
        }
    }
  for (guint i = 0; i < self->offer_keys->len; i++)
    g_ptr_array_add (self->sdp_keys, sips_sdes_crypto_copy (g_ptr_array_index (self->offer_keys, i)));
  self->sdp_secure = self->srtp_forced;
}

gboolean
sips_session_media_prepare_answer (SipsSessionMedia *self, const char *offer_sdp, GError **error)
{
  SipsSdpAudio offer = { 0 };
  SipsSdesCrypto *remote = NULL, *local = NULL;
  gboolean ok;

  g_ptr_array_set_size (self->sdp_keys, 0);
  self->sdp_secure = FALSE;
  if (offer_sdp == NULL)
    {
      /* no offer: ours goes in the answer to it (a 200 or the ACK completes it) */
      sips_session_media_prepare_offer (self);
      return TRUE;
    }
  sips_sdp_parse_audio (offer_sdp, &offer);
  ok = check_offer (&offer, self->use_srtp, self->srtp_forced, &remote, &local, error);
  if (ok && offer.present)
    {
      self->sdp_secure = offer.secure;
      if (remote == NULL)
        set_plain (self);
      else
        {
          /* the peer kept the suite we send with: so do we (no pipeline rebuild) */
          if (self->local_key != NULL && g_str_equal (self->local_key->suite, local->suite))
            {
              guint tag = local->tag;

              sips_sdes_crypto_free (local);
              local = sips_sdes_crypto_copy (self->local_key);
              local->tag = tag;
            }
          g_ptr_array_add (self->sdp_keys, sips_sdes_crypto_copy (local));
          set_key (&self->local_key, g_steal_pointer (&local));
          set_key (&self->remote_key, g_steal_pointer (&remote));
        }
    }
  sips_sdes_crypto_free (remote);
  sips_sdes_crypto_free (local);
  sips_sdp_audio_clear (&offer);
  return ok;
}

gboolean
sips_session_media_answer_received (SipsSessionMedia *self, const char *answer_sdp, GError **error)
{
  SipsSdpAudio answer = { 0 };
  SipsSdesCrypto *local = NULL, *remote = NULL;
  g_autoptr(GError) sdes_error = NULL;
  gboolean offered = self->offer_keys != NULL && self->sdp_keys->len > 0;
  gboolean ok = TRUE;

  if (!sips_sdp_parse_audio (answer_sdp, &answer) || !answer.present)
    {
      sips_sdp_audio_clear (&answer);
      return TRUE;  /* no audio: nothing to secure */
    }
  if (offered && answer.cryptos[0] != NULL &&
      sips_sdes_accept_answer (self->offer_keys, answer.cryptos[0], &local, &remote, &sdes_error))
    {
      set_key (&self->local_key, local);
      set_key (&self->remote_key, remote);
    }
  else if (self->srtp_forced)
    ok = refuse (error, sdes_error != NULL ? _("The answer's SRTP key does not match our offer")
                                           : _("The peer answered without SRTP keys"));
  else
    set_plain (self);
  sips_sdp_audio_clear (&answer);
  return ok;
}

gboolean
sips_session_media_sdp_secure (SipsSessionMedia *self)
{
  return self->sdp_secure;
}

GStrv
sips_session_media_sdp_cryptos (SipsSessionMedia *self)
{
  GStrv values;

  if (self->sdp_keys->len == 0)
    return NULL;
  values = g_new0 (char *, self->sdp_keys->len + 1);
  for (guint i = 0; i < self->sdp_keys->len; i++)
    values[i] = sips_sdes_crypto_to_attribute (g_ptr_array_index (self->sdp_keys, i));
  return values;
}

/* ---- lifecycle ---- */

SipsSessionMedia *
sips_session_media_new (SipsSessionSip *sip, SipsConfigSection *rtp, SipsRingtoneConfig *ringtones)
{
  SipsSessionMedia *self = g_new0 (SipsSessionMedia, 1);

  self->sip = sip;
  self->ringtones = ringtones != NULL ? g_object_ref (ringtones) : NULL;
  self->use_srtp = sips_config_section_get_boolean (rtp, "UseSrtp") ||
                   sips_config_section_get_boolean (rtp, "SrtpForced");
  self->srtp_forced = sips_config_section_get_boolean (rtp, "SrtpForced");
  self->rtp_timeout_ends = sips_config_section_get_boolean (sip->settings, "RtpTimeoutEndsSession");
  self->sdp_keys = g_ptr_array_new_with_free_func ((GDestroyNotify) sips_sdes_crypto_free);
  self->state_handler = g_signal_connect (sip->session, "notify::state",
                                          G_CALLBACK (on_session_state), self);
  return self;
}

void
sips_session_media_stop (SipsSessionMedia *self)
{
  stop_ringtone (self);
  stop_stream (self);
}

void
sips_session_media_free (SipsSessionMedia *self)
{
  if (self == NULL)
    return;
  g_clear_signal_handler (&self->state_handler, self->sip->session);
  stop_ringtone (self);
  if (self->stream != NULL)
    {
      /* the session is going away: nobody is told any more */
      g_signal_handlers_disconnect_by_data (self->stream, self);
      stopping_begin ();
      g_signal_connect (self->stream, "stopped", G_CALLBACK (on_ringtone_stopped), NULL);
      sips_audio_stream_stop (self->stream);
      g_clear_object (&self->stream);
    }
  g_clear_object (&self->ringtones);
  g_clear_pointer (&self->offer_keys, g_ptr_array_unref);
  g_clear_pointer (&self->sdp_keys, g_ptr_array_unref);
  set_plain (self);
  g_free (self->remote_address);
  g_free (self->recording);
  g_free (self->playing);
  g_free (self);
}

/* ---- the session's audio methods (sips-session-sip.h) ---- */

gboolean
sips_session_sip_send_dtmf (SipsSessionSip *sip, const char *digit, GError **error)
{
  SipsSessionMedia *self = sip->media;

  if (self->stream == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("SendDTMF is not allowed: the session has no running audio stream"));
      return FALSE;
    }
  return sips_audio_stream_send_dtmf (self->stream, digit, error);
}

gboolean
sips_session_sip_start_recording (SipsSessionSip *sip, const char *path, const char *file_name,
                                  GError **error)
{
  SipsSessionMedia *self = sip->media;
  SipsSession *session = sip->session;
  g_autofree char *name = NULL;
  g_autofree char *full = NULL;
  const char *dir = path;

  if (self->stream == NULL || self->recording != NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           self->recording != NULL
                           ? _("StartRecordingAudio is not allowed: already recording")
                           : _("StartRecordingAudio is not allowed: the session has no running audio stream"));
      return FALSE;
    }
  if (dir == NULL || *dir == '\0')
    {
      dir = sips_config_section_get_string (sip->settings, "RecordingsDirectory");
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;

          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                       _("Cannot create the recordings directory %s: %s"), dir, g_strerror (saved));
          return FALSE;
        }
    }
  if (file_name == NULL || *file_name == '\0')
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
      g_autofree char *local = NULL;
      g_autofree char *remote = NULL;
      g_autofree char *local_uri = NULL;
      g_autofree char *remote_uri = NULL;

      g_object_get (session, "local-uri", &local_uri, "remote-uri", &remote_uri, NULL);
      local = uri_user (local_uri);
      remote = uri_user (remote_uri);
      name = g_strdup_printf ("%s-%s-%s.wav", stamp, local, remote);
    }
  else
    name = g_strdup (file_name);
  full = g_build_filename (dir, name, NULL);

  g_signal_emit_by_name (session, "will-start-recording-audio", g_get_real_time (), full);
  if (!sips_audio_stream_start_recording (self->stream, full, error))
    return FALSE;
  self->recording = g_strdup (full);
  self->recording_stop_announced = FALSE;
  sips_session_set_string_prop (session, "audio-recording-file-name", full);
  g_signal_emit_by_name (session, "did-start-recording-audio", g_get_real_time (), full);
  return TRUE;
}

gboolean
sips_session_sip_stop_recording (SipsSessionSip *sip, GError **error)
{
  SipsSessionMedia *self = sip->media;

  if (self->stream == NULL || self->recording == NULL || self->recording_stop_announced)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("StopRecordingAudio is not allowed: not recording"));
      return FALSE;
    }
  self->recording_stop_announced = TRUE;
  g_signal_emit_by_name (sip->session, "will-stop-recording-audio", g_get_real_time (),
                         self->recording);
  /* DidStopRecordingAudio once the file is final ("recording-stopped") */
  return sips_audio_stream_stop_recording (self->stream, error);
}

gboolean
sips_session_sip_play_file (SipsSessionSip *sip, const char *path, gboolean loop, GError **error)
{
  SipsSessionMedia *self = sip->media;

  if (self->stream == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("PlayAudioFile is not allowed: the session has no running audio stream"));
      return FALSE;
    }
  return sips_audio_stream_play_file (self->stream, path, loop, error);
}

gboolean
sips_session_sip_stop_file (SipsSessionSip *sip, GError **error)
{
  SipsSessionMedia *self = sip->media;

  if (self->stream == NULL || self->playing == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("StopPlayingAudioFile is not allowed: no file is playing"));
      return FALSE;
    }
  return sips_audio_stream_stop_file (self->stream, error);
}
