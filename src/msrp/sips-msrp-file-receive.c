/* sips-msrp-file-receive.c: an offered file received from a stream's SEND chunks,
 * written to a file descriptor as they arrive (only the parser's read buffer is held),
 * hashed on the way. The chunks must come in order, as one message, within the offered
 * size; anything else fails the transfer with the status we answer:
 *   a Byte-Range that does not continue the file, or whose total is not the offered
 *   size, a second message, a chunk after the '$' -> 400; bytes past the offered size
 *   -> 413; a '$' short of the size or a hash mismatch -> 400; the sender's '#' ends it
 *   as interrupted.
 * The writes and the SHA-1 go to a thread (the main loop goes on reading and answering
 * while the disk is slow): the bytes are gathered in blocks of BLOCK_SIZE (few thread
 * hand-overs, full-size writes), which the thread hands back for reuse. A regular file
 * is written O_DIRECT (the blocks are aligned; the tail, or a file system that refuses,
 * goes through the page cache): no copy into the cache, and a file bigger than the cache
 * neither floods it nor leaves the final fsync all the work. Through the cache the thread
 * streams the file out as it goes (starts the writeback of each WRITEBACK_WINDOW, waits
 * for the one before and drops it). With more than
 * WRITE_HIGH bytes waiting for it the connection stops reading (the sender's window
 * closes) until they are down to WRITE_LOW. */
#include "sips-msrp-file.h"
#include "sips-msrp-chat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "sips-file-hash.h"
#include "sips-file-selector.h"

#define BLOCK_SIZE        (1024 * 1024)
#define WRITE_HIGH        (4 * 1024 * 1024)
#define WRITE_LOW         (1024 * 1024)
#define WRITEBACK_WINDOW  (8 * 1024 * 1024)
#define DIRECT_ALIGN      4096

typedef struct {
  guint8 *data;   /* BLOCK_SIZE bytes */
  gsize   len;    /* 0 = stop */
} Block;

/* The writing thread's side: what waits, and what went wrong. */
typedef struct {
  int           fd;
  guint64       offset;      /* the thread's: bytes written */
  gboolean      direct;      /* the thread's: the file is O_DIRECT */
  SipsSha1     *sha1;        /* the thread's until flushed */
  GAsyncQueue  *queue;       /* Block to write */
  GAsyncQueue  *spare;       /* Block written, for reuse */
  GMutex        lock;
  GCond         drained;
  guint64       pending;     /* bytes queued, not yet written */
  GSource      *drained_source;  /* while reading is paused: made ready at WRITE_LOW */
  int           error;       /* errno of the first failed write, 0 = none */
  gint          discard;     /* atomic; stopping: drop what is left */
  GThread      *thread;
} Writer;

struct _SipsMsrpFileReceiver {
  SipsMsrpChat                *chat;
  int                          fd;
  gint64                       size;        /* -1 = not offered */
  char                        *expected_hash;
  const SipsMsrpFileCallbacks *callbacks;
  gpointer                     user_data;
  char                        *message_id;  /* of the file, from its first chunk */
  char                        *hash;        /* once complete */
  guint64                      received;
  gboolean                     taking;      /* the current request's body is the file's */
  gboolean                     failed;
  guint                        status;      /* our failure status (0: the sender's '#') */
  char                        *reason;
  gboolean                     complete;
  guint                        done_id;
  Writer                       writer;
  Block                       *block;       /* being filled, NULL = none */
  SipsMsrpConnection          *paused;      /* reading stopped on it, NULL = none */
};

/* ---- the writing thread ---- */

/* A source that fires only when its ready time is set (by the thread). */
static gboolean
drained_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs drained_funcs = { .dispatch = drained_dispatch };

static Block *
block_new (void)
{
  Block *block = g_new0 (Block, 1);

  block->data = g_aligned_alloc (1, BLOCK_SIZE, DIRECT_ALIGN);
  return block;
}

static void
block_free (Block *block)
{
  g_aligned_free (block->data);
  g_free (block);
}

/* O_DIRECT on or off for the file; FALSE if it cannot be had. */
static gboolean
set_direct (Writer *w, gboolean on)
{
  int flags = fcntl (w->fd, F_GETFL);

  w->direct = on && flags >= 0 && fcntl (w->fd, F_SETFL, flags | O_DIRECT) == 0;
  if (!on && flags >= 0)
    fcntl (w->fd, F_SETFL, flags & ~O_DIRECT);
  return w->direct == on;
}

/* After each WRITEBACK_WINDOW: its writeback starts, the previous one is waited for
 * and leaves the page cache. Advisory: errors (a file system without it) change nothing. */
