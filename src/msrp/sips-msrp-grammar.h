/* sips-msrp-grammar.h: RFC 4975 tokens shared by the MSRP parser and writer */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPS_MSRP_METHOD_UNKNOWN,   /* well-formed but not ours: answer 501 */
  SIPS_MSRP_METHOD_SEND,
  SIPS_MSRP_METHOD_REPORT,
  SIPS_MSRP_METHOD_AUTH,      /* RFC 4976 */
} SipsMsrpMethod;

/* The status codes of RFC 4975 §10 and RFC 4976 (AUTH). */
typedef enum {
  SIPS_MSRP_STATUS_OK                    = 200,
  SIPS_MSRP_STATUS_BAD_REQUEST           = 400,
  SIPS_MSRP_STATUS_UNAUTHORIZED          = 401,
  SIPS_MSRP_STATUS_FORBIDDEN             = 403,
  SIPS_MSRP_STATUS_REQUEST_TIMEOUT       = 408,
  SIPS_MSRP_STATUS_STOP_SENDING          = 413,
  SIPS_MSRP_STATUS_UNSUPPORTED_MEDIA     = 415,
  SIPS_MSRP_STATUS_OUT_OF_BOUNDS         = 423,
  SIPS_MSRP_STATUS_NO_SUCH_SESSION       = 481,
  SIPS_MSRP_STATUS_UNKNOWN_METHOD        = 501,
  SIPS_MSRP_STATUS_SESSION_ALREADY_BOUND = 506,
} SipsMsrpStatus;

/* Success-Report (yes/no) and Failure-Report (yes/no/partial) values. */
typedef enum {
  SIPS_MSRP_REPORT_NO,
  SIPS_MSRP_REPORT_YES,
  SIPS_MSRP_REPORT_PARTIAL,
} SipsMsrpReport;

/* '*' in a Byte-Range (unknown end or total). */
#define SIPS_MSRP_BYTE_RANGE_UNKNOWN ((gint64) -1)

/* Byte-Range: start-end/total, 1-based and inclusive; end/total may be unknown. */
typedef struct {
  gint64 start;
  gint64 end;
  gint64 total;
} SipsMsrpByteRange;

/* The continuation flags of an end-line. */
#define SIPS_MSRP_FLAG_COMPLETE    '$'
#define SIPS_MSRP_FLAG_CONTINUED   '+'
#define SIPS_MSRP_FLAG_INTERRUPTED '#'

const char     *sips_msrp_method_to_string      (SipsMsrpMethod method);
/* Case-sensitive, as the methods are upper-case tokens; others are UNKNOWN. */
SipsMsrpMethod  sips_msrp_method_from_string    (const char *name);

/* The standard comment for a status code ("OK", "Bad Request"...), "Unknown" otherwise. */
const char     *sips_msrp_status_reason         (guint code);

/* ident = ALPHANUM 3*31ident-char (transaction ids, Message-IDs). */
gboolean        sips_msrp_is_ident              (const char *text,
                                                 gsize       len);
gboolean        sips_msrp_is_ident_char         (char c);
/* n_chars random alphanumerics from the system CSPRNG (16 chars carry 95 bits). */
char           *sips_msrp_random_ident          (guint n_chars);

gboolean        sips_msrp_byte_range_parse      (const char        *value,
                                                 SipsMsrpByteRange *range);
char           *sips_msrp_byte_range_to_string  (const SipsMsrpByteRange *range);

/* Status: namespace SP code [SP comment]; comment is NULL when absent. */
gboolean        sips_msrp_status_header_parse   (const char *value,
                                                 guint      *ns,
                                                 guint      *code,
                                                 char      **comment);

gboolean        sips_msrp_report_parse          (const char     *value,
                                                 gboolean        allow_partial,
                                                 SipsMsrpReport *report);
const char     *sips_msrp_report_to_string      (SipsMsrpReport report);

/* 1*DIGIT into a guint64, at most 18 digits (so no overflow); FALSE otherwise. */
gboolean        sips_msrp_parse_number          (const char *text,
                                                 gsize       len,
                                                 guint64    *value);

G_END_DECLS
