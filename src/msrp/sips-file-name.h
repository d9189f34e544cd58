/* sips-file-name.h: file names from the wire, and creating received files safely
 * (hidden temporary file, then a rename that never overwrites). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Never NULL, never "", a single path component of at most SIPS_FILE_NAME_MAX bytes
 * (UTF-8 kept valid, the extension kept when it is cut): '/' and '\\' -> '_', control
 * characters (C0, DEL, C1), bidi controls and line/paragraph separators removed,
 * leading dots and blanks and trailing blanks stripped, invalid UTF-8 replaced by
 * U+FFFD, and "." ".." "" (or nothing left) -> "file". */
#define SIPS_FILE_NAME_MAX 200
char *sips_file_name_sanitize    (const char  *wire_name);

/* A hidden ".sipsimpled-XXXXXX.part" in directory, O_CREAT|O_EXCL|O_CLOEXEC, mode
 * 0600; returns the fd (read-write) and its path, or -1 with a G_IO_ERROR. */
int   sips_file_name_create_temp (const char  *directory,
                                  char       **tmp_path,
                                  GError     **error);

/* Renames tmp_path to directory/name, or to "name (1).ext", "name (2).ext", ... when
 * taken, never overwriting anything (renameat2 RENAME_NOREPLACE; where the file system
 * lacks it, link() + unlink()). The extension is what follows the last dot (not a
 * leading one), and ".tar" before a short last extension belongs to it:
 * "a.tar.gz" -> "a (1).tar.gz"; "README" -> "README (1)". name must be a single
 * component (G_IO_ERROR_INVALID_FILENAME otherwise). Returns the final path; on error
 * tmp_path is left in place (the caller removes it). */
char *sips_file_name_commit      (const char  *tmp_path,
                                  const char  *directory,
                                  const char  *name,
                                  GError     **error);

/* The name of the n-th candidate (0 = name itself): "name (n).ext". */
char *sips_file_name_numbered    (const char  *name,
                                  guint        n);

G_END_DECLS
