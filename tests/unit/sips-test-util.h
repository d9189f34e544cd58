/* sips-test-util.h: helpers shared by the unit tests */
#pragma once

#include <glib.h>
#include "config/sips-config-section.h"

G_BEGIN_DECLS

/* Removes a file or a directory tree (best effort; restores write permission first). */
void sips_test_remove_tree (const char *path);

/* Sets a value that must be accepted. */
void sips_test_set_ok (SipsConfigSection *section, const char *name, GVariant *value);

/* This process's open file descriptors. */
guint sips_test_count_fds (void);

G_END_DECLS
