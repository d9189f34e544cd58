/* sips-msrp-parser.h: a streaming RFC 4975 parser (requests, responses, chunks)
 *
 * Feed it bytes as they come off the connection, in chunks of any size (one byte at
 * a time works); it reports each message as events and never holds more than one
 * line: bodies are passed on as they arrive. Memory is bounded by the limits.
 *
 * Per message the events are, in order: request or response (start line), header
 * (each header line), headers_end, body (zero or more pieces), end (end-line).
 * problem may come in between, once per message, as soon as something is wrong
 * but the framing is intact: the status says what to answer (requests only; a
 * response is simply dropped; a REPORT is never answered): 400 for malformed
 * headers, 413 for a chunk body or a Byte-Range total beyond the limits, 501 for an
 * unknown (well-formed) method. end repeats that status (0 = nothing wrong).
 *
 * When framing is lost (not an MSRP start line, an unusable transaction id, an
 * overlong start line, a "-------" line in the header section that is not this
 * transaction's end-line, input ending inside a message) feed()/finish() fail with a
 * SIPS_MSRP_PARSER_ERROR: close the connection.
 *
 * The callbacks must not free the parser nor feed it again. */
#pragma once

#include <glib.h>

#include "sips-msrp-grammar.h"
#include "sips-msrp-headers.h"

G_BEGIN_DECLS

#define SIPS_MSRP_PARSER_ERROR (sips_msrp_parser_error_quark ())

/* All of these mean: framing is lost, close the connection. */
typedef enum {
  SIPS_MSRP_PARSER_ERROR_BAD_START_LINE,   /* not "MSRP SP tid SP (method|status)" */
  SIPS_MSRP_PARSER_ERROR_LINE_TOO_LONG,    /* start line beyond max_line */
  SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION,  /* transaction id invalid or beyond max_tid */
  SIPS_MSRP_PARSER_ERROR_BAD_END_LINE,     /* a "-------" line that is not our end-line */
  SIPS_MSRP_PARSER_ERROR_TRUNCATED,        /* the input ended inside a message */
  SIPS_MSRP_PARSER_ERROR_FAILED,           /* fed again after one of the above */
} SipsMsrpParserError;

typedef struct {
  gsize   max_line;        /* a start or header line, CRLF included (>= 64) */
  guint   max_headers;     /* header lines per message */
  gsize   max_tid;         /* transaction id length (<= 32 is the RFC's ident) */
  guint64 max_chunk_body;  /* body bytes in one chunk (0 = no limit) -> 413 */
  guint64 max_message;     /* Byte-Range total (0 = no limit) -> 413 */
} SipsMsrpParserLimits;

/* 4096-byte lines, 64 headers, 32-char transaction ids, 16 MiB chunks, any total. */
#define SIPS_MSRP_PARSER_DEFAULT_MAX_LINE       4096
#define SIPS_MSRP_PARSER_DEFAULT_MAX_HEADERS    64
#define SIPS_MSRP_PARSER_DEFAULT_MAX_TID        32
#define SIPS_MSRP_PARSER_DEFAULT_MAX_CHUNK_BODY (16 * 1024 * 1024)

typedef struct _SipsMsrpParser SipsMsrpParser;

typedef struct {
  void (*request)     (SipsMsrpParser *parser,
                       const char     *transaction_id,
                       SipsMsrpMethod  method,
                       const char     *method_name,
                       gpointer        user_data);
  void (*response)    (SipsMsrpParser *parser,
                       const char     *transaction_id,
                       guint           status,
                       const char     *comment,      /* "" when none */
                       gpointer        user_data);
  void (*header)      (SipsMsrpParser *parser,
                       const char     *name,
                       const char     *value,
                       gpointer        user_data);
  void (*headers_end) (SipsMsrpParser *parser,
                       gboolean        has_body,
                       gpointer        user_data);
  void (*body)        (SipsMsrpParser *parser,
                       const guint8   *data,
                       gsize           len,
                       gpointer        user_data);
  void (*problem)     (SipsMsrpParser *parser,
                       guint           status,
                       const char     *reason,
                       gpointer        user_data);
  void (*end)         (SipsMsrpParser *parser,
                       char            flag,         /* '$', '+' or '#' */
                       guint           status,
                       gpointer        user_data);
} SipsMsrpParserCallbacks;

GQuark           sips_msrp_parser_error_quark       (void);

/* limits NULL = the defaults. callbacks is not copied: keep it alive (static). */
SipsMsrpParser  *sips_msrp_parser_new               (const SipsMsrpParserCallbacks *callbacks,
                                                     const SipsMsrpParserLimits    *limits,
                                                     gpointer                       user_data,
                                                     GDestroyNotify                 user_data_free);
void             sips_msrp_parser_free              (SipsMsrpParser *self);
void             sips_msrp_parser_get_default_limits (SipsMsrpParserLimits *limits);

/* FALSE (with error) when framing is lost; the parser then stays failed. */
gboolean         sips_msrp_parser_feed              (SipsMsrpParser  *self,
                                                     const guint8    *data,
                                                     gsize            len,
                                                     GError         **error);
/* At end of input: FALSE (TRUNCATED) if a message was begun and not ended. */
gboolean         sips_msrp_parser_finish            (SipsMsrpParser  *self,
                                                     GError         **error);

/* The message being parsed: valid from its start line until its end callback returns. */
const char      *sips_msrp_parser_get_transaction_id (SipsMsrpParser *self);
const SipsMsrpHeaders *sips_msrp_parser_get_headers (SipsMsrpParser *self);
/* Body bytes of the current message passed on so far. */
guint64          sips_msrp_parser_get_body_length   (SipsMsrpParser *self);
/* TRUE between messages (a clean place to close the connection). */
gboolean         sips_msrp_parser_is_idle           (SipsMsrpParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsMsrpParser, sips_msrp_parser_free)

G_END_DECLS
