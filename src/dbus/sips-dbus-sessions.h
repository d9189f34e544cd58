/* sips-dbus-sessions.h: SessionManager1 and the Session1 objects */
#pragma once

#include <gio/gio.h>
#include "engine/sips-engine.h"
#include "sips-dbus-bridge.h"

typedef struct _SipsDbusExporter SipsDbusExporter;

G_BEGIN_DECLS

typedef struct _SipsDbusSessionsExport SipsDbusSessionsExport;

/* Exports /org/sipsimple/SessionManager and one /org/sipsimple/Session/<n> per session of
 * the engine's session manager, for as long as the manager holds it. The exporter names
 * accounts (Session1.Account, New's account argument). */
SipsDbusSessionsExport *sips_dbus_sessions_export_new     (GDBusObjectManagerServer *server,
                                                           SipsEngine               *engine,
                                                           SipsDbusExporter         *exporter);
void                    sips_dbus_sessions_export_free    (SipsDbusSessionsExport   *self);
const char             *sips_dbus_sessions_export_path_of (SipsDbusSessionsExport   *self,
                                                           gpointer                  session);

G_END_DECLS
