/* sips-dbus-transfers.c: the MSRPFileTransfer1 objects and SessionManager1.SendFile
 *
 * One object per SipsFileTransfer of the session manager, from "file-transfer-added"
 * (SendFile's or an incoming offer's, which is announced by IncomingFileTransfer once
 * exported) to "file-transfer-removed" (the linger time after DidEnd). */
#include "sips-dbus-transfers.h"

#include "sips-dbus-errors.h"
#include "sips-dbus-exporter.h"

#define TRANSFER_PATH_PREFIX "/org/sipsimple/FileTransfer/"

typedef struct {
  SipsFileTransfer       *transfer;
  char                   *path;
  GDBusObjectSkeleton    *object;
  GDBusInterfaceSkeleton *skeleton;
} TransferExport;

struct _SipsDbusTransfersExport {
  GDBusObjectManagerServer *server;
  SipsSessionManager       *manager;
  SipsDbusSessionManager1  *manager_skeleton;
  SipsDbusExporter         *exporter;
  GHashTable               *exports;   /* SipsFileTransfer* -> TransferExport* */
  guint                     next;
};

static const char *
on_path_of (GObject *model_object, gpointer user_data)
{
  return sips_dbus_exporter_path_of (user_data, model_object);
}

static void
transfer_export_free (gpointer data)
{
  TransferExport *export = data;

  sips_dbus_unforward_signals (G_OBJECT (export->transfer), export->skeleton);
  g_clear_object (&export->skeleton);
  g_clear_object (&export->object);
  g_clear_object (&export->transfer);
  g_free (export->path);
  g_free (export);
}

/* ---- MSRPFileTransfer1 methods ---- */

static gboolean
on_handle_accept (SipsDbusMSRPFileTransfer1 *skeleton, GDBusMethodInvocation *invocation,
                  const char *directory, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sips_file_transfer_accept (sips_dbus_skeleton_get_model (G_DBUS_INTERFACE_SKELETON (skeleton)),
                                  directory, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_msrpfile_transfer1_complete_accept (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static const SipsDbusVoidMethod transfer_void_methods[] = {
  { "handle-reject", (SipsDbusVoidFunc) sips_file_transfer_reject },
  { "handle-cancel", (SipsDbusVoidFunc) sips_file_transfer_cancel },
};

/* ---- the objects ---- */

static void
on_transfer_added (SipsSessionManager *manager, SipsFileTransfer *transfer, gpointer user_data)
{
  SipsDbusTransfersExport *self = user_data;
  TransferExport *export = g_new0 (TransferExport, 1);

  export->transfer = g_object_ref (transfer);
  export->path = g_strdup_printf (TRANSFER_PATH_PREFIX "%u", self->next++);
  export->skeleton = G_DBUS_INTERFACE_SKELETON (sips_dbus_msrpfile_transfer1_skeleton_new ());
  g_hash_table_insert (self->exports, transfer, export);

  sips_dbus_skeleton_set_model (export->skeleton, transfer);
  sips_dbus_bind_properties (G_OBJECT (transfer), export->skeleton,
                             SIPS_DBUS_TYPE_MSRPFILE_TRANSFER1, on_path_of, self->exporter);
  sips_dbus_forward_signals (G_OBJECT (transfer), export->skeleton,
                             SIPS_DBUS_TYPE_MSRPFILE_TRANSFER1);
  sips_dbus_connect_void_methods (export->skeleton, transfer_void_methods,
                                  G_N_ELEMENTS (transfer_void_methods));
  g_signal_connect (export->skeleton, "handle-accept", G_CALLBACK (on_handle_accept), self);

  export->object = g_dbus_object_skeleton_new (export->path);
  g_dbus_object_skeleton_add_interface (export->object, export->skeleton);
  g_dbus_object_manager_server_export (self->server, export->object);
  if (sips_file_transfer_is_incoming (transfer))
    sips_dbus_session_manager1_emit_incoming_file_transfer (self->manager_skeleton,
                                                            g_get_real_time (), export->path);
}

static void
on_transfer_removed (SipsSessionManager *manager, SipsFileTransfer *transfer, gpointer user_data)
{
  SipsDbusTransfersExport *self = user_data;
  TransferExport *export = g_hash_table_lookup (self->exports, transfer);

  if (export == NULL)
    return;
  g_dbus_object_manager_server_unexport (self->server, export->path);
  g_hash_table_remove (self->exports, transfer);
}

/* ---- SessionManager1.SendFile ---- */

static gboolean
on_handle_send_file (SipsDbusSessionManager1 *skeleton, GDBusMethodInvocation *invocation,
                     const char *account_path, const char *to_uri, const char *file_path,
                     const char *content_type, gpointer user_data)
{
  SipsDbusTransfersExport *self = user_data;
  g_autoptr(GError) error = NULL;
  SipsAccount *account;
  SipsFileTransfer *transfer;

  if ((account = sips_dbus_exporter_lookup_account (self->exporter, account_path, &error)) == NULL)
    return sips_dbus_return_error (invocation, error);
  transfer = sips_session_manager_send_file (self->manager, account, to_uri, file_path,
                                             content_type, &error);
  if (transfer == NULL)
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session_manager1_complete_send_file (skeleton, invocation,
                                                 sips_dbus_transfers_export_path_of (self, transfer));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- public API ---- */

SipsDbusTransfersExport *
sips_dbus_transfers_export_new (GDBusObjectManagerServer *server, SipsSessionManager *manager,
                                SipsDbusSessionManager1 *manager_skeleton,
                                SipsDbusExporter *exporter)
{
  SipsDbusTransfersExport *self = g_new0 (SipsDbusTransfersExport, 1);
  g_autoptr(GPtrArray) existing = sips_session_manager_list_file_transfers (manager);

  self->server = g_object_ref (server);
  self->manager = g_object_ref (manager);
  self->manager_skeleton = g_object_ref (manager_skeleton);
  self->exporter = exporter;
  self->exports = g_hash_table_new_full (NULL, NULL, NULL, transfer_export_free);

  for (guint i = 0; i < existing->len; i++)
    on_transfer_added (manager, existing->pdata[i], self);
  g_signal_connect (manager, "file-transfer-added", G_CALLBACK (on_transfer_added), self);
  g_signal_connect (manager, "file-transfer-removed", G_CALLBACK (on_transfer_removed), self);
  g_signal_connect (manager_skeleton, "handle-send-file", G_CALLBACK (on_handle_send_file), self);
  return self;
}

void
sips_dbus_transfers_export_free (SipsDbusTransfersExport *self)
{
  GHashTableIter iter;
  TransferExport *export;

  if (self == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->manager, self);
  g_signal_handlers_disconnect_by_data (self->manager_skeleton, self);
  g_hash_table_iter_init (&iter, self->exports);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &export))
    g_dbus_object_manager_server_unexport (self->server, export->path);
  g_hash_table_unref (self->exports);
  g_clear_object (&self->manager_skeleton);
  g_clear_object (&self->manager);
  g_clear_object (&self->server);
  g_free (self);
}

const char *
sips_dbus_transfers_export_path_of (SipsDbusTransfersExport *self, gpointer transfer)
{
  TransferExport *export = g_hash_table_lookup (self->exports, transfer);

  return export != NULL ? export->path : NULL;
}
