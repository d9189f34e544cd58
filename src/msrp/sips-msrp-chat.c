/* sips-msrp-chat.c: a chat stream endpoint: lifecycle, connection, keep-alive */
#include "sips-msrp-chat-private.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "sips-cpim.h"
#include "sips-msrp-message.h"
#include "sips-msrp-tls.h"
#include "sips-msrp-uri.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 30000
#define DEFAULT_KEEPALIVE_S        30

enum {
  PROP_0,
  PROP_LOCAL_PATH,
  PROP_REMOTE_PATH,
  PROP_USE_TLS,
  PROP_STATE,
  PROP_RESPONSE_TIMEOUT,
  PROP_CONNECT_TIMEOUT,
  PROP_KEEPALIVE_INTERVAL,
  PROP_MAX_MESSAGE_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
guint sips_msrp_chat_signals[CHAT_N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsMsrpChat, sips_msrp_chat, G_TYPE_OBJECT)

static guint on_attach (SipsMsrpConnection *connection, const char *session_id,
                        gpointer user_data);
static void on_connection_closed (SipsMsrpConnection *connection, const GError *error,
                                  gpointer user_data);

const SipsMsrpSessionHandler sips_msrp_chat_session_handler = {
  .request_begin = sips_msrp_chat_request_begin,
  .request_body = sips_msrp_chat_request_body,
  .request_end = sips_msrp_chat_request_end,
  .attach = on_attach,
  .closed = on_connection_closed,
};

/* ---- state ---- */

const char *
sips_msrp_chat_state_to_string (SipsMsrpChatState state)
{
  static const char *const names[] = {
    "new", "initialized", "connecting", "started", "ending", "ended", "failed",
  };

  g_return_val_if_fail (state <= SIPS_MSRP_CHAT_STATE_FAILED, "failed");
  return names[state];
}

static void
set_state (SipsMsrpChat *self, SipsMsrpChatState state)
{
  if (self->state == state)
    return;
  g_debug ("MSRP chat %s: %s -> %s", self->session_id != NULL ? self->session_id : "",
           sips_msrp_chat_state_to_string (self->state), sips_msrp_chat_state_to_string (state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static gboolean
is_over (SipsMsrpChat *self)
{
  return self->state >= SIPS_MSRP_CHAT_STATE_ENDING;
}

/* Everything that ties the chat to the transport and the connection goes (no signals). */
static void
detach (SipsMsrpChat *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  g_clear_pointer (&self->control_tid, g_free);
  if (self->registered)
    {
      sips_msrp_transport_unregister_session (self->transport, self->session_id);
      self->registered = FALSE;
    }
  if (self->connection != NULL)
    {
      sips_msrp_connection_cancel_requests (self->connection, self);
      sips_msrp_connection_unbind_session (self->connection, self->session_id);
      g_clear_object (&self->connection);
    }
  sips_msrp_chat_drop_incoming (self);
}

void
sips_msrp_chat_fail (SipsMsrpChat *self, const char *reason)
{
  if (is_over (self))
    return;
  g_debug ("MSRP chat %s failed: %s", self->session_id, reason);
  g_object_ref (self);
  detach (self);
  set_state (self, SIPS_MSRP_CHAT_STATE_FAILED);
  sips_msrp_chat_drop_outgoing (self);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_FAIL], 0, g_get_real_time (), reason);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_END], 0, g_get_real_time ());
  g_object_unref (self);
}

/* ---- the empty SEND: binding the session at the passive side, and keep-alive ---- */

static void
on_control_response (SipsMsrpConnection *connection, const char *tid, guint status,
                     const char *comment, gpointer user_data);

static void
send_empty (SipsMsrpChat *self)
{
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", NULL);
  g_autofree char *message_id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
  SipsMsrpByteRange empty = { 1, 0, 0 };
  g_autoptr(GBytes) frame = NULL;

  sips_msrp_chat_set_paths (self, send);
  sips_msrp_message_set_message_id (send, message_id);
  sips_msrp_message_set_byte_range (send, &empty);
  frame = sips_msrp_message_to_bytes (send, NULL, NULL, 0, SIPS_MSRP_FLAG_COMPLETE);
  g_free (self->control_tid);
  self->control_tid = g_strdup (sips_msrp_message_get_transaction_id (send));
  sips_msrp_connection_send_request (self->connection, frame, self->control_tid,
                                     self->response_timeout, on_control_response, self);
}

