/* sipsimplectl: command-line client for sipsimpled.
 *
 * A generic GDBus client: property types and interfaces are discovered by
 * introspecting the daemon at run time, so new properties need no change here.
 * Commands live in a table (see `commands` at the end); add a row to add one.
 * This file: main, the command table, the bus connection, get/set/accounts/status;
 * see sipsimplectl.h for the other parts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  const char *args;     /* synopsis of the arguments, not translated */
  const char *summary;  /* N_() one-liner for --help */
  int (*run) (int argc, char **argv);  /* argv[0] is the command name */
} Command;

static char *opt_address;
static gboolean opt_system;
static int opt_timeout = -1;
static gboolean opt_version;

static GDBusConnection *bus;

/* ------------------------------------------------------------------ helpers */

int
timeout_ms (void)
{
  return opt_timeout > 0 ? opt_timeout * 1000 : -1;
}

char *
bus_description (void)
{
  if (opt_address != NULL)
    return g_strdup_printf (_("the bus at %s"), opt_address);
  return g_strdup (opt_system ? _("the system bus") : _("the session bus"));
}

int G_GNUC_PRINTF (1, 2)
fail (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_printerr ("sipsimplectl: %s\n", message);
  return EXIT_FAIL;
}

int
usage (const char *synopsis)
{
  g_printerr (_("Usage: sipsimplectl %s\n"), synopsis);
  return EXIT_USAGE;
}

static gboolean
is_missing_daemon_error (const char *name)
{
  return g_strcmp0 (name, DBUS_PREFIX "Error.ServiceUnknown") == 0 ||
         g_strcmp0 (name, DBUS_PREFIX "Error.NameHasNoOwner") == 0;
}

int
fail_not_running (void)
{
  g_autofree char *where = bus_description ();

  return fail (_("sipsimpled is not running (nobody owns %s on %s)"), DAEMON_NAME, where);
}

/* Remote errors are shown as "Name: message" with the name shortened to its
 * last component (org.sipsimple.Error.InvalidArgument -> InvalidArgument). */
int
fail_error (GError *error)
{
  g_autofree char *name = NULL;
  const char *short_name;

  if (!g_dbus_error_is_remote_error (error))
    return fail ("%s", error->message);

  name = g_dbus_error_get_remote_error (error);
  if (is_missing_daemon_error (name))
    return fail_not_running ();
  g_dbus_error_strip_remote_error (error);
  short_name = strrchr (name, '.');
  short_name = short_name != NULL ? short_name + 1 : name;
  return fail ("%s: %s", short_name, error->message);
}

const char *
short_iface (const char *iface)
{
  if (g_str_has_prefix (iface, IFACE_PREFIX))
    return iface + strlen (IFACE_PREFIX);
  if (g_str_has_prefix (iface, DBUS_PREFIX))
    return iface + strlen (DBUS_PREFIX);
  return iface;
}

/* Connects on first use, so usage errors come before bus errors. */
GDBusConnection *
get_bus (GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *where = NULL;

  if (bus != NULL)
    return bus;
  if (opt_address != NULL)
    bus = g_dbus_connection_new_for_address_sync (opt_address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &local_error);
  else
    bus = g_bus_get_sync (opt_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, &local_error);
  if (bus != NULL)
    return bus;
  where = bus_description ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot connect to %s: %s"),
               where, local_error->message);
  return NULL;
}

GVariant *
call_daemon (const char          *path,
             const char          *iface,
             const char          *method,
             GVariant            *params,
             const GVariantType  *reply_type,
             GError             **error)
{
  if (get_bus (error) == NULL)
    return NULL;
  return g_dbus_connection_call_sync (bus, DAEMON_NAME, path, iface, method, params,
                                      reply_type, G_DBUS_CALL_FLAGS_NONE, timeout_ms (),
                                      NULL, error);
}

