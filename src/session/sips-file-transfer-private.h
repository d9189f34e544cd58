/* sips-file-transfer-private.h: what the file transfer's two files share:
 * sips-file-transfer.c (lifecycle, the MSRP and session sides, the GObject) and
 * sips-file-transfer-offer.c (SendFile and an incoming offer: the SDP, the hash, Accept) */
#pragma once

#include "sips-file-transfer.h"
#include "msrp/sips-msrp-file.h"

G_BEGIN_DECLS

enum {
  PROP_0,
  PROP_DIRECTION,
  PROP_STATE,
  PROP_SESSION,
  PROP_REMOTE_URI,
  PROP_FILE_NAME,
  PROP_FILE_PATH,
  PROP_FILE_SIZE,
  PROP_CONTENT_TYPE,
  PROP_HASH,
  PROP_BYTES_TRANSFERRED,
  N_PROPS
};

enum {
  SIGNAL_DID_INITIALIZE,
  SIGNAL_DID_START,
  SIGNAL_DID_FAIL,
  SIGNAL_GOT_FILE,
  SIGNAL_DID_DELIVER_FILE,
  SIGNAL_DID_NOT_DELIVER_FILE,
  SIGNAL_WILL_END,
  SIGNAL_DID_END,
  SIGNAL_PROGRESS,
  N_SIGNALS
};

struct _SipsFileTransfer {
  GObject parent_instance;

  SipsSession          *session;
  SipsMsrpChat         *chat;           /* the session's stream, once made */
  gboolean              outgoing;
  SipsFileTransferState state;
  gboolean              over;           /* DidEnd emitted or on its way */
  char                 *remote_uri;
  char                 *file_name;
  char                 *file_path;
  guint64               file_size;
  char                 *content_type;
  char                 *hash;
  guint64               bytes;          /* the property: follows "progress" */
  guint64               moved;          /* the latest count */
  gint64                last_progress;  /* monotonic µs, 0 = none yet */
  int                   session_code;   /* the session's DidFail */
  char                 *session_reason;

  /* outgoing */
  int                   fd;
  SipsAccount          *account;
  GDateTime            *modified;
  GCancellable         *cancellable;    /* the hash */
  SipsMsrpFileSender   *sender;
  guint                 grace_id;       /* the peer hung up: waiting for its MSRP status */
  gboolean              remote_ended;   /* the session's end was the peer's */

  /* incoming */
  char                 *offer_selector; /* a=file-selector as offered */
  char                 *transfer_id;
  gint64                offered_size;   /* -1 = not given */
  char                 *tmp_path;       /* the hidden file being written, NULL = none */
  int                   tmp_fd;
  char                 *directory;
  SipsMsrpFileReceiver *receiver;
  guint                 hangup_id;
};

extern const char *const sips_file_transfer_state_names[];

void sips_file_transfer_set_state       (SipsFileTransfer      *self,
                                         SipsFileTransferState  state);
/* Sets *field and notifies the property prop when it changes. */
void sips_file_transfer_set_string      (SipsFileTransfer *self,
                                         char            **field,
                                         const char       *value,
                                         guint             prop);
/* The failure path: DidNotDeliverFile (outgoing), DidFail, DidEnd; the session hangs up. */
void sips_file_transfer_fail            (SipsFileTransfer      *self,
                                         SipsFileTransferState  state,
                                         int                    code,
                                         const char            *reason);
/* Follows the session: its stream carries the file, its end ends the transfer. */
void sips_file_transfer_watch_session   (SipsFileTransfer *self,
                                         SipsSession      *session);
void sips_file_transfer_drop_stream     (SipsFileTransfer *self);
/* No partial file is ever left. */
void sips_file_transfer_drop_temp_file  (SipsFileTransfer *self);

G_END_DECLS
