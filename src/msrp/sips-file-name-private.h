/* sips-file-name-private.h: test hooks of sips-file-name.c (unit tests only) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPS_FILE_NAME_COMMIT_RENAMEAT2,    /* the normal way */
  SIPS_FILE_NAME_COMMIT_LINK,         /* as if renameat2 RENAME_NOREPLACE were missing */
  SIPS_FILE_NAME_COMMIT_PLACEHOLDER,  /* as if hard links were missing too */
} SipsFileNameCommitMode;

/* Called with each candidate path just before it is tried (a test creates the file
 * there to play a racing writer). */
typedef void (*SipsFileNameCommitHook) (const char *target,
                                        gpointer    data);

void sips_file_name_set_test_hooks (SipsFileNameCommitMode mode,
                                    SipsFileNameCommitHook hook,
                                    gpointer               data);

G_END_DECLS
