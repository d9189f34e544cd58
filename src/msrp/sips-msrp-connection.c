/* sips-msrp-connection.c: one MSRP connection: parser in, write queue out, transactions */
#include "sips-msrp-connection-private.h"

#include <glib/gi18n.h>

#include "sips-msrp-message.h"
#include "sips-msrp-parser.h"
#include "sips-msrp-uri.h"

enum {
  SIGNAL_CLOSED,
  SIGNAL_WRITTEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsMsrpConnection, sips_msrp_connection, G_TYPE_OBJECT)


/* ---- transactions ---- */

static void
transaction_free (gpointer data)
{
  Transaction *t = data;

  g_clear_handle_id (&t->timeout_id, g_source_remove);
  g_free (t->tid);
  g_free (t);
}

static gboolean
on_transaction_timeout (gpointer data)
{
  Transaction *t = data;
  SipsMsrpConnection *self = t->connection;
  SipsMsrpResponseFunc func = t->func;
  gpointer func_data = t->data;
  g_autofree char *tid = g_strdup (t->tid);

  t->timeout_id = 0;
  g_hash_table_remove (self->transactions, tid);
  g_object_ref (self);
  func (self, tid, SIPS_MSRP_STATUS_REQUEST_TIMEOUT, sips_msrp_status_reason (408), func_data);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
complete_transaction (SipsMsrpConnection *self, const char *tid, guint status,
                      const char *comment)
{
  Transaction *t = g_hash_table_lookup (self->transactions, tid);
  SipsMsrpResponseFunc func;
  gpointer data;

  if (t == NULL)
    {
      g_debug ("MSRP: a response to no request of ours (%s %u)", tid, status);
      return;
    }
  func = t->func;
  data = t->data;
  g_hash_table_remove (self->transactions, tid);
  func (self, tid, status, comment, data);
}

/* ---- parser callbacks ---- */

static void
current_clear (Current *cur)
{
  g_clear_pointer (&cur->tid, g_free);
  g_clear_pointer (&cur->comment, g_free);
  g_clear_pointer (&cur->session_id, g_free);
  cur->refusal = 0;
  cur->status = 0;
}

static void
on_parser_request (SipsMsrpParser *parser, const char *tid, SipsMsrpMethod method,
                   const char *method_name, gpointer user_data)
{
  SipsMsrpConnection *self = user_data;

  current_clear (&self->cur);
  self->cur.is_request = TRUE;
  self->cur.tid = g_strdup (tid);
  self->cur.method = method;
}

static void
on_parser_response (SipsMsrpParser *parser, const char *tid, guint status,
                    const char *comment, gpointer user_data)
{
  SipsMsrpConnection *self = user_data;

  current_clear (&self->cur);
  self->cur.is_request = FALSE;
  self->cur.tid = g_strdup (tid);
  self->cur.status = status;
  self->cur.comment = g_strdup (comment);
}

static void
on_parser_header (SipsMsrpParser *parser, const char *name, const char *value,
                  gpointer user_data)
{
}

static Binding *
find_binding (SipsMsrpConnection *self, const char *session_id)
{
  return session_id != NULL ? g_hash_table_lookup (self->sessions, session_id) : NULL;
}

/* Which session takes the request: 0 and cur.session_id set, or the status to answer. */
static guint
route_request (SipsMsrpConnection *self, const SipsMsrpHeaders *headers)
{
  const SipsMsrpUri *to;
  Binding *binding;
  guint status;

  if (self->cur.method == SIPS_MSRP_METHOD_AUTH)
    return SIPS_MSRP_STATUS_FORBIDDEN;  /* we are no relay */
  if (self->cur.method != SIPS_MSRP_METHOD_SEND && self->cur.method != SIPS_MSRP_METHOD_REPORT)
    return SIPS_MSRP_STATUS_UNKNOWN_METHOD;
  if (headers->to_path == NULL || headers->to_path->len == 0)
    return SIPS_MSRP_STATUS_BAD_REQUEST;

  /* RFC 4975 §7.3: the first URI of To-Path is ours; its session-id is the session */
  to = g_ptr_array_index (headers->to_path, 0);
  if (to->session_id == NULL)
    return SIPS_MSRP_STATUS_NO_SUCH_SESSION;
  binding = find_binding (self, to->session_id);
  if (binding == NULL)
    {
      if (self->lookup == NULL)
        return SIPS_MSRP_STATUS_NO_SUCH_SESSION;
      status = self->lookup (self, to->session_id, self->lookup_data);
      if (status != 0)
        return status;
      if (self->closed || (binding = find_binding (self, to->session_id)) == NULL)
        return SIPS_MSRP_STATUS_NO_SUCH_SESSION;
    }

  status = binding->handler->request_begin (self, self->cur.tid, self->cur.method, headers,
                                            binding->data);
  if (status == 0)
    self->cur.session_id = g_strdup (to->session_id);
  return status;
}

static void
on_parser_headers_end (SipsMsrpParser *parser, gboolean has_body, gpointer user_data)
{
  SipsMsrpConnection *self = user_data;

  if (self->closed || !self->cur.is_request || self->cur.refusal != 0)
    return;
  self->cur.refusal = route_request (self, sips_msrp_parser_get_headers (parser));
}

static void
on_parser_body (SipsMsrpParser *parser, const guint8 *data, gsize len, gpointer user_data)
{
  SipsMsrpConnection *self = user_data;
  Binding *binding;

  if (self->closed || (binding = find_binding (self, self->cur.session_id)) == NULL)
    return;
  if (binding->handler->request_body != NULL)
    binding->handler->request_body (self, data, len, binding->data);
}

static void
on_parser_problem (SipsMsrpParser *parser, guint status, const char *reason,
                   gpointer user_data)
{
  SipsMsrpConnection *self = user_data;

  g_debug ("MSRP: %s (%u)", reason, status);
  /* decided by the end-line's status; before headers_end it keeps sessions out of it */
  if (self->cur.refusal == 0 && self->cur.session_id == NULL)
    self->cur.refusal = status;
}

static void
on_parser_end (SipsMsrpParser *parser, char flag, guint status, gpointer user_data)
{
  SipsMsrpConnection *self = user_data;
  const SipsMsrpHeaders *headers = sips_msrp_parser_get_headers (parser);
  Binding *binding;

  if (self->closed)
    return;
  if (!self->cur.is_request)
    {
      self->response_headers = headers;
      complete_transaction (self, self->cur.tid, self->cur.status, self->cur.comment);
      self->response_headers = NULL;
      current_clear (&self->cur);
      return;
    }

  binding = find_binding (self, self->cur.session_id);
  if (status != 0 || binding == NULL)
    {
      guint answer = status != 0 ? status : self->cur.refusal;

      if (answer == 0)
        answer = SIPS_MSRP_STATUS_NO_SUCH_SESSION;  /* its session went away meanwhile */
      sips_msrp_connection_answer (self, self->cur.tid, self->cur.method, headers, answer, NULL);
    }
  if (binding != NULL && !self->closed)
    binding->handler->request_end (self, self->cur.tid, self->cur.method, headers, flag,
                                   status, binding->data);
  current_clear (&self->cur);
}

static const SipsMsrpParserCallbacks parser_callbacks = {
  .request = on_parser_request,
  .response = on_parser_response,
  .header = on_parser_header,
  .headers_end = on_parser_headers_end,
  .body = on_parser_body,
  .problem = on_parser_problem,
  .end = on_parser_end,
};

void
sips_msrp_connection_emit_written (SipsMsrpConnection *self)
{
  g_signal_emit (self, signals[SIGNAL_WRITTEN], 0);
}

/* ---- closing ---- */

static gboolean
on_idle_timeout (gpointer user_data)
{
  SipsMsrpConnection *self = user_data;

  self->idle_id = 0;
  g_debug ("MSRP: closing the idle connection %s", self->key != NULL ? self->key : "");
  sips_msrp_connection_close_for (self, G_IO_ERROR_TIMED_OUT, _("The MSRP connection was idle"));
  return G_SOURCE_REMOVE;
}

static void
schedule_idle (SipsMsrpConnection *self)
{
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->idle_timeout > 0 && !self->closed && g_hash_table_size (self->sessions) == 0)
    self->idle_id = g_timeout_add_seconds (self->idle_timeout, on_idle_timeout, self);
}

