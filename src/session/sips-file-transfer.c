/* sips-file-transfer.c: an MSRP file transfer (RFC 5547) on a session with one
 * m=message stream
 *
 * Outgoing: the file is opened and checked at once, its SHA-1 computed in a worker
 * thread, then the session offers a=sendonly with a=file-selector (name, type, size,
 * hash), a=file-transfer-id and a=file-date; once the MSRP stream starts the file goes
 * out in chunks (sips-msrp-file-send.c); the success REPORT is DidDeliverFile and we
 * hang up. Incoming: the session of the offer stays quiet (no NewIncoming, no ring);
 * Accept answers a=recvonly and receives into a hidden temporary file in the target
 * directory (sips-msrp-file-receive.c), which is renamed without overwriting once size
 * and hash check out, then GotFile; the sender hangs up (or we do, after a grace time).
 * Anything else ends the transfer with DidFail and no file left behind. */
#include "sips-file-transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "core/sips-error.h"
#include "msrp/sips-file-hash.h"
#include "msrp/sips-file-name.h"
#include "msrp/sips-file-selector.h"
#include "msrp/sips-msrp-file.h"
#include "msrp/sips-msrp-message.h"
#include "sips-sdp.h"
#include "sips-session-chat.h"
#include "sips-session-private.h"
#include "sips-session-sip-private.h"

#define PROGRESS_INTERVAL_US (100 * 1000)
/* after GotFile the sender hangs up; if it does not, we do */
#define RECEIVER_HANGUP_S    2

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

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

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

G_DEFINE_FINAL_TYPE (SipsFileTransfer, sips_file_transfer, G_TYPE_OBJECT)

static const char *const state_names[] = {
  "offered", "connecting", "transferring", "completed", "failed", "cancelled",
};

/* ---- state and signals ---- */

static void
set_state (SipsFileTransfer *self, SipsFileTransferState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string (SipsFileTransfer *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
emit_progress (SipsFileTransfer *self)
{
  self->last_progress = g_get_monotonic_time ();
  if (self->bytes != self->moved)
    {
      self->bytes = self->moved;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_TRANSFERRED]);
    }
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, g_get_real_time (), self->moved,
                 self->file_size);
}

/* DidStart: the stream is connected, or (the active side) the peer's data came before
 * the answer to our first request did. */
static void
mark_started (SipsFileTransfer *self)
{
  if (self->over || self->state != SIPS_FILE_TRANSFER_CONNECTING)
    return;
  set_state (self, SIPS_FILE_TRANSFER_TRANSFERRING);
  g_signal_emit (self, signals[SIGNAL_DID_START], 0, g_get_real_time ());
}

static void
on_msrp_progress (guint64 bytes, gpointer user_data)
{
  SipsFileTransfer *self = user_data;

  mark_started (self);
  self->moved = bytes;
  /* the final one comes with the end */
  if (bytes < self->file_size &&
      g_get_monotonic_time () - self->last_progress >= PROGRESS_INTERVAL_US)
    emit_progress (self);
}

static void
drop_stream (SipsFileTransfer *self)
{
  g_clear_pointer (&self->sender, sips_msrp_file_sender_free);
  g_clear_pointer (&self->receiver, sips_msrp_file_receiver_free);
  if (self->chat != NULL)
    g_signal_handlers_disconnect_by_data (self->chat, self);
  g_clear_object (&self->chat);
}

/* No partial file is ever left. */
static void
drop_temp_file (SipsFileTransfer *self)
{
  if (self->tmp_fd >= 0)
    close (self->tmp_fd);
  self->tmp_fd = -1;
  if (self->tmp_path != NULL)
    g_unlink (self->tmp_path);
  g_clear_pointer (&self->tmp_path, g_free);
}

static void
hang_up (SipsFileTransfer *self)
{
  SipsSessionState state = sips_session_get_state (self->session);

  if (state == SIPS_SESSION_STATE_INCOMING)
    sips_session_reject (self->session, NULL);
  else if (state != SIPS_SESSION_STATE_NULL && state != SIPS_SESSION_STATE_TERMINATING &&
           state != SIPS_SESSION_STATE_TERMINATED)
    sips_session_terminate (self->session, NULL);
}

static void
release (SipsFileTransfer *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->hangup_id, g_source_remove);
  drop_stream (self);
  drop_temp_file (self);
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
}

