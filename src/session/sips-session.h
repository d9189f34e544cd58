/* sips-session.h: a SIP session with the seed's state machine */
#pragma once

#include <glib-object.h>
#include "account/sips-account.h"

#include "core/sips-log.h"

G_BEGIN_DECLS

typedef enum {
  SIPS_SESSION_STATE_NULL,
  SIPS_SESSION_STATE_CALLING,
  SIPS_SESSION_STATE_INCOMING,
  SIPS_SESSION_STATE_ACCEPTING,
  SIPS_SESSION_STATE_ESTABLISHED,
  SIPS_SESSION_STATE_PROPOSING,
  SIPS_SESSION_STATE_PROPOSED,
  SIPS_SESSION_STATE_TERMINATING,
  SIPS_SESSION_STATE_TERMINATED,
} SipsSessionState;

const char *sips_session_state_to_string (SipsSessionState state); /* "NULL", "CALLING", ... */

#define SIPS_TYPE_SESSION (sips_session_get_type ())
G_DECLARE_FINAL_TYPE (SipsSession, sips_session, SIPS, SESSION, GObject)

/* GObject properties (read-only), one per Session1 property, same name in kebab-case and
 * the contract's type: "state" (string), "direction", "start-time" (gint64), "stop-time",
 * "on-hold-by-local" (gboolean), "on-hold-by-remote", "on-hold", "remote-user-agent",
 * "local-uri", "remote-uri", "caller-uri", "callee-uri", "account" (SipsAccount*, NULL = none),
 * "route", "has-audio", "audio-sample-rate" (guint), "audio-codec", "audio-srtp-active",
 * "audio-local-rtp-address", "audio-local-rtp-port" (guint), "audio-remote-rtp-address-sdp",
 * "audio-remote-rtp-port-sdp", "audio-remote-rtp-address-received",
 * "audio-remote-rtp-port-received", "audio-was-received", "audio-recording-file-name",
 * "has-chat", "chat-transport" (GObject*, NULL = none).
 *
 * Signals: one per Session1 signal, kebab-case, with exactly the contract's arguments
 * mapped to GTypes (x -> gint64, s -> string, b -> gboolean, i -> gint, u -> guint,
 * a{ss} -> GVariant), timestamp first: "changed-state", "new-incoming", "new-outgoing",
 * "got-ring-indication", "will-start", "did-start", "did-fail", "will-end", "did-end",
 * "got-hold-request", "got-unhold-request", "will-start-recording-audio",
 * "did-start-recording-audio", "will-stop-recording-audio", "did-stop-recording-audio",
 * "got-no-audio", "got-dtmf", "got-message", "did-deliver-message",
 * "did-not-deliver-message", "got-stream-proposal", "rejected-stream-proposal",
 * "accepted-stream-proposal"; plus "got-composing-indication" (gint64, state s, refresh u).
 * src/dbus forwards them by name. */

SipsSession      *sips_session_new       (void);
SipsSessionState  sips_session_get_state (SipsSession *self);

/* The seed's methods. Each first checks the state (SIPS_ERROR_INVALID_STATE, the message
 * names the state), then its arguments (SIPS_ERROR_INVALID_ARGUMENT), then does the work.
 * account NULL = the caller resolved none (the engine passes the default account). */
gboolean sips_session_connect      (SipsSession *self, const char *callee_uri, SipsAccount *account,
                                    const char *route, gboolean audio, gboolean chat, GError **error);
gboolean sips_session_accept       (SipsSession *self, gboolean audio, gboolean chat, GError **error);
gboolean sips_session_reject       (SipsSession *self, GError **error);
gboolean sips_session_hold         (SipsSession *self, GError **error);
gboolean sips_session_unhold       (SipsSession *self, GError **error);
gboolean sips_session_start_recording_audio (SipsSession *self, const char *path,
                                             const char *file_name, GError **error);
gboolean sips_session_stop_recording_audio  (SipsSession *self, GError **error);
gboolean sips_session_send_dtmf    (SipsSession *self, const char *digit, GError **error);
gboolean sips_session_play_audio_file (SipsSession *self, const char *path, gboolean loop,
                                       GError **error);
gboolean sips_session_stop_playing_audio_file (SipsSession *self, GError **error);

/* The fields of the session's log lines (SIPS_SESSION, SIP_CALL_ID, SIPS_ACCOUNT): its
 * parts log through it, the binding sets the session's name (its object path). */
SipsLogContext *sips_session_get_log_context (SipsSession *self);
/* Returns the new message id (free it), or NULL with error. */
char    *sips_session_send_message (SipsSession *self, const char *content, const char *content_type,
                                    const char *to_uri, gint64 timestamp, GError **error);
gboolean sips_session_add_audio       (SipsSession *self, GError **error);
gboolean sips_session_remove_audio    (SipsSession *self, GError **error);
gboolean sips_session_add_chat        (SipsSession *self, GError **error);
gboolean sips_session_remove_chat     (SipsSession *self, GError **error);
gboolean sips_session_accept_proposal (SipsSession *self, GError **error);
gboolean sips_session_reject_proposal (SipsSession *self, GError **error);
gboolean sips_session_terminate       (SipsSession *self, GError **error);
/* RFC 3994 isComposing over the chat stream; state is "active" or "idle" (ESTABLISHED only).
 * Not a signal: the remote side's indication arrives as "got-composing-indication"
 * (gint64 timestamp, const char *state, guint refresh). */
gboolean sips_session_send_composing_indication (SipsSession *self, const char *state,
                                                 GError **error);

/* For the engine and tests: move the state machine (emits "changed-state" and sets the
 * time properties as the seed says). Not reachable from D-Bus. */
void sips_session_set_state (SipsSession *self, SipsSessionState state);

G_END_DECLS
