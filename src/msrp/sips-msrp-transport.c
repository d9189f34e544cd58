/* sips-msrp-transport.c: the local MSRP endpoint: listening, TLS, session registry,
 * shared outgoing connections, a=setup roles */
#include "sips-msrp-transport.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "sips-msrp-tls.h"

#define DEFAULT_PORT          2855   /* RFC 4976 §11 (relays); ours is usually ephemeral */
#define SNIFF_TIMEOUT_S       10     /* for the first byte and the TLS handshake */
#define CONNECT_TIMEOUT_S     10
#define IDLE_INCOMING_S       30
#define IDLE_OUTGOING_S       5
#define TLS_HANDSHAKE_BYTE    0x16   /* a TLS record of type handshake; MSRP starts with 'M' */

/* ---- a=setup ---- */

SipsMsrpSetup
sips_msrp_setup_parse (const char *value)
{
  if (value == NULL)
    return SIPS_MSRP_SETUP_NONE;
  if (g_ascii_strcasecmp (value, "actpass") == 0)
    return SIPS_MSRP_SETUP_ACTPASS;
  if (g_ascii_strcasecmp (value, "active") == 0)
    return SIPS_MSRP_SETUP_ACTIVE;
  if (g_ascii_strcasecmp (value, "passive") == 0)
    return SIPS_MSRP_SETUP_PASSIVE;
  return SIPS_MSRP_SETUP_NONE;
}

const char *
sips_msrp_setup_to_string (SipsMsrpSetup setup)
{
  switch (setup)
    {
    case SIPS_MSRP_SETUP_ACTPASS: return "actpass";
    case SIPS_MSRP_SETUP_ACTIVE:  return "active";
    case SIPS_MSRP_SETUP_PASSIVE: return "passive";
    case SIPS_MSRP_SETUP_NONE:
    default:                      return NULL;
    }
}

SipsMsrpSetup
sips_msrp_setup_answer (SipsMsrpSetup offered)
{
  switch (offered)
    {
    case SIPS_MSRP_SETUP_ACTPASS:
    case SIPS_MSRP_SETUP_PASSIVE:
      return SIPS_MSRP_SETUP_ACTIVE;
    case SIPS_MSRP_SETUP_ACTIVE:
    case SIPS_MSRP_SETUP_NONE:
    default:
      return SIPS_MSRP_SETUP_PASSIVE;
    }
}

gboolean
sips_msrp_setup_is_active (gboolean we_offered, SipsMsrpSetup offer, SipsMsrpSetup answer)
{
  gboolean answerer_active;

  switch (answer)
    {
    case SIPS_MSRP_SETUP_ACTIVE:  answerer_active = TRUE; break;
    case SIPS_MSRP_SETUP_PASSIVE: answerer_active = FALSE; break;
    default:
      /* no usable answer: the offer decides, and without one the offerer connects */
      answerer_active = offer == SIPS_MSRP_SETUP_PASSIVE;
      break;
    }
  return we_offered ? !answerer_active : answerer_active;
}

/* ---- the transport ---- */

typedef struct {
  const SipsMsrpSessionHandler *handler;
  gpointer                      data;
} Registered;

struct _SipsMsrpTransport {
  GObject parent_instance;

  char            *local_ip;
  guint16          config_port;
  gboolean         use_tls;
  GTlsCertificate *certificate;
  char            *fingerprint;
  char            *certificate_dir; /* where certificate comes from on first need */
  GSocketService  *service;
  char            *host;
  guint16          port;
  GCancellable    *cancellable;   /* accepts, handshakes and connects in flight */
  GHashTable      *registry;      /* session id -> Registered */
  GPtrArray       *connections;   /* every open SipsMsrpConnection (owned) */
  GHashTable      *outgoing;      /* authority key -> SipsMsrpConnection (in connections) */
  GHashTable      *pending;       /* authority key -> GPtrArray of GTask */
  guint            idle_incoming;
  guint            idle_outgoing;
};

G_DEFINE_FINAL_TYPE (SipsMsrpTransport, sips_msrp_transport, G_TYPE_OBJECT)

static gboolean
on_accept_any_certificate (GTlsConnection *tls, GTlsCertificate *peer,
                           GTlsCertificateFlags errors, gpointer user_data)
{
  /* no CA for self-signed peers: the sessions compare the SDP fingerprint instead */
  return TRUE;
}

