/* sips-msrp-file-send.c: a file streamed from disk as SEND chunks: a window of at most
 * SIPS_MSRP_FILE_WINDOW bytes queued on the connection, refilled as frames go out;
 * delivered once the peer's success REPORT covers the whole file. */
#include "sips-msrp-file.h"
#include "sips-msrp-chat-private.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "sips-msrp-chunker.h"

struct _SipsMsrpFileSender {
  SipsMsrpChat                *chat;
  SipsMsrpConnection          *connection;  /* the stream's, once started */
  gulong                       written_id;
  int                          fd;
  guint64                      size;
  char                        *content_type;
  char                        *message_id;
  SipsMsrpMessage             *request;     /* paths, Message-ID, reports */
  const SipsMsrpFileCallbacks *callbacks;
  gpointer                     user_data;
  guint8                      *buffer;
  gsize                        chunk_size;
  guint64                      offset;      /* bytes queued so far */
  guint64                      acked;       /* bytes answered with 200 */
  GHashTable                  *chunks;      /* transaction id -> chunk length */
  gboolean                     all_sent;
  gboolean                     over;
  guint                        done_id;
  guint                        done_status;
  char                        *done_reason;
};

static gboolean
on_done_idle (gpointer user_data)
{
  SipsMsrpFileSender *self = user_data;

  self->done_id = 0;
  self->callbacks->done (self->done_status, self->done_reason, self->user_data);
  return G_SOURCE_REMOVE;
}

/* The outcome, told from an idle: the caller may free us from its callback. */
static void
finish (SipsMsrpFileSender *self, guint status, const char *reason)
{
  if (self->over)
    return;
  self->over = TRUE;
  if (self->connection != NULL)
    {
      g_clear_signal_handler (&self->written_id, self->connection);
      sips_msrp_connection_cancel_requests (self->connection, self);
    }
  self->done_status = status;
  self->done_reason = g_strdup (reason);
  self->done_id = g_idle_add (on_done_idle, self);
}

static void
on_chunk_response (SipsMsrpConnection *connection, const char *tid, guint status,
                   const char *comment, gpointer user_data)
{
  SipsMsrpFileSender *self = user_data;
  g_autofree char *key = NULL;
  gpointer len;

  if (self->over ||
      !g_hash_table_steal_extended (self->chunks, tid, (gpointer *) &key, &len))
    return;
  if (status != SIPS_MSRP_STATUS_OK)
    {
      finish (self, status, comment);
      return;
    }
  self->acked += GPOINTER_TO_SIZE (len);
  self->callbacks->progress (self->acked, self->user_data);
}

static void fill (SipsMsrpFileSender *self);

static void
on_written (SipsMsrpConnection *connection, gpointer user_data)
{
  fill (user_data);
}

/* Reads len bytes at offset (a short file is an error: it shrank under us). */
static gboolean
read_at (SipsMsrpFileSender *self, guint64 offset, gsize len, GError **error)
{
  gsize got = 0;

  while (got < len)
    {
      ssize_t n = pread (self->fd, self->buffer + got, len - got, (off_t) (offset + got));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot read the file: %s"),
                       n < 0 ? g_strerror (errno) : _("it became shorter"));
          return FALSE;
        }
      got += (gsize) n;
    }
  return TRUE;
}

/* Queues chunks until the window is full or the file is all out. */
static void
fill (SipsMsrpFileSender *self)
{
  while (!self->over && !self->all_sent && self->connection != NULL &&
         !sips_msrp_connection_is_closed (self->connection) &&
         sips_msrp_connection_get_queued_bytes (self->connection) < SIPS_MSRP_FILE_WINDOW)
    {
      gsize len = (gsize) MIN ((guint64) self->chunk_size, self->size - self->offset);
      SipsMsrpByteRange range = { (gint64) self->offset + 1, (gint64) (self->offset + len),
                                  (gint64) self->size };
      g_autoptr(SipsMsrpMessage) chunk = sips_msrp_message_copy (self->request);
      g_autoptr(GBytes) frame = NULL;
      g_autoptr(GError) error = NULL;
      gboolean last = self->offset + len == self->size;

      if (!read_at (self, self->offset, len, &error))
        {
          finish (self, 0, error->message);
          return;
        }
      sips_msrp_message_set_transaction_id (chunk, NULL);
      sips_msrp_message_set_byte_range (chunk, &range);
      frame = sips_msrp_message_to_bytes (chunk, self->content_type, self->buffer, len,
                                          last ? SIPS_MSRP_FLAG_COMPLETE : SIPS_MSRP_FLAG_CONTINUED);
      g_hash_table_insert (self->chunks, g_strdup (sips_msrp_message_get_transaction_id (chunk)),
                           GSIZE_TO_POINTER (len));
      self->offset += len;
      self->all_sent = last;
      sips_msrp_connection_send_request (self->connection, frame,
                                         sips_msrp_message_get_transaction_id (chunk),
                                         self->chat->response_timeout, on_chunk_response, self);
    }
}

/* ---- REPORTs for our message (the stream hands them over) ---- */