/* The failure path: DidNotDeliverFile (outgoing), DidFail, DidEnd; the session hangs up. */
static void
fail (SipsFileTransfer *self, SipsFileTransferState state, int code, const char *reason)
{
  if (self->over)
    return;
  g_object_ref (self);
  self->over = TRUE;
  g_message ("File transfer %s %s: %s", self->outgoing ? "to" : "from", self->remote_uri, reason);
  release (self);
  set_state (self, state);
  hang_up (self);
  if (self->outgoing)
    g_signal_emit (self, signals[SIGNAL_DID_NOT_DELIVER_FILE], 0, g_get_real_time (), code, reason);
  g_signal_emit (self, signals[SIGNAL_DID_FAIL], 0, g_get_real_time (), reason);
  g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time ());
  g_object_unref (self);
}

static void
end_normally (SipsFileTransfer *self)
{
  if (self->over)
    return;
  g_object_ref (self);
  self->over = TRUE;
  release (self);
  g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
  hang_up (self);
  g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time ());
  g_object_unref (self);
}

/* ---- the MSRP side ---- */

static void
on_msrp_done (guint status, const char *reason, gpointer user_data)
{
  SipsFileTransfer *self = user_data;
  g_autofree char *why = NULL;

  if (self->over)
    return;
  if (self->outgoing && status == 200)
    {
      g_object_ref (self);
      self->moved = self->file_size;
      set_state (self, SIPS_FILE_TRANSFER_COMPLETED);
      emit_progress (self);
      g_signal_emit (self, signals[SIGNAL_DID_DELIVER_FILE], 0, g_get_real_time ());
      /* we hang up; the session's end is ours */
      end_normally (self);
      g_object_unref (self);
      return;
    }
  why = status != 0 ? g_strdup_printf ("%u %s", status, reason) : g_strdup (reason);
  fail (self, SIPS_FILE_TRANSFER_FAILED, (int) status, why);
}

static gboolean
on_hangup_timeout (gpointer user_data)
{
  SipsFileTransfer *self = user_data;

  self->hangup_id = 0;
  end_normally (self);
  return G_SOURCE_REMOVE;
}

/* Every byte is in and verified: the file takes its name. */
static guint
on_msrp_complete (gpointer user_data)
{
  SipsFileTransfer *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  mark_started (self);
  if (self->tmp_fd >= 0 && fsync (self->tmp_fd) != 0)
    g_debug ("fsync %s: %s", self->tmp_path, g_strerror (errno));
  if (self->tmp_fd >= 0)
    close (self->tmp_fd);
  self->tmp_fd = -1;
  path = sips_file_name_commit (self->tmp_path, self->directory, self->file_name, &error);
  if (path == NULL)
    {
      g_message ("File transfer from %s: %s", self->remote_uri, error->message);
      return 500;
    }
  g_clear_pointer (&self->tmp_path, g_free);
  self->moved = sips_msrp_file_receiver_get_size (self->receiver);
  if (self->file_size != self->moved)
    {
      self->file_size = self->moved;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_SIZE]);
    }
  set_string (self, &self->hash, sips_msrp_file_receiver_get_hash (self->receiver), PROP_HASH);
  set_string (self, &self->file_path, path, PROP_FILE_PATH);
  set_state (self, SIPS_FILE_TRANSFER_COMPLETED);
  emit_progress (self);
  g_signal_emit (self, signals[SIGNAL_GOT_FILE], 0, g_get_real_time (), path, self->moved,
                 self->hash);
  self->hangup_id = g_timeout_add_seconds (RECEIVER_HANGUP_S, on_hangup_timeout, self);
  return 200;
}

static const SipsMsrpFileCallbacks msrp_callbacks = {
  .progress = on_msrp_progress,
  .done = on_msrp_done,
  .complete = on_msrp_complete,
};

static void
on_chat_did_initialize (SipsMsrpChat *chat, gint64 timestamp, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_DID_INITIALIZE], 0, timestamp);
}

static void
on_chat_did_start (SipsMsrpChat *chat, gint64 timestamp, gpointer user_data)
{
  SipsFileTransfer *self = user_data;

  if (self->over)
    return;
  mark_started (self);
  if (self->sender != NULL)
    sips_msrp_file_sender_start (self->sender);
}