GVariant *
call_bus_driver (const char          *method,
                 GVariant            *params,
                 const GVariantType  *reply_type,
                 GError             **error)
{
  if (get_bus (error) == NULL)
    return NULL;
  return g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", method, params, reply_type,
                                      G_DBUS_CALL_FLAGS_NONE, timeout_ms (), NULL, error);
}

/* The daemon's unique name without starting it, or NULL when nobody owns the name. */
char *
get_daemon_owner_no_start (GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GVariant) reply = NULL;
  char *owner = NULL;

  reply = call_bus_driver ("GetNameOwner", g_variant_new ("(s)", DAEMON_NAME),
                           G_VARIANT_TYPE ("(s)"), &local_error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(s)", &owner);
      return owner;
    }
  if (g_error_matches (local_error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    return NULL;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

/* Whether the bus can start the daemon (an activation file names it). */
static gboolean
is_activatable (GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;

  reply = call_bus_driver ("ListActivatableNames", NULL, G_VARIANT_TYPE ("(as)"), error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(^a&s)", &names);
  return g_strv_contains (names, DAEMON_NAME);
}

/* The daemon's unique name, started through D-Bus activation when the bus can
 * start it (like any client calling it would); NULL when it is neither running
 * nor activatable, or could not be started (then *error says why). */
char *
get_daemon_owner (GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  char *owner = get_daemon_owner_no_start (error);

  if (owner != NULL || (error != NULL && *error != NULL))
    return owner;
  if (!is_activatable (error))
    return NULL;
  reply = call_bus_driver ("StartServiceByName", g_variant_new ("(su)", DAEMON_NAME, 0),
                           G_VARIANT_TYPE ("(u)"), error);
  if (reply == NULL)
    return NULL;
  return get_daemon_owner_no_start (error);
}

GDBusNodeInfo *
introspect (const char *path, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  const char *xml;

  reply = call_daemon (path, "org.freedesktop.DBus.Introspectable", "Introspect",
                       NULL, G_VARIANT_TYPE ("(s)"), error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&s)", &xml);
  return g_dbus_node_info_new_for_xml (xml, error);
}

GVariant *
get_managed_objects (GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = call_daemon (ROOT_PATH, OM_IFACE, "GetManagedObjects", NULL,
                       G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), error);
  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

/* Properties (a{sv}) of `iface` on `path` in a GetManagedObjects result. */

/* ------------------------------------------------------------ get / set */

int
cmd_get (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autofree char *path = NULL;

  if (argc < 2 || argc > 3)
    return usage ("get OBJECT [PROPERTY]");
  if ((path = resolve_object (argv[1], &error)) == NULL ||
      (node = introspect_object (path, &error)) == NULL)
    return fail_error (error);

  if (argc == 3)
    {
      GDBusInterfaceInfo *iface = NULL;
      GDBusPropertyInfo *prop = find_property (node, argv[2], &iface);
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) value = NULL;
      g_autofree char *text = NULL;

      if (prop == NULL)
        return fail (_("%s has no property “%s”"), path, argv[2]);
      if (!(prop->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE))
        return fail (_("property %s is write-only"), prop->name);
      reply = call_daemon (path, PROPS_IFACE, "Get",
                           g_variant_new ("(ss)", iface->name, prop->name),
                           G_VARIANT_TYPE ("(v)"), &error);
      if (reply == NULL)
        return fail_error (error);
      g_variant_get (reply, "(v)", &value);
      text = format_plain (value);
      g_print ("%s\n", text);
      return EXIT_OK;
    }

  for (guint i = 0; node->interfaces[i] != NULL; i++)
    {
      GDBusInterfaceInfo *iface = node->interfaces[i];
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) all = NULL;

      if (!g_str_has_prefix (iface->name, IFACE_PREFIX) || iface->properties == NULL)
        continue;
      reply = call_daemon (path, PROPS_IFACE, "GetAll", g_variant_new ("(s)", iface->name),
                           G_VARIANT_TYPE ("(a{sv})"), &error);
      if (reply == NULL)
        return fail_error (error);
      all = g_variant_get_child_value (reply, 0);
      /* Introspection order, which is the contract's (GetAll's is a hash's). */
      for (guint j = 0; iface->properties[j] != NULL; j++)
        {
          const char *name = iface->properties[j]->name;
          g_autoptr(GVariant) value = g_variant_lookup_value (all, name, NULL);
          g_autofree char *text = NULL;

          if (value == NULL)
            continue;
          text = format_plain (value);
          g_print ("%s = %s\n", name, text);
        }
    }
  return EXIT_OK;
}

int
cmd_set (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *path = NULL;
  GDBusInterfaceInfo *iface = NULL;
  GDBusPropertyInfo *prop;
  GVariant *value;

  if (argc < 4)
    return usage ("set OBJECT PROPERTY VALUE...");
  if ((path = resolve_object (argv[1], &error)) == NULL ||
      (node = introspect_object (path, &error)) == NULL)
    return fail_error (error);
  prop = find_property (node, argv[2], &iface);
  if (prop == NULL)
    return fail (_("%s has no property “%s”"), path, argv[2]);
  if (!(prop->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE))
    return fail (_("property %s is read-only"), prop->name);

  value = parse_value (prop->name, G_VARIANT_TYPE (prop->signature), argc - 3, argv + 3, &error);
  if (value == NULL)
    return fail_error (error);
  reply = call_daemon (path, PROPS_IFACE, "Set",
                       g_variant_new ("(ssv)", iface->name, prop->name, value),
                       NULL, &error);
  return reply != NULL ? EXIT_OK : fail_error (error);
}

/* ------------------------------------------------------------ accounts */

static void
print_account_row (const char *path, const char *id, const char *enabled, const char *state)
{
  g_print ("%-24s %-32s %-8s %s\n", path, id, enabled, state);
}

static int
accounts_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = get_managed_objects (&error);
  g_autoptr(GPtrArray) paths = NULL;

  if (objects == NULL)
    return fail_error (error);
  paths = objects_with_iface (objects, ACCOUNT_IFACE);
  print_account_row (_("PATH"), _("ID"), _("ENABLED"), _("STATE"));
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      g_autoptr(GVariant) account = lookup_object_props (objects, path, ACCOUNT_IFACE);
      g_autoptr(GVariant) reg = lookup_object_props (objects, path, REG_IFACE);
      g_autofree char *id = lookup_string (account, "Id");
      g_autofree char *enabled = lookup_string (account, "Enabled");
      g_autofree char *state = lookup_string (reg, "State");

      print_account_row (path, id, enabled, state);
    }
  return EXIT_OK;
}

