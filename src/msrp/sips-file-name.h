/* sips-file-name.h: file names from the wire and safe file creation.
 * Interim version by ftcore; the real one comes from wip/ftsel (same API). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sips_file_name_sanitize    (const char *wire_name);
int   sips_file_name_create_temp (const char *directory, char **tmp_path, GError **error);
char *sips_file_name_commit      (const char *tmp_path, const char *directory,
                                  const char *name, GError **error);

G_END_DECLS
