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
#include "sips-file-transfer-private.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "core/sips-error.h"
#include "msrp/sips-file-name.h"
#include "msrp/sips-msrp-message.h"

#define PROGRESS_INTERVAL_US (100 * 1000)
/* after GotFile the sender hangs up; if it does not, we do */
#define RECEIVER_HANGUP_S    2
/* a receiver that fails answers the chunk with its status and hangs up: its BYE can
 * overtake that answer (another connection); the sender waits this long for it */
#define SENDER_GRACE_MS      1000

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];


G_DEFINE_FINAL_TYPE (SipsFileTransfer, sips_file_transfer, G_TYPE_OBJECT)

const char *const sips_file_transfer_state_names[] = {
  "offered", "connecting", "transferring", "completed", "failed", "cancelled",
};

/* ---- state and signals ---- */

void
sips_file_transfer_set_state (SipsFileTransfer *self, SipsFileTransferState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
sips_file_transfer_set_string (SipsFileTransfer *self, char **field, const char *value,
                               guint prop)
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
  sips_file_transfer_set_state (self, SIPS_FILE_TRANSFER_TRANSFERRING);
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

void
sips_file_transfer_drop_stream (SipsFileTransfer *self)
{
  g_clear_pointer (&self->sender, sips_msrp_file_sender_free);
  g_clear_pointer (&self->receiver, sips_msrp_file_receiver_free);
  if (self->chat != NULL)
    g_signal_handlers_disconnect_by_data (self->chat, self);
  g_clear_object (&self->chat);
}

/* No partial file is ever left. */
void
sips_file_transfer_drop_temp_file (SipsFileTransfer *self)
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
  g_clear_handle_id (&self->grace_id, g_source_remove);
  sips_file_transfer_drop_stream (self);
  sips_file_transfer_drop_temp_file (self);
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
}

void
sips_file_transfer_fail (SipsFileTransfer *self, SipsFileTransferState state, int code,
                         const char *reason)
{
  if (self->over)
    return;
  g_object_ref (self);
  self->over = TRUE;
  g_message ("File transfer %s %s: %s", self->outgoing ? "to" : "from", self->remote_uri, reason);
  release (self);
  sips_file_transfer_set_state (self, state);
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

/* The session ended before the transfer did: its failure, or the peer's hang-up. */
static void
fail_for_session_end (SipsFileTransfer *self)
{
  g_autofree char *reason = NULL;

  g_clear_handle_id (&self->grace_id, g_source_remove);
  if (self->session_reason != NULL)
    reason = g_strdup (self->session_reason);
  else
    reason = g_strdup (self->remote_ended ? _("The remote party ended the transfer")
                                          : _("The session ended"));
  sips_file_transfer_fail (self, self->remote_ended && self->session_code == 0
                                 ? SIPS_FILE_TRANSFER_CANCELLED : SIPS_FILE_TRANSFER_FAILED,
                           self->session_code, reason);
}

static gboolean
on_grace_over (gpointer user_data)
{
  SipsFileTransfer *self = user_data;

  self->grace_id = 0;
  fail_for_session_end (self);
  return G_SOURCE_REMOVE;
}

/* ---- the MSRP side ---- */

static void
on_msrp_done (guint status, const char *reason, gpointer user_data)
{
  SipsFileTransfer *self = user_data;
  g_autofree char *why = NULL;

  if (self->over)
    return;
  if (self->grace_id != 0 && (status == SIPS_MSRP_STATUS_REQUEST_TIMEOUT ||
                              status == SIPS_MSRP_STATUS_NO_SUCH_SESSION ||
                              status == SIPS_MSRP_STATUS_UNSUPPORTED_MEDIA))
    {
      /* no answer, or what the peer's chat or connection says once its transfer is gone
       * (its cancel): not a status of the transfer; the hang-up says it */
      fail_for_session_end (self);
      return;
    }
  if (self->outgoing && status == 200)
    {
      g_object_ref (self);
      self->moved = self->file_size;
      sips_file_transfer_set_state (self, SIPS_FILE_TRANSFER_COMPLETED);
      emit_progress (self);
      g_signal_emit (self, signals[SIGNAL_DID_DELIVER_FILE], 0, g_get_real_time ());
      /* we hang up; the session's end is ours */
      end_normally (self);
      g_object_unref (self);
      return;
    }
  why = status != 0 ? g_strdup_printf ("%u %s", status, reason) : g_strdup (reason);
  sips_file_transfer_fail (self, SIPS_FILE_TRANSFER_FAILED, (int) status, why);
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
  sips_file_transfer_set_string (self, &self->hash, sips_msrp_file_receiver_get_hash (self->receiver), PROP_HASH);
  sips_file_transfer_set_string (self, &self->file_path, path, PROP_FILE_PATH);
  sips_file_transfer_set_state (self, SIPS_FILE_TRANSFER_COMPLETED);
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
  sips_file_transfer_drop_stream (self);
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

  if (self->over || self->grace_id != 0)
    return;
  if (self->state == SIPS_FILE_TRANSFER_COMPLETED)
    {
      end_normally (self);
      return;
    }
  self->remote_ended = g_strcmp0 (originator, "remote") == 0;
  if (self->remote_ended && self->sender != NULL && self->session_code == 0 &&
      self->state == SIPS_FILE_TRANSFER_TRANSFERRING)
    {
      /* its status (or success REPORT) may still be on the way: on_msrp_done */
      self->grace_id = g_timeout_add (SENDER_GRACE_MS, on_grace_over, self);
      return;
    }
  fail_for_session_end (self);
}

void
sips_file_transfer_watch_session (SipsFileTransfer *self, SipsSession *session)
{
  self->session = g_object_ref (session);
  g_signal_connect (session, "notify::chat-transport", G_CALLBACK (on_chat_transport), self);
  g_signal_connect (session, "did-fail", G_CALLBACK (on_session_did_fail), self);
  g_signal_connect (session, "did-end", G_CALLBACK (on_session_did_end), self);
}

gboolean
sips_file_transfer_reject (SipsFileTransfer *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_FILE_TRANSFER (self), FALSE);

  if (self->state != SIPS_FILE_TRANSFER_OFFERED || self->over)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("Reject is not allowed in state %s"), sips_file_transfer_state_names[self->state]);
      return FALSE;
    }
  sips_file_transfer_set_state (self, SIPS_FILE_TRANSFER_CANCELLED);
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
                   _("Cancel is not allowed in state %s"), sips_file_transfer_state_names[self->state]);
      return FALSE;
    }
  sips_file_transfer_fail (self, SIPS_FILE_TRANSFER_CANCELLED, 0, _("Cancelled"));
  return TRUE;
}

void
sips_file_transfer_abort (SipsFileTransfer *self, const char *reason)
{
  g_return_if_fail (SIPS_IS_FILE_TRANSFER (self));

  if (self->state == SIPS_FILE_TRANSFER_COMPLETED)
    end_normally (self);
  else
    sips_file_transfer_fail (self, SIPS_FILE_TRANSFER_CANCELLED, 0, reason);
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
      g_value_set_string (value, sips_file_transfer_state_names[self->state]);
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
