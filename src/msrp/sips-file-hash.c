/* sips-file-hash.c: SHA-1 of a file in a worker thread (RFC 5547 hash selector) */
#include "sips-file-hash.h"

#include "sips-file-selector.h"

#define BLOCK_SIZE (256 * 1024)

static void
hash_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  GError *error = NULL;
  gssize n = 0;

  in = g_file_read (file, cancellable, &error);
  if (in == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  while (!g_cancellable_set_error_if_cancelled (cancellable, &error) &&
         (n = g_input_stream_read (G_INPUT_STREAM (in), block, BLOCK_SIZE, cancellable,
                                   &error)) > 0)
    g_checksum_update (sha1, block, (gsize) n);
  if (error != NULL)
    n = -1;
  if (n < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, sips_file_hash_from_checksum (sha1), g_free);
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
  g_task_run_in_thread (task, hash_thread);
}

char *
sips_file_hash_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
