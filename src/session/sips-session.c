/* sips-session.c: a SIP session with the seed's state machine
 *
 * Every public method runs three steps in this order: the state check (InvalidState),
 * the argument checks (InvalidArgument), then the work, which lives in the "Signalling"
 * section below and hands over to the session's SIP side (sips-session-sip.c). A session
 * made without a SIP environment (unit tests) answers NotSupported there, except for the
 * local part of terminate. The stream proposal methods are in sips-session-proposal.c,
 * the argument checks in sips-session-args.c. */
#include "sips-session.h"
#include "sips-session-private.h"
#include "sips-session-sip.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/sips-error.h"
#include "config/sips-config-schema.h"

/* ---- properties ---- */

enum {
  PROP_0,
  PROP_STATE,
  PROP_DIRECTION,
  PROP_START_TIME,
  PROP_STOP_TIME,
  PROP_ON_HOLD_BY_LOCAL,
  PROP_ON_HOLD_BY_REMOTE,
  PROP_ON_HOLD,
  PROP_REMOTE_USER_AGENT,
  PROP_LOCAL_URI,
  PROP_REMOTE_URI,
  PROP_CALLER_URI,
  PROP_CALLEE_URI,
  PROP_ACCOUNT,
  PROP_ROUTE,
  PROP_HAS_AUDIO,
  PROP_AUDIO_SAMPLE_RATE,
  PROP_AUDIO_CODEC,
  PROP_AUDIO_SRTP_ACTIVE,
  PROP_AUDIO_LOCAL_RTP_ADDRESS,
  PROP_AUDIO_LOCAL_RTP_PORT,
  PROP_AUDIO_REMOTE_RTP_ADDRESS_SDP,
  PROP_AUDIO_REMOTE_RTP_PORT_SDP,
  PROP_AUDIO_REMOTE_RTP_ADDRESS_RECEIVED,
  PROP_AUDIO_REMOTE_RTP_PORT_RECEIVED,
  PROP_AUDIO_WAS_RECEIVED,
  PROP_AUDIO_RECORDING_FILE_NAME,
  PROP_AUDIO_PLAYING_FILE_NAME,
  PROP_HAS_CHAT,
  PROP_CHAT_TRANSPORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- signals ---- */

enum {
  SIGNAL_CHANGED_STATE,
  SIGNAL_NEW_INCOMING,
  SIGNAL_NEW_OUTGOING,
  SIGNAL_GOT_RING_INDICATION,
  SIGNAL_WILL_START,
  SIGNAL_DID_START,
  SIGNAL_DID_FAIL,
  SIGNAL_WILL_END,
  SIGNAL_DID_END,
  SIGNAL_GOT_HOLD_REQUEST,
  SIGNAL_GOT_UNHOLD_REQUEST,
  SIGNAL_WILL_START_RECORDING_AUDIO,
  SIGNAL_DID_START_RECORDING_AUDIO,
  SIGNAL_WILL_STOP_RECORDING_AUDIO,
  SIGNAL_DID_STOP_RECORDING_AUDIO,
  SIGNAL_GOT_NO_AUDIO,
  SIGNAL_GOT_DTMF,
  SIGNAL_GOT_MESSAGE,
  SIGNAL_DID_DELIVER_MESSAGE,
  SIGNAL_DID_NOT_DELIVER_MESSAGE,
  SIGNAL_GOT_STREAM_PROPOSAL,
  SIGNAL_REJECTED_STREAM_PROPOSAL,
  SIGNAL_ACCEPTED_STREAM_PROPOSAL,
  SIGNAL_GOT_COMPOSING_INDICATION,
  SIGNAL_DID_START_PLAYING_AUDIO_FILE,
  SIGNAL_DID_STOP_PLAYING_AUDIO_FILE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define X G_TYPE_INT64
#define S G_TYPE_STRING
#define B G_TYPE_BOOLEAN
#define I G_TYPE_INT
#define U G_TYPE_UINT
#define V G_TYPE_VARIANT

/* The contract's Session1 signals (src/dbus forwards them by name, so the GTypes must
 * be those gdbus-codegen gives the skeleton's signals). Indexed by the enum above. */
static const struct {
  const char *name;
  guint       n_params;
  GType       params[5];
} signal_defs[N_SIGNALS] = {
  { "changed-state",              3, { X, S, S } },        /* prev_state, state */
  { "new-incoming",               3, { X, B, B } },        /* has_audio, has_chat */
  { "new-outgoing",               1, { X } },
  { "got-ring-indication",        1, { X } },
  { "will-start",                 1, { X } },
  { "did-start",                  1, { X } },
  { "did-fail",                   4, { X, S, I, S } },     /* originator, code, reason */
  { "will-end",                   1, { X } },
  { "did-end",                    2, { X, S } },           /* originator */
  { "got-hold-request",           2, { X, S } },           /* originator */
  { "got-unhold-request",         2, { X, S } },           /* originator */
  { "will-start-recording-audio", 2, { X, S } },           /* file_name */
  { "did-start-recording-audio",  2, { X, S } },
  { "will-stop-recording-audio",  2, { X, S } },
  { "did-stop-recording-audio",   2, { X, S } },
  { "got-no-audio",               1, { X } },
  { "got-dtmf",                   2, { X, S } },           /* digit */
  { "got-message",                5, { X, S, S, V, S } },  /* content, content_type, cpim_headers, message_id */
  { "did-deliver-message",        4, { X, S, I, S } },     /* message_id, code, reason */
  { "did-not-deliver-message",    4, { X, S, I, S } },
  { "got-stream-proposal",        4, { X, S, B, B } },     /* proposer, adds_audio, adds_chat */
  { "rejected-stream-proposal",   3, { X, S, S } },        /* proposer, reason */
  { "accepted-stream-proposal",   2, { X, S } },           /* proposer */
  { "got-composing-indication",   3, { X, S, U } },        /* state, refresh (RFC 3994) */
  { "did-start-playing-audio-file", 2, { X, S } },       /* path */
  { "did-stop-playing-audio-file",  3, { X, S, B } },    /* path, completed */
};

#undef X
#undef S
#undef B
#undef I
#undef U
#undef V

/* ---- struct ---- */

struct _SipsSession {
  GObject parent_instance;

