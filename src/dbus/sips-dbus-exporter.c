/* sips-dbus-exporter.c: puts the engine's objects on a bus under /org/sipsimple */
#include "sips-dbus-exporter.h"

#include <string.h>
#include <glib/gi18n.h>
#include "sips-dbus-bridge.h"
#include "sips-dbus-errors.h"
#include "sips-dbus-generated.h"
#include "sips-dbus-presence.h"
#include "sips-dbus-sessions.h"
#include "config/sips-config-schema.h"
#include "core/sips-error.h"
#include "presence/sips-pager.h"

struct _SipsDbusExporter {
  GObject                   parent_instance;

  SipsEngine               *engine;
  GDBusConnection          *connection;
  GDBusObjectManagerServer *server;
  GHashTable               *paths;      /* model object -> object path (owned string) */
  guint                     next_account;

  SipsDbusSettings1        *settings;
  SipsDbusSessionsExport   *sessions;
  SipsDbusPresenceExport   *presence;
};

G_DEFINE_FINAL_TYPE (SipsDbusExporter, sips_dbus_exporter, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static const char *
on_path_of (GObject *model_object, gpointer user_data)
{
  return sips_dbus_exporter_path_of (user_data, model_object);
}

static GDBusObjectSkeleton *
export_object (SipsDbusExporter *self, const char *path, ...)
{
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (path);
  GDBusInterfaceSkeleton *iface;
  va_list args;

  va_start (args, path);
  while ((iface = va_arg (args, GDBusInterfaceSkeleton *)) != NULL)
    g_dbus_object_skeleton_add_interface (object, iface);
  va_end (args);

  g_dbus_object_manager_server_export (self->server, object);
  return g_steal_pointer (&object);
}

static void
update_accounts_property (SipsDbusExporter *self)
{
  GPtrArray *accounts = sips_engine_get_accounts (self->engine);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) paths = NULL;

  for (guint i = 0; i < accounts->len; i++)
    g_strv_builder_add (builder, sips_dbus_exporter_path_of (self, accounts->pdata[i]));
  paths = g_strv_builder_end (builder);
  sips_dbus_settings1_set_accounts (self->settings, (const char * const *) paths);
}

/* ---- configuration objects ---- */

static GDBusInterfaceSkeleton *
new_config_skeleton (GType skeleton_type, SipsConfigSection *section, const char * const *skip)
{
  GDBusInterfaceSkeleton *skeleton = g_object_new (sips_dbus_writable_type (skeleton_type), NULL);

  sips_dbus_sync_section (section, skeleton, skip);
  sips_dbus_skeleton_set_write_func (skeleton, sips_dbus_write_section, section);
  return skeleton;
}

