/* sips-dbus-transfers.h: the MSRPFileTransfer1 objects (/org/sipsimple/FileTransfer/<n>)
 * and SessionManager1's SendFile / IncomingFileTransfer */
#pragma once

#include <gio/gio.h>
#include "sips-dbus-bridge.h"
#include "sips-dbus-generated.h"
#include "session/sips-session-manager.h"

G_BEGIN_DECLS

typedef struct _SipsDbusTransfersExport SipsDbusTransfersExport;
typedef struct _SipsDbusExporter SipsDbusExporter;

/* Exports one object per transfer the manager holds (until its linger time is over),
 * answers SendFile on manager_skeleton and emits IncomingFileTransfer there. */
SipsDbusTransfersExport *sips_dbus_transfers_export_new     (GDBusObjectManagerServer *server,
                                                             SipsSessionManager       *manager,
                                                             SipsDbusSessionManager1  *manager_skeleton,
                                                             SipsDbusExporter         *exporter);
void                     sips_dbus_transfers_export_free    (SipsDbusTransfersExport  *self);
const char              *sips_dbus_transfers_export_path_of (SipsDbusTransfersExport  *self,
                                                             gpointer                  transfer);

G_END_DECLS