  SipsSessionState state;
  gint64       start_time;
  gint64       stop_time;
  SipsAccount *account;
  GObject     *chat_transport;
  SipsSessionSip *sip;          /* NULL = no signalling (unit tests) */

  /* the plain string, boolean and guint properties, indexed by property id */
  char    *strings[N_PROPS];    /* NULL reads as "" */
  gboolean flags[N_PROPS];
  guint    numbers[N_PROPS];
};

G_DEFINE_FINAL_TYPE (SipsSession, sips_session, G_TYPE_OBJECT)

#define STATE_BIT SIPS_SESSION_STATE_BIT

/* ---- private helpers ---- */

static const char *
str_or_empty (const char *s)
{
  return s != NULL ? s : "";
}

static void
set_string (SipsSession *self, guint prop_id, const char *value)
{
  if (g_strcmp0 (self->strings[prop_id], value) == 0)
    return;
  g_free (self->strings[prop_id]);
  self->strings[prop_id] = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_flag (SipsSession *self, guint prop_id, gboolean value)
{
  gboolean was_on_hold = self->flags[PROP_ON_HOLD_BY_LOCAL] || self->flags[PROP_ON_HOLD_BY_REMOTE];

  value = !!value;
  if (self->flags[prop_id] == value)
    return;
  self->flags[prop_id] = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  /* "on-hold" is derived from the two others */
  if (was_on_hold != (self->flags[PROP_ON_HOLD_BY_LOCAL] || self->flags[PROP_ON_HOLD_BY_REMOTE]))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ON_HOLD]);
}

static void
set_int64 (SipsSession *self, gint64 *field, gint64 value, guint prop_id)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

gboolean
sips_session_check_state (SipsSession *self, guint allowed, const char *method, GError **error)
{
  if (allowed & STATE_BIT (self->state))
    return TRUE;
  /* method is the contract's method name, not translated */
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
               _("%s is not allowed in state %s"), method,
               sips_session_state_to_string (self->state));
  return FALSE;
}

static gboolean
check_established (SipsSession *self, const char *method, GError **error)
{
  return sips_session_check_state (self, STATE_BIT (SIPS_SESSION_STATE_ESTABLISHED), method, error);
}

/* ---- signalling: the SIP side (sips-session-sip.c) does the work ----
 * Each do_* runs after the state and argument checks succeeded. */

