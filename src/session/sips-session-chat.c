/* sips-session-chat.c: a session's chat stream on its SIP side
 *
 * One SipsMsrpChat per chat stream: made when our offer or answer first carries the
 * m=message line (so that its path is known, RFC 4975 section 8.1), given the peer's
 * a=path, a=accept-types and a=fingerprint from its SDP, and started (connecting or
 * waiting to be connected, by the a=setup roles of RFC 6135) once the session is
 * established with the stream negotiated. It is the session's "chat-transport" (the
 * MSRPChat1 object) from its making until it ends; RemoveChat, a rejected or removed
 * stream and the end of the session end it, and a re-added stream is a new one.
 *
 * Its messages, reports and is-composing indications are re-emitted as the session's
 * signals. A failure of the stream (connection lost, peer silent, fingerprint
 * mismatch) is sips_session_reinvite_chat_failed()'s: a chat-only session fails with
 * DidFail("local", 0, reason), a session with audio loses the chat and goes on.
 *
 * Through a relay (RFC 4976, per MSRPConfiguration1): the stream is made first (so
 * that MSRPChat1 exists), authenticated at the relay with the session account's
 * credentials, and only then initialized, its path starting with the relay's Use-Path;
 * the session holds back its INVITE or 200 until then. */
#include "sips-session-chat.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/sips-error.h"
#include "msrp/sips-msrp-chat.h"
/* sips_msrp_chat_fail(): a stream whose relay refused us fails before it initializes */
#include "msrp/sips-msrp-chat-private.h"
#include "msrp/sips-msrp-relay.h"
#include "sips-sdp.h"
#include "sips-session-headers.h"

/* An AUTH in progress; owner NULL = cancelled (the session may be gone). */
typedef struct {
  SipsSessionChat         *owner;
  SipsSessionChatRelayFunc ready;
} RelayWait;

struct _SipsSessionChat {
  SipsSessionSip    *sip;
  SipsMsrpTransport *transport;
  SipsMsrpChat      *chat;        /* the stream, NULL = none */
  gboolean           offerer;     /* we made the offer that set it up */
  SipsMsrpSetup      offer_setup; /* the a=setup of that offer and of its answer */
  SipsMsrpSetup      answer_setup;
  gboolean           remote_known;
  char              *fail_reason;
  SipsConfigSection *msrp_config; /* MSRPConfiguration1, NULL = no relay */
  SipsMsrpRelay     *relay;       /* the stream's authenticated relay, NULL = none */
  RelayWait         *relay_wait;  /* its AUTH in progress */
  GCancellable      *relay_cancellable;
  char              *file_sdp;    /* RFC 5547 lines of a file transfer, NULL = chat */
};

/* ---- private helpers ---- */

static SipsSession *
session_of (SipsSessionChat *self)
{
  return self->sip->session;
}

static void
on_got_message (SipsMsrpChat *chat, gint64 timestamp, const char *content,
                const char *content_type, GVariant *cpim_headers, const char *message_id,
                gpointer user_data)
{
  SipsSessionChat *self = user_data;

  g_signal_emit_by_name (session_of (self), "got-message", timestamp, content, content_type,
                         cpim_headers, message_id);
}

static void
on_did_deliver (SipsMsrpChat *chat, gint64 timestamp, const char *message_id, int code,
                const char *reason, gpointer user_data)
{
  SipsSessionChat *self = user_data;

  g_signal_emit_by_name (session_of (self), "did-deliver-message", timestamp, message_id,
                         code, reason);
}

static void
on_did_not_deliver (SipsMsrpChat *chat, gint64 timestamp, const char *message_id, int code,
                    const char *reason, gpointer user_data)
{
  SipsSessionChat *self = user_data;

  g_signal_emit_by_name (session_of (self), "did-not-deliver-message", timestamp, message_id,
                         code, reason);
}

static void
on_got_composing (SipsMsrpChat *chat, gint64 timestamp, const char *state, guint refresh,
                  gpointer user_data)
{
  SipsSessionChat *self = user_data;

  g_signal_emit_by_name (session_of (self), "got-composing-indication", timestamp, state,
                         refresh);
}

