/* sipsimplectl-monitor.c: `monitor`, every signal of the daemon on one line each.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ monitor */

typedef struct {
  GDBusConnection *bus;
  GMainLoop *loop;
  char *owner;
  guint signals_id;
  GHashTable *ifaces;   /* interface name -> GDBusInterfaceInfo, for argument names */
} Monitor;

void
append_time (GString *line, gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  if (dt == NULL)
    {
      g_string_append (line, "??:??:??.???");
      return;
    }
  g_string_append_printf (line, "%02d:%02d:%02d.%03d", g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt),
                          (int) ((usec % G_USEC_PER_SEC) / 1000));
}

void
emit_line (GString *line)
{
  g_print ("%s\n", line->str);
  fflush (stdout);  /* one line at a time, even into a pipe */
}

static GDBusInterfaceInfo *
monitor_lookup_iface (Monitor *m, const char *path, const char *iface)
{
  GDBusInterfaceInfo *info = g_hash_table_lookup (m->ifaces, iface);
  g_autoptr(GDBusNodeInfo) node = NULL;

  if (info != NULL)
    return info;
  /* The object may be gone already: then arguments stay unnamed. */
  node = introspect (path, NULL);
  for (guint i = 0; node != NULL && node->interfaces[i] != NULL; i++)
    g_hash_table_replace (m->ifaces, g_strdup (node->interfaces[i]->name),
                          g_dbus_interface_info_ref (node->interfaces[i]));
  return g_hash_table_lookup (m->ifaces, iface);
}

void
append_signal_args (GString *line, GDBusSignalInfo *signal, GVariant *params, gsize first)
{
  gsize n = g_variant_n_children (params);
  guint n_names = 0;

  while (signal != NULL && signal->args != NULL && signal->args[n_names] != NULL)
    n_names++;
  if (n_names != n)
    signal = NULL;  /* introspection disagrees with the message: no names */

  for (gsize i = first; i < n; i++)
    {
      g_autoptr(GVariant) arg = g_variant_get_child_value (params, i);

      g_string_append_c (line, ' ');
      if (signal != NULL)
        g_string_append_printf (line, "%s=", signal->args[i]->name);
      g_variant_print_string (arg, line, FALSE);
    }
}

static void
append_iface_list (GString *line, GVariantIter *iter)
{
  const char *name;

  while (g_variant_iter_next (iter, "&s", &name))
    if (!g_str_has_prefix (name, DBUS_PREFIX))
      g_string_append_printf (line, " %s", short_iface (name));
}