static gboolean
do_connect (SipsSession *self, const char *callee_uri, SipsAccount *account,
            const char *route, gboolean audio, gboolean chat, GError **error)
{
  if (self->sip == NULL)
    return sips_session_not_supported (error, "New");
  return sips_session_sip_connect (self->sip, callee_uri, account, route, audio, chat, error);
}

static gboolean
do_accept (SipsSession *self, gboolean audio, gboolean chat, GError **error)
{
  if (self->sip == NULL)
    return sips_session_not_supported (error, "Accept");
  return sips_session_sip_accept (self->sip, audio, chat, error);
}

static gboolean
do_reject (SipsSession *self, GError **error)
{
  if (self->sip == NULL)
    return sips_session_not_supported (error, "Reject");
  return sips_session_sip_reject (self->sip, error);
}

static gboolean
do_hold (SipsSession *self, gboolean hold, GError **error)
{
  if (self->sip == NULL)
    return sips_session_not_supported (error, hold ? "Hold" : "Unhold");
  return sips_session_sip_hold (self->sip, hold, error);
}

/* Releases the streams: a terminated session has none. */
void
sips_session_release_streams (SipsSession *self)
{
  set_string (self, PROP_AUDIO_RECORDING_FILE_NAME, "");
  set_string (self, PROP_AUDIO_PLAYING_FILE_NAME, "");
  set_flag (self, PROP_HAS_AUDIO, FALSE);
  set_flag (self, PROP_HAS_CHAT, FALSE);
  if (self->chat_transport != NULL)
    {
      g_clear_object (&self->chat_transport);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHAT_TRANSPORT]);
    }
}

/* With a SIP dialog the SIP side sends CANCEL/BYE/an error response and reaches
 * TERMINATED when the dialog is gone; without one the session ends here at once. */
static gboolean
do_terminate (SipsSession *self, GError **error)
{
  if (self->sip != NULL && sips_session_sip_terminate (self->sip))
    return TRUE;

  g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
  sips_session_set_state (self, SIPS_SESSION_STATE_TERMINATING);
  sips_session_release_streams (self);
  sips_session_set_state (self, SIPS_SESSION_STATE_TERMINATED);
  g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time (), "local");
  return TRUE;
}

/* ---- GObject vfuncs ---- */

static void
sips_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsSession *self = SIPS_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_string (value, sips_session_state_to_string (self->state));
      break;
    case PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
      break;
    case PROP_STOP_TIME:
      g_value_set_int64 (value, self->stop_time);
      break;
    case PROP_ON_HOLD:
      g_value_set_boolean (value, self->flags[PROP_ON_HOLD_BY_LOCAL] ||
                                  self->flags[PROP_ON_HOLD_BY_REMOTE]);
      break;
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_CHAT_TRANSPORT:
      g_value_set_object (value, self->chat_transport);
      break;
    default:
      if (prop_id >= N_PROPS)
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      else if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_STRING)
        g_value_set_string (value, str_or_empty (self->strings[prop_id]));
      else if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_BOOLEAN)
        g_value_set_boolean (value, self->flags[prop_id]);
      else
        g_value_set_uint (value, self->numbers[prop_id]);
    }
}

static void
sips_session_dispose (GObject *object)
{
  SipsSession *self = SIPS_SESSION (object);

  g_clear_pointer (&self->sip, sips_session_sip_free);
  g_clear_object (&self->account);
  g_clear_object (&self->chat_transport);

  G_OBJECT_CLASS (sips_session_parent_class)->dispose (object);
}

static void
sips_session_finalize (GObject *object)
{
  SipsSession *self = SIPS_SESSION (object);

  for (guint i = 0; i < N_PROPS; i++)
    g_free (self->strings[i]);

  G_OBJECT_CLASS (sips_session_parent_class)->finalize (object);
}