static void
on_connection_closed (SipsMsrpConnection *connection, const GError *error, gpointer user_data)
{
  SipsMsrpTransport *self = user_data;
  const char *key = sips_msrp_connection_get_key (connection);

  g_debug ("MSRP: connection %s closed: %s", key != NULL ? key : "(incoming)",
           error != NULL ? error->message : "");
  if (key != NULL && g_hash_table_lookup (self->outgoing, key) == connection)
    g_hash_table_remove (self->outgoing, key);
  g_signal_handlers_disconnect_by_data (connection, self);
  g_ptr_array_remove (self->connections, connection);  /* may drop the last reference */
}

static guint
on_lookup (SipsMsrpConnection *connection, const char *session_id, gpointer user_data)
{
  SipsMsrpTransport *self = user_data;
  Registered *r = g_hash_table_lookup (self->registry, session_id);

  if (r == NULL)
    return SIPS_MSRP_STATUS_NO_SUCH_SESSION;
  return r->handler->attach (connection, session_id, r->data);
}

static SipsMsrpConnection *
add_connection (SipsMsrpTransport *self, GIOStream *stream, const char *key)
{
  SipsMsrpConnection *connection = sips_msrp_connection_new (stream, key != NULL, key);

  sips_msrp_connection_set_lookup (connection, on_lookup, self);
  sips_msrp_connection_set_idle_timeout (connection, key != NULL ? self->idle_outgoing
                                                                 : self->idle_incoming);
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), self);
  g_ptr_array_add (self->connections, connection);
  if (key != NULL)
    g_hash_table_replace (self->outgoing, g_strdup (key), connection);
  sips_msrp_connection_start (connection);
  return connection;
}

/* ---- incoming connections ---- */

typedef struct {
  SipsMsrpTransport *transport;
  GSocketConnection *connection;
  GCancellable      *cancellable;  /* cancelled by the timeout or the transport's stop */
  GSource           *source;
  guint              timeout_id;
  gulong             cancel_id;
} Incoming;

static void
incoming_free (Incoming *inc)
{
  if (inc->source != NULL)
    {
      g_source_destroy (inc->source);
      g_source_unref (inc->source);
    }
  g_clear_handle_id (&inc->timeout_id, g_source_remove);
  g_cancellable_disconnect (inc->transport->cancellable, inc->cancel_id);
  g_clear_object (&inc->cancellable);
  g_clear_object (&inc->connection);
  g_object_unref (inc->transport);
  g_free (inc);
}

static gboolean
on_incoming_timeout (gpointer user_data)
{
  Incoming *inc = user_data;

  inc->timeout_id = 0;
  g_cancellable_cancel (inc->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_transport_cancelled (GCancellable *cancellable, gpointer user_data)
{
  Incoming *inc = user_data;

  g_cancellable_cancel (inc->cancellable);
}

static void
on_server_handshake (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Incoming *inc = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_debug ("MSRP: TLS handshake with an incoming connection failed: %s", error->message);
      g_io_stream_close (G_IO_STREAM (source), NULL, NULL);
    }
  else if (!g_cancellable_is_cancelled (inc->transport->cancellable))
    add_connection (inc->transport, G_IO_STREAM (source), NULL);
  g_object_unref (source);
  incoming_free (inc);
}

/* Our certificate, loaded (or generated) from certificate_dir on first need: loading
 * it starts GIO's TLS backend (GnuTLS and its libraries, ~3 MB of RSS) that a daemon
 * without MSRP over TLS never needs. A failure turns TLS off (logged once). */
static GTlsCertificate *
ensure_certificate (SipsMsrpTransport *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_steal_pointer (&self->certificate_dir);

  if (self->certificate != NULL || dir == NULL)
    return self->certificate;
  self->certificate = sips_msrp_tls_load_certificate (dir, &error);
  if (self->certificate == NULL)
    {
      g_warning ("MSRP over TLS is off: %s", error->message);
      self->use_tls = FALSE;
      return NULL;
    }
  self->fingerprint = sips_msrp_tls_fingerprint (self->certificate);
  return self->certificate;
}

static void
start_server_tls (Incoming *inc)
{
  g_autoptr(GError) error = NULL;
  GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (inc->connection),
                                                ensure_certificate (inc->transport), &error);

  if (tls == NULL)
    {
      g_warning ("MSRP: no TLS for an incoming connection: %s", error->message);
      incoming_free (inc);
      return;
    }
  /* the peer's certificate is what its a=fingerprint vouches for */
  g_object_set (tls, "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED, NULL);
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_any_certificate), NULL);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, inc->cancellable,
                                    on_server_handshake, inc);
}