static guint
on_request_begin (SipsMsrpConnection *connection, const char *tid, SipsMsrpMethod method,
                  const SipsMsrpHeaders *headers, gpointer user_data)
{
  /* a sendonly stream takes no data */
  return method == SIPS_MSRP_METHOD_REPORT ? 0 : SIPS_MSRP_STATUS_FORBIDDEN;
}

static void
on_request_body (SipsMsrpConnection *connection, const guint8 *data, gsize len,
                 gpointer user_data)
{
}

static void
on_request_end (SipsMsrpConnection *connection, const char *tid, SipsMsrpMethod method,
                const SipsMsrpHeaders *headers, char flag, guint status, gpointer user_data)
{
  SipsMsrpFileSender *self = user_data;

  if (method != SIPS_MSRP_METHOD_REPORT || status != 0 || self->over ||
      !headers->has_status || g_strcmp0 (headers->message_id, self->message_id) != 0)
    return;
  if (headers->status_code != SIPS_MSRP_STATUS_OK)
    {
      finish (self, headers->status_code, headers->status_comment != NULL
                                          ? headers->status_comment
                                          : sips_msrp_status_reason (headers->status_code));
      return;
    }
  /* a REPORT of a part (RFC 4975 §7.1.2) waits for the rest */
  if (headers->has_byte_range && headers->byte_range.end != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      (guint64) headers->byte_range.end < self->size)
    return;
  self->acked = self->size;
  self->callbacks->progress (self->acked, self->user_data);
  finish (self, SIPS_MSRP_STATUS_OK, sips_msrp_status_reason (SIPS_MSRP_STATUS_OK));
}

static const SipsMsrpSessionHandler report_handler = {
  .request_begin = on_request_begin,
  .request_body = on_request_body,
  .request_end = on_request_end,
};

/* ---- public API ---- */

SipsMsrpFileSender *
sips_msrp_file_sender_new (SipsMsrpChat *chat, int fd, guint64 size, const char *content_type,
                           const SipsMsrpFileCallbacks *callbacks, gpointer user_data)
{
  SipsMsrpFileSender *self = g_new0 (SipsMsrpFileSender, 1);

  self->chat = g_object_ref (chat);
  self->fd = fd;
  self->size = size;
  self->content_type = g_strdup (content_type != NULL && *content_type != '\0'
                                 ? content_type : "application/octet-stream");
  self->message_id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->chunks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sips_msrp_chat_set_request_handler (chat, &report_handler, self);
  return self;
}

void
sips_msrp_file_sender_start (SipsMsrpFileSender *self)
{
  if (self->over || self->connection != NULL)
    return;
  if (self->chat->connection == NULL)
    {
      finish (self, 0, _("The MSRP stream has no connection"));
      return;
    }
  self->connection = g_object_ref (self->chat->connection);
  self->chunk_size = sips_msrp_chat_chunk_size (self->chat);
  if (self->chunk_size == 0)
    self->chunk_size = SIPS_MSRP_FILE_CHUNK_SIZE;
  self->buffer = g_malloc (self->chunk_size);
  self->request = sips_msrp_message_new_request ("SEND", NULL);
  sips_msrp_chat_set_paths (self->chat, self->request);
  sips_msrp_message_set_message_id (self->request, self->message_id);
  sips_msrp_message_set_reports (self->request, SIPS_MSRP_REPORT_YES, SIPS_MSRP_REPORT_YES);
  self->written_id = g_signal_connect (self->connection, "written", G_CALLBACK (on_written), self);
  fill (self);
}

void
sips_msrp_file_sender_free (SipsMsrpFileSender *self)
{
  if (self == NULL)
    return;
  if (!self->over && self->connection != NULL && self->offset > 0 && !self->all_sent &&
      !sips_msrp_connection_is_closed (self->connection))
    {
      /* RFC 4975 §7.1: the rest of the message will not come */
      g_autoptr(SipsMsrpMessage) chunk = sips_msrp_message_copy (self->request);
      SipsMsrpByteRange range = { (gint64) self->offset + 1, SIPS_MSRP_BYTE_RANGE_UNKNOWN,
                                  (gint64) self->size };
      g_autoptr(GBytes) frame = NULL;

      sips_msrp_message_set_transaction_id (chunk, NULL);
      sips_msrp_message_set_byte_range (chunk, &range);
      frame = sips_msrp_message_to_bytes (chunk, self->content_type, NULL, 0,
                                          SIPS_MSRP_FLAG_INTERRUPTED);
      sips_msrp_connection_send (self->connection, frame);
    }
  self->over = TRUE;
  g_clear_handle_id (&self->done_id, g_source_remove);
  if (self->connection != NULL)
    {
      g_clear_signal_handler (&self->written_id, self->connection);
      sips_msrp_connection_cancel_requests (self->connection, self);
      g_clear_object (&self->connection);
    }
  if (self->chat->request_handler_data == self)
    sips_msrp_chat_set_request_handler (self->chat, NULL, NULL);
  g_clear_object (&self->chat);
  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->request, sips_msrp_message_free);
  g_hash_table_unref (self->chunks);
  g_free (self->buffer);
  g_free (self->content_type);
  g_free (self->message_id);
  g_free (self->done_reason);
  g_free (self);
}
