/* sips-file-name.c: interim safe names (replaced by wip/ftsel) */
#include "sips-file-name.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

char *
sips_file_name_sanitize (const char *wire_name)
{
  g_autofree char *valid = g_utf8_make_valid (wire_name != NULL ? wire_name : "", -1);
  GString *s = g_string_new (NULL);
  const char *p = valid;

  for (; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '/' || c == '\\')
        g_string_append_c (s, '_');
      else if (c < 0x20 || c == 0x7f)
        continue;
      else
        g_string_append_c (s, (char) c);
    }
  while (s->len > 0 && (s->str[0] == '.' || s->str[0] == ' '))
    g_string_erase (s, 0, 1);
  if (s->len > 200)
    {
      const char *end = s->str + 200;

      while (end > s->str && (((guchar) *end) & 0xC0) == 0x80)
        end--;
      g_string_truncate (s, (gsize) (end - s->str));
    }
  if (s->len == 0)
    g_string_assign (s, "file");
  return g_string_free (s, FALSE);
}

int
sips_file_name_create_temp (const char *directory, char **tmp_path, GError **error)
{
  g_autofree char *tmpl = g_build_filename (directory, ".sipsimpled-XXXXXX.part", NULL);
  int fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", directory,
                   g_strerror (saved));
      return -1;
    }
  *tmp_path = g_steal_pointer (&tmpl);
  return fd;
}

char *
sips_file_name_commit (const char *tmp_path, const char *directory, const char *name,
                       GError **error)
{
  const char *dot = strrchr (name, '.');
  g_autofree char *stem = dot != NULL && dot != name ? g_strndup (name, (gsize) (dot - name)) : g_strdup (name);
  const char *ext = dot != NULL && dot != name ? dot : "";

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *candidate = i == 0 ? g_strdup (name) : g_strdup_printf ("%s (%u)%s", stem, i, ext);
      g_autofree char *path = g_build_filename (directory, candidate, NULL);

      if (link (tmp_path, path) == 0)
        {
          g_unlink (tmp_path);
          return g_steal_pointer (&path);
        }
      if (errno != EEXIST)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                       g_strerror (saved));
          return NULL;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "too many files named %s", name);
  return NULL;
}
