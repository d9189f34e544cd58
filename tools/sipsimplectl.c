/* sipsimplectl: command-line client for sipsimpled.
 *
 * A generic GDBus client: property types and interfaces are discovered by
 * introspecting the daemon at run time, so new properties need no change here.
 * Commands live in a table (see `commands` at the end); add a row to add one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAEMON_NAME      "org.sipsimple.Daemon1"
#define ROOT_PATH        "/org/sipsimple"
#define IFACE_PREFIX     "org.sipsimple."
#define SETTINGS_PATH    ROOT_PATH "/Settings"
#define SETTINGS_IFACE   IFACE_PREFIX "Settings1"
#define MANAGER_PATH     ROOT_PATH "/SessionManager"
#define MANAGER_IFACE    IFACE_PREFIX "SessionManager1"
#define ACCOUNT_IFACE    IFACE_PREFIX "Account1"
#define REG_IFACE        IFACE_PREFIX "Registration1"
#define PROPS_IFACE      "org.freedesktop.DBus.Properties"
#define OM_IFACE         "org.freedesktop.DBus.ObjectManager"
#define DBUS_PREFIX      "org.freedesktop.DBus."

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

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

static int
timeout_ms (void)
{
  return opt_timeout > 0 ? opt_timeout * 1000 : -1;
}

static char *
bus_description (void)
{
  if (opt_address != NULL)
    return g_strdup_printf (_("the bus at %s"), opt_address);
  return g_strdup (opt_system ? _("the system bus") : _("the session bus"));
}

static int G_GNUC_PRINTF (1, 2)
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

static int
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

static int
fail_not_running (void)
{
  g_autofree char *where = bus_description ();

  return fail (_("sipsimpled is not running (nobody owns %s on %s)"), DAEMON_NAME, where);
}

/* Remote errors are shown as "Name: message" with the name shortened to its
 * last component (org.sipsimple.Error.InvalidArgument -> InvalidArgument). */
static int
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

static const char *
short_iface (const char *iface)
{
  if (g_str_has_prefix (iface, IFACE_PREFIX))
    return iface + strlen (IFACE_PREFIX);
  if (g_str_has_prefix (iface, DBUS_PREFIX))
    return iface + strlen (DBUS_PREFIX);
  return iface;
}

/* Connects on first use, so usage errors come before bus errors. */
static GDBusConnection *
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

static GVariant *
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

static GVariant *
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

/* The daemon's unique name, or NULL when nobody owns the well-known name. */
static char *
get_daemon_owner (GError **error)
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

static GDBusNodeInfo *
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

static GVariant *
get_managed_objects (GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = call_daemon (ROOT_PATH, OM_IFACE, "GetManagedObjects", NULL,
                       G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), error);
  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

/* Properties (a{sv}) of `iface` on `path` in a GetManagedObjects result. */
static GVariant *
lookup_object_props (GVariant *objects, const char *path, const char *iface)
{
  g_autoptr(GVariant) ifaces = NULL;

  ifaces = g_variant_lookup_value (objects, path, G_VARIANT_TYPE ("a{sa{sv}}"));
  if (ifaces == NULL)
    return NULL;
  return g_variant_lookup_value (ifaces, iface, G_VARIANT_TYPE_VARDICT);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  /* Natural order, so Account/10 sorts after Account/9. */
  return strverscmp (*(const char * const *) a, *(const char * const *) b);
}

/* Sorted paths (owned by `objects`) of objects implementing `iface`. */
static GPtrArray *
objects_with_iface (GVariant *objects, const char *iface)
{
  GPtrArray *paths = g_ptr_array_new ();
  GVariantIter iter;
  const char *path;
  GVariant *ifaces;

  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      g_autoptr(GVariant) props = g_variant_lookup_value (ifaces, iface, NULL);

      if (props != NULL)
        g_ptr_array_add (paths, (gpointer) path);
      g_variant_unref (ifaces);
    }
  g_ptr_array_sort (paths, compare_paths);
  return paths;
}

static char *
lookup_string (GVariant *props, const char *name)
{
  g_autoptr(GVariant) value = NULL;

  if (props == NULL)
    return g_strdup ("");
  value = g_variant_lookup_value (props, name, NULL);
  if (value == NULL)
    return g_strdup ("");
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (value) ? _("yes") : _("no"));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
      g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH))
    return g_variant_dup_string (value, NULL);
  return g_variant_print (value, FALSE);
}