static GParamSpec *
string_prop (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, "",
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
boolean_prop (const char *name)
{
  return g_param_spec_boolean (name, NULL, NULL, FALSE,
                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
uint_prop (const char *name)
{
  return g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
time_prop (const char *name)
{
  return g_param_spec_int64 (name, NULL, NULL, 0, G_MAXINT64, 0,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
sips_session_class_init (SipsSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sips_session_get_property;
  object_class->dispose = sips_session_dispose;
  object_class->finalize = sips_session_finalize;

  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "NULL",
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DIRECTION] = string_prop ("direction");
  properties[PROP_START_TIME] = time_prop ("start-time");
  properties[PROP_STOP_TIME] = time_prop ("stop-time");
  properties[PROP_ON_HOLD_BY_LOCAL] = boolean_prop ("on-hold-by-local");
  properties[PROP_ON_HOLD_BY_REMOTE] = boolean_prop ("on-hold-by-remote");
  properties[PROP_ON_HOLD] = boolean_prop ("on-hold");
  properties[PROP_REMOTE_USER_AGENT] = string_prop ("remote-user-agent");
  properties[PROP_LOCAL_URI] = string_prop ("local-uri");
  properties[PROP_REMOTE_URI] = string_prop ("remote-uri");
  properties[PROP_CALLER_URI] = string_prop ("caller-uri");
  properties[PROP_CALLEE_URI] = string_prop ("callee-uri");
  properties[PROP_ACCOUNT] = g_param_spec_object ("account", NULL, NULL, SIPS_TYPE_ACCOUNT,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ROUTE] = string_prop ("route");
  properties[PROP_HAS_AUDIO] = boolean_prop ("has-audio");
  properties[PROP_AUDIO_SAMPLE_RATE] = uint_prop ("audio-sample-rate");
  properties[PROP_AUDIO_CODEC] = string_prop ("audio-codec");
  properties[PROP_AUDIO_SRTP_ACTIVE] = boolean_prop ("audio-srtp-active");
  properties[PROP_AUDIO_LOCAL_RTP_ADDRESS] = string_prop ("audio-local-rtp-address");
  properties[PROP_AUDIO_LOCAL_RTP_PORT] = uint_prop ("audio-local-rtp-port");
  properties[PROP_AUDIO_REMOTE_RTP_ADDRESS_SDP] = string_prop ("audio-remote-rtp-address-sdp");
  properties[PROP_AUDIO_REMOTE_RTP_PORT_SDP] = uint_prop ("audio-remote-rtp-port-sdp");
  properties[PROP_AUDIO_REMOTE_RTP_ADDRESS_RECEIVED] =
    string_prop ("audio-remote-rtp-address-received");
  properties[PROP_AUDIO_REMOTE_RTP_PORT_RECEIVED] = uint_prop ("audio-remote-rtp-port-received");
  properties[PROP_AUDIO_WAS_RECEIVED] = boolean_prop ("audio-was-received");
  properties[PROP_AUDIO_RECORDING_FILE_NAME] = string_prop ("audio-recording-file-name");
  properties[PROP_AUDIO_PLAYING_FILE_NAME] = string_prop ("audio-playing-file-name");
  properties[PROP_HAS_CHAT] = boolean_prop ("has-chat");
  properties[PROP_CHAT_TRANSPORT] = g_param_spec_object ("chat-transport", NULL, NULL,
                                                         G_TYPE_OBJECT,
                                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                         G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  for (guint i = 0; i < N_SIGNALS; i++)
    signals[i] = g_signal_newv (signal_defs[i].name, G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST, NULL, NULL, NULL, NULL,
                                G_TYPE_NONE, signal_defs[i].n_params,
                                (GType *) signal_defs[i].params);
}

static void
sips_session_init (SipsSession *self)
{
  self->state = SIPS_SESSION_STATE_NULL;
}

/* ---- public API ---- */

const char *
sips_session_state_to_string (SipsSessionState state)
{
  static const char *const names[] = {
    "NULL", "CALLING", "INCOMING", "ACCEPTING", "ESTABLISHED",
    "PROPOSING", "PROPOSED", "TERMINATING", "TERMINATED",
  };

  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (names), "NULL");
  return names[state];
}

SipsSession *
sips_session_new (void)
{
  return g_object_new (SIPS_TYPE_SESSION, NULL);
}

SipsSessionState
sips_session_get_state (SipsSession *self)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), SIPS_SESSION_STATE_NULL);
  return self->state;
}

void
sips_session_set_state (SipsSession *self, SipsSessionState state)
{
  SipsSessionState prev;
  gint64 now;

  g_return_if_fail (SIPS_IS_SESSION (self));
  g_return_if_fail (state <= SIPS_SESSION_STATE_TERMINATED);

  if (self->state == state)
    return;

  prev = self->state;
  self->state = state;
  now = g_get_real_time ();

  g_debug ("session %p: %s -> %s", (void *) self,
           sips_session_state_to_string (prev), sips_session_state_to_string (state));

  g_object_freeze_notify (G_OBJECT (self));
  if (state == SIPS_SESSION_STATE_ESTABLISHED && self->start_time == 0)
    set_int64 (self, &self->start_time, now, PROP_START_TIME);
  if (state == SIPS_SESSION_STATE_TERMINATED)
    set_int64 (self, &self->stop_time, now, PROP_STOP_TIME);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[SIGNAL_CHANGED_STATE], 0, now,
                 sips_session_state_to_string (prev), sips_session_state_to_string (state));
}

gboolean
sips_session_connect (SipsSession *self, const char *callee_uri, SipsAccount *account,
                      const char *route, gboolean audio, gboolean chat, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (account == NULL || SIPS_IS_ACCOUNT (account), FALSE);

  if (!sips_session_check_state (self, STATE_BIT (SIPS_SESSION_STATE_NULL), "New", error))
    return FALSE;
  if (!sips_session_is_sip_uri (callee_uri))
    return sips_session_invalid_argument (error, _("The callee must be a sip: or sips: URI"));
  if (!sips_session_is_optional_sip_uri (route))
    return sips_session_invalid_argument (error, _("The route must be empty or a sip: or sips: URI"));
  if (!audio && !chat)
    return sips_session_invalid_argument (error, _("A session needs an audio or a chat stream"));
  if (account == NULL)
    return sips_session_invalid_argument (error, _("No account to place the session from"));
  if (!sips_session_account_is_enabled (account))
    return sips_session_invalid_argument (error, _("The account is disabled"));

  return do_connect (self, callee_uri, account, route, audio, chat, error);
}

gboolean
sips_session_accept (SipsSession *self, gboolean audio, gboolean chat, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, STATE_BIT (SIPS_SESSION_STATE_INCOMING), "Accept", error))
    return FALSE;
  if (!audio && !chat)
    return sips_session_invalid_argument (error, _("Accept needs an audio or a chat stream"));

  return do_accept (self, audio, chat, error);
}