static gboolean
on_handle_add_ringtone (SipsDbusRingtoneConfiguration1 *skeleton, GDBusMethodInvocation *invocation,
                        const char *sipuri, const char *ringtone, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sips_ringtone_config_add_ringtone_for_sipuri (sips_engine_get_ringtone_config (self->engine),
                                                     sipuri, ringtone, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_ringtone_configuration1_complete_add_ringtone_for_sipuri (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_remove_sipuri (SipsDbusRingtoneConfiguration1 *skeleton, GDBusMethodInvocation *invocation,
                         const char *sipuri, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sips_ringtone_config_remove_sipuri (sips_engine_get_ringtone_config (self->engine), sipuri, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_ringtone_configuration1_complete_remove_sipuri (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_get_ringtone (SipsDbusRingtoneConfiguration1 *skeleton, GDBusMethodInvocation *invocation,
                        const char *sipuri, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *ringtone =
    sips_ringtone_config_get_ringtone_for_sipuri (sips_engine_get_ringtone_config (self->engine),
                                                  sipuri, &error);

  if (ringtone == NULL)
    return sips_dbus_return_error (invocation, error);
  sips_dbus_ringtone_configuration1_complete_get_ringtone_for_sipuri (skeleton, invocation, ringtone);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
export_configuration (SipsDbusExporter *self)
{
  SipsRingtoneConfig *ringtones = sips_engine_get_ringtone_config (self->engine);
  g_autoptr(GDBusInterfaceSkeleton) ringtone_skeleton =
    new_config_skeleton (SIPS_DBUS_TYPE_RINGTONE_CONFIGURATION1_SKELETON,
                         sips_ringtone_config_get_section (ringtones), NULL);
  g_autoptr(GDBusInterfaceSkeleton) rtp_skeleton =
    new_config_skeleton (SIPS_DBUS_TYPE_RTPCONFIGURATION1_SKELETON,
                         sips_engine_get_rtp_config (self->engine), NULL);
  g_autoptr(GDBusInterfaceSkeleton) msrp_skeleton =
    new_config_skeleton (SIPS_DBUS_TYPE_MSRPCONFIGURATION1_SKELETON,
                         sips_engine_get_msrp_config (self->engine), NULL);
  g_autoptr(GDBusObjectSkeleton) ringtone_object = NULL;
  g_autoptr(GDBusObjectSkeleton) rtp_object = NULL;
  g_autoptr(GDBusObjectSkeleton) msrp_object = NULL;

  g_signal_connect_object (ringtone_skeleton, "handle-add-ringtone-for-sipuri",
                           G_CALLBACK (on_handle_add_ringtone), self, 0);
  g_signal_connect_object (ringtone_skeleton, "handle-remove-sipuri",
                           G_CALLBACK (on_handle_remove_sipuri), self, 0);
  g_signal_connect_object (ringtone_skeleton, "handle-get-ringtone-for-sipuri",
                           G_CALLBACK (on_handle_get_ringtone), self, 0);

  ringtone_object = export_object (self, SIPS_DBUS_ROOT_PATH "/SessionManager/RingtoneConfiguration",
                                   ringtone_skeleton, NULL);
  rtp_object = export_object (self, SIPS_DBUS_ROOT_PATH "/SessionManager/RTPConfiguration",
                              rtp_skeleton, NULL);
  msrp_object = export_object (self, SIPS_DBUS_ROOT_PATH "/SessionManager/MSRPConfiguration",
                               msrp_skeleton, NULL);
}

/* ---- accounts ---- */

static gboolean
on_handle_subscribe (SipsDbusAccount1 *skeleton, GDBusMethodInvocation *invocation,
                     const char *to_uri, const char *event, const char * const *accept,
                     guint expires, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  SipsAccount *account = sips_dbus_skeleton_get_model (G_DBUS_INTERFACE_SKELETON (skeleton));
  g_autoptr(GError) error = NULL;
  SipsSubscription *subscription = sips_account_subscribe (account, to_uri, event, accept,
                                                           expires, &error);

  if (subscription == NULL)
    return sips_dbus_return_error (invocation, error);
  sips_dbus_account1_complete_subscribe (skeleton, invocation,
                                         sips_dbus_exporter_path_of (self, subscription));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_publish (SipsDbusAccount1 *skeleton, GDBusMethodInvocation *invocation,
                   const char *event, const char *content_type, const char *body,
                   guint expires, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  SipsAccount *account = sips_dbus_skeleton_get_model (G_DBUS_INTERFACE_SKELETON (skeleton));
  g_autoptr(GError) error = NULL;
  SipsPublication *publication = sips_account_publish (account, event, content_type, body,
                                                       expires, &error);

  if (publication == NULL)
    return sips_dbus_return_error (invocation, error);
  sips_dbus_account1_complete_publish (skeleton, invocation,
                                       sips_dbus_exporter_path_of (self, publication));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_account_send_message (SipsDbusAccount1 *skeleton, GDBusMethodInvocation *invocation,
                                const char *to_uri, const char *content, const char *content_type,
                                gpointer user_data)
{
  SipsAccount *account = sips_dbus_skeleton_get_model (G_DBUS_INTERFACE_SKELETON (skeleton));
  SipsPager *pager = account != NULL ? sips_account_get_pager (account) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (pager == NULL)
    g_set_error (&error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The SIP stack is not running"));
  else
    id = sips_pager_send (pager, to_uri, content, content_type, &error);
  if (id == NULL)
    return sips_dbus_return_error (invocation, error);
  sips_dbus_account1_complete_send_message (skeleton, invocation, id);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static const SipsDbusVoidMethod registration_methods[] = {
  { "handle-register",   (SipsDbusVoidFunc) sips_account_register },
  { "handle-unregister", (SipsDbusVoidFunc) sips_account_unregister },
};

static void
export_account (SipsDbusExporter *self, SipsAccount *account)
{
  g_autofree char *path = g_strdup_printf (SIPS_DBUS_ROOT_PATH "/Account/%u", self->next_account++);
  g_autoptr(GDBusInterfaceSkeleton) account_skeleton =
    new_config_skeleton (SIPS_DBUS_TYPE_ACCOUNT1_SKELETON, sips_account_get_config (account), NULL);
  g_autoptr(GDBusInterfaceSkeleton) registration_skeleton =
    G_DBUS_INTERFACE_SKELETON (sips_dbus_registration1_skeleton_new ());
  SipsRegistration *registration = sips_account_get_registration (account);
  g_autoptr(GDBusObjectSkeleton) object = NULL;

  g_hash_table_insert (self->paths, account, g_strdup (path));

  sips_dbus_account1_set_id (SIPS_DBUS_ACCOUNT1 (account_skeleton), sips_account_get_id (account));
  sips_dbus_skeleton_set_model (account_skeleton, account);
  if (sips_account_get_pager (account) != NULL)
    sips_dbus_forward_signals (G_OBJECT (sips_account_get_pager (account)), account_skeleton,
                               SIPS_DBUS_TYPE_ACCOUNT1);
  g_signal_connect (account_skeleton, "handle-subscribe", G_CALLBACK (on_handle_subscribe), self);
  g_signal_connect (account_skeleton, "handle-publish", G_CALLBACK (on_handle_publish), self);
  g_signal_connect (account_skeleton, "handle-send-message", G_CALLBACK (on_handle_account_send_message), self);

  /* Register()/Unregister() go to the account (it knows whether it may register);
   * the state and the signals are the registration's own. */
  sips_dbus_skeleton_set_model (registration_skeleton, account);
  if (registration != NULL)
    {
      sips_dbus_bind_properties (G_OBJECT (registration), registration_skeleton,
                                 SIPS_DBUS_TYPE_REGISTRATION1, on_path_of, self);
      sips_dbus_forward_signals (G_OBJECT (registration), registration_skeleton,
                                 SIPS_DBUS_TYPE_REGISTRATION1);
    }
  else
    sips_dbus_registration1_set_state (SIPS_DBUS_REGISTRATION1 (registration_skeleton),
                                       sips_account_get_registration_state (account));
  sips_dbus_connect_void_methods (registration_skeleton, registration_methods,
                                  G_N_ELEMENTS (registration_methods));

  object = export_object (self, path, account_skeleton, registration_skeleton, NULL);
  sips_dbus_presence_export_watch (self->presence, account);
  g_object_set_data_full (G_OBJECT (account), "sips-dbus-object", g_object_ref (object), g_object_unref);
}

static void
on_account_added (SipsEngine *engine, SipsAccount *account, gpointer user_data)
{
  SipsDbusExporter *self = user_data;

  export_account (self, account);
  update_accounts_property (self);
}

static void
on_account_removed (SipsEngine *engine, SipsAccount *account, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  const char *path = sips_dbus_exporter_path_of (self, account);
  GDBusObjectSkeleton *object = g_object_get_data (G_OBJECT (account), "sips-dbus-object");
  GList *ifaces = g_dbus_object_get_interfaces (G_DBUS_OBJECT (object));

  for (GList *l = ifaces; l != NULL; l = l->next)
    {
      if (sips_account_get_registration (account) != NULL)
        sips_dbus_unforward_signals (G_OBJECT (sips_account_get_registration (account)), l->data);
      if (sips_account_get_pager (account) != NULL)
        sips_dbus_unforward_signals (G_OBJECT (sips_account_get_pager (account)), l->data);
    }
  g_list_free_full (ifaces, g_object_unref);

  sips_dbus_presence_export_unwatch (self->presence, account);
  g_dbus_object_manager_server_unexport (self->server, path);
  g_object_set_data (G_OBJECT (account), "sips-dbus-object", NULL);
  g_hash_table_remove (self->paths, account);
  update_accounts_property (self);
}

/* ---- Settings ---- */

/* DefaultAccount travels as an object path and is stored as the account's id. */
static gboolean
on_write_settings (GDBusInterfaceSkeleton *skeleton, const char *property, GVariant *value,
                   gpointer user_data, GError **error)
{
  SipsDbusExporter *self = user_data;
  SipsConfigSection *section = sips_engine_get_settings (self->engine);

  if (g_str_equal (property, "DefaultAccount"))
    {
      SipsAccount *account = sips_dbus_exporter_lookup_account (self, g_variant_get_string (value, NULL), error);

      if (account == NULL)
        return FALSE;
      return sips_config_section_set (section, property,
                                      g_variant_new_string (sips_account_is_local (account)
                                                            ? "" : sips_account_get_id (account)),
                                      error);
    }
  return sips_config_section_set (section, property, value, error);
}

static gboolean
on_handle_add_account (SipsDbusSettings1 *skeleton, GDBusMethodInvocation *invocation,
                       const char *sip_address, GVariant *properties, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  g_autoptr(GError) error = NULL;
  SipsAccount *account = sips_engine_add_account (self->engine, sip_address, properties, &error);

  if (account == NULL)
    return sips_dbus_return_error (invocation, error);
  sips_dbus_settings1_complete_add_account (skeleton, invocation,
                                            sips_dbus_exporter_path_of (self, account));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_remove_account (SipsDbusSettings1 *skeleton, GDBusMethodInvocation *invocation,
                          const char *path, gpointer user_data)
{
  SipsDbusExporter *self = user_data;
  g_autoptr(GError) error = NULL;
  SipsAccount *account = g_str_equal (path, "/") ? NULL : sips_dbus_exporter_lookup_account (self, path, &error);

  if (account == NULL && error == NULL)
    g_set_error (&error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND, _("No account at %s"), path);
  if (account == NULL || !sips_engine_remove_account (self->engine, account, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_settings1_complete_remove_account (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
export_settings (SipsDbusExporter *self)
{
  static const char * const computed[] = { "DefaultAccount", NULL };
  SipsConfigSection *section = sips_engine_get_settings (self->engine);
  GDBusInterfaceSkeleton *skeleton =
    g_object_new (sips_dbus_writable_type (SIPS_DBUS_TYPE_SETTINGS1_SKELETON), NULL);
  g_autoptr(GDBusObjectSkeleton) object = NULL;

  self->settings = SIPS_DBUS_SETTINGS1 (skeleton);
  sips_dbus_sync_section (section, skeleton, computed);
  sips_dbus_skeleton_set_write_func (skeleton, on_write_settings, self);

  sips_dbus_settings1_set_configuration_file (self->settings,
                                              sips_config_store_get_path (sips_engine_get_store (self->engine)));
  g_object_bind_property (sips_engine_get_sip_agent (self->engine), "listening-uris",
                          skeleton, "sip-listening-uris", G_BINDING_SYNC_CREATE);
  g_signal_connect (skeleton, "handle-add-account", G_CALLBACK (on_handle_add_account), self);
  g_signal_connect (skeleton, "handle-remove-account", G_CALLBACK (on_handle_remove_account), self);

  object = export_object (self, SIPS_DBUS_ROOT_PATH "/Settings", skeleton, NULL);
}

static void
on_default_account_notify (SipsEngine *engine, GParamSpec *pspec, gpointer user_data)
{
  SipsDbusExporter *self = user_data;

  sips_dbus_settings1_set_default_account (self->settings,
                                           sips_dbus_exporter_path_of (self, sips_engine_get_default_account (engine)));
}

/* ---- GObject vfuncs ---- */

static void
sips_dbus_exporter_dispose (GObject *object)
{
  SipsDbusExporter *self = SIPS_DBUS_EXPORTER (object);

  sips_dbus_exporter_unexport (self);
  g_clear_object (&self->settings);
  g_clear_object (&self->engine);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->paths, g_hash_table_unref);

  G_OBJECT_CLASS (sips_dbus_exporter_parent_class)->dispose (object);
}

static void
sips_dbus_exporter_class_init (SipsDbusExporterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sips_dbus_exporter_dispose;
}

static void
sips_dbus_exporter_init (SipsDbusExporter *self)
{
  self->paths = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

/* ---- public API ---- */

SipsDbusExporter *
sips_dbus_exporter_new (SipsEngine *engine, GDBusConnection *connection)
{
  SipsDbusExporter *self = g_object_new (SIPS_TYPE_DBUS_EXPORTER, NULL);
  GPtrArray *accounts = sips_engine_get_accounts (engine);

  sips_dbus_errors_register ();
  self->engine = g_object_ref (engine);
  self->connection = g_object_ref (connection);
  self->server = g_dbus_object_manager_server_new (SIPS_DBUS_ROOT_PATH);

  self->sessions = sips_dbus_sessions_export_new (self->server, engine, self);
  self->presence = sips_dbus_presence_export_new (self->server, self);
  export_configuration (self);
  export_settings (self);
  for (guint i = 0; i < accounts->len; i++)
    export_account (self, accounts->pdata[i]);
  update_accounts_property (self);
  on_default_account_notify (engine, NULL, self);

  g_signal_connect_object (engine, "account-added", G_CALLBACK (on_account_added), self, 0);
  g_signal_connect_object (engine, "account-removed", G_CALLBACK (on_account_removed), self, 0);
  g_signal_connect_object (engine, "notify::default-account", G_CALLBACK (on_default_account_notify), self, 0);

  g_dbus_object_manager_server_set_connection (self->server, connection);
  return self;
}

void
sips_dbus_exporter_unexport (SipsDbusExporter *self)
{
  g_return_if_fail (SIPS_IS_DBUS_EXPORTER (self));

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_pointer (&self->sessions, sips_dbus_sessions_export_free);
  g_clear_pointer (&self->presence, sips_dbus_presence_export_free);
  if (self->server != NULL)
    g_dbus_object_manager_server_set_connection (self->server, NULL);
  g_clear_object (&self->server);
}

const char *
sips_dbus_exporter_path_of (SipsDbusExporter *self, gpointer model_object)
{
  const char *path;

  if (model_object == NULL)
    return "/";
  path = g_hash_table_lookup (self->paths, model_object);
  if (path == NULL && self->sessions != NULL)
    path = sips_dbus_sessions_export_path_of (self->sessions, model_object);
  if (path == NULL && self->presence != NULL)
    path = sips_dbus_presence_export_path_of (self->presence, model_object);
  return path != NULL ? path : "/";
}

SipsAccount *
sips_dbus_exporter_lookup_account (SipsDbusExporter *self, const char *path, GError **error)
{
  GPtrArray *accounts = sips_engine_get_accounts (self->engine);

  if (g_str_equal (path, "/"))
    return sips_engine_get_default_account (self->engine);

  for (guint i = 0; i < accounts->len; i++)
    if (g_strcmp0 (g_hash_table_lookup (self->paths, accounts->pdata[i]), path) == 0)
      return accounts->pdata[i];

  g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND, _("No account at %s"), path);
  return NULL;
}
