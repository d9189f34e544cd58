/* sipsimplectl-complete.c: `sipsimplectl __complete KIND [OBJECT]`, the words the bash
 * completion (data/sipsimplectl.bash-completion) offers, one per line. Live names come
 * from one GetManagedObjects call; a daemon that is not running is not started, and
 * then only the static words are printed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <string.h>

static const char * const aliases[] = { "settings", "rtp", "msrp", "ringtone", "manager", NULL };

/* /org/sipsimple/Account/3 -> account/3, .../Session/2/Chat -> chat/2, ... */
static char *
short_name (const char *path)
{
  static const struct { const char *prefix; const char *kind; } kinds[] = {
    { ROOT_PATH "/Account/", "account" },
    { ROOT_PATH "/Session/", "session" },
    { ROOT_PATH "/FileTransfer/", "transfer" },
    { ROOT_PATH "/Subscription/", "subscription" },
    { ROOT_PATH "/Publication/", "publication" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_has_prefix (path, kinds[i].prefix))
      {
        const char *n = path + strlen (kinds[i].prefix);
        gsize digits = strspn (n, "0123456789");

        if (digits == 0)
          return NULL;
        if (n[digits] == '\0')
          return g_strdup_printf ("%s/%.*s", kinds[i].kind, (int) digits, n);
        if (g_str_equal (kinds[i].kind, "session") && g_str_equal (n + digits, "/Chat"))
          return g_strdup_printf ("chat/%.*s", (int) digits, n);
      }
  return NULL;
}

/* The managed objects, or NULL when the daemon is not running (never started here). */
static GVariant *
live_objects (void)
{
  g_autofree char *owner = NULL;

  if (get_bus (NULL) == NULL || (owner = get_daemon_owner_no_start (NULL)) == NULL)
    return NULL;
  return get_managed_objects (NULL);
}

static void
print_objects (GVariant *objects, const char *iface, gboolean with_aliases)
{
  g_autoptr(GPtrArray) paths = NULL;

  if (with_aliases)
    for (gsize i = 0; aliases[i] != NULL; i++)
      g_print ("%s\n", aliases[i]);
  if (objects == NULL)
    return;

  paths = objects_with_iface (objects, iface);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *name = short_name (paths->pdata[i]);

      if (name != NULL)
        g_print ("%s\n", name);
      if (g_str_equal (iface, ACCOUNT_IFACE))
        {
          g_autoptr(GVariant) props = lookup_object_props (objects, paths->pdata[i], ACCOUNT_IFACE);
          g_autofree char *id = props != NULL ? lookup_string (props, "Id") : NULL;

          if (id != NULL && *id != '\0')
            g_print ("account:%s\n", id);
        }
    }
}

/* Writable and readable property names of OBJECT's org.sipsimple interfaces. */
static void
print_properties (GVariant *objects, const char *object)
{
  g_autofree char *path = NULL;
  g_autoptr(GVariant) ifaces = NULL;
  GVariantIter iter;
  const char *iface;
  GVariant *props;

  if (objects == NULL || (path = resolve_object (object, NULL)) == NULL ||
      !g_variant_lookup (objects, path, "@a{sa{sv}}", &ifaces))
    return;

  g_variant_iter_init (&iter, ifaces);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", &iface, &props))
    {
      if (g_str_has_prefix (iface, IFACE_PREFIX))
        {
          GVariantIter piter;
          const char *name;

          g_variant_iter_init (&piter, props);
          while (g_variant_iter_next (&piter, "{&sv}", &name, NULL))
            g_print ("%s\n", name);
        }
      g_variant_unref (props);
    }
}

int
cmd_complete (int argc, char **argv)
{
  g_autoptr(GVariant) objects = NULL;
  const char *kind = argc > 1 ? argv[1] : "";

  if (g_str_equal (kind, "commands"))
    {
      print_command_names ();
      return EXIT_OK;
    }

  objects = live_objects ();
  if (g_str_equal (kind, "objects"))
    {
      print_objects (objects, ACCOUNT_IFACE, TRUE);
      print_objects (objects, SESSION_IFACE, FALSE);
      print_objects (objects, IFACE_PREFIX "MSRPChat1", FALSE);
      print_objects (objects, IFACE_PREFIX "MSRPFileTransfer1", FALSE);
      print_objects (objects, IFACE_PREFIX "Subscription1", FALSE);
      print_objects (objects, IFACE_PREFIX "Publication1", FALSE);
    }
  else if (g_str_equal (kind, "sessions"))
    print_objects (objects, SESSION_IFACE, FALSE);
  else if (g_str_equal (kind, "accounts"))
    print_objects (objects, ACCOUNT_IFACE, FALSE);
  else if (g_str_equal (kind, "transfers"))
    print_objects (objects, IFACE_PREFIX "MSRPFileTransfer1", FALSE);
  else if (g_str_equal (kind, "properties") && argc > 2)
    print_properties (objects, argv[2]);
  else
    return usage ("__complete commands|objects|sessions|accounts|transfers|properties OBJECT");
  return EXIT_OK;
}
