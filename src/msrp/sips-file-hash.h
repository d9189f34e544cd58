/* sips-file-hash.h: SHA-1 of a file in a worker thread (RFC 5547 hash selector) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Reads path in 256 KiB blocks in a GTask thread, never holding the file in memory;
 * the cancellable is checked between blocks. */
void  sips_file_hash_async  (const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data);
/* "sha-1:XX:..." or NULL with the I/O error (G_IO_ERROR_CANCELLED when cancelled). */
char *sips_file_hash_finish (GAsyncResult        *result,
                             GError             **error);

G_END_DECLS
