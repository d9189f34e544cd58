/* sips-msrp-headers.h: the known headers of an MSRP message, interpreted (RFC 4975
 * §8, RFC 4976) */
#pragma once

#include <glib.h>

#include "sips-msrp-grammar.h"

G_BEGIN_DECLS

/* The known headers of a message. Paths hold SipsMsrpUri. Absent: NULL, has_*
 * FALSE, expires -1; the reports default to the RFC's Success-Report: no,
 * Failure-Report: yes. */
typedef struct {
  GPtrArray        *to_path;
  GPtrArray        *from_path;
  GPtrArray        *use_path;             /* RFC 4976, in AUTH responses */
  char             *message_id;
  char             *content_type;
  SipsMsrpReport    success_report;
  SipsMsrpReport    failure_report;
  gboolean          has_byte_range;
  SipsMsrpByteRange byte_range;           /* start 1, end and total unknown when absent */
  gboolean          has_status;
  guint             status_namespace;
  guint             status_code;
  char             *status_comment;
  gint64            expires;              /* RFC 4976 Expires, Min-, Max-Expires */
  gint64            min_expires;
  gint64            max_expires;
  char             *www_authenticate;     /* RFC 4976: the first of each, raw */
  char             *authorization;
  char             *authentication_info;
  guint             seen;                 /* private: known headers seen */
} SipsMsrpHeaders;

/* Sets the defaults (on a zeroed or cleared struct). */
void     sips_msrp_headers_init  (SipsMsrpHeaders *headers);
/* Frees what the struct holds and sets the defaults again. */
void     sips_msrp_headers_clear (SipsMsrpHeaders *headers);

/* Takes one header line: a known header (case-insensitive name) is interpreted, an
 * extension header ignored. FALSE if a known header is malformed or repeated (400). */
gboolean sips_msrp_headers_take  (SipsMsrpHeaders *headers,
                                  const char      *name,
                                  const char      *value);

G_END_DECLS