/* Account1's introspection data, from the built-in local account, which
 * always exists. */
static GDBusNodeInfo *
introspect_account_iface (GDBusInterfaceInfo **iface_out, GError **error)
{
  g_autoptr(GDBusNodeInfo) node = introspect (ROOT_PATH "/Account/0", error);

  if (node == NULL)
    return NULL;
  *iface_out = g_dbus_node_info_lookup_interface (node, ACCOUNT_IFACE);
  if (*iface_out == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("cannot find the account properties (no %s at %s)"),
                   ACCOUNT_IFACE, ROOT_PATH "/Account/0");
      return NULL;
    }
  return g_steal_pointer (&node);
}

static int
accounts_add (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GVariantBuilder) props = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) reply = NULL;
  GDBusInterfaceInfo *iface = NULL;
  const char *account;

  if (argc < 3)
    return usage ("accounts add ADDRESS [NAME=VALUE...]");
  if ((node = introspect_account_iface (&iface, &error)) == NULL)
    return fail_error (error);

  for (int i = 3; i < argc; i++)
    {
      g_auto(GStrv) pair = g_strsplit (argv[i], "=", 2);
      GDBusPropertyInfo *prop = NULL;
      GVariant *value;

      if (pair[0] == NULL || pair[1] == NULL)
        return fail (_("“%s” is not NAME=VALUE"), argv[i]);
      for (guint j = 0; iface->properties != NULL && iface->properties[j] != NULL; j++)
        if (g_ascii_strcasecmp (iface->properties[j]->name, pair[0]) == 0)
          prop = iface->properties[j];
      if (prop == NULL)
        return fail (_("accounts have no property “%s”"), pair[0]);
      if (!(prop->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE))
        return fail (_("property %s is read-only"), prop->name);
      value = parse_value (prop->name, G_VARIANT_TYPE (prop->signature), 1, &pair[1], &error);
      if (value == NULL)
        return fail_error (error);
      g_variant_builder_add (props, "{sv}", prop->name, value);
    }

  reply = call_daemon (SETTINGS_PATH, SETTINGS_IFACE, "AddAccount",
                       g_variant_new ("(sa{sv})", argv[2], props),
                       G_VARIANT_TYPE ("(o)"), &error);
  if (reply == NULL)
    return fail_error (error);
  g_variant_get (reply, "(&o)", &account);
  g_print ("%s\n", account);
  return EXIT_OK;
}

