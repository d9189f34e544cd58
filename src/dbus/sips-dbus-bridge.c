/* sips-dbus-bridge.c: generic glue between model GObjects and gdbus-codegen skeletons */
#include "sips-dbus-bridge.h"

#include <glib/gi18n.h>
#include <string.h>
#include "sips-dbus-errors.h"

typedef struct {
  GClosure                closure;
  GDBusInterfaceSkeleton *skeleton;  /* not owned: the closure is removed before it goes */
  guint                   signal_id; /* on the skeleton */
} ForwardClosure;

typedef struct {
  SipsDbusWriteFunc func;
  gpointer          user_data;
} Writer;

static GQuark
model_quark (void)
{
  return g_quark_from_static_string ("sips-dbus-model");
}

static GQuark
writer_quark (void)
{
  return g_quark_from_static_string ("sips-dbus-writer");
}

static GQuark
vtable_quark (void)
{
  return g_quark_from_static_string ("sips-dbus-writable-vtable");
}

/* ---- properties ---- */

/* "SipUdpPort" and "sip-udp-port" are the same name once dashes and case are ignored */
static gboolean
names_match (const char *dbus_name, const char *prop_name)
{
  for (;; dbus_name++, prop_name++)
    {
      if (*prop_name == '-')
        prop_name++;
      if (g_ascii_tolower (*dbus_name) != g_ascii_tolower (*prop_name))
        return FALSE;
      if (*dbus_name == '\0')
        return TRUE;
    }
}

void
sips_dbus_skeleton_set_model (GDBusInterfaceSkeleton *skeleton, gpointer model)
{
  g_object_set_qdata (G_OBJECT (skeleton), model_quark (), model);
}

gpointer
sips_dbus_skeleton_get_model (GDBusInterfaceSkeleton *skeleton)
{
  return g_object_get_qdata (G_OBJECT (skeleton), model_quark ());
}

GParamSpec *
sips_dbus_find_property (GDBusInterfaceSkeleton *skeleton, const char *dbus_name)
{
  guint n_pspecs = 0;
  g_autofree GParamSpec **pspecs =
    g_object_class_list_properties (G_OBJECT_GET_CLASS (skeleton), &n_pspecs);

  for (guint i = 0; i < n_pspecs; i++)
    if (names_match (dbus_name, pspecs[i]->name))
      return pspecs[i];
  return NULL;
}

void
sips_dbus_set_from_variant (GDBusInterfaceSkeleton *skeleton, const char *dbus_name, GVariant *value)
{
  GParamSpec *pspec = sips_dbus_find_property (skeleton, dbus_name);
  g_auto(GValue) gvalue = G_VALUE_INIT;

  g_return_if_fail (pspec != NULL);

  g_dbus_gvariant_to_gvalue (value, &gvalue);
  g_object_set_property (G_OBJECT (skeleton), pspec->name, &gvalue);
}

/* One "notify" handler per exported object instead of a GBinding per property: a
 * session has some 25 properties, and at hundreds of calls a second (and sessions
 * lingering after they end) the bindings' objects, closures and weak references were
 * the largest part of what an exported session costs. */
typedef struct {
  GParamSpec *target;   /* the skeleton's property */
  gboolean    to_path;  /* an object shown as its object path ('o') */
} PropMap;

typedef struct {
  GHashTable      *map;        /* model GParamSpec* -> PropMap* (per class, never freed) */
  SipsDbusPathFunc path_func;
  gpointer         path_data;
} BindInfo;

static GQuark
bind_quark (void)
{
  return g_quark_from_static_string ("sips-dbus-bind");
}

static void
copy_property (GObject *model, GParamSpec *pspec, const PropMap *map, GObject *skeleton,
               const BindInfo *info)
{
  g_auto(GValue) from = G_VALUE_INIT;
  g_auto(GValue) to = G_VALUE_INIT;

  g_value_init (&from, pspec->value_type);
  g_object_get_property (model, pspec->name, &from);
  g_value_init (&to, map->target->value_type);
  if (map->to_path)
    {
      GObject *object = g_value_get_object (&from);

      g_value_set_string (&to, object != NULL ? info->path_func (object, info->path_data) : "/");
    }
  else if (!g_value_transform (&from, &to))
    return;
  g_object_set_property (skeleton, map->target->name, &to);
}

static void
on_model_notify (GObject *model, GParamSpec *pspec, gpointer user_data)
{
  GObject *skeleton = user_data;
  const BindInfo *info = g_object_get_qdata (skeleton, bind_quark ());
  const PropMap *map;

  if (info == NULL || (map = g_hash_table_lookup (info->map, pspec)) == NULL)
    return;
  copy_property (model, pspec, map, skeleton, info);
}

