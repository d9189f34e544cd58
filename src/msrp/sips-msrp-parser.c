/* sips-msrp-parser.c: a streaming RFC 4975 parser (requests, responses, chunks)
 *
 * Lines (start line, headers) are collected in one buffer of at most max_line bytes.
 * The body is never collected: it is scanned for CRLF "-------" tid flag CRLF with a
 * small matcher whose partial match is held back (its bytes are known: they are the
 * pattern's) and released as body if the match fails, so split points do not matter. */
#include "sips-msrp-parser.h"

#include <string.h>

#define END_LINE_DASHES "-------"
#define N_DASHES 7

typedef enum {
  STATE_START_LINE,
  STATE_HEADERS,
  STATE_SKIP_LINE,   /* the rest of an overlong header line */
  STATE_BODY,
  STATE_FAILED,
} State;

struct _SipsMsrpParser {
  const SipsMsrpParserCallbacks *callbacks;
  SipsMsrpParserLimits           limits;
  gpointer                       user_data;
  GDestroyNotify                 user_data_free;

  State            state;
  GString         *line;
  GError          *failure;

  /* the message being parsed */
  char            *tid;
  gboolean         is_request;
  SipsMsrpHeaders  headers;
  guint            n_headers;
  guint            status;          /* first problem, 0 = none */
  guint64          body_length;
  gboolean         body_suppressed;

  /* end-line matcher: pattern = CRLF "-------" tid, then the flag, then CRLF */
  char            *pattern;
  gsize            pattern_len;
  gsize            match;
  gboolean         virtual_crlf;    /* pattern[0..2) was the blank line, not body */
  char             flag;
};

G_DEFINE_QUARK (sips-msrp-parser-error-quark, sips_msrp_parser_error)

/* ---- private helpers ---- */

static void
message_reset (SipsMsrpParser *self)
{
  g_clear_pointer (&self->tid, g_free);
  g_clear_pointer (&self->pattern, g_free);
  sips_msrp_headers_clear (&self->headers);
  self->is_request = FALSE;
  self->n_headers = 0;
  self->status = 0;
  self->body_length = 0;
  self->body_suppressed = FALSE;
  self->pattern_len = 0;
  self->match = 0;
  self->virtual_crlf = FALSE;
  self->flag = 0;
}

static void
fail (SipsMsrpParser      *self,
      SipsMsrpParserError  code,
      const char          *why)
{
  self->state = STATE_FAILED;
  g_clear_error (&self->failure);
  g_set_error_literal (&self->failure, SIPS_MSRP_PARSER_ERROR, code, why);
}

/* The first problem of a message decides its status. */
static void
problem (SipsMsrpParser *self,
         guint           status,
         const char     *reason)
{
  if (self->status != 0)
    return;
  self->status = status;
  if (self->callbacks->problem != NULL)
    self->callbacks->problem (self, status, reason, self->user_data);
}