/* The session made its stream (for our offer or answer): it carries the file. */
static void
on_chat_transport (SipsSession *session, GParamSpec *pspec, gpointer user_data)
{
  SipsFileTransfer *self = user_data;
  g_autoptr(GObject) chat = NULL;

  g_object_get (session, "chat-transport", &chat, NULL);
  if (self->over || chat == NULL || chat == G_OBJECT (self->chat))
    return;
  drop_stream (self);
  self->chat = SIPS_MSRP_CHAT (g_object_ref (chat));
  g_signal_connect (self->chat, "did-initialize", G_CALLBACK (on_chat_did_initialize), self);
  g_signal_connect (self->chat, "did-start", G_CALLBACK (on_chat_did_start), self);
  if (self->outgoing)
    self->sender = sips_msrp_file_sender_new (self->chat, dup (self->fd), self->file_size,
                                              self->content_type, &msrp_callbacks, self);
  else
    self->receiver = sips_msrp_file_receiver_new (self->chat, self->tmp_fd, self->offered_size,
                                                  self->hash != NULL && *self->hash != '\0'
                                                  ? self->hash : NULL,
                                                  &msrp_callbacks, self);
}

/* ---- the session ---- */

static void
on_session_did_fail (SipsSession *session, gint64 timestamp, const char *originator, int code,
                     const char *reason, gpointer user_data)
{
  SipsFileTransfer *self = user_data;

  self->session_code = code;
  g_free (self->session_reason);
  self->session_reason = g_strdup (reason);
}

static void
on_session_did_end (SipsSession *session, gint64 timestamp, const char *originator,
                    gpointer user_data)
{
  SipsFileTransfer *self = user_data;
  g_autofree char *reason = NULL;

  if (self->over)
    return;
  if (self->state == SIPS_FILE_TRANSFER_COMPLETED)
    {
      end_normally (self);
      return;
    }
  if (self->session_reason != NULL)
    reason = g_strdup (self->session_reason);
  else
    reason = g_strdup (g_strcmp0 (originator, "remote") == 0
                       ? _("The remote party ended the transfer")
                       : _("The session ended"));
  fail (self, g_strcmp0 (originator, "remote") == 0 && self->session_code == 0
              ? SIPS_FILE_TRANSFER_CANCELLED : SIPS_FILE_TRANSFER_FAILED,
        self->session_code, reason);
}

static void
watch_session (SipsFileTransfer *self, SipsSession *session)
{
  self->session = g_object_ref (session);
  g_signal_connect (session, "notify::chat-transport", G_CALLBACK (on_chat_transport), self);
  g_signal_connect (session, "did-fail", G_CALLBACK (on_session_did_fail), self);
  g_signal_connect (session, "did-end", G_CALLBACK (on_session_did_end), self);
}

/* ---- outgoing ---- */

static char *
outgoing_sdp (SipsFileTransfer *self)
{
  g_autoptr(SipsFileSelector) selector = sips_file_selector_new ();
  g_autofree char *value = NULL;
  g_autofree char *date = NULL;
  g_autofree char *id = sips_msrp_random_ident (32);

  selector->name = g_strdup (self->file_name);
  selector->type = g_strdup (self->content_type);
  selector->size = (gint64) self->file_size;
  selector->hash = g_strdup (self->hash);
  value = sips_file_selector_format (selector);
  if (self->modified != NULL)
    date = sips_file_date_format (self->modified);
  return g_strdup_printf ("a=sendonly\r\na=file-selector:%s\r\na=file-transfer-id:%s\r\n"
                          "%s%s%s", value, id,
                          date != NULL ? "a=file-date:" : "", date != NULL ? date : "",
                          date != NULL ? "\r\n" : "");
}

static void
on_hashed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SipsFileTransfer) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = sips_file_hash_finish (result, &error);
  g_autofree char *sdp = NULL;
  g_autofree char *to_uri = NULL;

  if (self->over)
    return;
  if (hash == NULL)
    {
      g_autofree char *reason = g_strdup_printf (_("Cannot read the file: %s"), error->message);

      fail (self, SIPS_FILE_TRANSFER_FAILED, 0, reason);
      return;
    }
  set_string (self, &self->hash, hash, PROP_HASH);
  sdp = outgoing_sdp (self);
  sips_session_chat_set_file_sdp (sips_session_get_sip (self->session)->chat, sdp);
  if (!sips_session_connect (self->session, self->remote_uri, self->account, "", FALSE, TRUE,
                             &error))
    fail (self, SIPS_FILE_TRANSFER_FAILED, 0, error->message);
}