/* ------------------------------------------------------- object resolution */

static const struct { const char *alias; const char *path; } object_aliases[] = {
  { "settings", SETTINGS_PATH },
  { "manager", MANAGER_PATH },
  { "rtp", MANAGER_PATH "/RTPConfiguration" },
  { "msrp", MANAGER_PATH "/MSRPConfiguration" },
  { "ringtone", MANAGER_PATH "/RingtoneConfiguration" },
};

/* kind/N -> prefix N suffix */
static const struct { const char *kind; const char *prefix; const char *suffix; } numbered_objects[] = {
  { "account", ROOT_PATH "/Account/", "" },
  { "session", ROOT_PATH "/Session/", "" },
  { "chat", ROOT_PATH "/Session/", "/Chat" },
  { "transfer", ROOT_PATH "/FileTransfer/", "" },
  { "subscription", ROOT_PATH "/Subscription/", "" },
  { "publication", ROOT_PATH "/Publication/", "" },
};

static char *
find_account_by_id (const char *id, GError **error)
{
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  if (g_str_has_prefix (id, "sip:"))
    id += strlen ("sip:");
  objects = get_managed_objects (error);
  if (objects == NULL)
    return NULL;
  paths = objects_with_iface (objects, ACCOUNT_IFACE);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GVariant) props = lookup_object_props (objects, paths->pdata[i], ACCOUNT_IFACE);
      g_autofree char *account_id = lookup_string (props, "Id");

      if (g_ascii_strcasecmp (account_id, id) == 0)
        return g_strdup (paths->pdata[i]);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no account “%s”"), id);
  return NULL;
}

static gboolean
is_number (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* Maps the OBJECT argument (alias, kind/N, account:ID or a path) to a path. */
static char *
resolve_object (const char *spec, GError **error)
{
  const char *slash;

  if (spec[0] == '/')
    {
      if (!g_variant_is_object_path (spec))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a valid object path"), spec);
          return NULL;
        }
      return g_strdup (spec);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (object_aliases); i++)
    if (g_ascii_strcasecmp (spec, object_aliases[i].alias) == 0)
      return g_strdup (object_aliases[i].path);
  if (g_str_has_prefix (spec, "account:"))
    return find_account_by_id (spec + strlen ("account:"), error);

  slash = strchr (spec, '/');
  if (slash != NULL && is_number (slash + 1))
    for (gsize i = 0; i < G_N_ELEMENTS (numbered_objects); i++)
      if (g_ascii_strncasecmp (spec, numbered_objects[i].kind, slash - spec) == 0 &&
          strlen (numbered_objects[i].kind) == (gsize) (slash - spec))
        return g_strconcat (numbered_objects[i].prefix, slash + 1,
                            numbered_objects[i].suffix, NULL);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("unknown object “%s” (use settings, rtp, msrp, ringtone, manager, "
                 "account/N, account:USER@DOMAIN, session/N or an object path)"), spec);
  return NULL;
}

/* Introspects `path`; fails when no org.sipsimple interface lives there. */
static GDBusNodeInfo *
introspect_object (const char *path, GError **error)
{
  g_autoptr(GDBusNodeInfo) node = introspect (path, error);

  if (node == NULL)
    return NULL;
  for (guint i = 0; node->interfaces != NULL && node->interfaces[i] != NULL; i++)
    if (g_str_has_prefix (node->interfaces[i]->name, IFACE_PREFIX))
      return g_steal_pointer (&node);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no object at %s"), path);
  return NULL;
}

/* Finds a property on the org.sipsimple interfaces of `node`: exact name
 * first, then ignoring case. */
static GDBusPropertyInfo *
find_property (GDBusNodeInfo *node, const char *name, GDBusInterfaceInfo **iface_out)
{
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; node->interfaces[i] != NULL; i++)
      {
        GDBusInterfaceInfo *iface = node->interfaces[i];

        if (!g_str_has_prefix (iface->name, IFACE_PREFIX) || iface->properties == NULL)
          continue;
        for (guint j = 0; iface->properties[j] != NULL; j++)
          {
            const char *prop = iface->properties[j]->name;

            if (pass == 0 ? strcmp (prop, name) == 0 : g_ascii_strcasecmp (prop, name) == 0)
              {
                *iface_out = iface;
                return iface->properties[j];
              }
          }
      }
  return NULL;
}

