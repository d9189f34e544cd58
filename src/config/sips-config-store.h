/* sips-config-store.h: the one configuration file (GKeyFile), written atomically, mode 0600 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SIPS_TYPE_CONFIG_STORE (sips_config_store_get_type ())
G_DECLARE_FINAL_TYPE (SipsConfigStore, sips_config_store, SIPS, CONFIG_STORE, GObject)

/* path: full path of the keyfile; its directory is created (0700) on first save. */
SipsConfigStore *sips_config_store_new      (const char       *path);
const char      *sips_config_store_get_path (SipsConfigStore  *self);

/* Loads the file. A missing file is not an error (empty configuration).
 * An unparsable file is an error (SIPS_ERROR_FAILED) and leaves the store empty. */
gboolean         sips_config_store_load     (SipsConfigStore  *self,
                                             GError          **error);

/* The keyfile itself, owned by the store. Sections read and write it, then call save(). */
GKeyFile        *sips_config_store_get_keyfile (SipsConfigStore *self);

/* Writes the whole keyfile to a temporary file in the same directory, fsyncs it,
 * chmods it 0600 and renames it over the old one: a reader (or a daemon killed at any
 * instant) sees either the old or the new complete file. */
gboolean         sips_config_store_save     (SipsConfigStore  *self,
                                             GError          **error);

/* Snapshot of the whole keyfile, to undo changes whose save() failed. */
GBytes          *sips_config_store_snapshot (SipsConfigStore  *self);
void             sips_config_store_restore  (SipsConfigStore  *self,
                                             GBytes           *snapshot);

/* Default location: $XDG_CONFIG_HOME/sipsimpled/sipsimpled.conf, or
 * /var/lib/sipsimpled/sipsimpled.conf when system is TRUE. */
char            *sips_config_store_default_path (gboolean system);

G_END_DECLS
