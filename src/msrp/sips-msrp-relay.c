/* sips-msrp-relay.c: AUTH at an MSRP relay (RFC 4976 §5) with digest credentials, the
 * Use-Path it grants, and refreshes before Expires */
#include "sips-msrp-relay.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "sips-msrp-digest.h"
#include "sips-msrp-message.h"
#include "sips-msrp-uri.h"

/* When the 200 names no Expires (RFC 4976 says it does). */
#define FALLBACK_EXPIRES_S   600
/* An AUTH round gives up after this many requests (challenges, stale nonces, 423). */
#define MAX_ROUND_REQUESTS   4
/* A connection we no longer hold closes once idle this long (the transport's default). */
#define RELEASED_IDLE_S      5

struct _SipsMsrpRelay {
  GObject parent_instance;

  SipsMsrpTransport       *transport;
  SipsMsrpUri             *uri;
  char                    *uri_string;
  char                    *from_uri;         /* our From-Path in AUTH */
  char                    *username;
  char                    *password;
  guint                    requested_expires;
  guint                    response_timeout;

  SipsMsrpConnection      *connection;
  gulong                   closed_id;
  SipsMsrpDigestChallenge *challenge;
  guint                    nc;               /* uses of challenge's nonce */
  char                    *tid;              /* the AUTH in flight */
  guint                    round_requests;
  gboolean                 sent_fresh;       /* the last AUTH answered this round's challenge */
  gboolean                 followed_423;

  GTask                   *task;             /* start in progress */
  gulong                   cancel_id;
  guint                    cancel_idle_id;
  gboolean                 authenticated;
  gboolean                 stopped;
  char                   **use_path;
  guint                    expires;
  gint64                   expiry_time;
  guint                    refresh_id;
};

enum { PROP_0, PROP_USE_PATH, PROP_EXPIRES, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_DID_REFRESH, SIGNAL_DID_FAIL, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsMsrpRelay, sips_msrp_relay, G_TYPE_OBJECT)

static void send_auth (SipsMsrpRelay *self);

/* ---- the end of a round ---- */

static void
release_connection (SipsMsrpRelay *self)
{
  if (self->connection == NULL)
    return;
  g_clear_signal_handler (&self->closed_id, self->connection);
  sips_msrp_connection_cancel_requests (self->connection, self);
  if (!sips_msrp_connection_is_closed (self->connection))
    sips_msrp_connection_set_idle_timeout (self->connection, RELEASED_IDLE_S);
  g_clear_object (&self->connection);
}

static void
clear_task (SipsMsrpRelay *self)
{
  GCancellable *cancellable = self->task != NULL ? g_task_get_cancellable (self->task) : NULL;

  g_clear_handle_id (&self->cancel_idle_id, g_source_remove);
  if (cancellable != NULL && self->cancel_id != 0)
    g_cancellable_disconnect (cancellable, self->cancel_id);
  self->cancel_id = 0;
  g_clear_object (&self->task);
}

/* Takes error. At start: the task fails; later: "did-fail". Either way it is over. */
static void
fail (SipsMsrpRelay *self, GError *error)
{
  g_autoptr(GError) owned = error;
  g_autoptr(GTask) task = self->task != NULL ? g_object_ref (self->task) : NULL;

  g_debug ("MSRP relay %s: %s", self->uri_string, owned->message);
  clear_task (self);
  g_clear_pointer (&self->tid, g_free);
  if (task != NULL)
    {
      release_connection (self);
      g_task_return_error (task, g_steal_pointer (&owned));
      return;
    }
  if (self->stopped)
    return;
  g_object_ref (self);
  sips_msrp_relay_stop (self);
  g_signal_emit (self, signals[SIGNAL_DID_FAIL], 0, owned->message);
  g_object_unref (self);
}

static gboolean
on_refresh (gpointer user_data)
{
  SipsMsrpRelay *self = user_data;

  self->refresh_id = 0;
  self->round_requests = 0;
  self->sent_fresh = FALSE;
  self->followed_423 = FALSE;
  g_debug ("MSRP relay %s: refreshing", self->uri_string);
  send_auth (self);
  return G_SOURCE_REMOVE;
}