/* ------------------------------------------------------- values: printing */

static gboolean
is_stringish (GVariant *value)
{
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
         g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH) ||
         g_variant_is_of_type (value, G_VARIANT_TYPE_SIGNATURE);
}

/* Plain format used by `get`: strings raw, booleans true/false, numbers in
 * decimal, arrays of basic values space-separated (elements that are empty or
 * contain blanks are shell-quoted), anything else in GVariant text format. */
static void
append_plain (GString *out, GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (is_stringish (value))
    g_string_append (out, g_variant_get_string (value, NULL));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTE))
    g_string_append_printf (out, "%u", g_variant_get_byte (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);
      append_plain (out, inner);
    }
  else if (g_variant_type_is_array (type) &&
           g_variant_type_is_basic (g_variant_type_element (type)))
    {
      gsize n = g_variant_n_children (value);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

          if (i > 0)
            g_string_append_c (out, ' ');
          if (is_stringish (child))
            {
              const char *s = g_variant_get_string (child, NULL);

              if (*s == '\0' || strpbrk (s, " \t\n'\"\\") != NULL)
                {
                  g_autofree char *quoted = g_shell_quote (s);
                  g_string_append (out, quoted);
                }
              else
                g_string_append (out, s);
            }
          else
            append_plain (out, child);
        }
    }
  else
    g_variant_print_string (value, out, FALSE);
}

static char *
format_plain (GVariant *value)
{
  GString *out = g_string_new (NULL);

  append_plain (out, value);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------- values: parsing */

static GVariant *parse_value (const char *name, const GVariantType *type,
                              int argc, char **argv, GError **error);

static gboolean
parse_boolean (const char *text, gboolean *out)
{
  static const char *truths[] = { "true", "yes", "on", "1" };
  static const char *lies[] = { "false", "no", "off", "0" };

  for (gsize i = 0; i < G_N_ELEMENTS (truths); i++)
    {
      if (g_ascii_strcasecmp (text, truths[i]) == 0)
        return (*out = TRUE);
      if (g_ascii_strcasecmp (text, lies[i]) == 0)
        return !(*out = FALSE);
    }
  return FALSE;
}

static GVariant *
parse_integer (const char *name, char type, const char *text, GError **error)
{
  static const struct { char type; gint64 min; guint64 max; } ranges[] = {
    { 'y', 0, G_MAXUINT8 }, { 'n', G_MININT16, G_MAXINT16 }, { 'q', 0, G_MAXUINT16 },
    { 'i', G_MININT32, G_MAXINT32 }, { 'u', 0, G_MAXUINT32 },
    { 'x', G_MININT64, G_MAXINT64 }, { 't', 0, G_MAXUINT64 },
  };
  gint64 min = 0;
  guint64 max = 0;
  gint64 s = 0;
  guint64 u = 0;
  gboolean is_signed;
  gboolean ok;

  for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
    if (ranges[i].type == type)
      min = ranges[i].min, max = ranges[i].max;
  is_signed = min < 0;
  ok = is_signed ? g_ascii_string_to_signed (text, 10, min, (gint64) max, &s, NULL)
                 : g_ascii_string_to_unsigned (text, 10, 0, max, &u, NULL);
  if (!ok)
    {
      g_autofree char *range = is_signed
        ? g_strdup_printf ("%" G_GINT64_FORMAT "…%" G_GUINT64_FORMAT, min, max)
        : g_strdup_printf ("0…%" G_GUINT64_FORMAT, max);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("invalid value “%s” for %s: expected an integer in %s"),
                   text, name, range);
      return NULL;
    }
  switch (type)
    {
    case 'y': return g_variant_new_byte ((guint8) u);
    case 'n': return g_variant_new_int16 ((gint16) s);
    case 'q': return g_variant_new_uint16 ((guint16) u);
    case 'i': return g_variant_new_int32 ((gint32) s);
    case 'u': return g_variant_new_uint32 ((guint32) u);
    case 'x': return g_variant_new_int64 (s);
    default:  return g_variant_new_uint64 (u);
    }
}

