/* sips-file-transfer-offer.c: how a file transfer starts: SendFile (the file checked,
 * its type guessed, its SHA-1 computed in a worker thread, then the INVITE with
 * a=sendonly, a=file-selector, a=file-transfer-id and a=file-date), and an incoming
 * offer (its selector read, the name from the wire sanitised; Accept answers a=recvonly
 * into a hidden temporary file in the target directory). */
#include "sips-file-transfer-private.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <gio/gio.h>

#include "core/sips-error.h"
#include "msrp/sips-file-hash.h"
#include "msrp/sips-file-name.h"
#include "msrp/sips-file-selector.h"
#include "msrp/sips-msrp-message.h"
#include "sips-sdp.h"
#include "sips-session-chat.h"
#include "sips-session-private.h"
#include "sips-session-sip-private.h"

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

      sips_file_transfer_fail (self, SIPS_FILE_TRANSFER_FAILED, 0, reason);
      return;
    }
  sips_file_transfer_set_string (self, &self->hash, hash, PROP_HASH);
  sdp = outgoing_sdp (self);
  sips_session_chat_set_file_sdp (sips_session_get_sip (self->session)->chat, sdp);
  if (!sips_session_connect (self->session, self->remote_uri, self->account, "", FALSE, TRUE,
                             &error))
    sips_file_transfer_fail (self, SIPS_FILE_TRANSFER_FAILED, 0, error->message);
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
  sips_file_transfer_watch_session (self, session);
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
  sips_file_transfer_watch_session (self, session);
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
                   _("Accept is not allowed in state %s"), sips_file_transfer_state_names[self->state]);
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
      sips_file_transfer_drop_stream (self);
      sips_file_transfer_drop_temp_file (self);
      return FALSE;
    }
  if (!self->over)
    sips_file_transfer_set_state (self, SIPS_FILE_TRANSFER_CONNECTING);
  return TRUE;
}