static gboolean
on_keepalive (gpointer user_data)
{
  SipsMsrpChat *self = user_data;

  if (self->control_tid == NULL && self->connection != NULL)
    send_empty (self);
  return G_SOURCE_CONTINUE;
}

static void
become_started (SipsMsrpChat *self)
{
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  set_state (self, SIPS_MSRP_CHAT_STATE_STARTED);
  if (self->active && self->keepalive_interval > 0)
    self->keepalive_id = g_timeout_add_seconds (self->keepalive_interval, on_keepalive, self);
  g_object_ref (self);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_START], 0, g_get_real_time ());
  if (self->state == SIPS_MSRP_CHAT_STATE_STARTED)
    sips_msrp_chat_flush_waiting (self);
  g_object_unref (self);
}

static void
on_control_response (SipsMsrpConnection *connection, const char *tid, guint status,
                     const char *comment, gpointer user_data)
{
  SipsMsrpChat *self = user_data;
  g_autofree char *reason = NULL;

  if (g_strcmp0 (tid, self->control_tid) != 0)
    return;
  g_clear_pointer (&self->control_tid, g_free);
  if (status == SIPS_MSRP_STATUS_OK)
    {
      if (self->state == SIPS_MSRP_CHAT_STATE_CONNECTING)
        become_started (self);
      return;
    }
  if (status == SIPS_MSRP_STATUS_REQUEST_TIMEOUT)
    reason = g_strdup_printf (_("No answer from the MSRP peer (%s)"), comment);
  else
    reason = g_strdup_printf (_("The MSRP peer refused the session: %u %s"), status, comment);
  sips_msrp_chat_fail (self, reason);
}

/* ---- connection handlers ---- */

static gboolean
peer_is_trusted (SipsMsrpChat *self, SipsMsrpConnection *connection)
{
  if (self->remote_fingerprint == NULL || !sips_msrp_connection_is_tls (connection))
    return TRUE;
  /* RFC 4976: through a relay (ours or the peer's) the certificate is the relay's */
  if (self->relay != NULL || (self->remote_path != NULL && g_strv_length (self->remote_path) > 1))
    return TRUE;
  return sips_msrp_tls_fingerprint_matches (sips_msrp_connection_get_peer_certificate (connection),
                                            self->remote_fingerprint);
}

static void
bind_to (SipsMsrpChat *self, SipsMsrpConnection *connection)
{
  g_set_object (&self->connection, connection);
  sips_msrp_connection_bind_session (connection, self->session_id,
                                     &sips_msrp_chat_session_handler, self);
}

/* The passive side: the peer's first request on a new connection. */
static guint
on_attach (SipsMsrpConnection *connection, const char *session_id, gpointer user_data)
{
  SipsMsrpChat *self = user_data;

  if (self->connection != NULL)
    return SIPS_MSRP_STATUS_SESSION_ALREADY_BOUND;
  if (self->state != SIPS_MSRP_CHAT_STATE_INITIALIZED &&
      self->state != SIPS_MSRP_CHAT_STATE_CONNECTING)
    return SIPS_MSRP_STATUS_NO_SUCH_SESSION;
  /* with a relay, the peer's requests come over the connection to it, before start() */
  if (self->relay != NULL && connection != sips_msrp_relay_get_connection (self->relay))
    return SIPS_MSRP_STATUS_FORBIDDEN;
  if (self->relay == NULL && self->use_tls && !sips_msrp_connection_is_tls (connection))
    {
      g_debug ("MSRP chat %s: refusing a connection without TLS", self->session_id);
      return SIPS_MSRP_STATUS_FORBIDDEN;
    }
  if (!peer_is_trusted (self, connection))
    {
      sips_msrp_chat_fail (self, _("The peer's TLS certificate does not match its fingerprint"));
      return SIPS_MSRP_STATUS_FORBIDDEN;
    }
  bind_to (self, connection);
  if (self->state == SIPS_MSRP_CHAT_STATE_CONNECTING)
    become_started (self);
  return 0;
}