static GVariant *
parse_scalar (const char *name, const GVariantType *type, const char *text, GError **error)
{
  char code = g_variant_type_peek_string (type)[0];
  gboolean b;

  switch (code)
    {
    case 's':
      if (!g_utf8_validate (text, -1, NULL))
        break;
      return g_variant_new_string (text);
    case 'o':
      {
        g_autofree char *path = NULL;

        if (*text == '\0' || g_ascii_strcasecmp (text, "none") == 0 || strcmp (text, "/") == 0)
          return g_variant_new_object_path ("/");
        path = resolve_object (text, error);
        return path != NULL ? g_variant_new_object_path (path) : NULL;
      }
    case 'b':
      if (!parse_boolean (text, &b))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("invalid value “%s” for %s: expected true or false"), text, name);
          return NULL;
        }
      return g_variant_new_boolean (b);
    case 'y': case 'n': case 'q': case 'i': case 'u': case 'x': case 't':
      return parse_integer (name, code, text, error);
    case 'd':
      {
        char *end = NULL;
        double d = g_ascii_strtod (text, &end);

        if (*text == '\0' || *end != '\0')
          break;
        return g_variant_new_double (d);
      }
    default:
      {
        GVariant *value = g_variant_parse (type, text, NULL, NULL, NULL);

        if (value != NULL)
          return value;
      }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("invalid value “%s” for %s (type %s)"), text, name,
               g_variant_type_peek_string (type));
  return NULL;
}

/* Builds a value of `type` from command-line words: a list takes the words
 * (or one word separated by commas/blanks), a string joins them with spaces. */
static GVariant *
parse_value (const char *name, const GVariantType *type, int argc, char **argv, GError **error)
{
  if (g_variant_type_is_array (type) && g_variant_type_is_basic (g_variant_type_element (type)))
    {
      const GVariantType *element = g_variant_type_element (type);
      g_auto(GStrv) split = NULL;
      g_autoptr(GVariantBuilder) builder = g_variant_builder_new (type);

      if (argc == 1)
        {
          split = g_regex_split_simple ("[,\\s]+", g_strstrip (argv[0]), 0, 0);
          argv = split;
          argc = (int) g_strv_length (split);
        }
      for (int i = 0; i < argc; i++)
        {
          GVariant *item;

          if (argv[i][0] == '\0')
            continue;
          item = parse_scalar (name, element, argv[i], error);
          if (item == NULL)
            return NULL;
          g_variant_builder_add_value (builder, item);
        }
      return g_variant_builder_end (builder);
    }
  if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
    {
      g_autofree char *joined = g_strjoinv (" ", argv);
      return parse_scalar (name, type, joined, error);
    }
  if (argc != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s takes exactly one value"), name);
      return NULL;
    }
  return parse_scalar (name, type, argv[0], error);
}

/* ------------------------------------------------------------ get / set */

static int
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

static int
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

static int
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

static int
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

/* ------------------------------------------------------------ monitor */

typedef struct {
  GMainLoop *loop;
  char *owner;
  guint signals_id;
  GHashTable *ifaces;   /* interface name -> GDBusInterfaceInfo, for argument names */
} Monitor;

static void
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

static void
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

static void
append_iface_list (GString *line, GVariantIter *iter)
{
  const char *name;

  while (g_variant_iter_next (iter, "&s", &name))
    if (!g_str_has_prefix (name, DBUS_PREFIX))
      g_string_append_printf (line, " %s", short_iface (name));
}

