/* sips-msrp-file.h: a file's bytes over a chat stream's MSRP session (RFC 5547 §7, one
 * message): the sender streams SEND chunks from a file descriptor, never holding more
 * than a bounded window in memory; the receiver writes the chunks it takes to a file
 * descriptor, checking Byte-Range, size, the final '$' and the SHA-1. Both know
 * nothing of SIP: the stream (SipsMsrpChat) is connected by the session. */
#pragma once

#include "sips-msrp-chat.h"

G_BEGIN_DECLS

/* Bytes kept queued on the connection by the sender (refilled as they go out). */
#define SIPS_MSRP_FILE_WINDOW     (2 * 1024 * 1024)
/* The sender's chunks on a direct connection (relays take SIPS_MSRP_RELAY_CHUNK_SIZE):
 * big enough that per-chunk work (a transaction, its 200, a frame head) is noise
 * beside the bytes, small enough to keep the window several chunks deep. */
#define SIPS_MSRP_FILE_CHUNK_SIZE (256 * 1024)

typedef struct {
  /* bytes acknowledged by the peer (sender) or written (receiver) so far */
  void  (*progress) (guint64 bytes, gpointer user_data);
  /* the end: sender: status 200 = delivered (its success REPORT), else the MSRP status
   * of the failure (0 = local, e.g. a read error); receiver: a failure (never 200),
   * with the status we answered. Called from an idle, at most once. */
  void  (*done)     (guint status, const char *reason, gpointer user_data);
  /* receiver: every byte is in, size and hash check out: store the file; return 200
   * or the status of the failure (then done() follows). The success or failure REPORT
   * goes out with it. */
  guint (*complete) (gpointer user_data);
} SipsMsrpFileCallbacks;

typedef struct _SipsMsrpFileSender   SipsMsrpFileSender;
typedef struct _SipsMsrpFileReceiver SipsMsrpFileReceiver;

/* fd: open for reading (taken: closed by free); size: its size; content_type: of the
 * file. Nothing is sent before start(). */
SipsMsrpFileSender   *sips_msrp_file_sender_new   (SipsMsrpChat                *chat,
                                                   int                          fd,
                                                   guint64                      size,
                                                   const char                  *content_type,
                                                   const SipsMsrpFileCallbacks *callbacks,
                                                   gpointer                     user_data);
/* The stream is started: send. */
void                  sips_msrp_file_sender_start (SipsMsrpFileSender *self);
/* Stops (no callback after it); a message in the middle is interrupted with '#'. */
void                  sips_msrp_file_sender_free  (SipsMsrpFileSender *self);

/* Takes the stream's requests (sips_msrp_chat_set_request_handler) until freed. fd:
 * open for writing (not taken); size: the offered size (-1 = not given); hash: the
 * offered "sha-1:XX:..." (NULL = not checked). */
SipsMsrpFileReceiver *sips_msrp_file_receiver_new  (SipsMsrpChat                *chat,
                                                    int                          fd,
                                                    gint64                       size,
                                                    const char                  *hash,
                                                    const SipsMsrpFileCallbacks *callbacks,
                                                    gpointer                     user_data);
/* The SHA-1 of what was received ("sha-1:XX:..."), once complete. */
const char           *sips_msrp_file_receiver_get_hash (SipsMsrpFileReceiver *self);
guint64               sips_msrp_file_receiver_get_size (SipsMsrpFileReceiver *self);
void                  sips_msrp_file_receiver_free (SipsMsrpFileReceiver *self);

G_END_DECLS
