/* sips-test-util.c: helpers shared by the unit tests */
#include "sips-test-util.h"

#include <glib/gstdio.h>

void
sips_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }

  for (const char *name = g_dir_read_name (dir); name != NULL; name = g_dir_read_name (dir))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      sips_test_remove_tree (child);
    }
  g_chmod (path, 0700);
  g_rmdir (path);
}

void
sips_test_set_ok (SipsConfigSection *section, const char *name, GVariant *value)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sips_config_section_set (section, name, value, &error));
  g_assert_no_error (error);
}

guint
sips_test_count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}