static void
on_daemon_signal (GDBusConnection *connection,
                  const char      *sender,
                  const char      *path,
                  const char      *iface,
                  const char      *member,
                  GVariant        *params,
                  gpointer         user_data)
{
  Monitor *m = user_data;
  g_autoptr(GString) line = g_string_new (NULL);
  gsize n = g_variant_n_children (params);
  gsize first = 0;
  gint64 when = g_get_real_time ();

  /* Our signals carry their time as first argument: show it as the time. */
  if (g_str_has_prefix (iface, IFACE_PREFIX) && n > 0)
    {
      g_autoptr(GVariant) arg0 = g_variant_get_child_value (params, 0);

      if (g_variant_is_of_type (arg0, G_VARIANT_TYPE_INT64))
        when = g_variant_get_int64 (arg0), first = 1;
    }
  append_time (line, when);

  if (strcmp (iface, PROPS_IFACE) == 0 && strcmp (member, "PropertiesChanged") == 0 &&
      g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")))
    {
      const char *changed_iface;
      g_autoptr(GVariantIter) changed = NULL;
      g_autoptr(GVariantIter) invalidated = NULL;
      const char *name;
      GVariant *value;

      g_variant_get (params, "(&sa{sv}as)", &changed_iface, &changed, &invalidated);
      g_string_append_printf (line, " %s %s %s", path, short_iface (changed_iface), _("changed:"));
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
  else if (strcmp (iface, OM_IFACE) == 0 && strcmp (member, "InterfacesAdded") == 0 &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    {
      const char *object;
      g_autoptr(GVariant) ifaces = NULL;
      GVariantIter iter;
      const char *name;

      g_variant_get (params, "(&o@a{sa{sv}})", &object, &ifaces);
      g_string_append_printf (line, " %s %s", object, _("added:"));
      g_variant_iter_init (&iter, ifaces);
      while (g_variant_iter_next (&iter, "{&s@a{sv}}", &name, NULL))
        if (!g_str_has_prefix (name, DBUS_PREFIX))
          g_string_append_printf (line, " %s", short_iface (name));
    }
  else if (strcmp (iface, OM_IFACE) == 0 && strcmp (member, "InterfacesRemoved") == 0 &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(oas)")))
    {
      const char *object;
      g_autoptr(GVariantIter) ifaces = NULL;

      g_variant_get (params, "(&oas)", &object, &ifaces);
      g_string_append_printf (line, " %s %s", object, _("removed:"));
      append_iface_list (line, ifaces);
    }
  else
    {
      GDBusInterfaceInfo *info = monitor_lookup_iface (m, path, iface);
      GDBusSignalInfo *signal = info ? g_dbus_interface_info_lookup_signal (info, member) : NULL;
      guint n_names = 0;

      while (signal != NULL && signal->args != NULL && signal->args[n_names] != NULL)
        n_names++;
      if (n_names != n)
        signal = NULL;  /* introspection disagrees with the message: no names */

      g_string_append_printf (line, " %s %s.%s", path, short_iface (iface), member);
      for (gsize i = first; i < n; i++)
        {
          g_autoptr(GVariant) arg = g_variant_get_child_value (params, i);

          g_string_append_c (line, ' ');
          if (signal != NULL)
            g_string_append_printf (line, "%s=", signal->args[i]->name);
          g_variant_print_string (arg, line, FALSE);
        }
    }
  emit_line (line);
}

static void
monitor_follow (Monitor *m, const char *owner)
{
  if (m->signals_id != 0)
    g_dbus_connection_signal_unsubscribe (bus, m->signals_id);
  m->signals_id = 0;
  g_clear_pointer (&m->owner, g_free);
  g_hash_table_remove_all (m->ifaces);
  if (owner == NULL || *owner == '\0')
    return;
  m->owner = g_strdup (owner);
  /* Filter on the unique name: a well-known sender name is not reliable in
   * match rules, and it must be followed across daemon restarts anyway. */
  m->signals_id = g_dbus_connection_signal_subscribe (bus, m->owner, NULL, NULL, NULL, NULL,
                                                      G_DBUS_SIGNAL_FLAGS_NONE,
                                                      on_daemon_signal, m, NULL);
}

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *iface,
                       const char      *member,
                       GVariant        *params,
                       gpointer         user_data)
{
  Monitor *m = user_data;
  g_autoptr(GString) line = g_string_new (NULL);
  const char *name, *old_owner, *new_owner;

  g_variant_get (params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (g_strcmp0 (new_owner, m->owner) == 0)
    return;
  monitor_follow (m, new_owner);
  append_time (line, g_get_real_time ());
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

static int
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
  if (get_bus (&error) == NULL)
    return fail_error (error);

  m.loop = g_main_loop_new (NULL, FALSE);
  m.ifaces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) g_dbus_interface_info_unref);
  owner_id = g_dbus_connection_signal_subscribe (bus, "org.freedesktop.DBus",
                                                 "org.freedesktop.DBus", "NameOwnerChanged",
                                                 "/org/freedesktop/DBus", DAEMON_NAME,
                                                 G_DBUS_SIGNAL_FLAGS_NONE,
                                                 on_name_owner_changed, &m, NULL);
  owner = get_daemon_owner (&error);
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
  g_dbus_connection_signal_unsubscribe (bus, owner_id);
  g_hash_table_unref (m.ifaces);
  g_main_loop_unref (m.loop);
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
};

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
                                           "account/N, account:USER@DOMAIN, session/N, or an object path."));
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