/* Printable UTF-8 for text that ends up in logs and signals. */
static char *
sanitize_text (const char *s,
               gsize       len)
{
  g_autofree char *copy = g_strndup (s, len);

  /* g_strndup stops at a NUL: the rest is dropped, as a NUL has no place here */
  for (char *p = copy; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = '?';
  return g_utf8_make_valid (copy, -1);
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-.!%*_+`'~", c) != NULL);
}

/* utf8text = *(HTAB / %x20-7E / UTF8-NONASCII) */
static gboolean
is_utf8_text (const char *s,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (((guchar) s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
      return FALSE;
  return g_utf8_validate (s, (gssize) len, NULL);
}

static void
emit_body (SipsMsrpParser *self,
           const guint8   *data,
           gsize           len)
{
  guint64 limit = self->limits.max_chunk_body;

  if (len == 0 || self->body_suppressed)
    return;
  if (limit != 0 && self->body_length + len > limit)
    {
      gsize allowed = (gsize) (limit - self->body_length);

      self->body_length += allowed;
      self->body_suppressed = TRUE;
      if (allowed > 0 && self->callbacks->body != NULL)
        self->callbacks->body (self, data, allowed, self->user_data);
      problem (self, SIPS_MSRP_STATUS_STOP_SENDING, "chunk body too large");
      return;
    }
  self->body_length += len;
  if (self->callbacks->body != NULL)
    self->callbacks->body (self, data, len, self->user_data);
}

static void
end_message (SipsMsrpParser *self,
             char            flag)
{
  if (self->callbacks->end != NULL)
    self->callbacks->end (self, flag, self->status, self->user_data);
  message_reset (self);
  self->state = STATE_START_LINE;
}

static void
headers_done (SipsMsrpParser *self,
              gboolean        has_body)
{
  if (self->headers.to_path == NULL || self->headers.from_path == NULL)
    problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "To-Path or From-Path missing");
  if (has_body && self->headers.content_type == NULL)
    problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "a body without Content-Type");
  if (self->callbacks->headers_end != NULL)
    self->callbacks->headers_end (self, has_body, self->user_data);
}

/* ---- start line ---- */

static void
parse_start_line (SipsMsrpParser *self,
                  const char     *s,
                  gsize           len)
{
  const char *tid = s + 5, *end = s + len, *space, *rest;
  gsize tid_len;

  /* "MSRP " was checked while the line came in */
  space = memchr (tid, ' ', (gsize) (end - tid));
  if (space == NULL)
    {
      fail (self, SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, "no method or status after the transaction id");
      return;
    }
  tid_len = (gsize) (space - tid);
  if (tid_len == 0 || tid_len > self->limits.max_tid || !g_ascii_isalnum (tid[0]))
    {
      fail (self, SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, "invalid transaction id");
      return;
    }
  for (gsize i = 1; i < tid_len; i++)
    if (!sips_msrp_is_ident_char (tid[i]))
      {
        fail (self, SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, "invalid transaction id");
        return;
      }

  message_reset (self);
  self->tid = g_strndup (tid, tid_len);
  self->pattern = g_strconcat ("\r\n" END_LINE_DASHES, self->tid, NULL);
  self->pattern_len = strlen (self->pattern);
  rest = space + 1;

  if (rest < end && g_ascii_isdigit (*rest))
    {
      guint64 code;
      g_autofree char *comment = NULL;

      if (end - rest < 3 || !sips_msrp_parse_number (rest, 3, &code) ||
          code < 200 || code > 699 || (end - rest > 3 && rest[3] != ' '))
        {
          fail (self, SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, "invalid status code");
          return;
        }
      comment = end - rest > 4 ? sanitize_text (rest + 4, (gsize) (end - rest - 4)) : g_strdup ("");
      self->is_request = FALSE;
      self->state = STATE_HEADERS;
      if (self->callbacks->response != NULL)
        self->callbacks->response (self, self->tid, (guint) code, comment, self->user_data);
    }
  else
    {
      gboolean upalpha = rest < end;
      g_autofree char *name = NULL;
      SipsMsrpMethod method = SIPS_MSRP_METHOD_UNKNOWN;

      for (const char *p = rest; p < end; p++)
        upalpha = upalpha && g_ascii_isupper (*p);
      name = sanitize_text (rest, (gsize) (end - rest));
      if (upalpha)
        method = sips_msrp_method_from_string (name);
      self->is_request = TRUE;
      self->state = STATE_HEADERS;
      if (self->callbacks->request != NULL)
        self->callbacks->request (self, self->tid, method, name, self->user_data);
      if (!upalpha)
        problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "malformed method");
      else if (method == SIPS_MSRP_METHOD_UNKNOWN)
        problem (self, SIPS_MSRP_STATUS_UNKNOWN_METHOD, "unknown method");
    }
}

/* ---- headers ---- */

static void
parse_header (SipsMsrpParser *self,
              const char     *s,
              gsize           len)
{
  const char *colon = memchr (s, ':', len), *value, *end = s + len;
  g_autofree char *name = NULL;
  g_autofree char *val = NULL;

  if (self->n_headers >= self->limits.max_headers)
    {
      problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "too many headers");
      return;
    }
  self->n_headers++;

  /* hname = ALPHA *token */
  if (colon == NULL || !g_ascii_isalpha (s[0]))
    {
      problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "malformed header");
      return;
    }
  for (const char *p = s + 1; p < colon; p++)
    if (!is_token_char (*p))
      {
        problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "malformed header name");
        return;
      }
  value = colon + 1;
  while (value < end && (*value == ' ' || *value == '\t'))
    value++;
  while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if (!is_utf8_text (value, (gsize) (end - value)))
    {
      problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "malformed header value");
      return;
    }

  name = g_strndup (s, (gsize) (colon - s));
  val = g_strndup (value, (gsize) (end - value));
  if (self->callbacks->header != NULL)
    self->callbacks->header (self, name, val, self->user_data);
  if (!sips_msrp_headers_take (&self->headers, name, val))
    problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "invalid or repeated header");
  else if (self->limits.max_message != 0 && g_ascii_strcasecmp (name, "Byte-Range") == 0 &&
           self->headers.byte_range.total != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
           (guint64) self->headers.byte_range.total > self->limits.max_message)
    problem (self, SIPS_MSRP_STATUS_STOP_SENDING, "message too large");
}

static void
header_line (SipsMsrpParser *self,
             const char     *s,
             gsize           len)
{
  gsize tid_len;

  if (len == 0)
    {
      /* the blank line: a body follows, ending at CRLF end-line; the blank line's
       * CRLF may be that CRLF when the body is empty */
      headers_done (self, TRUE);
      self->state = STATE_BODY;
      self->match = 2;
      self->virtual_crlf = TRUE;
      return;
    }

  if (len >= N_DASHES && memcmp (s, END_LINE_DASHES, N_DASHES) == 0)
    {
      tid_len = strlen (self->tid);
      if (len != N_DASHES + tid_len + 1 || memcmp (s + N_DASHES, self->tid, tid_len) != 0 ||
          strchr ("$+#", s[len - 1]) == NULL || s[len - 1] == '\0')
        {
          fail (self, SIPS_MSRP_PARSER_ERROR_BAD_END_LINE, "end-line of another transaction");
          return;
        }
      headers_done (self, FALSE);
      end_message (self, s[len - 1]);
      return;
    }

  parse_header (self, s, len);
}

/* A complete line (without its LF) in the line buffer. */
static void
process_line (SipsMsrpParser *self)
{
  const char *s = self->line->str;
  gsize len = self->line->len - 1;  /* without the LF */

  if (len == 0 || s[len - 1] != '\r')
    {
      if (self->state == STATE_START_LINE)
        fail (self, SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, "line not ended by CRLF");
      else
        problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "line not ended by CRLF");
      return;
    }
  len--;

  if (self->state == STATE_START_LINE)
    {
      if (len > 0)  /* blank lines between messages are tolerated */
        parse_start_line (self, s, len);
    }
  else
    header_line (self, s, len);
}

/* While a start line comes in, it must be "MSRP " or a blank line: junk fails at once. */
static gboolean
start_line_plausible (GString *line)
{
  gsize n = MIN (line->len, 5);

  return memcmp (line->str, "MSRP ", n) == 0 ||
         (line->len <= 2 && memcmp (line->str, "\r\n", line->len) == 0);
}

static const guint8 *
feed_line (SipsMsrpParser *self,
           const guint8   *p,
           const guint8   *end)
{
  const guint8 *nl = memchr (p, '\n', (gsize) (end - p));
  const guint8 *stop = nl != NULL ? nl + 1 : end;
  gsize n = (gsize) (stop - p);

  if (self->line->len + n > self->limits.max_line)
    {
      g_string_truncate (self->line, 0);
      if (self->state == STATE_START_LINE)
        {
          fail (self, SIPS_MSRP_PARSER_ERROR_LINE_TOO_LONG, "start line too long");
          return end;
        }
      /* cannot be the end-line (max_line > its length): skip it, framing holds */
      problem (self, SIPS_MSRP_STATUS_BAD_REQUEST, "header line too long");
      if (nl == NULL)
        self->state = STATE_SKIP_LINE;
      return stop;
    }

  g_string_append_len (self->line, (const char *) p, (gssize) n);
  if (self->state == STATE_START_LINE && !start_line_plausible (self->line))
    {
      fail (self, SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, "not an MSRP start line");
      return end;
    }
  if (nl != NULL)
    {
      process_line (self);
      g_string_truncate (self->line, 0);
    }
  return stop;
}

/* ---- body ---- */

/* The held partial end-line was body after all. */
static void
release_held (SipsMsrpParser *self)
{
  gsize from = self->virtual_crlf ? 2 : 0;
  gsize upto = MIN (self->match, self->pattern_len);

  if (upto > from)
    emit_body (self, (const guint8 *) self->pattern + from, upto - from);
  if (self->match > self->pattern_len)
    emit_body (self, (const guint8 *) &self->flag, 1);
  if (self->match > self->pattern_len + 1)
    emit_body (self, (const guint8 *) "\r", 1);
  self->virtual_crlf = FALSE;
  self->match = 0;
}

static const guint8 *
feed_body (SipsMsrpParser *self,
           const guint8   *p,
           const guint8   *end)
{
  while (p < end)
    {
      gsize L = self->pattern_len;
      char c;

      if (self->match == 0)
        {
          const guint8 *cr = memchr (p, '\r', (gsize) (end - p));

          if (cr == NULL)
            {
              emit_body (self, p, (gsize) (end - p));
              return end;
            }
          emit_body (self, p, (gsize) (cr - p));
          p = cr + 1;
          self->match = 1;
          continue;
        }

      c = (char) *p;
      if (self->match < L)
        {
          if (c == self->pattern[self->match])
            {
              self->match++;
              p++;
              continue;
            }
        }
      else if (self->match == L)
        {
          if (c == '$' || c == '+' || c == '#')
            {
              self->flag = c;
              self->match++;
              p++;
              continue;
            }
        }
      else if (self->match == L + 1)
        {
          if (c == '\r')
            {
              self->match++;
              p++;
              continue;
            }
        }
      else if (c == '\n')
        {
          end_message (self, self->flag);
          return p + 1;
        }

      /* mismatch: c is looked at afresh (it may be the CR of the real end-line) */
      release_held (self);
    }
  return p;
}

/* ---- public ---- */

void
sips_msrp_parser_get_default_limits (SipsMsrpParserLimits *limits)
{
  limits->max_line = SIPS_MSRP_PARSER_DEFAULT_MAX_LINE;
  limits->max_headers = SIPS_MSRP_PARSER_DEFAULT_MAX_HEADERS;
  limits->max_tid = SIPS_MSRP_PARSER_DEFAULT_MAX_TID;
  limits->max_chunk_body = SIPS_MSRP_PARSER_DEFAULT_MAX_CHUNK_BODY;
  limits->max_message = 0;
}

SipsMsrpParser *
sips_msrp_parser_new (const SipsMsrpParserCallbacks *callbacks,
                      const SipsMsrpParserLimits    *limits,
                      gpointer                       user_data,
                      GDestroyNotify                 user_data_free)
{
  SipsMsrpParser *self = g_new0 (SipsMsrpParser, 1);

  g_return_val_if_fail (callbacks != NULL, NULL);

  self->callbacks = callbacks;
  if (limits != NULL)
    self->limits = *limits;
  else
    sips_msrp_parser_get_default_limits (&self->limits);
  /* an end-line (at most 7 + 32 + 1 + 2 bytes) must always fit in a line, so that
   * skipping an overlong header line can never skip an end-line */
  self->limits.max_tid = CLAMP (self->limits.max_tid, 1, 32);
  self->limits.max_line = MAX (self->limits.max_line, 64);
  self->user_data = user_data;
  self->user_data_free = user_data_free;
  self->line = g_string_sized_new (128);
  self->state = STATE_START_LINE;
  message_reset (self);
  return self;
}

void
sips_msrp_parser_free (SipsMsrpParser *self)
{
  if (self == NULL)
    return;
  message_reset (self);
  g_string_free (self->line, TRUE);
  g_clear_error (&self->failure);
  if (self->user_data_free != NULL)
    self->user_data_free (self->user_data);
  g_free (self);
}

gboolean
sips_msrp_parser_feed (SipsMsrpParser  *self,
                       const guint8    *data,
                       gsize            len,
                       GError         **error)
{
  const guint8 *p = data, *end = data + len;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (self->state == STATE_FAILED)
    {
      g_set_error_literal (error, SIPS_MSRP_PARSER_ERROR, SIPS_MSRP_PARSER_ERROR_FAILED,
                           "the MSRP stream failed earlier");
      return FALSE;
    }

  while (p < end && self->state != STATE_FAILED)
    {
      switch (self->state)
        {
        case STATE_START_LINE:
        case STATE_HEADERS:
          p = feed_line (self, p, end);
          break;
        case STATE_SKIP_LINE:
          {
            const guint8 *nl = memchr (p, '\n', (gsize) (end - p));

            if (nl == NULL)
              p = end;
            else
              {
                p = nl + 1;
                self->state = STATE_HEADERS;
              }
          }
          break;
        case STATE_BODY:
          p = feed_body (self, p, end);
          break;
        case STATE_FAILED:
        default:
          break;
        }
    }

  if (self->state == STATE_FAILED)
    {
      if (error != NULL)
        *error = g_error_copy (self->failure);
      return FALSE;
    }
  return TRUE;
}

gboolean
sips_msrp_parser_finish (SipsMsrpParser  *self,
                         GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->state != STATE_FAILED && !sips_msrp_parser_is_idle (self))
    fail (self, SIPS_MSRP_PARSER_ERROR_TRUNCATED, "the input ended inside a message");
  if (self->state == STATE_FAILED)
    {
      if (error != NULL)
        *error = g_error_copy (self->failure);
      return FALSE;
    }
  return TRUE;
}

const char *
sips_msrp_parser_get_transaction_id (SipsMsrpParser *self)
{
  return self->tid;
}

const SipsMsrpHeaders *
sips_msrp_parser_get_headers (SipsMsrpParser *self)
{
  return &self->headers;
}

guint64
sips_msrp_parser_get_body_length (SipsMsrpParser *self)
{
  return self->body_length;
}

gboolean
sips_msrp_parser_is_idle (SipsMsrpParser *self)
{
  return self->state == STATE_START_LINE && self->line->len == 0;
}