/* The MIME type from the name and the first bytes. */
static char *
guess_content_type (const char *path, int fd)
{
  guint8 head[4096];
  ssize_t n = pread (fd, head, sizeof head, 0);
  g_autofree char *type = g_content_type_guess (path, n > 0 ? head : NULL, n > 0 ? (gsize) n : 0,
                                                NULL);
  char *mime = type != NULL ? g_content_type_get_mime_type (type) : NULL;

  return mime != NULL ? mime : g_strdup ("application/octet-stream");
}

SipsFileTransfer *
sips_file_transfer_new_outgoing (SipsSession *session, SipsAccount *account, const char *to_uri,
                                 const char *path, const char *content_type, GError **error)
{
  g_autoptr(SipsFileTransfer) self = NULL;
  struct stat st;
  int fd;

  g_return_val_if_fail (SIPS_IS_SESSION (session), NULL);

  if (to_uri == NULL || !sips_session_is_sip_uri (to_uri))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid SIP URI: %s"),
                   to_uri != NULL ? to_uri : "");
      return NULL;
    }
  if (content_type != NULL && *content_type != '\0' && !sips_session_is_content_type (content_type))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid content type: %s"),
                   content_type);
      return NULL;
    }
  fd = path != NULL && g_path_is_absolute (path) ? open (path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("%s is not a readable regular file"), path != NULL ? path : "");
      return NULL;
    }

  self = g_object_new (SIPS_TYPE_FILE_TRANSFER, NULL);
  self->outgoing = TRUE;
  self->fd = fd;
  self->state = SIPS_FILE_TRANSFER_CONNECTING;
  self->account = account != NULL ? g_object_ref (account) : NULL;
  self->remote_uri = g_strdup (to_uri);
  self->file_path = g_strdup (path);
  self->file_name = g_path_get_basename (path);
  self->file_size = (guint64) st.st_size;
  self->content_type = content_type != NULL && *content_type != '\0'
                       ? g_strdup (content_type) : guess_content_type (path, fd);
  self->modified = g_date_time_new_from_unix_utc (st.st_mtime);
  self->cancellable = g_cancellable_new ();
  watch_session (self, session);
  /* the main loop goes on answering while a large file is read */
  sips_file_hash_async (path, self->cancellable, on_hashed, g_object_ref (self));
  return g_steal_pointer (&self);
}

/* ---- incoming ---- */

SipsFileTransfer *
sips_file_transfer_new_incoming (SipsSession *session)
{
  SipsFileTransfer *self = g_object_new (SIPS_TYPE_FILE_TRANSFER, NULL);
  SipsSdpChat offer = { 0 };
  g_autoptr(SipsFileSelector) selector = NULL;
  g_autoptr(GError) error = NULL;

  self->state = SIPS_FILE_TRANSFER_OFFERED;
  g_object_get (session, "remote-uri", &self->remote_uri, NULL);
  sips_sdp_parse_chat (sips_session_sip_get_initial_offer (sips_session_get_sip (session)), &offer);
  self->offer_selector = g_strdup (offer.file_selector);
  self->transfer_id = g_strdup (offer.file_transfer_id);
  selector = sips_file_selector_parse (offer.file_selector != NULL ? offer.file_selector : "",
                                       &error);
  if (selector == NULL)
    g_message ("File offer from %s: %s", self->remote_uri, error->message);
  /* the name from the wire is never used as it is */
  self->file_name = sips_file_name_sanitize (selector != NULL ? selector->name : NULL);
  self->offered_size = selector != NULL ? selector->size : -1;
  self->file_size = self->offered_size >= 0 ? (guint64) self->offered_size : 0;
  self->content_type = g_strdup (selector != NULL && selector->type != NULL
                                 ? selector->type : "application/octet-stream");
  self->hash = g_strdup (selector != NULL && selector->hash != NULL ? selector->hash : "");
  sips_sdp_chat_clear (&offer);
  watch_session (self, session);
  return self;
}

