/* sips-config-store.c: the one configuration file (GKeyFile), written atomically, mode 0600 */
#include "sips-config-store.h"

#include <string.h>

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "core/sips-error.h"

struct _SipsConfigStore
{
  GObject   parent_instance;

  char     *path;
  GKeyFile *keyfile;
};

G_DEFINE_FINAL_TYPE (SipsConfigStore, sips_config_store, G_TYPE_OBJECT)

/* GObject vfuncs */

static void
sips_config_store_finalize (GObject *object)
{
  SipsConfigStore *self = SIPS_CONFIG_STORE (object);

  g_free (self->path);
  g_key_file_unref (self->keyfile);

  G_OBJECT_CLASS (sips_config_store_parent_class)->finalize (object);
}

static void
sips_config_store_class_init (SipsConfigStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sips_config_store_finalize;
}

static void
sips_config_store_init (SipsConfigStore *self)
{
  self->keyfile = g_key_file_new ();
}

/* Public API */

SipsConfigStore *
sips_config_store_new (const char *path)
{
  SipsConfigStore *self;

  g_return_val_if_fail (path != NULL && *path != '\0', NULL);

  self = g_object_new (SIPS_TYPE_CONFIG_STORE, NULL);
  self->path = g_strdup (path);
  return self;
}

const char *
sips_config_store_get_path (SipsConfigStore *self)
{
  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (self), NULL);
  return self->path;
}

GKeyFile *
sips_config_store_get_keyfile (SipsConfigStore *self)
{
  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (self), NULL);
  return self->keyfile;
}

/* A daemon killed in the middle of a save leaves its temporary file ("NAME.XXXXXX",
 * see g_file_set_contents_full) next to the configuration; nothing else writes those. */
static void
remove_stale_temporaries (SipsConfigStore *self)
{
  g_autofree char *dirname = g_path_get_dirname (self->path);
  g_autofree char *basename = g_path_get_basename (self->path);
  g_autofree char *prefix = g_strconcat (basename, ".", NULL);
  g_autoptr(GDir) dir = g_dir_open (dirname, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_prefix (name, prefix) && strlen (name) == strlen (prefix) + 6)
        {
          g_autofree char *path = g_build_filename (dirname, name, NULL);

          g_debug ("Removing %s, left by an interrupted save", path);
          g_unlink (path);
        }
    }
}

gboolean
sips_config_store_load (SipsConfigStore *self, GError **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (self), FALSE);

  if (!g_key_file_load_from_file (keyfile, self->path,
                                  G_KEY_FILE_KEEP_COMMENTS, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_debug ("Configuration file %s does not exist yet", self->path);
          g_key_file_unref (self->keyfile);
          self->keyfile = g_steal_pointer (&keyfile);
          return TRUE;
        }

      /* Leave the store empty: the caller decides whether to go on. */
      g_key_file_unref (self->keyfile);
      self->keyfile = g_key_file_new ();
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("Cannot read the configuration file %s: %s"),
                   self->path, local_error->message);
      return FALSE;
    }

  g_key_file_unref (self->keyfile);
  self->keyfile = g_steal_pointer (&keyfile);
  remove_stale_temporaries (self);
  g_debug ("Loaded configuration from %s", self->path);
  return TRUE;
}

gboolean
sips_config_store_save (SipsConfigStore *self, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (self), FALSE);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("Cannot create the configuration directory %s: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  data = g_key_file_to_data (self->keyfile, &length, NULL);

  /* CONSISTENT = temporary file in the same directory + rename; DURABLE adds the
   * fsync. The temporary file is created with the mode, so it is never readable
   * by others, not even for an instant. */
  if (!g_file_set_contents_full (self->path, data, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("Cannot save the configuration file %s: %s"),
                   self->path, local_error->message);
      return FALSE;
    }

  return TRUE;
}

char *
sips_config_store_default_path (gboolean system)
{
  if (system)
    return g_build_filename ("/var/lib", "sipsimpled", "sipsimpled.conf", NULL);

  return g_build_filename (g_get_user_config_dir (), "sipsimpled", "sipsimpled.conf", NULL);
}

GBytes *
sips_config_store_snapshot (SipsConfigStore *self)
{
  gsize length = 0;
  char *data;

  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (self), NULL);

  data = g_key_file_to_data (self->keyfile, &length, NULL);
  return g_bytes_new_take (data, length);
}

void
sips_config_store_restore (SipsConfigStore *self, GBytes *snapshot)
{
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data;

  g_return_if_fail (SIPS_IS_CONFIG_STORE (self));
  g_return_if_fail (snapshot != NULL);

  /* Reload into the same GKeyFile: sections hold no pointer into it but the
   * keyfile itself, which must stay the same object. */
  data = g_bytes_get_data (snapshot, &length);
  if (!g_key_file_load_from_data (self->keyfile, data ? data : "", length,
                                  G_KEY_FILE_KEEP_COMMENTS, &error))
    g_warning ("Cannot restore the configuration snapshot: %s", error->message);
}