static void
on_did_fail (SipsMsrpChat *chat, gint64 timestamp, const char *reason, gpointer user_data)
{
  SipsSessionChat *self = user_data;

  g_free (self->fail_reason);
  self->fail_reason = g_strdup (reason);
}

/* Connected after the D-Bus forwarding so that MSRPChat1 shows DidEnd before the
 * object goes. */
static void
on_did_end (SipsMsrpChat *chat, gint64 timestamp, gpointer user_data)
{
  SipsSessionChat *self = user_data;
  g_autofree char *reason = NULL;

  if (chat != self->chat || sips_msrp_chat_get_state (chat) != SIPS_MSRP_CHAT_STATE_FAILED)
    return;
  reason = g_steal_pointer (&self->fail_reason);
  sips_log_message (sips_session_get_log_context (session_of (self)),
                    "Session %p: the chat stream failed: %s", (void *) session_of (self),
             reason != NULL ? reason : "");
  sips_session_reinvite_chat_failed (self->sip, reason != NULL ? reason : _("The chat stream failed"));
}

static void
drop_chat (SipsSessionChat *self)
{
  g_autoptr(SipsMsrpChat) chat = g_steal_pointer (&self->chat);

  sips_session_chat_cancel_relay (self);
  if (self->relay != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->relay, self);
      sips_msrp_relay_stop (self->relay);
    }
  g_clear_object (&self->relay);
  if (chat == NULL)
    return;
  g_signal_handlers_disconnect_by_data (chat, self);
  self->remote_known = FALSE;
  g_clear_pointer (&self->fail_reason, g_free);
}

static const char *
account_display_name (SipsSession *session)
{
  g_autoptr(SipsAccount) account = NULL;
  SipsConfigSection *config;
  const char *name;

  g_object_get (session, "account", &account, NULL);
  config = account != NULL ? sips_account_get_config (account) : NULL;
  name = config != NULL ? sips_config_section_get_string (config, "DisplayName") : NULL;
  /* the section keeps the string */
  return name != NULL && *name != '\0' ? name : NULL;
}

/* A new stream, announced as the session's chat-transport before it initializes (so
 * that MSRPChat1 shows DidInitialize). */
static void create_chat (SipsSessionChat *self, gboolean use_tls);

static gboolean
make_chat (SipsSessionChat *self, gboolean use_tls, GError **error)
{
  if (!sips_session_chat_available (self, error))
    return FALSE;
  if (use_tls && sips_msrp_transport_get_certificate (self->transport) == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("MSRP over TLS is not available: there is no certificate"));
      return FALSE;
    }

  if (self->chat != NULL && self->relay != NULL &&
      sips_msrp_chat_get_state (self->chat) == SIPS_MSRP_CHAT_STATE_NEW)
    {
      /* made and authenticated at the relay by sips_session_chat_authenticate() */
      sips_msrp_chat_set_relay (self->chat, self->relay);
      if (!sips_msrp_chat_initialize (self->chat, error))
        {
          sips_session_chat_stop (self);
          return FALSE;
        }
      return TRUE;
    }
  create_chat (self, use_tls);
  if (!sips_msrp_chat_initialize (self->chat, error))
    {
      sips_session_chat_stop (self);
      return FALSE;
    }
  return TRUE;
}

/* A new stream (NEW), announced as the session's chat-transport. */
static void
create_chat (SipsSessionChat *self, gboolean use_tls)
{
  SipsSession *session = session_of (self);
  g_autofree char *local_uri = NULL;
  g_autofree char *remote_uri = NULL;

  drop_chat (self);
  self->chat = sips_msrp_chat_new (self->transport, use_tls);
  g_object_get (session, "local-uri", &local_uri, "remote-uri", &remote_uri, NULL);
  sips_msrp_chat_set_identities (self->chat, account_display_name (session), local_uri,
                                 NULL, remote_uri);
  g_signal_connect (self->chat, "got-message", G_CALLBACK (on_got_message), self);
  g_signal_connect (self->chat, "did-deliver-message", G_CALLBACK (on_did_deliver), self);
  g_signal_connect (self->chat, "did-not-deliver-message", G_CALLBACK (on_did_not_deliver), self);
  g_signal_connect (self->chat, "got-composing-indication", G_CALLBACK (on_got_composing), self);
  g_signal_connect (self->chat, "did-fail", G_CALLBACK (on_did_fail), self);
  g_signal_connect_after (self->chat, "did-end", G_CALLBACK (on_did_end), self);

  sips_session_set_chat_transport (session, G_OBJECT (self->chat));
}