/* The model's properties that iface_type also has, worked out once per (class, interface). */
static GHashTable *
property_map (GType model_type, GType iface_type)
{
  g_autofree char *name = g_strdup_printf ("sips-dbus-map-%s", g_type_name (iface_type));
  GQuark quark = g_quark_from_string (name);
  GHashTable *map = g_type_get_qdata (model_type, quark);
  GObjectClass *model_class;
  gpointer iface;
  guint n_pspecs = 0;
  g_autofree GParamSpec **pspecs = NULL;

  if (map != NULL)
    return map;
  map = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  model_class = g_type_class_ref (model_type);
  iface = g_type_default_interface_ref (iface_type);
  pspecs = g_object_interface_list_properties (iface, &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *model_pspec = g_object_class_find_property (model_class, pspecs[i]->name);
      PropMap *entry;

      if (model_pspec == NULL)
        continue;
      entry = g_new0 (PropMap, 1);
      entry->target = pspecs[i];
      entry->to_path = g_type_is_a (model_pspec->value_type, G_TYPE_OBJECT) &&
                       pspecs[i]->value_type == G_TYPE_STRING;
      if (!entry->to_path && !g_value_type_transformable (model_pspec->value_type, pspecs[i]->value_type))
        {
          g_critical ("%s:%s has type %s, the D-Bus property wants %s", g_type_name (model_type),
                      pspecs[i]->name, g_type_name (model_pspec->value_type),
                      g_type_name (pspecs[i]->value_type));
          g_free (entry);
          continue;
        }
      g_hash_table_insert (map, model_pspec, entry);
    }
  /* the interface and the class stay referenced: the map points into their pspecs */
  g_type_set_qdata (model_type, quark, map);
  return map;
}

void
sips_dbus_bind_properties (GObject *model, GDBusInterfaceSkeleton *skeleton, GType iface_type,
                           SipsDbusPathFunc path_func, gpointer path_data)
{
  BindInfo *info = g_new0 (BindInfo, 1);
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (g_object_get_qdata (G_OBJECT (skeleton), bind_quark ()) == NULL);

  info->map = property_map (G_OBJECT_TYPE (model), iface_type);
  info->path_func = path_func;
  info->path_data = path_data;
  g_hash_table_iter_init (&iter, info->map);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_return_if_fail (path_func != NULL || !((PropMap *) value)->to_path);
  g_object_set_qdata_full (G_OBJECT (skeleton), bind_quark (), info, g_free);
  /* gone with the skeleton, as the bindings were */
  g_signal_connect_object (model, "notify", G_CALLBACK (on_model_notify), skeleton, 0);
  g_hash_table_iter_init (&iter, info->map);
  while (g_hash_table_iter_next (&iter, &key, &value))
    copy_property (model, key, value, G_OBJECT (skeleton), info);
}

/* ---- signals ---- */

static void
on_forward_marshal (GClosure     *closure,
                    GValue       *return_value,
                    guint         n_param_values,
                    const GValue *param_values,
                    gpointer      invocation_hint,
                    gpointer      marshal_data)
{
  ForwardClosure *forward = (ForwardClosure *) closure;
  g_autofree GValue *args = g_new0 (GValue, n_param_values);

  /* Same arguments, the skeleton as the instance; the rest are only read. */
  g_value_init (&args[0], G_TYPE_OBJECT);
  g_value_set_object (&args[0], forward->skeleton);
  for (guint i = 1; i < n_param_values; i++)
    args[i] = param_values[i];

  g_signal_emitv (args, forward->signal_id, 0, NULL);
  g_value_unset (&args[0]);
}

static gboolean
same_signature (const GSignalQuery *a, const GSignalQuery *b)
{
  if (a->n_params != b->n_params)
    return FALSE;
  for (guint i = 0; i < a->n_params; i++)
    if ((a->param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE) != (b->param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE))
      return FALSE;
  return TRUE;
}

void
sips_dbus_forward_signals (GObject *model, GDBusInterfaceSkeleton *skeleton, GType iface_type)
{
  guint n_ids = 0;
  g_autofree guint *ids = g_signal_list_ids (iface_type, &n_ids);

  for (guint i = 0; i < n_ids; i++)
    {
      GSignalQuery target, source;
      guint model_id;
      ForwardClosure *forward;

      g_signal_query (ids[i], &target);
      if (g_str_has_prefix (target.signal_name, "handle-"))
        continue;  /* method invocations, not signals of the contract */

      model_id = g_signal_lookup (target.signal_name, G_OBJECT_TYPE (model));
      if (model_id == 0)
        continue;
      g_signal_query (model_id, &source);
      if (!same_signature (&source, &target))
        {
          g_critical ("Signal %s::%s does not have the arguments of its D-Bus signal",
                      G_OBJECT_TYPE_NAME (model), target.signal_name);
          continue;
        }

      forward = (ForwardClosure *) g_closure_new_simple (sizeof (ForwardClosure), skeleton);
      forward->skeleton = skeleton;
      forward->signal_id = ids[i];
      g_closure_set_marshal (&forward->closure, on_forward_marshal);
      g_signal_connect_closure_by_id (model, model_id, 0, &forward->closure, FALSE);
    }
}

void
sips_dbus_unforward_signals (GObject *model, GDBusInterfaceSkeleton *skeleton)
{
  g_signal_handlers_disconnect_matched (model, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, skeleton);
}

/* ---- configuration sections ---- */

typedef struct {
  GDBusInterfaceSkeleton *skeleton;
  GStrv                   skip;
} SectionSync;

