/* sips-file-transfer.h: an MSRP file transfer (RFC 5547), the MSRPFileTransfer1 model:
 * a session with one m=message stream (a=sendonly / a=recvonly, a=file-selector,
 * a=file-transfer-id, a=file-date) whose MSRP stream carries the file. */
#pragma once

#include <glib-object.h>

#include "account/sips-account.h"
#include "sips-session.h"

G_BEGIN_DECLS

typedef enum {
  SIPS_FILE_TRANSFER_OFFERED,       /* incoming, awaiting Accept or Reject */
  SIPS_FILE_TRANSFER_CONNECTING,
  SIPS_FILE_TRANSFER_TRANSFERRING,
  SIPS_FILE_TRANSFER_COMPLETED,
  SIPS_FILE_TRANSFER_FAILED,
  SIPS_FILE_TRANSFER_CANCELLED,
} SipsFileTransferState;

#define SIPS_TYPE_FILE_TRANSFER (sips_file_transfer_get_type ())
G_DECLARE_FINAL_TYPE (SipsFileTransfer, sips_file_transfer, SIPS, FILE_TRANSFER, GObject)

/* Properties (read-only, notified; named for MSRPFileTransfer1): "direction" (incoming,
 * outgoing), "state" (offered, connecting, transferring, completed, failed, cancelled),
 * "session" (SipsSession*), "remote-uri", "file-name", "file-path", "file-size"
 * (guint64), "content-type", "hash", "bytes-transferred" (guint64, updated with each
 * "progress").
 * Signals (gint64 timestamp first, the contract's arguments): "did-initialize",
 * "did-start", "did-fail" (s reason), "got-file" (s path, t size, s hash),
 * "did-deliver-file", "did-not-deliver-file" (i code, s reason), "will-end", "did-end",
 * "progress" (t transferred, t total): at most every 100 ms while bytes move, plus one
 * at the total. A success ends with will-end, did-end; a failure, cancel or rejection
 * with did-fail (an outgoing one first did-not-deliver-file with the SIP or MSRP code,
 * 0 = local) then did-end. A rejected offer (Reject) ends with will-end, did-end. */

/* SendFile: the session (NULL, made for it) places the call once the file's SHA-1 is
 * known (computed in a worker thread). path must be a readable regular file and
 * to_uri a SIP URI (else SIPS_ERROR_INVALID_ARGUMENT); content_type "" = guessed. */
SipsFileTransfer *sips_file_transfer_new_outgoing (SipsSession  *session,
                                                   SipsAccount  *account,
                                                   const char   *to_uri,
                                                   const char   *path,
                                                   const char   *content_type,
                                                   GError      **error);
/* An incoming file offer (sips_session_sip_is_file_offer()) on an INCOMING session. */
SipsFileTransfer *sips_file_transfer_new_incoming (SipsSession  *session);

/* directory "" = default_directory (Settings1.DownloadsDirectory); not a directory ->
 * SIPS_ERROR_INVALID_ARGUMENT and the offer stays. Only when offered. */
gboolean sips_file_transfer_accept (SipsFileTransfer *self, const char *directory,
                                    GError **error);
gboolean sips_file_transfer_reject (SipsFileTransfer *self, GError **error);
/* Either side, any time before the end (else SIPS_ERROR_INVALID_STATE). */
gboolean sips_file_transfer_cancel (SipsFileTransfer *self, GError **error);
/* Cancel for reason (daemon shutdown); nothing once over. */
void     sips_file_transfer_abort  (SipsFileTransfer *self, const char *reason);

SipsFileTransferState sips_file_transfer_get_state   (SipsFileTransfer *self);
gboolean              sips_file_transfer_is_over     (SipsFileTransfer *self);
gboolean              sips_file_transfer_is_incoming (SipsFileTransfer *self);
SipsSession          *sips_file_transfer_get_session (SipsFileTransfer *self);

G_END_DECLS