static int
accounts_remove (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *path = NULL;

  if (argc != 3)
    return usage ("accounts remove ACCOUNT");
  if ((path = resolve_object (argv[2], &error)) == NULL)
    return fail_error (error);
  reply = call_daemon (SETTINGS_PATH, SETTINGS_IFACE, "RemoveAccount",
                       g_variant_new ("(o)", path), NULL, &error);
  return reply != NULL ? EXIT_OK : fail_error (error);
}

int
cmd_accounts (int argc, char **argv)
{
  if (argc == 1 || (argc == 2 && strcmp (argv[1], "list") == 0))
    return accounts_list ();
  if (strcmp (argv[1], "add") == 0)
    return accounts_add (argc, argv);
  if (strcmp (argv[1], "remove") == 0)
    return accounts_remove (argc, argv);
  return usage ("accounts [list | add ADDRESS [NAME=VALUE...] | remove ACCOUNT]");
}

/* ------------------------------------------------------------ status */

static void
print_field (const char *label, const char *value)
{
  g_print ("%-20s %s\n", label, value);
}

int
cmd_status (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) settings = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) uris = NULL;
  g_autoptr(GVariant) manager = NULL;
  g_autoptr(GVariant) sessions = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autofree char *user_agent = NULL;
  g_autofree char *config = NULL;
  g_autofree char *daemon = NULL;
  g_autofree char *count = NULL;

  if (argc != 1)
    return usage ("status");
  owner = get_daemon_owner (&error);
  if (owner == NULL)
    return error != NULL ? fail_error (error) : fail_not_running ();

  reply = call_daemon (SETTINGS_PATH, PROPS_IFACE, "GetAll", g_variant_new ("(s)", SETTINGS_IFACE),
                       G_VARIANT_TYPE ("(a{sv})"), &error);
  if (reply == NULL || (objects = get_managed_objects (&error)) == NULL)
    return fail_error (error);
  settings = g_variant_get_child_value (reply, 0);
  user_agent = lookup_string (settings, "UserAgent");
  config = lookup_string (settings, "ConfigurationFile");
  daemon = g_strdup_printf ("%s (%s)", DAEMON_NAME, owner);

  print_field (_("Daemon:"), daemon);
  print_field (_("User agent:"), user_agent);
  print_field (_("Configuration file:"), config);
  uris = g_variant_lookup_value (settings, "SipListeningUris", G_VARIANT_TYPE_STRING_ARRAY);
  if (uris == NULL || g_variant_n_children (uris) == 0)
    print_field (_("Listening on:"), _("(nothing)"));
  for (gsize i = 0; uris != NULL && i < g_variant_n_children (uris); i++)
    {
      g_autoptr(GVariant) uri = g_variant_get_child_value (uris, i);
      print_field (i == 0 ? _("Listening on:") : "", g_variant_get_string (uri, NULL));
    }

  accounts = objects_with_iface (objects, ACCOUNT_IFACE);
  count = g_strdup_printf ("%u", accounts->len);
  print_field (_("Accounts:"), count);
  for (guint i = 0; i < accounts->len; i++)
    {
      const char *path = accounts->pdata[i];
      g_autoptr(GVariant) account = lookup_object_props (objects, path, ACCOUNT_IFACE);
      g_autoptr(GVariant) reg = lookup_object_props (objects, path, REG_IFACE);
      g_autoptr(GVariant) enabled = account ? g_variant_lookup_value (account, "Enabled",
                                                                      G_VARIANT_TYPE_BOOLEAN) : NULL;
      g_autofree char *id = lookup_string (account, "Id");
      g_autofree char *state = lookup_string (reg, "State");

      g_print ("  %-22s %-32s %-9s %s\n", path, id,
               enabled && !g_variant_get_boolean (enabled) ? _("disabled") : _("enabled"),
               state);
    }

  manager = lookup_object_props (objects, MANAGER_PATH, MANAGER_IFACE);
  if (manager != NULL)
    sessions = g_variant_lookup_value (manager, "Sessions", G_VARIANT_TYPE ("ao"));
  g_free (count);
  count = g_strdup_printf ("%" G_GSIZE_FORMAT, sessions ? g_variant_n_children (sessions) : 0);
  print_field (_("Active sessions:"), count);
  return EXIT_OK;
}