static void
stream_out (Writer *w, guint64 before)
{
#ifdef SYNC_FILE_RANGE_WRITE
  guint64 end = w->offset - w->offset % WRITEBACK_WINDOW;

  if (end <= before)
    return;
  sync_file_range (w->fd, (off_t) (end - WRITEBACK_WINDOW), WRITEBACK_WINDOW,
                   SYNC_FILE_RANGE_WRITE);
  if (end >= 2 * WRITEBACK_WINDOW &&
      sync_file_range (w->fd, (off_t) (end - 2 * WRITEBACK_WINDOW), WRITEBACK_WINDOW,
                       SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                       SYNC_FILE_RANGE_WAIT_AFTER) == 0)
    posix_fadvise (w->fd, (off_t) (end - 2 * WRITEBACK_WINDOW), WRITEBACK_WINDOW,
                   POSIX_FADV_DONTNEED);
#endif
}

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  Block *block;
  struct stat st;

  /* a regular file takes the blocks straight from our memory (a pipe would change) */
  if (fstat (w->fd, &st) == 0 && S_ISREG (st.st_mode))
    set_direct (w, TRUE);
  while ((block = g_async_queue_pop (w->queue)) != NULL)
    {
      gsize len = block->len, done = 0;
      int error = 0;

      if (len == 0)
        {
          block_free (block);
          break;
        }
      if (!g_atomic_int_get (&w->discard) && w->error == 0)
        sips_sha1_update (w->sha1, block->data, len);
      if (w->direct && len % DIRECT_ALIGN != 0)
        set_direct (w, FALSE);  /* the file's tail */
      while (!g_atomic_int_get (&w->discard) && w->error == 0 && done < len)
        {
          ssize_t n = write (w->fd, block->data + done, len - done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 && errno == EINVAL && w->direct)
            {
              set_direct (w, FALSE);  /* the file system wants other alignments */
              continue;
            }
          if (n < 0)
            {
              error = errno;
              break;
            }
          done += (gsize) n;
        }
      w->offset += done;
      if (done == len && !w->direct)
        stream_out (w, w->offset - done);
      else if (w->direct && done % DIRECT_ALIGN != 0)
        set_direct (w, FALSE);  /* a short write: the rest is not aligned */
      block->len = 0;
      g_async_queue_push (w->spare, block);
      g_mutex_lock (&w->lock);
      w->pending -= len;
      if (error != 0 && w->error == 0)
        w->error = error;
      if (w->drained_source != NULL && (w->pending <= WRITE_LOW || w->error != 0))
        g_source_set_ready_time (w->drained_source, 0);  /* thread-safe: wakes the loop */
      g_cond_broadcast (&w->drained);
      g_mutex_unlock (&w->lock);
    }
  return NULL;
}

/* Queues a block for the thread; returns the bytes now waiting and the thread's errno. */
static guint64
writer_push (Writer *w, Block *block, int *error)
{
  guint64 pending;

  g_mutex_lock (&w->lock);
  w->pending += block->len;
  pending = w->pending;
  *error = w->error;
  g_mutex_unlock (&w->lock);
  g_async_queue_push (w->queue, block);
  return pending;
}

/* Everything queued is on disk (or failed): errno or 0. */
static int
writer_flush (Writer *w)
{
  int error;

  g_mutex_lock (&w->lock);
  while (w->pending > 0 && w->error == 0)
    g_cond_wait (&w->drained, &w->lock);
  error = w->error;
  g_mutex_unlock (&w->lock);
  return error;
}

static void
stop_waiting_for_drain (SipsMsrpFileReceiver *self)
{
  GSource *source;

  g_mutex_lock (&self->writer.lock);
  source = g_steal_pointer (&self->writer.drained_source);
  g_mutex_unlock (&self->writer.lock);
  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
}

static gboolean
on_drained (gpointer user_data)
{
  SipsMsrpFileReceiver *self = user_data;

  stop_waiting_for_drain (self);
  if (self->paused != NULL)
    sips_msrp_connection_set_paused (self->paused, FALSE);
  g_clear_object (&self->paused);
  return G_SOURCE_REMOVE;
}

/* Back-pressure: the connection reads on once the disk caught up (the thread wakes us). */
static void
pause_reading (SipsMsrpFileReceiver *self, SipsMsrpConnection *connection)
{
  GSource *source;

  if (self->paused != NULL)
    return;
  self->paused = g_object_ref (connection);
  sips_msrp_connection_set_paused (connection, TRUE);
  source = g_source_new (&drained_funcs, sizeof (GSource));
  g_source_set_callback (source, on_drained, self, NULL);
  g_source_set_ready_time (source, -1);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_mutex_lock (&self->writer.lock);
  self->writer.drained_source = source;
  if (self->writer.pending <= WRITE_LOW || self->writer.error != 0)
    g_source_set_ready_time (source, 0);
  g_mutex_unlock (&self->writer.lock);
}