static void
on_connection_closed (SipsMsrpConnection *connection, const GError *error, gpointer user_data)
{
  SipsMsrpChat *self = user_data;
  g_autofree char *reason = NULL;

  if (self->connection != connection)
    return;
  g_clear_object (&self->connection);
  g_clear_pointer (&self->control_tid, g_free);
  if (is_over (self))
    return;
  reason = g_strdup_printf (_("The MSRP connection was lost: %s"),
                            error != NULL ? error->message : _("closed"));
  sips_msrp_chat_fail (self, reason);
}

/* ---- the active side ---- */

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SipsMsrpChat) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsMsrpConnection) connection =
    sips_msrp_transport_connect_finish (SIPS_MSRP_TRANSPORT (source), result, &error);
  g_autofree char *reason = NULL;

  if (self->state != SIPS_MSRP_CHAT_STATE_CONNECTING || self->connection != NULL)
    return;
  if (connection == NULL)
    {
      reason = g_strdup_printf (_("Cannot connect to the MSRP peer: %s"), error->message);
      sips_msrp_chat_fail (self, reason);
      return;
    }
  if (!peer_is_trusted (self, connection))
    {
      sips_msrp_chat_fail (self, _("The peer's TLS certificate does not match its fingerprint"));
      return;
    }
  bind_to (self, connection);
  send_empty (self);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  SipsMsrpChat *self = user_data;

  self->connect_timeout_id = 0;
  sips_msrp_chat_fail (self, self->active ? _("Timed out connecting to the MSRP peer")
                                          : _("The MSRP peer did not connect in time"));
  return G_SOURCE_REMOVE;
}

/* ---- GObject ---- */

