/* sips-file-hash.c: interim SHA-1 in a GTask thread (replaced by wip/ftsel) */
#include "sips-file-hash.h"
#include "sips-file-selector.h"

#define BLOCK (256 * 1024)

static void
hash_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr(GFile) file = g_file_new_for_path (task_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) in = g_file_read (file, cancellable, &error);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree guint8 *buf = g_malloc (BLOCK);
  gssize n;

  if (in == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), buf, BLOCK, cancellable, &error)) > 0)
    g_checksum_update (sum, buf, n);
  if (n < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, sips_file_hash_from_checksum (sum), g_free);
}

void
sips_file_hash_async (const char *path, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, hash_thread);
}

char *
sips_file_hash_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