static void
on_daemon_signal (const DaemonSignal *sig, gpointer user_data)
{
  Monitor *m = user_data;
  g_autoptr(GString) line = g_string_new (NULL);

  /* Our signals carry their time as first argument: sig->time is that one. */
  append_time (line, sig->time);

  if (strcmp (sig->iface, PROPS_IFACE) == 0 && strcmp (sig->member, "PropertiesChanged") == 0 &&
      g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(sa{sv}as)")))
    {
      const char *changed_iface;
      g_autoptr(GVariantIter) changed = NULL;
      g_autoptr(GVariantIter) invalidated = NULL;
      const char *name;
      GVariant *value;

      g_variant_get (sig->params, "(&sa{sv}as)", &changed_iface, &changed, &invalidated);
      g_string_append_printf (line, " %s %s %s", sig->path, short_iface (changed_iface),
                              _("changed:"));
      while (g_variant_iter_next (changed, "{&sv}", &name, &value))
        {
          g_string_append_printf (line, " %s=", name);
          g_variant_print_string (value, line, FALSE);
          g_variant_unref (value);
        }
      if (g_variant_iter_n_children (invalidated) > 0)
        {
          g_string_append_printf (line, " %s", _("invalidated:"));
          while (g_variant_iter_next (invalidated, "&s", &name))
            g_string_append_printf (line, " %s", name);
        }
    }
  else if (strcmp (sig->iface, OM_IFACE) == 0 && strcmp (sig->member, "InterfacesAdded") == 0 &&
           g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    {
      const char *object;
      g_autoptr(GVariant) ifaces = NULL;
      GVariantIter iter;
      const char *name;

      g_variant_get (sig->params, "(&o@a{sa{sv}})", &object, &ifaces);
      g_string_append_printf (line, " %s %s", object, _("added:"));
      g_variant_iter_init (&iter, ifaces);
      while (g_variant_iter_next (&iter, "{&s@a{sv}}", &name, NULL))
        if (!g_str_has_prefix (name, DBUS_PREFIX))
          g_string_append_printf (line, " %s", short_iface (name));
    }
  else if (strcmp (sig->iface, OM_IFACE) == 0 && strcmp (sig->member, "InterfacesRemoved") == 0 &&
           g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(oas)")))
    {
      const char *object;
      g_autoptr(GVariantIter) ifaces = NULL;

      g_variant_get (sig->params, "(&oas)", &object, &ifaces);
      g_string_append_printf (line, " %s %s", object, _("removed:"));
      append_iface_list (line, ifaces);
    }
  else
    {
      GDBusInterfaceInfo *info = monitor_lookup_iface (m, sig->path, sig->iface);
      GDBusSignalInfo *signal = info ? g_dbus_interface_info_lookup_signal (info, sig->member)
                                     : NULL;

      g_string_append_printf (line, " %s %s.%s", sig->path, short_iface (sig->iface), sig->member);
      append_signal_args (line, signal, sig->params, sig->first);
    }
  emit_line (line);
}

static void
monitor_follow (Monitor *m, const char *owner)
{
  if (m->signals_id != 0)
    g_dbus_connection_signal_unsubscribe (m->bus, m->signals_id);
  m->signals_id = 0;
  g_clear_pointer (&m->owner, g_free);
  g_hash_table_remove_all (m->ifaces);
  if (owner == NULL || *owner == '\0')
    return;
  m->owner = g_strdup (owner);
  /* Filter on the unique name: a well-known sender name is not reliable in
   * match rules, and it must be followed across daemon restarts anyway. */
  m->signals_id = follow_signals (m->bus, m->owner, NULL, NULL, NULL, NULL, on_daemon_signal, m);
}

static void
on_name_owner_changed (const DaemonSignal *sig, gpointer user_data)
{
  Monitor *m = user_data;
  g_autoptr(GString) line = g_string_new (NULL);
  const char *name, *old_owner, *new_owner;

  g_variant_get (sig->params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (g_strcmp0 (new_owner, m->owner) == 0)
    return;
  monitor_follow (m, new_owner);
  append_time (line, sig->time);
  g_string_append_printf (line, " %s ", DAEMON_NAME);
  if (*new_owner != '\0')
    g_string_append_printf (line, _("appeared as %s"), new_owner);
  else
    g_string_append (line, _("left the bus"));
  emit_line (line);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Monitor *m = user_data;

  g_main_loop_quit (m->loop);
  return G_SOURCE_CONTINUE;
}

int
cmd_monitor (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) barrier = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *where = bus_description ();
  Monitor m = { 0 };
  guint owner_id;

  if (argc != 1)
    return usage ("monitor");
  if ((m.bus = get_bus (&error)) == NULL)
    return fail_error (error);

  m.loop = g_main_loop_new (NULL, FALSE);
  m.ifaces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) g_dbus_interface_info_unref);
  owner_id = follow_daemon_owner (m.bus, on_name_owner_changed, &m);
  owner = get_daemon_owner_no_start (&error);
  if (error != NULL)
    return fail_error (error);
  monitor_follow (&m, owner);
  /* The bus handles a connection's messages in order: once this reply is in,
   * the match rules above are active and no signal can be missed. */
  barrier = call_bus_driver ("GetId", NULL, G_VARIANT_TYPE ("(s)"), &error);
  if (barrier == NULL)
    return fail_error (error);

  if (owner != NULL)
    g_print (_("Monitoring %s on %s (owner %s)\n"), DAEMON_NAME, where, owner);
  else
    g_print (_("Monitoring %s on %s (not running, waiting for it)\n"), DAEMON_NAME, where);
  fflush (stdout);

  g_unix_signal_add (SIGINT, on_quit_signal, &m);
  g_unix_signal_add (SIGTERM, on_quit_signal, &m);
  g_main_loop_run (m.loop);

  monitor_follow (&m, NULL);
  g_dbus_connection_signal_unsubscribe (m.bus, owner_id);
  g_hash_table_unref (m.ifaces);
  g_main_loop_unref (m.loop);
  return EXIT_OK;
}