static gboolean
stream_is_usable (SipsSessionChat *self)
{
  SipsMsrpChatState state;

  if (self->chat == NULL)
    return FALSE;
  state = sips_msrp_chat_get_state (self->chat);
  return state != SIPS_MSRP_CHAT_STATE_NEW && state != SIPS_MSRP_CHAT_STATE_ENDING && state != SIPS_MSRP_CHAT_STATE_ENDED &&
         state != SIPS_MSRP_CHAT_STATE_FAILED;
}

/* The peer's m=message into the stream (before it starts; later ones change nothing). */
static gboolean
apply_remote (SipsSessionChat *self, const SipsSdpChat *remote, GError **error)
{
  if (sips_msrp_chat_get_state (self->chat) != SIPS_MSRP_CHAT_STATE_INITIALIZED)
    return TRUE;
  if (remote->path == NULL || remote->path[0] == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The chat stream has no a=path"));
      return FALSE;
    }
  if (!sips_msrp_chat_set_remote (self->chat, (const char * const *) remote->path,
                                  remote->accept_types, remote->fingerprint, error))
    return FALSE;
  self->remote_known = TRUE;
  return TRUE;
}

/* ---- public API (sips-session-chat.h) ---- */

SipsSessionChat *
sips_session_chat_new (SipsSessionSip *sip, SipsMsrpTransport *transport,
                       SipsConfigSection *msrp_config)
{
  SipsSessionChat *self = g_new0 (SipsSessionChat, 1);

  self->sip = sip;
  self->msrp_config = msrp_config != NULL ? g_object_ref (msrp_config) : NULL;
  self->transport = transport != NULL ? g_object_ref (transport) : NULL;
  return self;
}

void
sips_session_chat_free (SipsSessionChat *self)
{
  if (self == NULL)
    return;
  if (self->chat != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chat, self);
      sips_msrp_chat_end (self->chat);
    }
  drop_chat (self);
  g_clear_object (&self->transport);
  g_clear_object (&self->msrp_config);
  g_free (self->file_sdp);
  g_free (self);
}

gboolean
sips_session_chat_available (SipsSessionChat *self, GError **error)
{
  if (self->transport != NULL)
    return TRUE;
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
               _("Chat streams are not available: the MSRP endpoint did not start"));
  return FALSE;
}

gboolean
sips_session_chat_has_stream (SipsSessionChat *self)
{
  return stream_is_usable (self);
}

const char *
sips_session_chat_address (SipsSessionChat *self)
{
  return self->transport != NULL ? sips_msrp_transport_get_host (self->transport) : NULL;
}

char *
sips_session_chat_sdp (SipsSessionChat *self)
{
  gboolean secure;
  SipsMsrpSetup setup;
  char *sdp, *with_file;

  if (!stream_is_usable (self))
    return NULL;
  secure = sips_msrp_chat_get_use_tls (self->chat);
  /* an existing stream keeps the a=setup of the exchange that made it */
  setup = self->offerer ? self->offer_setup : self->answer_setup;
  sdp = sips_sdp_build_chat (sips_msrp_transport_get_port (self->transport), secure,
                             sips_msrp_chat_get_local_path (self->chat),
                             self->file_sdp != NULL ? "*" : SIPS_MSRP_CHAT_ACCEPT_TYPES,
                             self->file_sdp != NULL ? NULL : SIPS_MSRP_CHAT_ACCEPT_WRAPPED_TYPES,
                             sips_msrp_setup_to_string (setup),
                             secure ? sips_msrp_transport_get_fingerprint (self->transport)
                                    : NULL);
  if (self->file_sdp == NULL)
    return sdp;
  with_file = g_strconcat (sdp, self->file_sdp, NULL);
  g_free (sdp);
  return with_file;
}