static void
succeed (SipsMsrpRelay *self, const SipsMsrpHeaders *headers)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint refresh;

  for (guint i = 0; i < headers->use_path->len; i++)
    {
      g_autofree char *hop = sips_msrp_uri_to_string (g_ptr_array_index (headers->use_path, i));

      g_strv_builder_add (builder, hop);
    }
  g_strfreev (self->use_path);
  self->use_path = g_strv_builder_end (builder);
  if (headers->expires > 0)
    self->expires = (guint) MIN (headers->expires, G_MAXUINT32 / 2);
  else
    self->expires = self->requested_expires != 0 ? self->requested_expires : FALLBACK_EXPIRES_S;
  self->expiry_time = g_get_monotonic_time () + (gint64) self->expires * G_USEC_PER_SEC;
  self->authenticated = TRUE;
  g_debug ("MSRP relay %s: Use-Path %s for %u s", self->uri_string, self->use_path[0],
           self->expires);

  /* a minute ahead, or at two thirds of a short lifetime */
  refresh = self->expires > 180 ? (self->expires - 60) * 1000 : self->expires * 2000 / 3;
  self->refresh_id = g_timeout_add (MAX (refresh, 500), on_refresh, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_PATH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES]);

  task = self->task != NULL ? g_object_ref (self->task) : NULL;
  if (task != NULL)
    {
      clear_task (self);
      g_task_return_boolean (task, TRUE);
    }
  else
    g_signal_emit (self, signals[SIGNAL_DID_REFRESH], 0);
}

/* ---- AUTH ---- */

static GError *
status_error (SipsMsrpRelay *self, guint status, const char *comment)
{
  if (status == SIPS_MSRP_STATUS_REQUEST_TIMEOUT)
    return g_error_new (SIPS_ERROR, SIPS_ERROR_FAILED, _("No answer from the MSRP relay %s (%s)"),
                        self->uri_string, comment);
  if (status == SIPS_MSRP_STATUS_UNAUTHORIZED)
    return g_error_new (SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED,
                        _("The MSRP relay %s did not accept the credentials of %s (%u %s)"),
                        self->uri_string, self->username, status, comment);
  if (status == SIPS_MSRP_STATUS_FORBIDDEN)
    return g_error_new (SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED,
                        _("The MSRP relay %s refused %s (%u %s)"), self->uri_string,
                        self->username, status, comment);
  return g_error_new (SIPS_ERROR, SIPS_ERROR_FAILED, _("The MSRP relay %s answered %u %s"),
                      self->uri_string, status, comment);
}

static void
take_challenge (SipsMsrpRelay *self, guint status, const char *comment,
                const SipsMsrpHeaders *headers)
{
  g_autoptr(SipsMsrpDigestChallenge) challenge = NULL;
  g_autoptr(GError) error = NULL;

  if (headers == NULL || headers->www_authenticate == NULL)
    {
      fail (self, status_error (self, status, comment));
      return;
    }
  challenge = sips_msrp_digest_challenge_parse (headers->www_authenticate, &error);
  if (challenge == NULL)
    {
      g_prefix_error (&error, _("The MSRP relay %s: "), self->uri_string);
      fail (self, g_steal_pointer (&error));
      return;
    }
  /* our answer to a challenge of this round was wrong, unless the nonce was only stale */
  if (self->sent_fresh && !challenge->stale)
    {
      fail (self, status_error (self, status, comment));
      return;
    }
  sips_msrp_digest_challenge_free (self->challenge);
  self->challenge = g_steal_pointer (&challenge);
  self->nc = 0;
  self->sent_fresh = FALSE;
  send_auth (self);
}

