/* sips-file-selector.h: RFC 5547 SDP attributes (file-selector, file-date, file-transfer-id).
 * Interim version by ftcore; the real one comes from wip/ftsel (same API). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char   *name;
  char   *type;
  gint64  size;
  char   *hash;
} SipsFileSelector;

SipsFileSelector *sips_file_selector_new   (void);
SipsFileSelector *sips_file_selector_parse (const char *value, GError **error);
char             *sips_file_selector_format (const SipsFileSelector *sel);
void              sips_file_selector_free  (SipsFileSelector *sel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsFileSelector, sips_file_selector_free)

char     *sips_file_date_format         (GDateTime *modification);
gboolean  sips_file_transfer_id_valid   (const char *id);
char     *sips_file_hash_from_checksum  (GChecksum *sha1);

G_END_DECLS
