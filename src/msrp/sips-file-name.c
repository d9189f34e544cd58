/* sips-file-name.c: file names from the wire, and creating received files safely
 * (hidden temporary file, then a rename that never overwrites). */
#include "sips-file-name.h"
#include "sips-file-name-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXTENSION_MAX 16     /* longer "extensions" are part of the name */
#define NUMBERED_MAX  10000  /* "name (9999).ext" is the last candidate */

static SipsFileNameCommitMode commit_mode = SIPS_FILE_NAME_COMMIT_RENAMEAT2;
static SipsFileNameCommitHook commit_hook;
static gpointer commit_hook_data;

void
sips_file_name_set_test_hooks (SipsFileNameCommitMode mode,
                               SipsFileNameCommitHook hook,
                               gpointer               data)
{
  commit_mode = mode;
  commit_hook = hook;
  commit_hook_data = data;
}

/* Characters a received name never keeps: C0, DEL, C1, bidi controls (an RLO turns
 * "\u202Egnp.exe" into what looks like "exe.png"), line and paragraph separators. */
static gboolean
is_dropped (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e ||
         c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x2028 || c == 0x2029;
}

/* The start of the extension (its dot) of a sanitised name, or NULL. */
static const char *
find_extension (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL || dot == name || dot[1] == '\0' || strlen (dot + 1) > EXTENSION_MAX ||
      strpbrk (dot, " \t") != NULL)
    return NULL;
  /* "archive.tar.gz" numbers as "archive (1).tar.gz" */
  if (strlen (dot + 1) <= 4 && dot - name > 4 &&
      g_ascii_strncasecmp (dot - 4, ".tar", 4) == 0)
    dot -= 4;
  return dot;
}

/* At most max bytes of s, cut at a character boundary (s is valid UTF-8). */
static gsize
utf8_prefix_len (const char *s,
                 gsize       max)
{
  const char *p = s, *last = s;

  while (*p != '\0' && (gsize) (p - s) <= max)
    {
      last = p;
      p = g_utf8_next_char (p);
    }
  return (gsize) (p - s) <= max ? (gsize) (p - s) : (gsize) (last - s);
}

static void
strip_trailing_blanks (GString *s)
{
  while (s->len > 0)
    {
      const char *last = g_utf8_find_prev_char (s->str, s->str + s->len);

      if (last == NULL || !g_unichar_isspace (g_utf8_get_char (last)))
        break;
      g_string_truncate (s, (gsize) (last - s->str));
    }
}

char *
sips_file_name_sanitize (const char *wire_name)
{
  g_autofree char *valid = g_utf8_make_valid (wire_name != NULL ? wire_name : "", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean leading = TRUE;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_dropped (c))
        continue;
      if (leading && (c == '.' || g_unichar_isspace (c)))
        continue;
      leading = FALSE;
      if (c == '/' || c == '\\')
        c = '_';
      g_string_append_unichar (out, c);
    }
  strip_trailing_blanks (out);

  if (out->len > SIPS_FILE_NAME_MAX)
    {
      const char *ext = find_extension (out->str);
      g_autofree char *ext_copy = g_strdup (ext);
      gsize keep;

      /* keep the extension, shorten the stem */
      keep = utf8_prefix_len (out->str, SIPS_FILE_NAME_MAX - (ext ? strlen (ext) : 0));
      g_string_truncate (out, keep);
      strip_trailing_blanks (out);
      if (ext_copy != NULL)
        g_string_append (out, ext_copy);
    }
  if (out->len == 0)
    g_string_assign (out, "file");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

int
sips_file_name_create_temp (const char  *directory,
                            char       **tmp_path,
                            GError     **error)
{
  g_autofree char *path = NULL;
  int fd, saved;

  g_return_val_if_fail (directory != NULL && tmp_path != NULL, -1);
  path = g_build_filename (directory, ".sipsimpled-XXXXXX.part", NULL);
  fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create a file in “%s”: %s"), directory, g_strerror (saved));
      return -1;
    }
  *tmp_path = g_steal_pointer (&path);
  return fd;
}

char *
sips_file_name_numbered (const char *name,
                         guint       n)
{
  const char *ext;

  if (n == 0)
    return g_strdup (name);
  ext = find_extension (name);
  if (ext == NULL)
    return g_strdup_printf ("%s (%u)", name, n);
  return g_strdup_printf ("%.*s (%u)%s", (int) (ext - name), name, n, ext);
}

/* Without hard links: claim the name with an empty file of our own (O_EXCL), then
 * rename over it; only our own placeholder can be replaced. */
static int
commit_by_placeholder (const char *tmp_path,
                       const char *target)
{
  int fd = open (target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    return -1;
  close (fd);
  if (rename (tmp_path, target) < 0)
    {
      int saved = errno;

      unlink (target);
      errno = saved;
      return -1;
    }
  return 0;
}

/* One attempt; -1 with errno (EEXIST: try the next name). Steps down to the
 * fallbacks when the file system lacks a primitive, for this and later attempts. */
static int
commit_once (const char             *tmp_path,
             const char             *target,
             SipsFileNameCommitMode *mode)
{
  if (*mode == SIPS_FILE_NAME_COMMIT_RENAMEAT2)
    {
      if (renameat2 (AT_FDCWD, tmp_path, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
        return 0;
      if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -1;
      g_debug ("renameat2 RENAME_NOREPLACE not supported here: link() + unlink()");
      *mode = SIPS_FILE_NAME_COMMIT_LINK;
    }
  if (*mode == SIPS_FILE_NAME_COMMIT_LINK)
    {
      if (link (tmp_path, target) == 0)
        {
          if (unlink (tmp_path) < 0)
            g_warning ("Cannot remove %s: %s", tmp_path, g_strerror (errno));
          return 0;
        }
      if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
        return -1;
      g_debug ("no hard links here: placeholder + rename()");
      *mode = SIPS_FILE_NAME_COMMIT_PLACEHOLDER;
    }
  return commit_by_placeholder (tmp_path, target);
}

char *
sips_file_name_commit (const char  *tmp_path,
                       const char  *directory,
                       const char  *name,
                       GError     **error)
{
  SipsFileNameCommitMode mode = commit_mode;
  int saved;

  g_return_val_if_fail (tmp_path != NULL && directory != NULL && name != NULL, NULL);
  if (name[0] == '\0' || strchr (name, '/') != NULL || strcmp (name, ".") == 0 ||
      strcmp (name, "..") == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("“%s” is not a file name"), name);
      return NULL;
    }

  for (guint n = 0; n < NUMBERED_MAX; n++)
    {
      g_autofree char *candidate = sips_file_name_numbered (name, n);
      g_autofree char *target = g_build_filename (directory, candidate, NULL);

      if (commit_hook != NULL)
        commit_hook (target, commit_hook_data);
      if (commit_once (tmp_path, target, &mode) == 0)
        return g_steal_pointer (&target);
      saved = errno;
      if (saved != EEXIST)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot save the file as “%s”: %s"), target, g_strerror (saved));
          return NULL;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               _("Cannot save the file as “%s” in “%s”: all names are taken"), name,
               directory);
  return NULL;
}