/* RFC 4976 §5.1: 423 names Min-Expires or Max-Expires; we adjust once. */
static void
follow_423 (SipsMsrpRelay *self, guint status, const char *comment,
            const SipsMsrpHeaders *headers)
{
  if (self->followed_423 || headers == NULL || (headers->min_expires <= 0 && headers->max_expires <= 0))
    {
      fail (self, status_error (self, status, comment));
      return;
    }
  self->followed_423 = TRUE;
  if (headers->min_expires > 0 && self->requested_expires < headers->min_expires)
    self->requested_expires = (guint) MIN (headers->min_expires, G_MAXUINT32 / 2);
  else if (headers->max_expires > 0)
    self->requested_expires = (guint) MIN (headers->max_expires, G_MAXUINT32 / 2);
  send_auth (self);
}

static void
on_auth_response (SipsMsrpConnection *connection, const char *tid, guint status,
                  const char *comment, gpointer user_data)
{
  SipsMsrpRelay *self = user_data;
  const SipsMsrpHeaders *headers = sips_msrp_connection_get_response_headers (connection);

  if (g_strcmp0 (tid, self->tid) != 0)
    return;
  g_clear_pointer (&self->tid, g_free);
  g_debug ("MSRP relay %s: AUTH answered %u %s", self->uri_string, status, comment);

  if (status == SIPS_MSRP_STATUS_OK)
    {
      if (headers == NULL || headers->use_path == NULL || headers->use_path->len == 0)
        fail (self, g_error_new (SIPS_ERROR, SIPS_ERROR_FAILED,
                                 _("The MSRP relay %s granted no Use-Path"), self->uri_string));
      else
        succeed (self, headers);
    }
  else if (self->round_requests >= MAX_ROUND_REQUESTS)
    fail (self, status_error (self, status, comment));
  else if (status == SIPS_MSRP_STATUS_UNAUTHORIZED)
    take_challenge (self, status, comment, headers);
  else if (status == SIPS_MSRP_STATUS_OUT_OF_BOUNDS)
    follow_423 (self, status, comment, headers);
  else
    fail (self, status_error (self, status, comment));
}

static void
send_auth (SipsMsrpRelay *self)
{
  g_autoptr(SipsMsrpMessage) auth = sips_msrp_message_new_request ("AUTH", NULL);
  const char *to[] = { self->uri_string, NULL };
  const char *from[] = { self->from_uri, NULL };
  g_autoptr(GBytes) frame = NULL;

  sips_msrp_message_set_to_path (auth, to);
  sips_msrp_message_set_from_path (auth, from);
  if (self->challenge != NULL)
    {
      g_autofree char *cnonce = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
      g_autofree char *authorization =
        sips_msrp_digest_authorization (self->challenge, "AUTH", self->uri_string,
                                        self->username, self->password, ++self->nc, cnonce);

      sips_msrp_message_set_header (auth, "Authorization", authorization);
      self->sent_fresh = self->nc == 1 && self->round_requests > 0;
    }
  if (self->requested_expires != 0)
    {
      g_autofree char *expires = g_strdup_printf ("%u", self->requested_expires);

      sips_msrp_message_set_header (auth, "Expires", expires);
    }
  frame = sips_msrp_message_to_bytes (auth, NULL, NULL, 0, SIPS_MSRP_FLAG_COMPLETE);
  g_free (self->tid);
  self->tid = g_strdup (sips_msrp_message_get_transaction_id (auth));
  self->round_requests++;
  sips_msrp_connection_send_request (self->connection, frame, self->tid, self->response_timeout,
                                     on_auth_response, self);
}

/* ---- connecting ---- */

static void
on_connection_closed (SipsMsrpConnection *connection, const GError *error, gpointer user_data)
{
  SipsMsrpRelay *self = user_data;

  /* during an AUTH its transaction tells (408 "Connection lost") */
  if (!self->authenticated || self->tid != NULL)
    return;
  fail (self, g_error_new (SIPS_ERROR, SIPS_ERROR_FAILED,
                           _("The connection to the MSRP relay %s was lost: %s"),
                           self->uri_string, error != NULL ? error->message : _("closed")));
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SipsMsrpRelay) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsMsrpConnection) connection =
    sips_msrp_transport_connect_finish (SIPS_MSRP_TRANSPORT (source), result, &error);

  if (self->task == NULL)  /* cancelled meanwhile */
    return;
  if (connection == NULL)
    {
      fail (self, g_error_new (SIPS_ERROR, SIPS_ERROR_FAILED,
                               _("Cannot connect to the MSRP relay %s: %s"), self->uri_string,
                               error->message));
      return;
    }
  self->connection = g_steal_pointer (&connection);
  /* ours for as long as we are bound: the relay reaches us over it only */
  sips_msrp_connection_set_idle_timeout (self->connection, 0);
  self->closed_id = g_signal_connect (self->connection, "closed",
                                      G_CALLBACK (on_connection_closed), self);
  send_auth (self);
}

