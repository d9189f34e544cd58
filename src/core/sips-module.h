/* sips-module.h: the daemon's own loadable modules (libsips-ice.so, libsips-media.so):
 * parts whose libraries an idle daemon should not map, opened on first use */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens the module `name` and returns what its function `symbol` (no arguments) returns,
 * a table whose first member is its ABI version, which must be `abi`. NULL with the reason
 * in *error_message (newly allocated) when the module cannot be used. The module stays for
 * the life of the process (its GTypes cannot be unregistered).
 *
 * Where: $SIPSIMPLED_MODULE_DIR if set; else the build tree's module when this program
 * runs from the build tree (tests, tools/run); else the installed one. */
gconstpointer sips_module_load (const char *name, const char *symbol, guint abi,
                                char **error_message);

G_END_DECLS