static void
sips_msrp_chat_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsMsrpChat *self = SIPS_MSRP_CHAT (object);
  static const char *const empty[] = { NULL };

  switch (prop_id)
    {
    case PROP_LOCAL_PATH:
      g_value_set_boxed (value, self->local_path != NULL ? self->local_path : (char **) empty);
      break;
    case PROP_REMOTE_PATH:
      g_value_set_boxed (value, self->remote_path != NULL ? self->remote_path : (char **) empty);
      break;
    case PROP_USE_TLS:
      g_value_set_boolean (value, self->use_tls);
      break;
    case PROP_STATE:
      g_value_set_string (value, sips_msrp_chat_state_to_string (self->state));
      break;
    case PROP_RESPONSE_TIMEOUT:
      g_value_set_uint (value, self->response_timeout);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint64 (value, self->max_message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_msrp_chat_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  SipsMsrpChat *self = SIPS_MSRP_CHAT (object);

  switch (prop_id)
    {
    case PROP_RESPONSE_TIMEOUT:
      self->response_timeout = g_value_get_uint (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      self->keepalive_interval = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_msrp_chat_dispose (GObject *object)
{
  SipsMsrpChat *self = SIPS_MSRP_CHAT (object);

  if (self->transport != NULL)
    detach (self);
  g_queue_clear_full (&self->waiting, sips_msrp_chat_outgoing_free);
  g_clear_object (&self->transport);
  g_clear_object (&self->relay);
  G_OBJECT_CLASS (sips_msrp_chat_parent_class)->dispose (object);
}

static void
sips_msrp_chat_finalize (GObject *object)
{
  SipsMsrpChat *self = SIPS_MSRP_CHAT (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->outgoing, g_hash_table_unref);
  g_clear_pointer (&self->chunk_tids, g_hash_table_unref);
  g_clear_pointer (&self->incoming, g_hash_table_unref);
  g_free (self->session_id);
  g_strfreev (self->local_path);
  g_strfreev (self->remote_path);
  g_free (self->remote_fingerprint);
  g_strfreev (self->remote_accept_types);
  g_free (self->local_identity);
  g_free (self->remote_identity);
  G_OBJECT_CLASS (sips_msrp_chat_parent_class)->finalize (object);
}

#define X G_TYPE_INT64
#define S G_TYPE_STRING
#define I G_TYPE_INT
#define U G_TYPE_UINT
#define V G_TYPE_VARIANT

/* The MSRPChat1 signals (src/dbus forwards by name: gdbus-codegen's GTypes). */
static const struct {
  const char *name;
  guint       n_params;
  GType       params[5];
} signal_defs[CHAT_N_SIGNALS] = {
  [CHAT_SIGNAL_DID_INITIALIZE] = { "did-initialize", 1, { X } },
  [CHAT_SIGNAL_DID_START] = { "did-start", 1, { X } },
  [CHAT_SIGNAL_DID_FAIL] = { "did-fail", 2, { X, S } },
  [CHAT_SIGNAL_WILL_END] = { "will-end", 1, { X } },
  [CHAT_SIGNAL_DID_END] = { "did-end", 1, { X } },
  [CHAT_SIGNAL_GOT_MESSAGE] = { "got-message", 5, { X, S, S, V, S } },
  [CHAT_SIGNAL_DID_DELIVER_MESSAGE] = { "did-deliver-message", 4, { X, S, I, S } },
  [CHAT_SIGNAL_DID_NOT_DELIVER_MESSAGE] = { "did-not-deliver-message", 4, { X, S, I, S } },
  [CHAT_SIGNAL_GOT_COMPOSING_INDICATION] = { "got-composing-indication", 3, { X, S, U } },
};

#undef X
#undef S
#undef I
#undef U
#undef V

static void
sips_msrp_chat_class_init (SipsMsrpChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = sips_msrp_chat_get_property;
  object_class->set_property = sips_msrp_chat_set_property;
  object_class->dispose = sips_msrp_chat_dispose;
  object_class->finalize = sips_msrp_chat_finalize;

  properties[PROP_LOCAL_PATH] = g_param_spec_boxed ("local-path", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_REMOTE_PATH] = g_param_spec_boxed ("remote-path", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_USE_TLS] = g_param_spec_boolean ("use-tls", NULL, NULL, FALSE, ro);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "new", ro);
  properties[PROP_RESPONSE_TIMEOUT] =
    g_param_spec_uint ("response-timeout", NULL, NULL, 1, G_MAXUINT,
                       SIPS_MSRP_RESPONSE_TIMEOUT_MS, rw);
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", NULL, NULL, 1, G_MAXUINT, DEFAULT_CONNECT_TIMEOUT_MS, rw);
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", NULL, NULL, 0, 3600, DEFAULT_KEEPALIVE_S, rw);
  properties[PROP_MAX_MESSAGE_SIZE] =
    g_param_spec_uint64 ("max-message-size", NULL, NULL, 1, G_MAXUINT64,
                         SIPS_MSRP_CHAT_MAX_MESSAGE, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  for (guint i = 0; i < CHAT_N_SIGNALS; i++)
    sips_msrp_chat_signals[i] = g_signal_newv (signal_defs[i].name, G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, NULL, NULL, NULL, NULL,
                                               G_TYPE_NONE, signal_defs[i].n_params,
                                               (GType *) signal_defs[i].params);
}

static void
sips_msrp_chat_init (SipsMsrpChat *self)
{
  self->cancellable = g_cancellable_new ();
  self->response_timeout = SIPS_MSRP_RESPONSE_TIMEOUT_MS;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT_MS;
  self->keepalive_interval = DEFAULT_KEEPALIVE_S;
  self->max_message = SIPS_MSRP_CHAT_MAX_MESSAGE;
  self->outgoing = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          sips_msrp_chat_outgoing_free);
  self->chunk_tids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->incoming = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          sips_msrp_chat_incoming_free);
  g_queue_init (&self->waiting);
  self->session_id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
}

/* ---- public API ---- */

SipsMsrpChat *
sips_msrp_chat_new (SipsMsrpTransport *transport, gboolean use_tls)
{
  SipsMsrpChat *self;

  g_return_val_if_fail (SIPS_IS_MSRP_TRANSPORT (transport), NULL);

  self = g_object_new (SIPS_TYPE_MSRP_CHAT, NULL);
  self->transport = g_object_ref (transport);
  self->use_tls = use_tls;
  return self;
}

gboolean
sips_msrp_chat_initialize (SipsMsrpChat *self, GError **error)
{
  g_autoptr(SipsMsrpUri) uri = NULL;

  g_return_val_if_fail (SIPS_IS_MSRP_CHAT (self), FALSE);

  if (self->state != SIPS_MSRP_CHAT_STATE_NEW)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("The chat stream is already initialized"));
      return FALSE;
    }
  if (sips_msrp_transport_get_host (self->transport) == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The MSRP transport is not started"));
      return FALSE;
    }
  if (self->use_tls && sips_msrp_transport_get_certificate (self->transport) == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("MSRP over TLS needs a certificate"));
      return FALSE;
    }
  if (self->relay != NULL && !sips_msrp_relay_is_authenticated (self->relay))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("The MSRP relay %s has not authenticated us"),
                   sips_msrp_relay_get_uri (self->relay));
      return FALSE;
    }
  uri = sips_msrp_transport_make_uri (self->transport, self->use_tls, self->session_id);
  if (self->relay != NULL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_autofree char *own = sips_msrp_uri_to_string (uri);

      g_strv_builder_addv (builder, (const char **) sips_msrp_relay_get_use_path (self->relay));
      g_strv_builder_add (builder, own);
      self->local_path = g_strv_builder_end (builder);
    }
  else
    {
      self->local_path = g_new0 (char *, 2);
      self->local_path[0] = sips_msrp_uri_to_string (uri);
    }
  sips_msrp_transport_register_session (self->transport, self->session_id,
                                        &sips_msrp_chat_session_handler, self);
  self->registered = TRUE;
  set_state (self, SIPS_MSRP_CHAT_STATE_INITIALIZED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_PATH]);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_INITIALIZE], 0, g_get_real_time ());
  return TRUE;
}