static gboolean
on_done_idle (gpointer user_data)
{
  SipsMsrpFileReceiver *self = user_data;

  self->done_id = 0;
  self->callbacks->done (self->status, self->reason, self->user_data);
  return G_SOURCE_REMOVE;
}

/* The first failure decides; told from an idle (we are inside the connection's parse). */
static guint
fail (SipsMsrpFileReceiver *self, guint status, const char *reason)
{
  if (self->failed || self->complete)
    return status;
  self->failed = TRUE;
  g_debug ("MSRP file: %u %s", status, reason);
  self->status = status;
  self->reason = g_strdup (reason);
  self->taking = FALSE;
  self->done_id = g_idle_add (on_done_idle, self);
  return status;
}

static guint
on_request_begin (SipsMsrpConnection *connection, const char *tid, SipsMsrpMethod method,
                  const SipsMsrpHeaders *headers, gpointer user_data)
{
  SipsMsrpFileReceiver *self = user_data;
  const SipsMsrpByteRange *range = &headers->byte_range;
  guint64 start;

  self->taking = FALSE;
  if (method != SIPS_MSRP_METHOD_SEND)
    return 0;  /* a REPORT: nothing of ours was sent */
  if (self->failed)
    return self->status != 0 ? self->status : SIPS_MSRP_STATUS_BAD_REQUEST;
  if (self->complete)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST, _("Data came after the end of the file"));
  if (headers->message_id == NULL)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST, _("A chunk without Message-ID"));
  if (self->message_id == NULL)
    self->message_id = g_strdup (headers->message_id);
  else if (g_strcmp0 (self->message_id, headers->message_id) != 0)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST, _("A second message came during the file"));

  start = headers->has_byte_range ? (guint64) range->start - 1 : self->received;
  if (start != self->received)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST,
                 _("A chunk's Byte-Range does not continue the file"));
  if (headers->has_byte_range && self->size >= 0 && range->total != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      range->total != self->size)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST,
                 _("The Byte-Range total is not the offered size"));
  if (headers->has_byte_range && self->size >= 0 && range->end != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      range->end > self->size)
    return fail (self, SIPS_MSRP_STATUS_STOP_SENDING, _("More data than the offered size"));
  self->taking = TRUE;
  return 0;
}

static gboolean
fail_on_write_error (SipsMsrpFileReceiver *self, int error)
{
  g_autofree char *reason = NULL;

  if (error == 0)
    return FALSE;
  reason = g_strdup_printf (_("Cannot write the file: %s"), g_strerror (error));
  fail (self, 500, reason);
  return TRUE;
}

/* Hands the block being filled to the thread (if it holds anything). */
static void
push_block (SipsMsrpFileReceiver *self, SipsMsrpConnection *connection)
{
  Block *block = g_steal_pointer (&self->block);
  guint64 pending;
  int error = 0;

  if (block == NULL)
    return;
  if (block->len == 0)
    {
      g_async_queue_push (self->writer.spare, block);
      return;
    }
  pending = writer_push (&self->writer, block, &error);
  if (fail_on_write_error (self, error))
    return;
  if (pending > WRITE_HIGH && connection != NULL)
    pause_reading (self, connection);
}

static void
on_request_body (SipsMsrpConnection *connection, const guint8 *data, gsize len,
                 gpointer user_data)
{
  SipsMsrpFileReceiver *self = user_data;

  if (!self->taking || len == 0)
    return;
  if (self->size >= 0 && self->received + len > (guint64) self->size)
    {
      fail (self, SIPS_MSRP_STATUS_STOP_SENDING, _("More data than the offered size"));
      return;
    }
  self->received += len;
  while (len > 0 && !self->failed)
    {
      gsize n;

      if (self->block == NULL)
        {
          self->block = g_async_queue_try_pop (self->writer.spare);
          if (self->block == NULL)
            {
              self->block = block_new ();
            }
        }
      n = MIN (len, BLOCK_SIZE - self->block->len);
      memcpy (self->block->data + self->block->len, data, n);
      self->block->len += n;
      data += n;
      len -= n;
      if (self->block->len == BLOCK_SIZE)
        push_block (self, connection);
    }
  if (!self->failed)
    self->callbacks->progress (self->received, self->user_data);
}

/* The '$': size and hash, then the owner stores the file. Returns the status. */
static guint
conclude (SipsMsrpFileReceiver *self)
{
  guint status;

  push_block (self, NULL);
  if (self->failed || fail_on_write_error (self, writer_flush (&self->writer)))
    return self->status;
  if (self->size >= 0 && self->received != (guint64) self->size)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST, _("The file is shorter than offered"));
  self->hash = sips_sha1_hash (self->writer.sha1);
  if (self->expected_hash != NULL && g_ascii_strcasecmp (self->hash, self->expected_hash) != 0)
    return fail (self, SIPS_MSRP_STATUS_BAD_REQUEST, _("The file does not match the offered hash"));
  self->complete = TRUE;
  status = self->callbacks->complete (self->user_data);
  if (status != SIPS_MSRP_STATUS_OK)
    {
      self->complete = FALSE;
      return fail (self, status, _("The file could not be stored"));
    }
  return status;
}