gboolean
sips_file_transfer_accept (SipsFileTransfer *self, const char *directory, GError **error)
{
  SipsSessionSip *sip = sips_session_get_sip (self->session);
  g_autofree char *sdp = NULL;
  g_autofree char *tmp_path = NULL;
  int fd;

  g_return_val_if_fail (SIPS_IS_FILE_TRANSFER (self), FALSE);

  if (self->state != SIPS_FILE_TRANSFER_OFFERED || self->over)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("Accept is not allowed in state %s"), state_names[self->state]);
      return FALSE;
    }
  if (directory == NULL || *directory == '\0')
    directory = sips_config_section_get_string (sip->settings, "DownloadsDirectory");
  if (directory == NULL || !g_path_is_absolute (directory) ||
      !g_file_test (directory, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("%s is not a directory"), directory != NULL ? directory : "");
      return FALSE;
    }
  fd = sips_file_name_create_temp (directory, &tmp_path, error);
  if (fd < 0)
    return FALSE;
  self->tmp_fd = fd;
  self->tmp_path = g_steal_pointer (&tmp_path);
  g_free (self->directory);
  self->directory = g_strdup (directory);

  sdp = g_strdup_printf ("a=recvonly\r\n%s%s%s%s%s%s", 
                         self->offer_selector != NULL ? "a=file-selector:" : "",
                         self->offer_selector != NULL ? self->offer_selector : "",
                         self->offer_selector != NULL ? "\r\n" : "",
                         self->transfer_id != NULL ? "a=file-transfer-id:" : "",
                         self->transfer_id != NULL ? self->transfer_id : "",
                         self->transfer_id != NULL ? "\r\n" : "");
  sips_session_chat_set_file_sdp (sip->chat, sdp);
  if (!sips_session_accept (self->session, FALSE, TRUE, error))
    {
      drop_stream (self);
      drop_temp_file (self);
      return FALSE;
    }
  if (!self->over)
    set_state (self, SIPS_FILE_TRANSFER_CONNECTING);
  return TRUE;
}

gboolean
sips_file_transfer_reject (SipsFileTransfer *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_FILE_TRANSFER (self), FALSE);

  if (self->state != SIPS_FILE_TRANSFER_OFFERED || self->over)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("Reject is not allowed in state %s"), state_names[self->state]);
      return FALSE;
    }
  set_state (self, SIPS_FILE_TRANSFER_CANCELLED);
  end_normally (self);  /* hang_up() answers 603 */
  return TRUE;
}

gboolean
sips_file_transfer_cancel (SipsFileTransfer *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_FILE_TRANSFER (self), FALSE);

  if (self->over || self->state >= SIPS_FILE_TRANSFER_COMPLETED)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("Cancel is not allowed in state %s"), state_names[self->state]);
      return FALSE;
    }
  fail (self, SIPS_FILE_TRANSFER_CANCELLED, 0, _("Cancelled"));
  return TRUE;
}

void
sips_file_transfer_abort (SipsFileTransfer *self, const char *reason)
{
  g_return_if_fail (SIPS_IS_FILE_TRANSFER (self));

  if (self->state == SIPS_FILE_TRANSFER_COMPLETED)
    end_normally (self);
  else
    fail (self, SIPS_FILE_TRANSFER_CANCELLED, 0, reason);
}

SipsFileTransferState
sips_file_transfer_get_state (SipsFileTransfer *self)
{
  return self->state;
}

gboolean
sips_file_transfer_is_over (SipsFileTransfer *self)
{
  return self->over;
}

gboolean
sips_file_transfer_is_incoming (SipsFileTransfer *self)
{
  return !self->outgoing;
}

SipsSession *
sips_file_transfer_get_session (SipsFileTransfer *self)
{
  return self->session;
}

/* ---- GObject ---- */