gboolean
sips_session_reject (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, STATE_BIT (SIPS_SESSION_STATE_INCOMING), "Reject", error))
    return FALSE;
  return do_reject (self, error);
}

gboolean
sips_session_hold (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "Hold", error))
    return FALSE;
  return do_hold (self, TRUE, error);
}

gboolean
sips_session_unhold (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "Unhold", error))
    return FALSE;
  return do_hold (self, FALSE, error);
}

gboolean
sips_session_start_recording_audio (SipsSession *self, const char *path,
                                    const char *file_name, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "StartRecordingAudio", error))
    return FALSE;
  if (!sips_session_check_recording_args (path, file_name, error))
    return FALSE;

  if (self->sip == NULL)
    return sips_session_not_supported (error, "StartRecordingAudio");
  return sips_session_sip_start_recording (self->sip, path, file_name, error);
}

gboolean
sips_session_stop_recording_audio (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "StopRecordingAudio", error))
    return FALSE;
  if (self->sip == NULL)
    return sips_session_not_supported (error, "StopRecordingAudio");
  return sips_session_sip_stop_recording (self->sip, error);
}

gboolean
sips_session_send_dtmf (SipsSession *self, const char *digit, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "SendDTMF", error))
    return FALSE;
  if (digit == NULL || digit[0] == '\0' || digit[1] != '\0' ||
      strchr ("0123456789*#ABCD", digit[0]) == NULL)
    return sips_session_invalid_argument (error, _("A DTMF digit is one of 0-9, *, #, A-D"));

  if (self->sip == NULL)
    return sips_session_not_supported (error, "SendDTMF");
  return sips_session_sip_send_dtmf (self->sip, digit, error);
}

gboolean
sips_session_play_audio_file (SipsSession *self, const char *path, gboolean loop, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "PlayAudioFile", error))
    return FALSE;
  if (self->sip == NULL)
    return sips_session_not_supported (error, "PlayAudioFile");
  return sips_session_sip_play_file (self->sip, path, loop, error);
}

gboolean
sips_session_stop_playing_audio_file (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "StopPlayingAudioFile", error))
    return FALSE;
  if (self->sip == NULL)
    return sips_session_not_supported (error, "StopPlayingAudioFile");
  return sips_session_sip_stop_file (self->sip, error);
}

