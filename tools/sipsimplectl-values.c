/* sipsimplectl-values.c: object names (settings, account/N, account:ID, session/N...)
 * to paths, and property values to and from command-line words.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>
#include <string.h>

/* ------------------------------------------------------- objects */

GVariant *
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
GPtrArray *
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

char *
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
char *
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
GDBusNodeInfo *
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
GDBusPropertyInfo *
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

char *
format_plain (GVariant *value)
{
  GString *out = g_string_new (NULL);

  append_plain (out, value);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------- values: parsing */

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
        g_autoptr(GVariant) value = g_variant_parse (type, text, NULL, NULL, NULL);

        /* g_variant_parse gives a full reference; callers expect a floating one
         * like g_variant_new_*() returns (builders and calls consume it) */
        if (value != NULL)
          {
            g_autoptr(GBytes) data = g_variant_get_data_as_bytes (value);
            return g_variant_new_from_bytes (type, data, TRUE);
          }
      }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("invalid value “%s” for %s (type %s)"), text, name,
               g_variant_type_peek_string (type));
  return NULL;
}

/* Builds a value of `type` from command-line words: a list takes the words
 * (or one word separated by commas/blanks), a string joins them with spaces. */
GVariant *
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