void
sips_msrp_chat_set_identities (SipsMsrpChat *self, const char *local_display_name,
                               const char *local_uri, const char *remote_display_name,
                               const char *remote_uri)
{
  g_return_if_fail (SIPS_IS_MSRP_CHAT (self));

  g_free (self->local_identity);
  self->local_identity = local_uri != NULL
    ? sips_cpim_format_address (local_display_name, local_uri) : NULL;
  g_free (self->remote_identity);
  self->remote_identity = remote_uri != NULL
    ? sips_cpim_format_address (remote_display_name, remote_uri) : NULL;
}

gboolean
sips_msrp_chat_set_remote (SipsMsrpChat *self, const char * const *remote_path,
                           const char *accept_types, const char *fingerprint, GError **error)
{
  g_return_val_if_fail (SIPS_IS_MSRP_CHAT (self), FALSE);

  if (self->state > SIPS_MSRP_CHAT_STATE_INITIALIZED && self->state != SIPS_MSRP_CHAT_STATE_CONNECTING)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("The chat stream has started already"));
      return FALSE;
    }
  if (remote_path == NULL || remote_path[0] == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("The MSRP path is empty"));
      return FALSE;
    }
  for (gsize i = 0; remote_path[i] != NULL; i++)
    {
      g_autoptr(SipsMsrpUri) uri = sips_msrp_uri_parse (remote_path[i], error);

      if (uri == NULL)
        return FALSE;
    }
  if (fingerprint != NULL && !sips_msrp_tls_fingerprint_is_valid (fingerprint))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Cannot use the fingerprint %s"), fingerprint);
      return FALSE;
    }

  g_strfreev (self->remote_path);
  self->remote_path = g_strdupv ((char **) remote_path);
  g_free (self->remote_fingerprint);
  self->remote_fingerprint = g_strdup (fingerprint);
  g_strfreev (self->remote_accept_types);
  self->remote_accept_types = accept_types != NULL
    ? g_strsplit_set (accept_types, " \t", -1) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_PATH]);

  /* a passive side bound before the answer came: check now what it could not then */
  if (self->connection != NULL && !peer_is_trusted (self, self->connection))
    sips_msrp_chat_fail (self, _("The peer's TLS certificate does not match its fingerprint"));
  return TRUE;
}

/* ---- through our relay (RFC 4976) ---- */

void
sips_msrp_chat_set_relay (SipsMsrpChat *self, SipsMsrpRelay *relay)
{
  g_return_if_fail (SIPS_IS_MSRP_CHAT (self));
  g_return_if_fail (self->state == SIPS_MSRP_CHAT_STATE_NEW);
  g_set_object (&self->relay, relay);
}

