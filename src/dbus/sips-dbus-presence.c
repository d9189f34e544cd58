/* sips-dbus-presence.c: Subscription1 (/org/sipsimple/Subscription/N) and Publication1
 * (/org/sipsimple/Publication/N), one per SipsSubscription / SipsPublication of an
 * account, from "presence-added" until "presence-removed" (the account removes ended
 * ones after Settings1.TerminatedSessionLinger) or the account's removal. */
#include "sips-dbus-presence.h"

#include <glib/gi18n.h>
#include "sips-dbus-bridge.h"
#include "sips-dbus-errors.h"
#include "sips-dbus-exporter.h"
#include "sips-dbus-generated.h"
#include "core/sips-error.h"

typedef struct {
  SipsDbusPresenceExport *owner;
  GObject                *object;   /* SipsSubscription or SipsPublication */
  SipsAccount            *account;
  char                   *path;
  GDBusObjectSkeleton    *dbus_object;
  GDBusInterfaceSkeleton *skeleton;
} PresenceExport;

struct _SipsDbusPresenceExport {
  GDBusObjectManagerServer *server;
  SipsDbusExporter         *exporter;  /* owns this */
  GHashTable               *exports;   /* model object -> PresenceExport* */
  GPtrArray                *accounts;  /* watched (the engine keeps them) */
  guint                     next_subscription;
  guint                     next_publication;
};

/* ---- private helpers ---- */

static const char *
on_path_of (GObject *model_object, gpointer user_data)
{
  return sips_dbus_exporter_path_of (user_data, model_object);
}

static void
presence_export_free (gpointer data)
{
  PresenceExport *export = data;

  sips_dbus_unforward_signals (export->object, export->skeleton);
  g_dbus_object_manager_server_unexport (export->owner->server, export->path);
  g_clear_object (&export->skeleton);
  g_clear_object (&export->dbus_object);
  g_clear_object (&export->object);
  g_free (export->path);
  g_free (export);
}

/* ---- methods ---- */

static gboolean
on_handle_update (SipsDbusPublication1 *skeleton, GDBusMethodInvocation *invocation,
                  const char *content_type, const char *body, gpointer user_data)
{
  SipsPublication *publication = sips_dbus_skeleton_get_model (G_DBUS_INTERFACE_SKELETON (skeleton));
  g_autoptr(GError) error = NULL;

  if (!sips_publication_update (publication, content_type, body, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_publication1_complete_update (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static const SipsDbusVoidMethod subscription_methods[] = {
  { "handle-unsubscribe", (SipsDbusVoidFunc) sips_subscription_unsubscribe },
};

static const SipsDbusVoidMethod publication_methods[] = {
  { "handle-end", (SipsDbusVoidFunc) sips_publication_unpublish },
};

/* ---- accounts' signals ---- */

static void
on_presence_added (SipsAccount *account, GObject *object, gpointer user_data)
{
  SipsDbusPresenceExport *self = user_data;
  PresenceExport *export;
  GType iface_type;

  if (g_hash_table_contains (self->exports, object))
    return;
  export = g_new0 (PresenceExport, 1);
  export->owner = self;
  export->object = g_object_ref (object);
  export->account = account;
  if (SIPS_IS_SUBSCRIPTION (object))
    {
      export->path = g_strdup_printf (SIPS_DBUS_ROOT_PATH "/Subscription/%u", self->next_subscription++);
      export->skeleton = G_DBUS_INTERFACE_SKELETON (sips_dbus_subscription1_skeleton_new ());
      iface_type = SIPS_DBUS_TYPE_SUBSCRIPTION1;
      sips_dbus_connect_void_methods (export->skeleton, subscription_methods,
                                      G_N_ELEMENTS (subscription_methods));
    }
  else
    {
      export->path = g_strdup_printf (SIPS_DBUS_ROOT_PATH "/Publication/%u", self->next_publication++);
      export->skeleton = G_DBUS_INTERFACE_SKELETON (sips_dbus_publication1_skeleton_new ());
      iface_type = SIPS_DBUS_TYPE_PUBLICATION1;
      sips_dbus_connect_void_methods (export->skeleton, publication_methods,
                                      G_N_ELEMENTS (publication_methods));
      g_signal_connect (export->skeleton, "handle-update", G_CALLBACK (on_handle_update), self);
    }
  g_hash_table_insert (self->exports, object, export);

  sips_dbus_skeleton_set_model (export->skeleton, object);
  sips_dbus_bind_properties (object, export->skeleton, iface_type, on_path_of, self->exporter);
  sips_dbus_forward_signals (object, export->skeleton, iface_type);

  export->dbus_object = g_dbus_object_skeleton_new (export->path);
  g_dbus_object_skeleton_add_interface (export->dbus_object, export->skeleton);
  g_dbus_object_manager_server_export (self->server, export->dbus_object);
}

static void
on_presence_removed (SipsAccount *account, GObject *object, gpointer user_data)
{
  SipsDbusPresenceExport *self = user_data;

  g_hash_table_remove (self->exports, object);
}

/* ---- public API ---- */

SipsDbusPresenceExport *
sips_dbus_presence_export_new (GDBusObjectManagerServer *server, SipsDbusExporter *exporter)
{
  SipsDbusPresenceExport *self = g_new0 (SipsDbusPresenceExport, 1);

  self->server = g_object_ref (server);
  self->exporter = exporter;
  self->exports = g_hash_table_new_full (NULL, NULL, NULL, presence_export_free);
  self->accounts = g_ptr_array_new ();
  return self;
}

void
sips_dbus_presence_export_free (SipsDbusPresenceExport *self)
{
  for (guint i = 0; i < self->accounts->len; i++)
    g_signal_handlers_disconnect_by_data (self->accounts->pdata[i], self);
  g_ptr_array_unref (self->accounts);
  g_hash_table_unref (self->exports);
  g_clear_object (&self->server);
  g_free (self);
}

void
sips_dbus_presence_export_watch (SipsDbusPresenceExport *self, SipsAccount *account)
{
  g_autoptr(GPtrArray) existing = sips_account_list_presence (account);

  for (guint i = 0; i < existing->len; i++)
    on_presence_added (account, existing->pdata[i], self);
  g_signal_connect (account, "presence-added", G_CALLBACK (on_presence_added), self);
  g_signal_connect (account, "presence-removed", G_CALLBACK (on_presence_removed), self);
  g_ptr_array_add (self->accounts, account);
}

void
sips_dbus_presence_export_unwatch (SipsDbusPresenceExport *self, SipsAccount *account)
{
  GHashTableIter iter;
  PresenceExport *export;

  g_signal_handlers_disconnect_by_data (account, self);
  g_ptr_array_remove (self->accounts, account);
  g_hash_table_iter_init (&iter, self->exports);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &export))
    if (export->account == account)
      g_hash_table_iter_remove (&iter);
}

const char *
sips_dbus_presence_export_path_of (SipsDbusPresenceExport *self, gpointer object)
{
  PresenceExport *export = g_hash_table_lookup (self->exports, object);

  return export != NULL ? export->path : NULL;
}
