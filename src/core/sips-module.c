/* sips-module.c: opening the daemon's own modules */
#include "core/sips-module.h"

#include <gmodule.h>

static char *
module_dir (void)
{
  const char *dir = g_getenv ("SIPSIMPLED_MODULE_DIR");
  g_autofree char *exe = NULL;

  if (dir != NULL && *dir != '\0')
    return g_strdup (dir);
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL && g_str_has_prefix (exe, SIPS_BUILD_ROOT "/"))
    return g_strdup (SIPS_MODULE_BUILD_DIR);
  return g_strdup (SIPS_MODULE_DIR);
}

gconstpointer
sips_module_load (const char *name, const char *symbol, guint abi, char **error_message)
{
  g_autofree char *dir = module_dir ();
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GModule *gmodule = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  gconstpointer (*get) (void) = NULL;
  const guint *table = NULL;

  if (gmodule == NULL)
    {
      *error_message = g_strdup (g_module_error ());
      return NULL;
    }
  if (g_module_symbol (gmodule, symbol, (gpointer *) &get) && get != NULL)
    table = get ();
  if (table == NULL || *table != abi)
    {
      *error_message = g_strdup_printf ("%s: not a usable module", path);
      g_module_close (gmodule);
      return NULL;
    }
  g_module_make_resident (gmodule);
  g_debug ("loaded %s", path);
  return table;
}
