/* fuzz-msrp-parser.c: the MSRP parser (with the URI grammar it uses and CPIM on the
 * bodies it passes on) fed hostile bytes; built for libFuzzer (clang, -Dfuzzing=true)
 * and, through replay.c, by every build over corpus/.
 *
 * Input: one control byte, then the stream. The control byte picks the chunk size the
 * stream is fed in (1..64) and, with its top bit, tight limits. The event order and
 * the limits are checked: a violation traps. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "msrp/sips-cpim.h"
#include "msrp/sips-msrp-parser.h"
#include "msrp/sips-msrp-uri.h"

#define CPIM_MAX 4096

typedef enum { IDLE, HEADERS, BODY } Phase;

typedef struct {
  SipsMsrpParserLimits limits;
  Phase                phase;
  guint                problem;
  guint64              body_len;
  gboolean             cpim;
  GByteArray          *cpim_body;
} Fuzz;

#define CHECK(cond) do { if (!(cond)) __builtin_trap (); } while (0)

static void
on_start (Fuzz *f, const char *tid)
{
  CHECK (f->phase == IDLE);
  CHECK (tid != NULL && strlen (tid) <= f->limits.max_tid);
  f->phase = HEADERS;
  f->problem = 0;
  f->body_len = 0;
  f->cpim = FALSE;
  g_byte_array_set_size (f->cpim_body, 0);
}

static void
on_request (SipsMsrpParser *p, const char *tid, SipsMsrpMethod method, const char *name,
            gpointer data)
{
  on_start (data, tid);
  CHECK (g_utf8_validate (name, -1, NULL));
}

static void
on_response (SipsMsrpParser *p, const char *tid, guint status, const char *comment,
             gpointer data)
{
  on_start (data, tid);
  CHECK (status >= 200 && status <= 699);
  CHECK (g_utf8_validate (comment, -1, NULL));
}

static void
on_header (SipsMsrpParser *p, const char *name, const char *value, gpointer data)
{
  Fuzz *f = data;
  g_autoptr(SipsMsrpUri) uri = NULL;

  CHECK (f->phase == HEADERS);
  CHECK (g_utf8_validate (value, -1, NULL));
  /* every header value through the URI grammar too, and back out */
  uri = sips_msrp_uri_parse (value, NULL);
  if (uri != NULL)
    {
      g_autofree char *text = sips_msrp_uri_to_string (uri);
      g_autoptr(SipsMsrpUri) again = sips_msrp_uri_parse (text, NULL);

      CHECK (again != NULL && sips_msrp_uri_equal (uri, again));
    }
}

static void
on_headers_end (SipsMsrpParser *p, gboolean has_body, gpointer data)
{
  Fuzz *f = data;
  const SipsMsrpHeaders *h = sips_msrp_parser_get_headers (p);

  CHECK (f->phase == HEADERS);
  f->phase = has_body ? BODY : HEADERS;
  f->cpim = h->content_type != NULL &&
            g_ascii_strncasecmp (h->content_type, "message/cpim", 12) == 0;
  if (h->has_byte_range)
    CHECK (h->byte_range.start >= 1);
}

static void
on_body (SipsMsrpParser *p, const guint8 *d, gsize len, gpointer data)
{
  Fuzz *f = data;

  CHECK (f->phase == BODY && len > 0);
  f->body_len += len;
  CHECK (f->limits.max_chunk_body == 0 || f->body_len <= f->limits.max_chunk_body);
  CHECK (f->body_len == sips_msrp_parser_get_body_length (p));
  if (f->cpim && f->cpim_body->len + len <= CPIM_MAX)
    g_byte_array_append (f->cpim_body, d, (guint) len);
}

static void
on_problem (SipsMsrpParser *p, guint status, const char *reason, gpointer data)
{
  Fuzz *f = data;

  CHECK (f->phase != IDLE && f->problem == 0);
  CHECK (status == 400 || status == 413 || status == 501);
  f->problem = status;
}

static void
on_end (SipsMsrpParser *p, char flag, guint status, gpointer data)
{
  Fuzz *f = data;

  CHECK (f->phase != IDLE);
  CHECK (flag == '$' || flag == '+' || flag == '#');
  CHECK (status == f->problem);
  if (f->cpim && f->cpim_body->len > 0)
    {
      g_autoptr(SipsCpimMessage) cpim = sips_cpim_message_parse (f->cpim_body->data,
                                                                 f->cpim_body->len, NULL);

      if (cpim != NULL)
        {
          g_autoptr(GHashTable) headers = sips_cpim_message_dup_headers (cpim);
          g_autoptr(GDateTime) dt = sips_cpim_message_dup_datetime (cpim);
          GHashTableIter iter;
          gpointer key, value;

          CHECK (dt == NULL || g_date_time_to_unix (dt) != G_MININT64);
          CHECK (g_utf8_validate (sips_cpim_message_get_content (cpim, NULL), -1, NULL));
          g_hash_table_iter_init (&iter, headers);
          while (g_hash_table_iter_next (&iter, &key, &value))
            CHECK (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));
        }
    }
  f->phase = IDLE;
}

static const SipsMsrpParserCallbacks callbacks = {
  on_request, on_response, on_header, on_headers_end, on_body, on_problem, on_end,
};

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Fuzz f = { 0 };
  SipsMsrpParser *parser;
  gsize chunk, offset = 0;
  gboolean ok = TRUE;

  if (size < 1)
    return 0;
  chunk = (data[0] & 0x3f) + 1;
  sips_msrp_parser_get_default_limits (&f.limits);
  if (data[0] & 0x80)
    {
      f.limits.max_line = 64;
      f.limits.max_headers = 4;
      f.limits.max_tid = 8;
      f.limits.max_chunk_body = 100;
      f.limits.max_message = 1000;
    }
  f.cpim_body = g_byte_array_new ();
  parser = sips_msrp_parser_new (&callbacks, &f.limits, &f, NULL);
  data++;
  size--;

  while (ok && offset < size)
    {
      gsize n = MIN (chunk, size - offset);

      ok = sips_msrp_parser_feed (parser, data + offset, n, NULL);
      offset += n;
    }
  if (ok)
    ok = sips_msrp_parser_finish (parser, NULL);
  /* a failed stream stays failed */
  CHECK (ok || !sips_msrp_parser_feed (parser, (const guint8 *) "MSRP ", 5, NULL));
  CHECK (!ok || sips_msrp_parser_is_idle (parser) == (f.phase == IDLE));

  sips_msrp_parser_free (parser);
  g_byte_array_unref (f.cpim_body);
  return 0;
}