static void
section_sync_free (gpointer data, GClosure *closure)
{
  SectionSync *sync = data;

  if (sync->skeleton != NULL)
    g_object_remove_weak_pointer (G_OBJECT (sync->skeleton), (gpointer *) &sync->skeleton);
  g_strfreev (sync->skip);
  g_free (sync);
}

static void
sync_key (SipsConfigSection *section, const char *name, SectionSync *sync)
{
  g_autoptr(GVariant) value = NULL;

  if (sync->skeleton == NULL)
    return;
  if (sync->skip != NULL && g_strv_contains ((const char * const *) sync->skip, name))
    return;
  if (sips_dbus_find_property (sync->skeleton, name) == NULL)
    return;
  value = sips_config_section_get_public (section, name);
  sips_dbus_set_from_variant (sync->skeleton, name, value);
}

static void
on_section_changed (SipsConfigSection *section, const char *name, gpointer user_data)
{
  sync_key (section, name, user_data);
}

void
sips_dbus_sync_section (SipsConfigSection *section, GDBusInterfaceSkeleton *skeleton,
                        const char * const *skip)
{
  SectionSync *sync = g_new0 (SectionSync, 1);
  const SipsConfigKey *keys;
  gsize n_keys;

  sync->skeleton = skeleton;
  sync->skip = g_strdupv ((char **) skip);

  keys = sips_config_section_get_keys (section, &n_keys);
  for (gsize i = 0; i < n_keys; i++)
    sync_key (section, keys[i].name, sync);

  /* A weak pointer: a change after the skeleton is gone (account removed) is harmless. */
  g_object_add_weak_pointer (G_OBJECT (skeleton), (gpointer *) &sync->skeleton);
  g_signal_connect_data (section, "changed", G_CALLBACK (on_section_changed), sync,
                         section_sync_free, 0);
}

gboolean
sips_dbus_write_section (GDBusInterfaceSkeleton *skeleton, const char *property,
                         GVariant *value, gpointer section, GError **error)
{
  return sips_config_section_set (section, property, value, error);
}

static gboolean
on_writable_set_property (GDBusConnection *connection,
                          const char      *sender,
                          const char      *object_path,
                          const char      *interface_name,
                          const char      *property_name,
                          GVariant        *value,
                          GError         **error,
                          gpointer         user_data)
{
  Writer *writer = g_object_get_qdata (G_OBJECT (user_data), writer_quark ());

  if (writer == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                   _("Property %s cannot be written"), property_name);
      return FALSE;
    }
  return writer->func (user_data, property_name, value, writer->user_data, error);
}

static GDBusInterfaceVTable *
writable_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  GType type = G_OBJECT_TYPE (skeleton);
  GDBusInterfaceVTable *vtable = g_type_get_qdata (type, vtable_quark ());

  if (vtable == NULL)
    {
      GDBusInterfaceSkeletonClass *parent =
        g_type_class_peek_parent (G_OBJECT_GET_CLASS (skeleton));

      /* Kept for the life of the process, like the type itself. */
      vtable = g_memdup2 (parent->get_vtable (skeleton), sizeof (GDBusInterfaceVTable));
      vtable->set_property = on_writable_set_property;
      g_type_set_qdata (type, vtable_quark (), vtable);
    }
  return vtable;
}

static void
writable_class_init (gpointer klass, gpointer class_data)
{
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_vtable = writable_get_vtable;
}

GType
sips_dbus_writable_type (GType skeleton_type)
{
  g_autofree char *name = g_strconcat ("SipsWritable", g_type_name (skeleton_type), NULL);
  GType type = g_type_from_name (name);
  GTypeQuery query;

  if (type != 0)
    return type;

  g_type_query (skeleton_type, &query);
  return g_type_register_static_simple (skeleton_type, g_intern_string (name),
                                        query.class_size, writable_class_init,
                                        query.instance_size, NULL, 0);
}

void
sips_dbus_skeleton_set_write_func (GDBusInterfaceSkeleton *skeleton, SipsDbusWriteFunc func,
                                   gpointer user_data)
{
  Writer *writer = g_new (Writer, 1);

  writer->func = func;
  writer->user_data = user_data;
  g_object_set_qdata_full (G_OBJECT (skeleton), writer_quark (), writer, g_free);
}

/* ---- methods ---- */

static gboolean
on_handle_void_method (GDBusInterfaceSkeleton *skeleton,
                       GDBusMethodInvocation  *invocation,
                       gpointer                user_data)
{
  const SipsDbusVoidMethod *method = user_data;
  g_autoptr(GError) error = NULL;

  if (!method->func (sips_dbus_skeleton_get_model (skeleton), &error))
    return sips_dbus_return_error (invocation, error);

  g_dbus_method_invocation_return_value (invocation, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
sips_dbus_connect_void_methods (GDBusInterfaceSkeleton   *skeleton,
                                const SipsDbusVoidMethod *methods,
                                gsize                     n_methods)
{
  for (gsize i = 0; i < n_methods; i++)
    g_signal_connect (skeleton, methods[i].signal, G_CALLBACK (on_handle_void_method),
                      (gpointer) &methods[i]);
}