const char *
sips_msrp_chat_get_own_uri (SipsMsrpChat *self)
{
  guint n = self->local_path != NULL ? g_strv_length (self->local_path) : 0;

  return n > 0 ? self->local_path[n - 1] : NULL;
}

/* Both roles use the connection to the relay: the relay reaches us only over it. */
static void
start_through_relay (SipsMsrpChat *self)
{
  SipsMsrpConnection *connection = sips_msrp_relay_get_connection (self->relay);

  if (connection == NULL || sips_msrp_connection_is_closed (connection))
    {
      sips_msrp_chat_fail (self, _("The connection to the MSRP relay is gone"));
      return;
    }
  if (self->connection == NULL)
    bind_to (self, connection);
  if (self->active)
    send_empty (self);
  else
    become_started (self);
}

void
sips_msrp_chat_start (SipsMsrpChat *self, gboolean active)
{
  g_autoptr(SipsMsrpUri) first = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SIPS_IS_MSRP_CHAT (self));
  g_return_if_fail (self->state == SIPS_MSRP_CHAT_STATE_INITIALIZED);

  self->active = active;
  set_state (self, SIPS_MSRP_CHAT_STATE_CONNECTING);
  if (self->remote_path == NULL)
    {
      sips_msrp_chat_fail (self, _("The peer's MSRP path is not known"));
      return;
    }
  first = sips_msrp_uri_parse (self->remote_path[0], &error);
  /* Without a relay of ours we talk to the peer's first hop with our own scheme: a
   * TLS endpoint refuses plain TCP (and the other way), so a mixed pair would only
   * time out. Fail now with the reason. */
  if (self->relay == NULL && first != NULL && first->secure != self->use_tls)
    {
      sips_msrp_chat_fail (self, self->use_tls
        ? _("The peer's MSRP path is plain TCP (msrp:) but ours is TLS (msrps:); set MSRPConfiguration1.LocalUseTls to false to reach it")
        : _("The peer's MSRP path is TLS (msrps:) but ours is plain TCP (msrp:)"));
      return;
    }
  self->connect_timeout_id = g_timeout_add (self->connect_timeout, on_connect_timeout, self);
  if (self->relay != NULL)
    {
      start_through_relay (self);
      return;
    }
  if (!active)
    {
      if (self->connection != NULL)  /* the peer was quicker than our start() */
        become_started (self);
      return;
    }
  sips_msrp_transport_connect (self->transport, first, self->cancellable, on_connected,
                               g_object_ref (self));
}

void
sips_msrp_chat_end (SipsMsrpChat *self)
{
  g_return_if_fail (SIPS_IS_MSRP_CHAT (self));

  if (is_over (self))
    return;
  g_object_ref (self);
  set_state (self, SIPS_MSRP_CHAT_STATE_ENDING);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_WILL_END], 0, g_get_real_time ());
  detach (self);
  sips_msrp_chat_drop_outgoing (self);
  set_state (self, SIPS_MSRP_CHAT_STATE_ENDED);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_END], 0, g_get_real_time ());
  g_object_unref (self);
}

void
sips_msrp_chat_set_request_handler (SipsMsrpChat *self, const SipsMsrpSessionHandler *handler,
                                    gpointer user_data)
{
  g_return_if_fail (SIPS_IS_MSRP_CHAT (self));
  self->request_handler = handler;
  self->request_handler_data = user_data;
  self->handing_over = FALSE;
}

SipsMsrpChatState
sips_msrp_chat_get_state (SipsMsrpChat *self)
{
  return self->state;
}

const char *
sips_msrp_chat_get_session_id (SipsMsrpChat *self)
{
  return self->session_id;
}

const char * const *
sips_msrp_chat_get_local_path (SipsMsrpChat *self)
{
  return (const char * const *) self->local_path;
}

const char * const *
sips_msrp_chat_get_remote_path (SipsMsrpChat *self)
{
  return (const char * const *) self->remote_path;
}

gboolean
sips_msrp_chat_get_use_tls (SipsMsrpChat *self)
{
  return self->use_tls;
}