/* The first byte tells TLS from plain MSRP, so one port serves msrp and msrps. */
static gboolean
on_incoming_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Incoming *inc = user_data;
  guint8 first = 0;
  GInputVector vector = { &first, 1 };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n;

  g_clear_pointer (&inc->source, g_source_unref);  /* destroyed by returning REMOVE */
  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL);
  if (n <= 0 || g_cancellable_is_cancelled (inc->cancellable))
    {
      incoming_free (inc);
      return G_SOURCE_REMOVE;
    }
  if (first == TLS_HANDSHAKE_BYTE)
    {
      if (ensure_certificate (inc->transport) == NULL)
        {
          g_debug ("MSRP: a TLS connection, but we have no certificate");
          incoming_free (inc);
        }
      else
        start_server_tls (inc);
      return G_SOURCE_REMOVE;
    }
  add_connection (inc->transport, G_IO_STREAM (inc->connection), NULL);
  incoming_free (inc);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source_object,
             gpointer user_data)
{
  SipsMsrpTransport *self = user_data;
  Incoming *inc = g_new0 (Incoming, 1);
  GSocket *socket = g_socket_connection_get_socket (connection);

  inc->transport = g_object_ref (self);
  inc->connection = g_object_ref (connection);
  inc->cancellable = g_cancellable_new ();
  inc->cancel_id = g_cancellable_connect (self->cancellable, G_CALLBACK (on_transport_cancelled),
                                          inc, NULL);
  inc->timeout_id = g_timeout_add_seconds (SNIFF_TIMEOUT_S, on_incoming_timeout, inc);
  inc->source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, inc->cancellable);
  g_source_set_callback (inc->source, G_SOURCE_FUNC (on_incoming_readable), inc, NULL);
  g_source_attach (inc->source, NULL);
  return TRUE;
}

/* ---- outgoing connections ---- */

typedef struct {
  SipsMsrpTransport *transport;
  char              *key;
  gboolean           secure;
} Connect;

static void
connect_free (Connect *op)
{
  g_object_unref (op->transport);
  g_free (op->key);
  g_free (op);
}

/* Answers everybody waiting for the connection to key; takes error. */
static void
connect_done (Connect *op, SipsMsrpConnection *connection, GError *error)
{
  g_autoptr(GError) owned = error;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autofree char *key = NULL;

  g_hash_table_steal_extended (op->transport->pending, op->key, (gpointer *) &key,
                               (gpointer *) &tasks);
  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (connection != NULL)
        g_task_return_pointer (task, g_object_ref (connection), g_object_unref);
      else
        g_task_return_error (task, g_error_copy (owned));
    }
  connect_free (op);
}

static void
on_client_handshake (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connect *op = user_data;
  GError *error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_io_stream_close (G_IO_STREAM (source), NULL, NULL);
      connect_done (op, NULL, error);
    }
  else
    connect_done (op, add_connection (op->transport, G_IO_STREAM (source), op->key), NULL);
  g_object_unref (source);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connect *op = user_data;
  GError *error = NULL;
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  GIOStream *tls;

  if (connection == NULL)
    {
      connect_done (op, NULL, error);
      return;
    }
  /* the connect timeout must not stay on the socket: MSRP connections idle for long */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);
  if (!op->secure)
    {
      connect_done (op, add_connection (op->transport, G_IO_STREAM (connection), op->key), NULL);
      return;
    }
  tls = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
  if (tls == NULL)
    {
      connect_done (op, NULL, error);
      return;
    }
  if (ensure_certificate (op->transport) != NULL)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (tls), op->transport->certificate);
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_any_certificate), NULL);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    op->transport->cancellable, on_client_handshake, op);
}

static char *
authority_key (const SipsMsrpUri *uri)
{
  g_autofree char *host = g_ascii_strdown (uri->host, -1);

  return g_strdup_printf ("%s://%s:%u", uri->secure ? "msrps" : "msrp", host,
                          uri->port != 0 ? uri->port : DEFAULT_PORT);
}