/* ------------------------------------------------------------ main */

static const Command commands[] = {
  { "status", "", N_("Show the daemon, its configuration file, listening URIs, accounts and sessions"), cmd_status },
  { "get", "OBJECT [PROPERTY]", N_("Print one property, or all properties of an object"), cmd_get },
  { "set", "OBJECT PROPERTY VALUE...", N_("Change a property"), cmd_set },
  { "accounts", "[list]", N_("List accounts with their registration state"), cmd_accounts },
  { "accounts", "add ADDRESS [NAME=VALUE...]", N_("Add an account and print its object path"), cmd_accounts },
  { "accounts", "remove ACCOUNT", N_("Remove an account"), cmd_accounts },
  { "monitor", "", N_("Print every signal of the daemon, one line each, until interrupted"), cmd_monitor },
  { "call", "URI [OPTION...]", N_("Call URI, print the call's signals until it ends (see call --help)"), cmd_call },
  { "answer", "[SESSION] [--chat] [--no-audio]", N_("Accept an incoming session"), cmd_answer },
  { "reject", "[SESSION]", N_("Reject an incoming session"), cmd_reject },
  { "hangup", "[SESSION]", N_("End a session"), cmd_hangup },
  { "hold", "[SESSION]", N_("Put a session on hold"), cmd_hold },
  { "unhold", "[SESSION]", N_("Take a session off hold"), cmd_unhold },
  { "dtmf", "[SESSION] DIGITS", N_("Send DTMF digits (0-9, *, #, A-D) one after the other"), cmd_dtmf },
  { "record", "start [SESSION] [OPTION...]", N_("Record the audio into a WAV file, print its name (see record --help)"), cmd_record },
  { "record", "stop [SESSION]", N_("Stop recording, print the file name once it is complete"), cmd_record },
  { "play", "[SESSION] FILE [--loop] [--wait]", N_("Play a sound file into the call in place of the input device"), cmd_play },
  { "play", "--stop [SESSION]", N_("Stop the file; the input device is heard again"), cmd_play },
  { "chat", "URI [OPTION...]", N_("Chat with URI: send the lines typed, print the messages received (see chat --help)"), cmd_chat },
  { "send-message", "[SESSION] TEXT [--type=TYPE]", N_("Send a chat message, print its id and whether it was delivered"), cmd_send_message },
  { "message", "[ACCOUNT] URI TEXT [--type=TYPE]", N_("Send a pager-mode message (SIP MESSAGE), print its id; exit 0 only when delivered"), cmd_message },
  { "sessions", "[--audio]", N_("List sessions with their state, remote party, codec, duration and hold"), cmd_sessions },
  { "register", "[ACCOUNT]", N_("Register an account (default: the default account)"), cmd_register },
  { "unregister", "[ACCOUNT]", N_("Unregister an account (default: the default account)"), cmd_unregister },
  { "subscribe", "[ACCOUNT] URI EVENT [OPTION...]", N_("Subscribe to EVENT of URI, print every NOTIFY body until interrupted, then unsubscribe"), cmd_subscribe },
  { "publish", "[ACCOUNT] --status=open|closed [--note=TEXT]", N_("Publish a PIDF presence status (an Update of the account's current publication)"), cmd_publish },
  { "publish", "[ACCOUNT] --file=FILE --type=TYPE EVENT", N_("Publish the document in FILE for EVENT"), cmd_publish },
  { "publish", "[ACCOUNT] --end [EVENT]", N_("Remove the account's publication (default: presence)"), cmd_publish },
  { "send-file", "URI PATH [OPTION...]", N_("Send a file (MSRP), show its progress; exit 0 only when delivered (see send-file --help)"), cmd_send_file },
  { "transfers", "", N_("List file transfers with their direction, state, size, progress and name"), cmd_transfers },
  { "accept-file", "[TRANSFER] [DIRECTORY]", N_("Accept an offered file, print its path once received (default: DownloadsDirectory)"), cmd_accept_file },
  { "reject-file", "[TRANSFER]", N_("Reject an offered file"), cmd_reject_file },
  { "cancel-file", "[TRANSFER]", N_("Cancel a file transfer"), cmd_cancel_file },
};

