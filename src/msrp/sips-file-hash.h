/* sips-file-hash.h: SHA-1 of a file in a worker thread (RFC 5547 hash selector), and the
 * SHA-1 the file transfers use (OpenSSL's: with SHA-NI/AVX2 about 3x GChecksum's) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Reads path in 1 MiB blocks in a GTask thread, never holding the file in memory;
 * the cancellable is checked between blocks. */
void  sips_file_hash_async  (const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data);
/* "sha-1:XX:..." or NULL with the I/O error (G_IO_ERROR_CANCELLED when cancelled). */
char *sips_file_hash_finish (GAsyncResult        *result,
                             GError             **error);

/* Before the process ends: the running hashes stop at their next block and are waited
 * for (5 s at most); hashes started later fail as cancelled. */
void  sips_file_hash_shutdown (void);
/* The hashes started and not yet through their thread. */
guint sips_file_hash_count_running (void);

/* An incremental SHA-1; used by one thread at a time. */
typedef struct _SipsSha1 SipsSha1;

SipsSha1 *sips_sha1_new    (void);
void      sips_sha1_update (SipsSha1 *self, const void *data, gsize len);
/* "sha-1:XX:..." of what went in so far; the state stays usable. */
char     *sips_sha1_hash   (SipsSha1 *self);
void      sips_sha1_free   (SipsSha1 *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsSha1, sips_sha1_free)

G_END_DECLS
