/* sips-dbus-presence.h: the Subscription1 and Publication1 objects of every account */
#pragma once

#include <gio/gio.h>
#include "account/sips-account.h"

G_BEGIN_DECLS

typedef struct _SipsDbusExporter SipsDbusExporter;
typedef struct _SipsDbusPresenceExport SipsDbusPresenceExport;

SipsDbusPresenceExport *sips_dbus_presence_export_new  (GDBusObjectManagerServer *server,
                                                        SipsDbusExporter         *exporter);
void                    sips_dbus_presence_export_free (SipsDbusPresenceExport *self);

/* Exports the account's subscriptions and publications from now on (and those it has). */
void sips_dbus_presence_export_watch   (SipsDbusPresenceExport *self, SipsAccount *account);
/* The account goes: its objects leave the bus with it. */
void sips_dbus_presence_export_unwatch (SipsDbusPresenceExport *self, SipsAccount *account);

/* /org/sipsimple/Subscription/N or /Publication/N, NULL if not exported. */
const char *sips_dbus_presence_export_path_of (SipsDbusPresenceExport *self, gpointer object);

G_END_DECLS