void
print_command_names (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (i == 0 || !g_str_equal (commands[i].name, commands[i - 1].name))
      g_print ("%s\n", commands[i].name);
}

static char *
commands_summary (void)
{
  GString *out = g_string_new (_("Commands:"));

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *synopsis = g_strconcat (commands[i].name, " ", commands[i].args, NULL);
      g_string_append_printf (out, "\n  %-38s %s", synopsis, _(commands[i].summary));
    }
  g_string_append_printf (out, "\n\n%s", _("OBJECT is settings, rtp, msrp, ringtone, manager, "
                                           "account/N, account:USER@DOMAIN, session/N, or an object path.\n"
                                           "SESSION is session/N, N or a path; by default the only session "
                                           "the command applies to.\n"
                                           "TRANSFER is transfer/N, N or a path; by default the only file "
                                           "transfer the command applies to.\n"
                                           "ACCOUNT is account/N, account:USER@DOMAIN, USER@DOMAIN or a path."));
  return g_string_free (out, FALSE);
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "address", 'a', 0, G_OPTION_ARG_STRING, &opt_address, N_("Use the bus at ADDR"), N_("ADDR") },
    { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system, N_("Use the system bus"), NULL },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout, N_("Wait at most SECONDS for each reply"), N_("SECONDS") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("COMMAND [ARGUMENTS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  summary = commands_summary ();
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _("Global options go before the command. "
                                               "See sipsimplectl(1) for value formats."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Stop at the command, so values like -1 reach it untouched. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sipsimplectl: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (opt_version)
    {
      g_print ("sipsimplectl %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }
  if (opt_address != NULL && opt_system)
    return fail (_("--address and --system exclude each other"));
  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("%s", help);
      return EXIT_USAGE;
    }

  /* Not in the table: the bash completion's helper, not a command for people. */
  if (strcmp (argv[1], "__complete") == 0)
    return cmd_complete (argc - 1, argv + 1);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (argv[1], commands[i].name) != 0)
        continue;
      status = commands[i].run (argc - 1, argv + 1);
      g_clear_object (&bus);
      return status;
    }
  g_printerr (_("sipsimplectl: unknown command “%s” (see --help)\n"), argv[1]);
  return EXIT_USAGE;
}