static void
sips_file_transfer_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  SipsFileTransfer *self = SIPS_FILE_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_DIRECTION:
      g_value_set_string (value, self->outgoing ? "outgoing" : "incoming");
      break;
    case PROP_STATE:
      g_value_set_string (value, state_names[self->state]);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_REMOTE_URI:
      g_value_set_string (value, self->remote_uri != NULL ? self->remote_uri : "");
      break;
    case PROP_FILE_NAME:
      g_value_set_string (value, self->file_name != NULL ? self->file_name : "");
      break;
    case PROP_FILE_PATH:
      g_value_set_string (value, self->file_path != NULL ? self->file_path : "");
      break;
    case PROP_FILE_SIZE:
      g_value_set_uint64 (value, self->file_size);
      break;
    case PROP_CONTENT_TYPE:
      g_value_set_string (value, self->content_type != NULL ? self->content_type : "");
      break;
    case PROP_HASH:
      g_value_set_string (value, self->hash != NULL ? self->hash : "");
      break;
    case PROP_BYTES_TRANSFERRED:
      g_value_set_uint64 (value, self->bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_file_transfer_dispose (GObject *object)
{
  SipsFileTransfer *self = SIPS_FILE_TRANSFER (object);

  release (self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->account);
  G_OBJECT_CLASS (sips_file_transfer_parent_class)->dispose (object);
}

static void
sips_file_transfer_finalize (GObject *object)
{
  SipsFileTransfer *self = SIPS_FILE_TRANSFER (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->modified, g_date_time_unref);
  g_free (self->remote_uri);
  g_free (self->file_name);
  g_free (self->file_path);
  g_free (self->content_type);
  g_free (self->hash);
  g_free (self->session_reason);
  g_free (self->offer_selector);
  g_free (self->transfer_id);
  g_free (self->directory);
  G_OBJECT_CLASS (sips_file_transfer_parent_class)->finalize (object);
}

static void
sips_file_transfer_class_init (SipsFileTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  static const struct {
    const char *name;
    guint       n_params;
    GType       params[4];
  } defs[N_SIGNALS] = {
    [SIGNAL_DID_INITIALIZE] = { "did-initialize", 1, { G_TYPE_INT64 } },
    [SIGNAL_DID_START] = { "did-start", 1, { G_TYPE_INT64 } },
    [SIGNAL_DID_FAIL] = { "did-fail", 2, { G_TYPE_INT64, G_TYPE_STRING } },
    [SIGNAL_GOT_FILE] = { "got-file", 4, { G_TYPE_INT64, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_STRING } },
    [SIGNAL_DID_DELIVER_FILE] = { "did-deliver-file", 1, { G_TYPE_INT64 } },
    [SIGNAL_DID_NOT_DELIVER_FILE] = { "did-not-deliver-file", 3, { G_TYPE_INT64, G_TYPE_INT, G_TYPE_STRING } },
    [SIGNAL_WILL_END] = { "will-end", 1, { G_TYPE_INT64 } },
    [SIGNAL_DID_END] = { "did-end", 1, { G_TYPE_INT64 } },
    [SIGNAL_PROGRESS] = { "progress", 3, { G_TYPE_INT64, G_TYPE_UINT64, G_TYPE_UINT64 } },
  };

  object_class->get_property = sips_file_transfer_get_property;
  object_class->dispose = sips_file_transfer_dispose;
  object_class->finalize = sips_file_transfer_finalize;

  properties[PROP_DIRECTION] = g_param_spec_string ("direction", NULL, NULL, "", ro);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "", ro);
  properties[PROP_SESSION] = g_param_spec_object ("session", NULL, NULL, SIPS_TYPE_SESSION, ro);
  properties[PROP_REMOTE_URI] = g_param_spec_string ("remote-uri", NULL, NULL, "", ro);
  properties[PROP_FILE_NAME] = g_param_spec_string ("file-name", NULL, NULL, "", ro);
  properties[PROP_FILE_PATH] = g_param_spec_string ("file-path", NULL, NULL, "", ro);
  properties[PROP_FILE_SIZE] = g_param_spec_uint64 ("file-size", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_CONTENT_TYPE] = g_param_spec_string ("content-type", NULL, NULL, "", ro);
  properties[PROP_HASH] = g_param_spec_string ("hash", NULL, NULL, "", ro);
  properties[PROP_BYTES_TRANSFERRED] =
    g_param_spec_uint64 ("bytes-transferred", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  for (guint i = 0; i < N_SIGNALS; i++)
    signals[i] = g_signal_newv (defs[i].name, G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                NULL, NULL, NULL, NULL, G_TYPE_NONE, defs[i].n_params,
                                (GType *) defs[i].params);
}

static void
sips_file_transfer_init (SipsFileTransfer *self)
{
  self->fd = -1;
  self->tmp_fd = -1;
  self->offered_size = -1;
}