static gboolean
on_cancel_idle (gpointer user_data)
{
  SipsMsrpRelay *self = user_data;

  self->cancel_idle_id = 0;
  if (self->task != NULL)
    fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                     _("The MSRP relay authentication was cancelled")));
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  SipsMsrpRelay *self = user_data;

  /* not from within the handler: g_cancellable_disconnect() would deadlock */
  if (self->cancel_idle_id == 0)
    self->cancel_idle_id = g_idle_add (on_cancel_idle, self);
}

/* ---- GObject ---- */

static void
sips_msrp_relay_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsMsrpRelay *self = SIPS_MSRP_RELAY (object);

  switch (prop_id)
    {
    case PROP_USE_PATH:
      g_value_set_boxed (value, self->use_path);
      break;
    case PROP_EXPIRES:
      g_value_set_uint (value, self->expires);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_msrp_relay_dispose (GObject *object)
{
  SipsMsrpRelay *self = SIPS_MSRP_RELAY (object);

  sips_msrp_relay_stop (self);
  g_clear_object (&self->transport);
  G_OBJECT_CLASS (sips_msrp_relay_parent_class)->dispose (object);
}

static void
sips_msrp_relay_finalize (GObject *object)
{
  SipsMsrpRelay *self = SIPS_MSRP_RELAY (object);

  g_clear_pointer (&self->uri, sips_msrp_uri_free);
  g_free (self->uri_string);
  g_free (self->from_uri);
  g_free (self->username);
  g_free (self->password);
  g_free (self->tid);
  g_clear_pointer (&self->challenge, sips_msrp_digest_challenge_free);
  g_strfreev (self->use_path);
  G_OBJECT_CLASS (sips_msrp_relay_parent_class)->finalize (object);
}

static void
sips_msrp_relay_class_init (SipsMsrpRelayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = sips_msrp_relay_get_property;
  object_class->dispose = sips_msrp_relay_dispose;
  object_class->finalize = sips_msrp_relay_finalize;

  properties[PROP_USE_PATH] = g_param_spec_boxed ("use-path", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_EXPIRES] = g_param_spec_uint ("expires", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DID_REFRESH] = g_signal_new ("did-refresh", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
  signals[SIGNAL_DID_FAIL] = g_signal_new ("did-fail", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sips_msrp_relay_init (SipsMsrpRelay *self)
{
  self->response_timeout = SIPS_MSRP_RESPONSE_TIMEOUT_MS;
}

/* ---- public API ---- */

char *
sips_msrp_relay_make_uri (const char *host, guint16 port, gboolean use_tls)
{
  g_autoptr(SipsMsrpUri) uri = sips_msrp_uri_new (use_tls, host,
                                                  port != 0 ? port : SIPS_MSRP_RELAY_DEFAULT_PORT,
                                                  NULL);

  return sips_msrp_uri_to_string (uri);
}

SipsMsrpRelay *
sips_msrp_relay_new (SipsMsrpTransport *transport, const char *relay_uri, const char *username,
                     const char *password, GError **error)
{
  g_autoptr(SipsMsrpUri) uri = NULL;
  g_autoptr(SipsMsrpUri) from = NULL;
  g_autofree char *session_id = NULL;
  SipsMsrpRelay *self;

  g_return_val_if_fail (SIPS_IS_MSRP_TRANSPORT (transport), NULL);
  g_return_val_if_fail (relay_uri != NULL, NULL);

  uri = sips_msrp_uri_parse (relay_uri, error);
  if (uri == NULL)
    return NULL;
  if (sips_msrp_transport_get_host (transport) == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The MSRP transport is not started"));
      return NULL;
    }
  if (uri->port == 0)
    uri->port = SIPS_MSRP_RELAY_DEFAULT_PORT;

  self = g_object_new (SIPS_TYPE_MSRP_RELAY, NULL);
  self->transport = g_object_ref (transport);
  self->uri_string = sips_msrp_uri_to_string (uri);
  self->uri = g_steal_pointer (&uri);
  session_id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
  from = sips_msrp_transport_make_uri (transport, self->uri->secure, session_id);
  self->from_uri = sips_msrp_uri_to_string (from);
  self->username = g_strdup (username != NULL ? username : "");
  self->password = g_strdup (password != NULL ? password : "");
  return self;
}

void
sips_msrp_relay_set_requested_expires (SipsMsrpRelay *self, guint seconds)
{
  g_return_if_fail (SIPS_IS_MSRP_RELAY (self));
  self->requested_expires = seconds;
}

void
sips_msrp_relay_set_response_timeout (SipsMsrpRelay *self, guint ms)
{
  g_return_if_fail (SIPS_IS_MSRP_RELAY (self));
  self->response_timeout = ms;
}

void
sips_msrp_relay_start_async (SipsMsrpRelay *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SIPS_IS_MSRP_RELAY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sips_msrp_relay_start_async);
  if (self->task != NULL || self->authenticated || self->stopped)
    {
      g_task_return_new_error (task, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                               _("The MSRP relay binding was started already"));
      return;
    }
  self->task = g_steal_pointer (&task);
  self->round_requests = 0;
  if (cancellable != NULL)
    self->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);
  sips_msrp_transport_connect (self->transport, self->uri, cancellable, on_connected,
                               g_object_ref (self));
}

gboolean
sips_msrp_relay_start_finish (SipsMsrpRelay *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sips_msrp_relay_authenticate_async (SipsMsrpTransport *transport, const char *relay_uri,
                                    const char *username, const char *password,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsMsrpRelay) self = sips_msrp_relay_new (transport, relay_uri, username,
                                                       password, &error);

  if (self == NULL)
    {
      g_task_report_error (NULL, callback, user_data, sips_msrp_relay_authenticate_async,
                           g_steal_pointer (&error));
      return;
    }
  sips_msrp_relay_start_async (self, cancellable, callback, user_data);
}

SipsMsrpRelay *
sips_msrp_relay_authenticate_finish (GAsyncResult *result, GError **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);

  if (source == NULL)
    return g_task_propagate_pointer (G_TASK (result), error);  /* the reported error */
  if (!sips_msrp_relay_start_finish (SIPS_MSRP_RELAY (source), result, error))
    return NULL;
  return SIPS_MSRP_RELAY (g_steal_pointer (&source));
}

void
sips_msrp_relay_stop (SipsMsrpRelay *self)
{
  g_return_if_fail (SIPS_IS_MSRP_RELAY (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->task != NULL)
    {
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("The MSRP relay binding was stopped")));
      return;
    }
  g_clear_pointer (&self->tid, g_free);
  release_connection (self);
  self->authenticated = FALSE;
}

const char * const *
sips_msrp_relay_get_use_path (SipsMsrpRelay *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_RELAY (self), NULL);
  return (const char * const *) self->use_path;
}

guint
sips_msrp_relay_get_expires (SipsMsrpRelay *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_RELAY (self), 0);
  return self->expires;
}

gint64
sips_msrp_relay_get_expiry_time (SipsMsrpRelay *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_RELAY (self), 0);
  return self->expiry_time;
}

SipsMsrpConnection *
sips_msrp_relay_get_connection (SipsMsrpRelay *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_RELAY (self), NULL);
  return self->authenticated ? self->connection : NULL;
}

const char *
sips_msrp_relay_get_uri (SipsMsrpRelay *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_RELAY (self), NULL);
  return self->uri_string;
}

gboolean
sips_msrp_relay_is_authenticated (SipsMsrpRelay *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_RELAY (self), FALSE);
  return self->authenticated;
}
