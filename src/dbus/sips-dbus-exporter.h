/* sips-dbus-exporter.h: puts the engine's objects on a bus under /org/sipsimple */
#pragma once

#include <gio/gio.h>
#include "engine/sips-engine.h"

G_BEGIN_DECLS

#define SIPS_DBUS_ROOT_PATH "/org/sipsimple"

#define SIPS_TYPE_DBUS_EXPORTER (sips_dbus_exporter_get_type ())
G_DECLARE_FINAL_TYPE (SipsDbusExporter, sips_dbus_exporter, SIPS, DBUS_EXPORTER, GObject)

/* Exports every object of the contract that exists without a call (SessionManager, the
 * three configuration objects, Settings, the accounts) and follows the engine from then
 * on (accounts and sessions come and go through the ObjectManager). */
SipsDbusExporter *sips_dbus_exporter_new      (SipsEngine       *engine,
                                               GDBusConnection  *connection);
void              sips_dbus_exporter_unexport (SipsDbusExporter *self);

/* The object path of a model object (account, session), or "/" if it has none. */
const char       *sips_dbus_exporter_path_of  (SipsDbusExporter *self,
                                               gpointer          model_object);

/* The account an 'o' argument names; "/" is the default account. NotFound otherwise. */
SipsAccount      *sips_dbus_exporter_lookup_account (SipsDbusExporter *self,
                                                     const char       *path,
                                                     GError          **error);

G_END_DECLS