char *
sips_session_send_message (SipsSession *self, const char *content, const char *content_type,
                           const char *to_uri, gint64 timestamp, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), NULL);

  if (!check_established (self, "SendMessage", error))
    return NULL;
  if (content == NULL || *content == '\0')
    {
      sips_session_invalid_argument (error, _("The message has no content"));
      return NULL;
    }
  if (!sips_session_is_content_type (content_type))
    {
      sips_session_invalid_argument (error, _("The content type must be of the form type/subtype"));
      return NULL;
    }
  if (!sips_session_is_optional_sip_uri (to_uri))
    {
      sips_session_invalid_argument (error, _("The recipient must be empty or a sip: or sips: URI"));
      return NULL;
    }
  if (timestamp < 0)
    {
      sips_session_invalid_argument (error, _("The timestamp must not be negative"));
      return NULL;
    }

  if (self->sip == NULL)
    {
      sips_session_not_supported (error, "SendMessage");
      return NULL;
    }
  return sips_session_sip_send_message (self->sip, content, content_type, to_uri, timestamp,
                                        error);
}

gboolean
sips_session_send_composing_indication (SipsSession *self, const char *state, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!check_established (self, "SendComposingIndication", error))
    return FALSE;
  if (g_strcmp0 (state, "active") != 0 && g_strcmp0 (state, "idle") != 0)
    return sips_session_invalid_argument (error, _("The composing state must be \"active\" or \"idle\""));

  if (self->sip == NULL)
    return sips_session_not_supported (error, "SendComposingIndication");
  return sips_session_sip_send_composing (self->sip, state, error);
}

gboolean
sips_session_terminate (SipsSession *self, GError **error)
{
  const guint active = STATE_BIT (SIPS_SESSION_STATE_CALLING) |
                       STATE_BIT (SIPS_SESSION_STATE_INCOMING) |
                       STATE_BIT (SIPS_SESSION_STATE_ACCEPTING) |
                       STATE_BIT (SIPS_SESSION_STATE_ESTABLISHED) |
                       STATE_BIT (SIPS_SESSION_STATE_PROPOSING) |
                       STATE_BIT (SIPS_SESSION_STATE_PROPOSED);

  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, active, "Terminate", error))
    return FALSE;
  return do_terminate (self, error);
}

/* ---- private API (sips-session-private.h) ---- */

static guint
prop_id_of (SipsSession *self, const char *name, GType type)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self), name);

  g_return_val_if_fail (pspec != NULL && G_PARAM_SPEC_VALUE_TYPE (pspec) == type, 0);
  return pspec->param_id;
}

void
sips_session_set_string_prop (SipsSession *self, const char *name, const char *value)
{
  guint id = prop_id_of (self, name, G_TYPE_STRING);

  if (id != 0 && id != PROP_STATE)
    set_string (self, id, value);
}

void
sips_session_set_boolean_prop (SipsSession *self, const char *name, gboolean value)
{
  guint id = prop_id_of (self, name, G_TYPE_BOOLEAN);

  if (id != 0 && id != PROP_ON_HOLD)
    set_flag (self, id, value);
}

gboolean
sips_session_get_boolean_prop (SipsSession *self, const char *name)
{
  guint id = prop_id_of (self, name, G_TYPE_BOOLEAN);

  return id != 0 && self->flags[id];
}

void
sips_session_set_uint_prop (SipsSession *self, const char *name, guint value)
{
  guint id = prop_id_of (self, name, G_TYPE_UINT);

  if (id == 0 || self->numbers[id] == value)
    return;
  self->numbers[id] = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[id]);
}

void
sips_session_set_account (SipsSession *self, SipsAccount *account)
{
  if (g_set_object (&self->account, account))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT]);
}

void
sips_session_set_chat_transport (SipsSession *self, GObject *chat)
{
  if (g_set_object (&self->chat_transport, chat))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHAT_TRANSPORT]);
}

void
sips_session_set_sip_env (SipsSession *self, SipsSipAgent *agent, SipsConfigSection *settings,
                          SipsConfigSection *rtp, SipsRingtoneConfig *ringtones,
                          SipsMsrpTransport *msrp, SipsConfigSection *msrp_config)
{
  g_return_if_fail (SIPS_IS_SESSION (self));
  g_return_if_fail (self->sip == NULL);

  self->sip = sips_session_sip_new (self, agent, settings, rtp, ringtones, msrp, msrp_config);
}

SipsSessionSip *
sips_session_get_sip (SipsSession *self)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), NULL);
  return self->sip;
}