static void
on_request_end (SipsMsrpConnection *connection, const char *tid, SipsMsrpMethod method,
                const SipsMsrpHeaders *headers, char flag, guint status, gpointer user_data)
{
  SipsMsrpFileReceiver *self = user_data;
  g_autoptr(SipsMsrpChat) chat = g_object_ref (self->chat);  /* complete() may end it all */
  gboolean taking = self->taking;

  self->taking = FALSE;
  if (method != SIPS_MSRP_METHOD_SEND)
    return;
  if (status != 0)
    {
      /* the parser's problem, answered by the connection */
      fail (self, status, _("A malformed chunk"));
      return;
    }
  if (!taking)
    {
      sips_msrp_connection_answer (connection, tid, method, headers,
                                   self->failed && self->status != 0 ? self->status
                                                                     : SIPS_MSRP_STATUS_BAD_REQUEST,
                                   NULL);
      return;
    }
  if (flag == SIPS_MSRP_FLAG_INTERRUPTED)
    {
      sips_msrp_connection_answer (connection, tid, method, headers, SIPS_MSRP_STATUS_OK, NULL);
      fail (self, 0, _("The sender interrupted the file"));
      return;
    }
  if (flag != SIPS_MSRP_FLAG_COMPLETE)
    {
      sips_msrp_connection_answer (connection, tid, method, headers, SIPS_MSRP_STATUS_OK, NULL);
      return;
    }
  status = conclude (self);
  sips_msrp_connection_answer (connection, tid, method, headers, status, NULL);
  /* RFC 4975 §7.1.2: a success REPORT when asked; a failure one is the response's */
  if (status == SIPS_MSRP_STATUS_OK && headers->success_report == SIPS_MSRP_REPORT_YES)
    sips_msrp_chat_send_report (chat, connection, headers, self->received, status);
}

static const SipsMsrpSessionHandler file_handler = {
  .request_begin = on_request_begin,
  .request_body = on_request_body,
  .request_end = on_request_end,
};

/* ---- public API ---- */

SipsMsrpFileReceiver *
sips_msrp_file_receiver_new (SipsMsrpChat *chat, int fd, gint64 size, const char *hash,
                             const SipsMsrpFileCallbacks *callbacks, gpointer user_data)
{
  SipsMsrpFileReceiver *self = g_new0 (SipsMsrpFileReceiver, 1);

  self->chat = g_object_ref (chat);
  self->fd = fd;
  self->size = size;
  self->expected_hash = g_strdup (hash);
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->writer.fd = fd;
  self->writer.sha1 = sips_sha1_new ();
  self->writer.queue = g_async_queue_new_full ((GDestroyNotify) block_free);
  self->writer.spare = g_async_queue_new_full ((GDestroyNotify) block_free);
  g_mutex_init (&self->writer.lock);
  g_cond_init (&self->writer.drained);
  self->writer.thread = g_thread_new ("sips-file-write", writer_thread, &self->writer);
  sips_msrp_chat_set_request_handler (chat, &file_handler, self);
  return self;
}

const char *
sips_msrp_file_receiver_get_hash (SipsMsrpFileReceiver *self)
{
  return self->hash;
}

guint64
sips_msrp_file_receiver_get_size (SipsMsrpFileReceiver *self)
{
  return self->received;
}

void
sips_msrp_file_receiver_free (SipsMsrpFileReceiver *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->done_id, g_source_remove);
  /* what still waits is not wanted any more */
  g_atomic_int_set (&self->writer.discard, TRUE);
  g_async_queue_push_front (self->writer.queue, g_new0 (Block, 1));
  g_thread_join (self->writer.thread);
  g_async_queue_unref (self->writer.queue);
  g_async_queue_unref (self->writer.spare);
  g_clear_pointer (&self->block, block_free);
  sips_sha1_free (self->writer.sha1);
  stop_waiting_for_drain (self);
  g_mutex_clear (&self->writer.lock);
  g_cond_clear (&self->writer.drained);
  if (self->paused != NULL)
    sips_msrp_connection_set_paused (self->paused, FALSE);
  g_clear_object (&self->paused);
  if (self->chat->request_handler_data == self)
    sips_msrp_chat_set_request_handler (self->chat, NULL, NULL);
  g_clear_object (&self->chat);
  g_free (self->expected_hash);
  g_free (self->message_id);
  g_free (self->hash);
  g_free (self->reason);
  g_free (self);
}