void
sips_session_chat_set_file_sdp (SipsSessionChat *self, const char *lines)
{
  g_free (self->file_sdp);
  self->file_sdp = g_strdup (lines);
}

gboolean
sips_session_chat_prepare_offer (SipsSessionChat *self, GError **error)
{
  if (stream_is_usable (self))
    return TRUE;
  self->offerer = TRUE;
  self->offer_setup = SIPS_MSRP_SETUP_OFFER;
  self->answer_setup = SIPS_MSRP_SETUP_NONE;
  return make_chat (self, self->transport != NULL &&
                          sips_msrp_transport_get_use_tls (self->transport), error);
}

gboolean
sips_session_chat_prepare_answer (SipsSessionChat *self, const char *offer, GError **error)
{
  SipsSdpChat remote = { 0 };
  gboolean ok = TRUE;

  if (!sips_sdp_parse_chat (offer, &remote) || !remote.present)
    {
      sips_sdp_chat_clear (&remote);
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The offer has no chat stream"));
      return FALSE;
    }
  if (!stream_is_usable (self))
    {
      /* the answer takes the offer's protocol: soa matches m-lines by it */
      self->offerer = FALSE;
      ok = make_chat (self, remote.secure, error);
    }
  if (ok)
    {
      /* our answer's a=setup (a re-offer of the peer keeps the stream's roles) */
      if (!self->offerer && sips_msrp_chat_get_state (self->chat) == SIPS_MSRP_CHAT_STATE_INITIALIZED)
        {
          self->offer_setup = sips_msrp_setup_parse (remote.setup);
          self->answer_setup = sips_msrp_setup_answer (self->offer_setup);
        }
      ok = self->offerer || apply_remote (self, &remote, error);
      if (!ok)
        sips_session_chat_stop (self);
    }
  sips_sdp_chat_clear (&remote);
  return ok;
}

void
sips_session_chat_answer_received (SipsSessionChat *self, const char *answer)
{
  SipsSdpChat remote = { 0 };
  g_autoptr(GError) error = NULL;

  if (!stream_is_usable (self) || !self->offerer ||
      sips_msrp_chat_get_state (self->chat) != SIPS_MSRP_CHAT_STATE_INITIALIZED)
    return;
  if (!sips_sdp_parse_chat (answer, &remote) || !remote.present)
    {
      /* the peer did not take the stream */
      sips_sdp_chat_clear (&remote);
      sips_session_chat_stop (self);
      return;
    }
  self->answer_setup = sips_msrp_setup_parse (remote.setup);
  if (!apply_remote (self, &remote, &error))
    {
      sips_log_message (sips_session_get_log_context (session_of (self)),
                        "Session %p: unusable chat answer: %s", (void *) session_of (self),
                 error->message);
      sips_session_chat_stop (self);
    }
  sips_sdp_chat_clear (&remote);
}

void
sips_session_chat_sync (SipsSessionChat *self)
{
  SipsSession *session = session_of (self);
  SipsSessionState state = sips_session_get_state (session);
  gboolean active;

  if (!stream_is_usable (self) || !self->remote_known ||
      sips_msrp_chat_get_state (self->chat) != SIPS_MSRP_CHAT_STATE_INITIALIZED ||
      (state != SIPS_SESSION_STATE_ESTABLISHED && state != SIPS_SESSION_STATE_PROPOSING &&
       state != SIPS_SESSION_STATE_PROPOSED) ||
      !sips_session_get_boolean_prop (session, "has-chat"))
    return;
  active = sips_msrp_setup_is_active (self->offerer, self->offer_setup, self->answer_setup);
  sips_log_debug (sips_session_get_log_context (session),
                  "session %p: chat starts (%s)", (void *) session, active ? "active" : "passive");
  sips_msrp_chat_start (self->chat, active);
}

void
sips_session_chat_stop (SipsSessionChat *self)
{
  g_autoptr(SipsMsrpChat) chat = NULL;

  if (self->chat == NULL)
    return;
  chat = g_object_ref (self->chat);
  g_signal_handlers_disconnect_by_func (chat, on_did_end, self);
  sips_msrp_chat_end (chat);
  drop_chat (self);
  sips_session_set_chat_transport (session_of (self), NULL);
}

