/* sips-dbus-bridge.h: generic glue between model GObjects and gdbus-codegen skeletons.
 *
 * The model names its properties and signals after the contract (kebab-case of the
 * D-Bus names, same argument types), so the glue is by name: properties are bound,
 * signals re-emitted on the skeleton (whose default handler puts them on the bus). */
#pragma once

#include <gio/gio.h>
#include "config/sips-config-section.h"

G_BEGIN_DECLS

/* Maps a model object to its object path ("/" for none); used for 'o' properties. */
typedef const char *(*SipsDbusPathFunc) (GObject *model_object, gpointer user_data);

/* The model object behind a skeleton (a plain reference-free association). */
void      sips_dbus_skeleton_set_model (GDBusInterfaceSkeleton *skeleton, gpointer model);
gpointer  sips_dbus_skeleton_get_model (GDBusInterfaceSkeleton *skeleton);

/* The skeleton's GObject property for a D-Bus property name ("SipUdpPort" -> "sip-udp-port"). */
GParamSpec *sips_dbus_find_property (GDBusInterfaceSkeleton *skeleton, const char *dbus_name);
/* Sets a skeleton property from a GVariant of its D-Bus type (PropertiesChanged follows). */
void        sips_dbus_set_from_variant (GDBusInterfaceSkeleton *skeleton, const char *dbus_name,
                                        GVariant *value);

/* Binds every property of iface_type that the model also has (model -> skeleton, synced
 * at once). Object-valued model properties shown as 'o' go through path_func. */
void sips_dbus_bind_properties (GObject *model, GDBusInterfaceSkeleton *skeleton, GType iface_type,
                                SipsDbusPathFunc path_func, gpointer path_data);

/* Re-emits every signal of iface_type that the model has with the same name and
 * argument types on the skeleton. A model signal whose types differ is a bug (critical). */
void sips_dbus_forward_signals (GObject *model, GDBusInterfaceSkeleton *skeleton, GType iface_type);
/* Undoes forward_signals (before the skeleton is dropped). */
void sips_dbus_unforward_signals (GObject *model, GDBusInterfaceSkeleton *skeleton);

/* Keeps the skeleton's properties equal to the section's public values (every key of the
 * section except those in skip). */
void sips_dbus_sync_section (SipsConfigSection *section, GDBusInterfaceSkeleton *skeleton,
                             const char * const *skip);

/* org.freedesktop.DBus.Properties.Set on codegen skeletons cannot fail; these make it go
 * through a write function that validates and may refuse with a GError. */
typedef gboolean (*SipsDbusWriteFunc) (GDBusInterfaceSkeleton *skeleton, const char *property,
                                       GVariant *value, gpointer user_data, GError **error);
/* A subclass of skeleton_type (created once) whose property writes call the write func. */
GType sips_dbus_writable_type (GType skeleton_type);
void  sips_dbus_skeleton_set_write_func (GDBusInterfaceSkeleton *skeleton, SipsDbusWriteFunc func,
                                         gpointer user_data);
/* A ready SipsDbusWriteFunc: user_data is a SipsConfigSection. */
gboolean sips_dbus_write_section (GDBusInterfaceSkeleton *skeleton, const char *property,
                                  GVariant *value, gpointer section, GError **error);

/* Methods without arguments or results that map onto `gboolean f (model, GError **)`. */
typedef gboolean (*SipsDbusVoidFunc) (gpointer model, GError **error);
typedef struct {
  const char       *signal;  /* the skeleton's "handle-..." signal */
  SipsDbusVoidFunc  func;
} SipsDbusVoidMethod;
void sips_dbus_connect_void_methods (GDBusInterfaceSkeleton   *skeleton,
                                     const SipsDbusVoidMethod *methods,
                                     gsize                     n_methods);

G_END_DECLS