void
sips_msrp_transport_connect (SipsMsrpTransport *self, const SipsMsrpUri *uri,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  SipsMsrpConnection *existing;
  GPtrArray *waiting;
  Connect *op;

  g_return_if_fail (SIPS_IS_MSRP_TRANSPORT (self));
  g_return_if_fail (uri != NULL && uri->host != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sips_msrp_transport_connect);
  key = authority_key (uri);

  existing = g_hash_table_lookup (self->outgoing, key);
  if (existing != NULL && !sips_msrp_connection_is_closed (existing))
    {
      g_task_return_pointer (task, g_object_ref (existing), g_object_unref);
      return;
    }
  waiting = g_hash_table_lookup (self->pending, key);
  if (waiting != NULL)
    {
      g_ptr_array_add (waiting, g_steal_pointer (&task));
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The MSRP transport is stopped"));
      return;
    }

  waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiting, g_steal_pointer (&task));
  g_hash_table_insert (self->pending, g_strdup (key), waiting);

  op = g_new0 (Connect, 1);
  op->transport = g_object_ref (self);
  op->key = g_steal_pointer (&key);
  op->secure = uri->secure;
  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_S);
  g_socket_client_set_enable_proxy (client, FALSE);  /* MSRP goes straight to the peer */
  address = g_network_address_new (uri->host, uri->port != 0 ? uri->port : DEFAULT_PORT);
  g_socket_client_connect_async (client, address, self->cancellable, on_connected, op);
}

SipsMsrpConnection *
sips_msrp_transport_connect_finish (SipsMsrpTransport *self, GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- GObject ---- */

static void
sips_msrp_transport_dispose (GObject *object)
{
  SipsMsrpTransport *self = SIPS_MSRP_TRANSPORT (object);

  sips_msrp_transport_stop (self);
  G_OBJECT_CLASS (sips_msrp_transport_parent_class)->dispose (object);
}

static void
sips_msrp_transport_finalize (GObject *object)
{
  SipsMsrpTransport *self = SIPS_MSRP_TRANSPORT (object);

  g_clear_object (&self->service);
  g_clear_object (&self->certificate);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->registry, g_hash_table_unref);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_clear_pointer (&self->outgoing, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_free (self->local_ip);
  g_free (self->fingerprint);
  g_free (self->certificate_dir);
  g_free (self->host);
  G_OBJECT_CLASS (sips_msrp_transport_parent_class)->finalize (object);
}

static void
sips_msrp_transport_class_init (SipsMsrpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_msrp_transport_dispose;
  object_class->finalize = sips_msrp_transport_finalize;
}

static void
sips_msrp_transport_init (SipsMsrpTransport *self)
{
  self->cancellable = g_cancellable_new ();
  self->registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->connections = g_ptr_array_new_with_free_func (g_object_unref);
  self->outgoing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->idle_incoming = IDLE_INCOMING_S;
  self->idle_outgoing = IDLE_OUTGOING_S;
}

/* ---- public API ---- */

SipsMsrpTransport *
sips_msrp_transport_new (const char *local_ip, guint16 port, gboolean use_tls,
                         GTlsCertificate *certificate)
{
  SipsMsrpTransport *self = g_object_new (SIPS_TYPE_MSRP_TRANSPORT, NULL);

  self->local_ip = g_strdup (local_ip != NULL ? local_ip : "");
  self->config_port = port;
  self->use_tls = use_tls && certificate != NULL;
  if (certificate != NULL)
    {
      self->certificate = g_object_ref (certificate);
      self->fingerprint = sips_msrp_tls_fingerprint (certificate);
    }
  return self;
}

/* The address of the interface of the default route (a UDP connect sends nothing). */
static char *
default_route_host (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) target = g_inet_address_new_from_string ("192.0.2.1");
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new (target, 9);
  g_autoptr(GSocketAddress) local = NULL;

  if (socket == NULL || !g_socket_connect (socket, remote, NULL, NULL) ||
      (local = g_socket_get_local_address (socket, NULL)) == NULL)
    return g_strdup ("127.0.0.1");
  return g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

gboolean
sips_msrp_transport_start (SipsMsrpTransport *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSocketService) service = NULL;
  guint16 port = self->config_port;

  g_return_val_if_fail (SIPS_IS_MSRP_TRANSPORT (self), FALSE);
  if (self->service != NULL)
    return TRUE;

  service = g_socket_service_new ();
  if (self->local_ip[0] == '\0')
    {
      if (port == 0)
        port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &local_error);
      else if (!g_socket_listener_add_inet_port (G_SOCKET_LISTENER (service), port, NULL,
                                                 &local_error))
        port = 0;
      if (port != 0)
        self->host = default_route_host ();
    }
  else
    {
      g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (self->local_ip);
      g_autoptr(GSocketAddress) address = NULL;
      g_autoptr(GSocketAddress) effective = NULL;

      if (ip == NULL)
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                       _("The MSRP local address %s is not an IP address"), self->local_ip);
          return FALSE;
        }
      address = g_inet_socket_address_new (ip, port);
      if (g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                         &effective, &local_error))
        {
          port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
          self->host = g_strdup (self->local_ip);
        }
      else
        port = 0;
    }
  if (port == 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot listen for MSRP: %s"),
                   local_error->message);
      return FALSE;
    }

  self->port = port;
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (service);
  self->service = g_steal_pointer (&service);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  g_debug ("MSRP: listening on %s port %u", self->host, self->port);
  return TRUE;
}