char *
sips_session_chat_send_message (SipsSessionChat *self, const char *content,
                                const char *content_type, const char *to_uri,
                                gint64 timestamp, GError **error)
{
  SipsMsrpChatState state = self->chat != NULL ? sips_msrp_chat_get_state (self->chat)
                                               : SIPS_MSRP_CHAT_STATE_NEW;

  if (state != SIPS_MSRP_CHAT_STATE_CONNECTING && state != SIPS_MSRP_CHAT_STATE_STARTED)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("SendMessage is not allowed: the session has no started chat stream"));
      return NULL;
    }
  return sips_msrp_chat_send_message (self->chat, (const guint8 *) content, strlen (content),
                                      content_type, to_uri, timestamp, NULL, error);
}

gboolean
sips_session_chat_send_composing (SipsSessionChat *self, const char *state, GError **error)
{
  SipsMsrpChatState chat_state = self->chat != NULL ? sips_msrp_chat_get_state (self->chat)
                                                    : SIPS_MSRP_CHAT_STATE_NEW;

  /* like SendMessage: while the MSRP connection is being made it waits for it */
  if (chat_state != SIPS_MSRP_CHAT_STATE_CONNECTING && chat_state != SIPS_MSRP_CHAT_STATE_STARTED)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("SendComposingIndication is not allowed: the chat stream is not connected"));
      return FALSE;
    }
  /* no refresh given: the peer takes the RFC 3994 default */
  return sips_msrp_chat_send_composing_indication (self->chat, state, 0, error);
}

/* ---- through a relay ---- */

/* The relay lost our binding (a refresh failed, its connection went): the stream
 * cannot go on through it, so it fails with the relay's reason (on_did_end). */
static void
on_relay_did_fail (SipsMsrpRelay *relay, const char *reason, gpointer user_data)
{
  SipsSessionChat *self = user_data;
  g_autoptr(SipsMsrpRelay) keep = g_object_ref (relay);  /* dropped with the stream */

  sips_log_message (sips_session_get_log_context (session_of (self)),
                    "Session %p: the MSRP relay binding was lost: %s", (void *) session_of (self),
             reason != NULL ? reason : "");
  g_signal_handlers_disconnect_by_data (relay, self);
  if (self->chat != NULL)
    sips_msrp_chat_fail (self->chat, reason != NULL && *reason != '\0' ? reason
                                                                        : _("The MSRP relay was lost"));
}

/* The session account's digest credentials: FALSE when it has no password (account 0). */
static gboolean
relay_credentials (SipsSessionChat *self, char **username, char **password)
{
  SipsAccount *account = self->sip->account;
  SipsConfigSection *config = account != NULL ? sips_account_get_config (account) : NULL;
  const char *user, *secret;

  if (config == NULL)
    return FALSE;
  secret = sips_config_section_get_string (config, "Password");
  if (secret == NULL || *secret == '\0')
    return FALSE;
  user = sips_config_section_get_string (config, "AuthUsername");
  *username = user != NULL && *user != '\0' ? g_strdup (user)
                                            : sips_headers_user_part (sips_account_get_id (account));
  *password = g_strdup (secret);
  return TRUE;
}

gboolean
sips_session_chat_wants_relay (SipsSessionChat *self, const char *offer)
{
  const char *host;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;

  if (self->transport == NULL || self->msrp_config == NULL)
    return FALSE;
  host = sips_config_section_get_string (self->msrp_config, "RelayHost");
  if (host == NULL || *host == '\0' ||
      !sips_config_section_get_boolean (self->msrp_config,
                                        offer == NULL ? "UseRelayOutgoing" : "UseRelayIncoming"))
    return FALSE;
  if (!relay_credentials (self, &username, &password))
    {
      /* nothing to authenticate with: the stream goes direct */
      sips_log_message (sips_session_get_log_context (session_of (self)),
                        "Session %p: the account has no password: no MSRP relay",
                 (void *) session_of (self));
      return FALSE;
    }
  return TRUE;
}

