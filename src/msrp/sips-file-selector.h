/* sips-file-selector.h: RFC 5547 SDP attributes of a file transfer (file-selector,
 * file-date, file-transfer-id). Pure functions, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char   *name;   /* decoded file name as on the wire (NOT sanitised), NULL = absent */
  char   *type;   /* MIME type incl. parameters ("text/plain;charset=UTF-8"), NULL = absent */
  gint64  size;   /* -1 = absent */
  char   *hash;   /* "sha-1:XX:XX:...:XX" (20 bytes, upper-case hex), NULL = absent */
} SipsFileSelector;

SipsFileSelector *sips_file_selector_new    (void);

/* value = what follows "a=file-selector:" (leading and trailing blanks allowed). Any
 * order of name:/type:/size:/hash: selectors, each at most once (hash: once per
 * algorithm); unknown hash algorithms are skipped (hash stays NULL unless sha-1 is
 * present; its hex is upper-cased). The name is a quoted string with %-escapes (%22
 * for ", %0D, %0A, %25); a name that decodes to a NUL byte, "" or invalid escapes,
 * unknown selectors, a size that overflows, a sha-1 hash not of 20 bytes: malformed
 * -> NULL + G_IO_ERROR_INVALID_DATA. type parameters may be quoted (as RFC 5547 says)
 * or tokens; type holds them in Content-Type form (quoted with '\' escapes if needed). */
SipsFileSelector *sips_file_selector_parse  (const char             *value,
                                             GError                **error);

/* The value without "a=file-selector:"; absent fields are left out, the name is
 * %-escaped (", CR, LF, %), type parameters are quoted. A type that is not
 * type/subtype[;attr=value...] is left out (see sips_file_selector_type_valid). */
char             *sips_file_selector_format (const SipsFileSelector *sel);

SipsFileSelector *sips_file_selector_copy   (const SipsFileSelector *sel);
gboolean          sips_file_selector_equal  (const SipsFileSelector *a,
                                             const SipsFileSelector *b);
void              sips_file_selector_free   (SipsFileSelector       *sel);

/* A Content-Type value that sips_file_selector_format can carry (type/subtype with
 * token characters, optional ;attr=value parameters, blanks around them allowed). */
gboolean          sips_file_selector_type_valid (const char *type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsFileSelector, sips_file_selector_free)

/* The value of a=file-date: for a modification time, in UTC with English day and
 * month names whatever the locale: modification:"Mon, 15 May 2006 15:01:31 +0000". */
char     *sips_file_date_format        (GDateTime  *modification);

/* RFC 4566 token (what a=file-transfer-id: carries), at most 256 bytes. */
gboolean  sips_file_transfer_id_valid  (const char *id);

/* "sha-1:XX:..." (upper-case) from a SHA-1 GChecksum; the checksum stays usable
 * (a copy is finished). NULL if it is not SHA-1. */
char     *sips_file_hash_from_checksum (GChecksum  *sha1);
/* The same from a SHA-1 digest of 20 bytes. */
char     *sips_file_hash_from_digest   (const guint8 *digest);

G_END_DECLS