static void
on_stream_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

/* Takes error. Pending requests fail (408), then the sessions hear of it, then "closed". */
void
sips_msrp_connection_close_with_error (SipsMsrpConnection *self, GError *error)
{
  g_autoptr(GError) owned = error;
  g_autoptr(GList) transactions = NULL;
  g_autoptr(GHashTable) sessions = NULL;
  GHashTableIter iter;
  Binding *b;

  if (self->closed)
    return;
  self->closed = TRUE;
  g_object_ref (self);
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, on_stream_closed, NULL);
  if (self->read_source != NULL)
    {
      sips_msrp_connection_clear_source (&self->read_source);
      self->reading = FALSE;
    }
  sips_msrp_connection_clear_source (&self->write_source);
  g_queue_clear_full (&self->write_queue, (GDestroyNotify) g_bytes_unref);
  /* a frame half out by nonblocking writes goes now; an async write's in its callback */
  if (!self->write_async)
    g_clear_pointer (&self->writing, g_bytes_unref);
  self->queued_bytes = self->writing != NULL ? g_bytes_get_size (self->writing) : 0;

  /* the tables are emptied before anyone is told, so that nothing comes back to them */
  transactions = g_hash_table_get_values (self->transactions);
  g_hash_table_steal_all (self->transactions);
  sessions = g_steal_pointer (&self->sessions);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (GList *l = transactions; l != NULL; l = l->next)
    {
      Transaction *t = l->data;

      t->func (self, t->tid, SIPS_MSRP_STATUS_REQUEST_TIMEOUT, _("Connection lost"), t->data);
      transaction_free (t);
    }
  g_hash_table_iter_init (&iter, sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &b))
    if (b->handler->closed != NULL)
      b->handler->closed (self, owned, b->data);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, owned);
  g_object_unref (self);
}

