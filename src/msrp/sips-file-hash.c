/* sips-file-hash.c: SHA-1 of a file in a worker thread (RFC 5547 hash selector) */
#include "sips-file-hash.h"

#include <openssl/evp.h>

#include "sips-file-selector.h"

#define BLOCK_SIZE (1024 * 1024)
#define SHUTDOWN_WAIT_US (5 * G_TIME_SPAN_SECOND)

/* The hashes not yet done: the process waits for them before it ends, since OpenSSL's
 * exit handler frees what a hash thread still running would use. */
static GMutex running_lock;
static GCond running_done;
static guint running;
static gint shutting_down;

struct _SipsSha1 {
  EVP_MD_CTX *ctx;
};

SipsSha1 *
sips_sha1_new (void)
{
  SipsSha1 *self = g_new0 (SipsSha1, 1);

  self->ctx = EVP_MD_CTX_new ();
  if (self->ctx == NULL || EVP_DigestInit_ex (self->ctx, EVP_sha1 (), NULL) != 1)
    g_error ("OpenSSL cannot compute SHA-1");
  return self;
}

void
sips_sha1_update (SipsSha1 *self, const void *data, gsize len)
{
  if (len > 0 && EVP_DigestUpdate (self->ctx, data, len) != 1)
    g_error ("OpenSSL cannot compute SHA-1");
}

char *
sips_sha1_hash (SipsSha1 *self)
{
  EVP_MD_CTX *copy = EVP_MD_CTX_new ();
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (copy == NULL || EVP_MD_CTX_copy_ex (copy, self->ctx) != 1 ||
      EVP_DigestFinal_ex (copy, digest, &len) != 1 || len != 20)
    g_error ("OpenSSL cannot compute SHA-1");
  EVP_MD_CTX_free (copy);
  return sips_file_hash_from_digest (digest);
}

void
sips_sha1_free (SipsSha1 *self)
{
  if (self == NULL)
    return;
  EVP_MD_CTX_free (self->ctx);
  g_free (self);
}

static gboolean
set_error_if_stopped (GCancellable *cancellable, GError **error)
{
  if (g_atomic_int_get (&shutting_down))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Shutting down");
      return TRUE;
    }
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
hash_file (GTask *task, const char *path, GCancellable *cancellable)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(SipsSha1) sha1 = sips_sha1_new ();
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  GError *error = NULL;
  gssize n = 0;

  in = set_error_if_stopped (cancellable, &error) ? NULL : g_file_read (file, cancellable, &error);
  if (in == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  while (!set_error_if_stopped (cancellable, &error) &&
         (n = g_input_stream_read (G_INPUT_STREAM (in), block, BLOCK_SIZE, cancellable,
                                   &error)) > 0)
    sips_sha1_update (sha1, block, (gsize) n);
  if (error != NULL)
    n = -1;
  if (n < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, sips_sha1_hash (sha1), g_free);
}

static void
hash_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  hash_file (task, task_data, cancellable);  /* its SHA-1 state is freed on return */
  g_mutex_lock (&running_lock);
  if (--running == 0)
    g_cond_broadcast (&running_done);
  g_mutex_unlock (&running_lock);
}

void
sips_file_hash_async (const char          *path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sips_file_hash_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_mutex_lock (&running_lock);
  running++;
  g_mutex_unlock (&running_lock);
  g_task_run_in_thread (task, hash_thread);
}

char *
sips_file_hash_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sips_file_hash_shutdown (void)
{
  gint64 end = g_get_monotonic_time () + SHUTDOWN_WAIT_US;

  g_atomic_int_set (&shutting_down, TRUE);
  g_mutex_lock (&running_lock);
  while (running > 0 && g_cond_wait_until (&running_done, &running_lock, end))
    ;
  if (running > 0)
    g_message ("%u file hashes still running at exit (a read that does not return)", running);
  g_mutex_unlock (&running_lock);
}

guint
sips_file_hash_count_running (void)
{
  guint n;

  g_mutex_lock (&running_lock);
  n = running;
  g_mutex_unlock (&running_lock);
  return n;
}