static void
on_relay_authenticated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RelayWait *wait = user_data;
  SipsSessionChat *self = wait->owner;
  SipsSessionChatRelayFunc ready = wait->ready;
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsMsrpRelay) relay = sips_msrp_relay_authenticate_finish (result, &error);

  g_free (wait);
  if (self == NULL)
    return;  /* cancelled: the stream is gone */
  self->relay_wait = NULL;
  g_clear_object (&self->relay_cancellable);
  if (relay == NULL)
    {
      g_autoptr(SipsMsrpChat) chat = self->chat != NULL ? g_object_ref (self->chat) : NULL;

      sips_log_message (sips_session_get_log_context (session_of (self)),
                        "Session %p: the MSRP relay did not authenticate us: %s",
                 (void *) session_of (self), error->message);
      if (chat != NULL)
        {
          /* MSRPChat1 DidFail with the reason; the session fails by ready() */
          g_signal_handlers_disconnect_by_func (chat, on_did_end, self);
          sips_msrp_chat_fail (chat, error->message);
          drop_chat (self);
          sips_session_set_chat_transport (session_of (self), NULL);
        }
      ready (self->sip, error);
      return;
    }
  sips_log_debug (sips_session_get_log_context (session_of (self)),
                  "session %p: authenticated at the MSRP relay %s", (void *) session_of (self),
           sips_msrp_relay_get_uri (relay));
  self->relay = g_steal_pointer (&relay);
  g_signal_connect (self->relay, "did-fail", G_CALLBACK (on_relay_did_fail), self);
  ready (self->sip, NULL);
}

void
sips_session_chat_authenticate (SipsSessionChat *self, const char *offer,
                                SipsSessionChatRelayFunc ready)
{
  g_autofree char *uri = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  gboolean use_tls = sips_msrp_transport_get_use_tls (self->transport);

  if (offer != NULL)
    {
      /* the answer takes the offer's protocol */
      SipsSdpChat remote = { 0 };

      if (sips_sdp_parse_chat (offer, &remote) && remote.present)
        use_tls = remote.secure;
      sips_sdp_chat_clear (&remote);
    }
  self->offerer = offer == NULL;
  if (self->offerer)
    {
      self->offer_setup = SIPS_MSRP_SETUP_OFFER;
      self->answer_setup = SIPS_MSRP_SETUP_NONE;
    }
  create_chat (self, use_tls && sips_msrp_transport_get_certificate (self->transport) != NULL);
  relay_credentials (self, &username, &password);
  uri = sips_msrp_relay_make_uri (sips_config_section_get_string (self->msrp_config, "RelayHost"),
                                  (guint16) sips_config_section_get_uint (self->msrp_config, "RelayPort"),
                                  sips_config_section_get_boolean (self->msrp_config, "RelayUseTls"));
  self->relay_wait = g_new0 (RelayWait, 1);
  self->relay_wait->owner = self;
  self->relay_wait->ready = ready;
  self->relay_cancellable = g_cancellable_new ();
  sips_log_debug (sips_session_get_log_context (session_of (self)),
                  "session %p: authenticating at the MSRP relay %s", (void *) session_of (self), uri);
  sips_msrp_relay_authenticate_async (self->transport, uri, username, password,
                                      self->relay_cancellable, on_relay_authenticated,
                                      self->relay_wait);
}

gboolean
sips_session_chat_cancel_relay (SipsSessionChat *self)
{
  if (self->relay_wait == NULL)
    return FALSE;
  self->relay_wait->owner = NULL;
  self->relay_wait = NULL;
  g_cancellable_cancel (self->relay_cancellable);
  g_clear_object (&self->relay_cancellable);
  return TRUE;
}

/* ---- the session's methods (sips-session-sip.h) ---- */

char *
sips_session_sip_send_message (SipsSessionSip *self, const char *content,
                               const char *content_type, const char *to_uri,
                               gint64 timestamp, GError **error)
{
  return sips_session_chat_send_message (self->chat, content, content_type, to_uri, timestamp,
                                         error);
}

gboolean
sips_session_sip_send_composing (SipsSessionSip *self, const char *state, GError **error)
{
  return sips_session_chat_send_composing (self->chat, state, error);
}