/* ---- GObject ---- */

static void
sips_msrp_connection_dispose (GObject *object)
{
  SipsMsrpConnection *self = SIPS_MSRP_CONNECTION (object);

  if (!self->closed && self->stream != NULL)
    sips_msrp_connection_close_for (self, G_IO_ERROR_CLOSED, _("The MSRP connection was closed"));
  G_OBJECT_CLASS (sips_msrp_connection_parent_class)->dispose (object);
}

static void
sips_msrp_connection_finalize (GObject *object)
{
  SipsMsrpConnection *self = SIPS_MSRP_CONNECTION (object);

  current_clear (&self->cur);
  g_clear_pointer (&self->parser, sips_msrp_parser_free);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->transactions, g_hash_table_unref);
  sips_msrp_connection_clear_source (&self->read_source);
  sips_msrp_connection_clear_source (&self->write_source);
  g_queue_clear_full (&self->write_queue, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->writing, g_bytes_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream);
  g_free (self->read_buffer);
  g_free (self->key);
  G_OBJECT_CLASS (sips_msrp_connection_parent_class)->finalize (object);
}

static void
sips_msrp_connection_class_init (SipsMsrpConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_msrp_connection_dispose;
  object_class->finalize = sips_msrp_connection_finalize;

  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_WRITTEN] = g_signal_new ("written", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sips_msrp_connection_init (SipsMsrpConnection *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->transactions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, transaction_free);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->write_queue);
}

/* ---- public API ---- */

SipsMsrpConnection *
sips_msrp_connection_new (GIOStream *stream, gboolean outgoing, const char *key)
{
  SipsMsrpConnection *self;
  GIOStream *base = stream;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  self = g_object_new (SIPS_TYPE_MSRP_CONNECTION, NULL);
  self->stream = g_object_ref (stream);
  self->outgoing = outgoing;
  self->key = g_strdup (key);
  self->parser = sips_msrp_parser_new (&parser_callbacks, NULL, self, NULL);
  self->read_buffer = g_malloc (READ_SIZE);

  /* keep-alive below MSRP: the kernel notices a dead peer on an idle connection */
  if (G_IS_TLS_CONNECTION (stream))
    g_object_get (stream, "base-io-stream", &base, NULL);
  else
    g_object_ref (base);
  if (G_IS_SOCKET_CONNECTION (base))
    g_socket_set_keepalive (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)), TRUE);
  g_object_unref (base);
  return self;
}

void
sips_msrp_connection_set_lookup (SipsMsrpConnection *self, SipsMsrpSessionLookup lookup,
                                 gpointer user_data)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  self->lookup = lookup;
  self->lookup_data = user_data;
}

void
sips_msrp_connection_set_idle_timeout (SipsMsrpConnection *self, guint seconds)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  self->idle_timeout = seconds;
  schedule_idle (self);
}

void
sips_msrp_connection_start (SipsMsrpConnection *self)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  if (self->started || self->closed)
    return;
  self->started = TRUE;
  sips_msrp_connection_read_next (self);
  sips_msrp_connection_write_next (self);
}

void
sips_msrp_connection_set_paused (SipsMsrpConnection *self, gboolean paused)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  self->paused = paused;
  if (!paused && self->started && !self->closed && !self->reading)
    sips_msrp_connection_read_next (self);
}

void
sips_msrp_connection_close (SipsMsrpConnection *self)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  sips_msrp_connection_close_for (self, G_IO_ERROR_CLOSED, _("The MSRP connection was closed"));
}

gboolean
sips_msrp_connection_is_closed (SipsMsrpConnection *self)
{
  return self->closed;
}

gboolean
sips_msrp_connection_is_outgoing (SipsMsrpConnection *self)
{
  return self->outgoing;
}

gboolean
sips_msrp_connection_is_tls (SipsMsrpConnection *self)
{
  return G_IS_TLS_CONNECTION (self->stream);
}

const char *
sips_msrp_connection_get_key (SipsMsrpConnection *self)
{
  return self->key;
}