void
sips_msrp_transport_stop (SipsMsrpTransport *self)
{
  g_autoptr(GPtrArray) connections = NULL;

  g_return_if_fail (SIPS_IS_MSRP_TRANSPORT (self));

  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  g_cancellable_cancel (self->cancellable);
  if (self->connections == NULL)
    return;
  /* closing one removes it from the list */
  connections = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->connections->len; i++)
    g_ptr_array_add (connections, g_object_ref (g_ptr_array_index (self->connections, i)));
  for (guint i = 0; i < connections->len; i++)
    sips_msrp_connection_close (g_ptr_array_index (connections, i));
}

const char *
sips_msrp_transport_get_host (SipsMsrpTransport *self)
{
  return self->host;
}

guint16
sips_msrp_transport_get_port (SipsMsrpTransport *self)
{
  return self->port;
}

gboolean
sips_msrp_transport_get_use_tls (SipsMsrpTransport *self)
{
  return self->use_tls;
}

gboolean
sips_msrp_transport_set_use_tls (SipsMsrpTransport *self, gboolean use_tls)
{
  g_return_val_if_fail (SIPS_IS_MSRP_TRANSPORT (self), FALSE);

  if (use_tls && ensure_certificate (self) == NULL)
    return FALSE;
  self->use_tls = use_tls;
  return TRUE;
}

void
sips_msrp_transport_set_certificate_dir (SipsMsrpTransport *self, const char *dir,
                                         gboolean use_tls)
{
  g_return_if_fail (SIPS_IS_MSRP_TRANSPORT (self) && dir != NULL);

  if (self->certificate != NULL)
    return;
  g_free (self->certificate_dir);
  self->certificate_dir = g_strdup (dir);
  self->use_tls = use_tls;
}

const char *
sips_msrp_transport_get_certificate_dir (SipsMsrpTransport *self)
{
  return self->certificate_dir;
}

GTlsCertificate *
sips_msrp_transport_get_certificate (SipsMsrpTransport *self)
{
  return ensure_certificate (self);
}

const char *
sips_msrp_transport_get_fingerprint (SipsMsrpTransport *self)
{
  ensure_certificate (self);
  return self->fingerprint;
}

SipsMsrpUri *
sips_msrp_transport_make_uri (SipsMsrpTransport *self, gboolean secure, const char *session_id)
{
  g_return_val_if_fail (self->host != NULL, NULL);
  return sips_msrp_uri_new (secure, self->host, self->port, session_id);
}

void
sips_msrp_transport_register_session (SipsMsrpTransport *self, const char *session_id,
                                      const SipsMsrpSessionHandler *handler, gpointer user_data)
{
  Registered *r;

  g_return_if_fail (SIPS_IS_MSRP_TRANSPORT (self));
  g_return_if_fail (session_id != NULL && handler != NULL && handler->attach != NULL);

  r = g_new0 (Registered, 1);
  r->handler = handler;
  r->data = user_data;
  g_hash_table_replace (self->registry, g_strdup (session_id), r);
}

void
sips_msrp_transport_unregister_session (SipsMsrpTransport *self, const char *session_id)
{
  g_return_if_fail (SIPS_IS_MSRP_TRANSPORT (self));
  g_hash_table_remove (self->registry, session_id);
}

void
sips_msrp_transport_set_idle_timeouts (SipsMsrpTransport *self, guint incoming, guint outgoing)
{
  g_return_if_fail (SIPS_IS_MSRP_TRANSPORT (self));
  self->idle_incoming = incoming;
  self->idle_outgoing = outgoing;
}

guint
sips_msrp_transport_get_n_connections (SipsMsrpTransport *self)
{
  return self->connections->len;
}
