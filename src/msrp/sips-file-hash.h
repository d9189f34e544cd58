/* sips-file-hash.h: SHA-1 of a file in a worker thread.
 * Interim version by ftcore; the real one comes from wip/ftsel (same API). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void  sips_file_hash_async  (const char *path, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
char *sips_file_hash_finish (GAsyncResult *result, GError **error);

G_END_DECLS