GTlsCertificate *
sips_msrp_connection_get_peer_certificate (SipsMsrpConnection *self)
{
  if (!G_IS_TLS_CONNECTION (self->stream))
    return NULL;
  return g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (self->stream));
}

void
sips_msrp_connection_bind_session (SipsMsrpConnection *self, const char *session_id,
                                   const SipsMsrpSessionHandler *handler, gpointer user_data)
{
  Binding *binding;

  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  g_return_if_fail (session_id != NULL && handler != NULL);
  g_return_if_fail (!g_hash_table_contains (self->sessions, session_id));

  if (self->closed)
    return;
  binding = g_new0 (Binding, 1);
  binding->handler = handler;
  binding->data = user_data;
  g_hash_table_insert (self->sessions, g_strdup (session_id), binding);
  g_clear_handle_id (&self->idle_id, g_source_remove);
}

void
sips_msrp_connection_unbind_session (SipsMsrpConnection *self, const char *session_id)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));

  if (g_hash_table_remove (self->sessions, session_id))
    schedule_idle (self);
}

guint
sips_msrp_connection_get_n_sessions (SipsMsrpConnection *self)
{
  return g_hash_table_size (self->sessions);
}

void
sips_msrp_connection_send (SipsMsrpConnection *self, GBytes *frame)
{
  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  g_return_if_fail (frame != NULL);

  if (self->closed)
    return;
  g_queue_push_tail (&self->write_queue, g_bytes_ref (frame));
  self->queued_bytes += g_bytes_get_size (frame);
  if (self->started)
    sips_msrp_connection_write_next (self);
}

void
sips_msrp_connection_send_request (SipsMsrpConnection *self, GBytes *frame,
                                   const char *transaction_id, guint timeout_ms,
                                   SipsMsrpResponseFunc func, gpointer user_data)
{
  Transaction *t;

  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));
  g_return_if_fail (transaction_id != NULL && func != NULL);

  t = g_new0 (Transaction, 1);
  t->connection = self;
  t->tid = g_strdup (transaction_id);
  t->func = func;
  t->data = user_data;
  if (self->closed)
    {
      /* as if it had been lost with the connection */
      func (self, t->tid, SIPS_MSRP_STATUS_REQUEST_TIMEOUT, _("Connection lost"), user_data);
      transaction_free (t);
      return;
    }
  t->timeout_id = g_timeout_add (timeout_ms != 0 ? timeout_ms : SIPS_MSRP_RESPONSE_TIMEOUT_MS,
                                 on_transaction_timeout, t);
  g_hash_table_replace (self->transactions, t->tid, t);
  sips_msrp_connection_send (self, frame);
}

void
sips_msrp_connection_cancel_requests (SipsMsrpConnection *self, gpointer user_data)
{
  GHashTableIter iter;
  Transaction *t;

  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));

  g_hash_table_iter_init (&iter, self->transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &t))
    if (t->data == user_data)
      g_hash_table_iter_remove (&iter);
}

const SipsMsrpHeaders *
sips_msrp_connection_get_response_headers (SipsMsrpConnection *self)
{
  g_return_val_if_fail (SIPS_IS_MSRP_CONNECTION (self), NULL);
  return self->response_headers;
}

gsize
sips_msrp_connection_get_queued_bytes (SipsMsrpConnection *self)
{
  return self->queued_bytes;
}

void
sips_msrp_connection_answer (SipsMsrpConnection *self, const char *transaction_id,
                             SipsMsrpMethod method, const SipsMsrpHeaders *headers,
                             guint status, const char *comment)
{
  g_autofree char *to = NULL;
  g_autofree char *from = NULL;
  g_autoptr(SipsMsrpMessage) response = NULL;
  g_autoptr(GBytes) frame = NULL;

  g_return_if_fail (SIPS_IS_MSRP_CONNECTION (self));

  /* RFC 4975 §7.1.2: REPORTs are never answered; Failure-Report says which SENDs are */
  if (method == SIPS_MSRP_METHOD_REPORT || transaction_id == NULL)
    return;
  if (headers->failure_report == SIPS_MSRP_REPORT_NO ||
      (headers->failure_report == SIPS_MSRP_REPORT_PARTIAL && status == SIPS_MSRP_STATUS_OK))
    return;
  if (headers->from_path != NULL && headers->from_path->len > 0)
    to = sips_msrp_uri_to_string (g_ptr_array_index (headers->from_path, 0));
  if (headers->to_path != NULL && headers->to_path->len > 0)
    from = sips_msrp_uri_to_string (g_ptr_array_index (headers->to_path, 0));
  response = sips_msrp_message_new_response (transaction_id, status, comment, to, from);
  frame = sips_msrp_message_to_bytes (response, NULL, NULL, 0, SIPS_MSRP_FLAG_COMPLETE);
  sips_msrp_connection_send (self, frame);
}
