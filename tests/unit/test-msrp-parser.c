/* test-msrp-parser.c: the streaming MSRP parser on RFC 4975/4976 examples, split
 * anywhere, and on hostile input */
#include <glib.h>
#include <string.h>

#include "msrp/sips-msrp-parser.h"
#include "msrp/sips-msrp-uri.h"

/* ---- an event log that does not depend on how the input was split ---- */

typedef struct {
  GString    *log;
  GByteArray *body;      /* body bytes since the last other event */
  guint       n_ends;
} Recorder;

static void
flush_body (Recorder *r)
{
  if (r->body->len == 0)
    return;
  if (r->body->len <= 200)
    {
      g_autofree char *data = g_strndup ((const char *) r->body->data, r->body->len);
      g_autofree char *escaped = NULL;

      /* NULs would cut the escaped text short: show them */
      for (guint i = 0; i < r->body->len; i++)
        if (data[i] == '\0')
          data[i] = '@';
      escaped = g_strescape (data, NULL);
      g_string_append_printf (r->log, "BODY \"%s\"\n", escaped);
    }
  else
    {
      g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, r->body->data,
                                                          r->body->len);
      g_string_append_printf (r->log, "BODY %u bytes sha256 %s\n", r->body->len, sum);
    }
  g_byte_array_set_size (r->body, 0);
}

static void
on_request (SipsMsrpParser *parser, const char *tid, SipsMsrpMethod method,
            const char *name, gpointer user_data)
{
  Recorder *r = user_data;

  flush_body (r);
  g_string_append_printf (r->log, "REQ %s %d %s\n", tid, method, name);
}

static void
on_response (SipsMsrpParser *parser, const char *tid, guint status, const char *comment,
             gpointer user_data)
{
  Recorder *r = user_data;

  flush_body (r);
  g_string_append_printf (r->log, "RSP %s %u \"%s\"\n", tid, status, comment);
}

static void
on_header (SipsMsrpParser *parser, const char *name, const char *value, gpointer user_data)
{
  Recorder *r = user_data;

  g_string_append_printf (r->log, "HDR %s=%s\n", name, value);
}

static void
on_headers_end (SipsMsrpParser *parser, gboolean has_body, gpointer user_data)
{
  Recorder *r = user_data;
  const SipsMsrpHeaders *h = sips_msrp_parser_get_headers (parser);

  g_string_append_printf (r->log, "HEND body=%d to=%u from=%u mid=%s ct=%s br=%" G_GINT64_FORMAT
                          "-%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " sr=%d fr=%d",
                          has_body, h->to_path ? h->to_path->len : 0,
                          h->from_path ? h->from_path->len : 0,
                          h->message_id ? h->message_id : "-",
                          h->content_type ? h->content_type : "-",
                          h->byte_range.start, h->byte_range.end, h->byte_range.total,
                          h->success_report, h->failure_report);
  if (h->has_status)
    g_string_append_printf (r->log, " status=%03u/%u/%s", h->status_namespace, h->status_code,
                            h->status_comment ? h->status_comment : "-");
  if (h->use_path != NULL)
    g_string_append_printf (r->log, " use=%u expires=%" G_GINT64_FORMAT, h->use_path->len,
                            h->expires);
  if (h->www_authenticate != NULL)
    g_string_append (r->log, " www-auth");
  if (h->authorization != NULL)
    g_string_append (r->log, " authz");
  g_string_append_c (r->log, '\n');
}

static void
on_body (SipsMsrpParser *parser, const guint8 *data, gsize len, gpointer user_data)
{
  Recorder *r = user_data;

  g_assert_cmpuint (len, >, 0);
  g_byte_array_append (r->body, data, (guint) len);
}

static void
on_problem (SipsMsrpParser *parser, guint status, const char *reason, gpointer user_data)
{
  Recorder *r = user_data;

  flush_body (r);
  g_string_append_printf (r->log, "PROBLEM %u %s\n", status, reason);
}

static void
on_end (SipsMsrpParser *parser, char flag, guint status, gpointer user_data)
{
  Recorder *r = user_data;

  flush_body (r);
  g_string_append_printf (r->log, "END %c %u\n", flag, status);
  r->n_ends++;
}

static const SipsMsrpParserCallbacks callbacks = {
  on_request, on_response, on_header, on_headers_end, on_body, on_problem, on_end,
};

typedef struct {
  char  *log;
  guint  n_ends;
  GError *error;   /* from feed or finish */
} Result;

static void
result_clear (Result *res)
{
  g_free (res->log);
  g_clear_error (&res->error);
}

/* chunk 0 = all at once, -1 = random sizes, else that size. */
static void
parse (const char                 *data,
       gsize                       len,
       int                         chunk,
       const SipsMsrpParserLimits *limits,
       Result                     *res)
{
  Recorder r = { g_string_new (NULL), g_byte_array_new (), 0 };
  g_autoptr(SipsMsrpParser) parser = sips_msrp_parser_new (&callbacks, limits, &r, NULL);
  gsize offset = 0;

  memset (res, 0, sizeof *res);
  while (offset < len)
    {
      gsize n = chunk == 0 ? len : chunk > 0 ? (gsize) chunk
                                             : (gsize) g_test_rand_int_range (1, 300);

      n = MIN (n, len - offset);
      if (!sips_msrp_parser_feed (parser, (const guint8 *) data + offset, n, &res->error))
        break;
      offset += n;
    }
  if (res->error == NULL)
    sips_msrp_parser_finish (parser, &res->error);
  flush_body (&r);
  if (res->error != NULL)
    g_string_append_printf (r.log, "ERROR %d\n", res->error->code);
  res->log = g_string_free (r.log, FALSE);
  res->n_ends = r.n_ends;
  g_byte_array_unref (r.body);
}

/* The log must be the same whichever way the input is split. */
static char *
parse_all_ways (const char *data,
                gsize       len)
{
  Result whole, bytewise, res;
  char *log;

  parse (data, len, 0, NULL, &whole);
  parse (data, len, 1, NULL, &bytewise);
  g_assert_cmpstr (bytewise.log, ==, whole.log);
  for (int i = 0; i < 30; i++)
    {
      parse (data, len, -1, NULL, &res);
      g_assert_cmpstr (res.log, ==, whole.log);
      result_clear (&res);
    }
  for (int size = 2; size < 24; size++)
    {
      parse (data, len, size, NULL, &res);
      g_assert_cmpstr (res.log, ==, whole.log);
      result_clear (&res);
    }
  log = g_steal_pointer (&whole.log);
  result_clear (&whole);
  result_clear (&bytewise);
  return log;
}

static void
assert_has (const char *log,
            const char *needle)
{
  if (strstr (log, needle) == NULL)
    g_error ("“%s” not in the log:\n%s", needle, log);
}

/* ---- RFC examples ---- */

/* RFC 4975 §7.1 (the SEND and its 200; its Byte-Range counts 25 for 23 bytes, which
 * the parser does not judge), §7.1.2-style positive report, RFC 4976 AUTH. */
static const char rfc_exchange[] =
  "MSRP a786hjs2 SEND\r\n"
  "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
  "From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
  "Message-ID: 87652491\r\n"
  "Byte-Range: 1-25/25\r\n"
  "Content-Type: text/plain\r\n"
  "\r\n"
  "Hey Bob, are you there?\r\n"
  "-------a786hjs2$\r\n"
  "MSRP a786hjs2 200 OK\r\n"
  "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
  "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
  "-------a786hjs2$\r\n"
  "MSRP d93kswow SEND\r\n"
  "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
  "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
  "Message-ID: 12339sdqwer\r\n"
  "Byte-Range: 1-106/106\r\n"
  "Success-Report: yes\r\n"
  "Failure-Report: no\r\n"
  "Content-Type: text/html\r\n"
  "\r\n"
  "<html><body>\r\n"
  "<p>Here is that important link...\r\n"
  "<a href=\"http://www.example.com/foobar\">foobar</a>\r\n"
  "</p>\r\n"
  "</body></html>\r\n"
  "-------d93kswow$\r\n"
  "MSRP dkei38sd REPORT\r\n"
  "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
  "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
  "Message-ID: 12339sdqwer\r\n"
  "Byte-Range: 1-106/106\r\n"
  "Status: 000 200 OK\r\n"
  "-------dkei38sd$\r\n"
  "MSRP 49fi AUTH\r\n"
  "To-Path: msrps://alice@intra.example.com;tcp\r\n"
  "From-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
  "-------49fi$\r\n"
  "MSRP 49fi 401 Unauthorized\r\n"
  "To-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
  "From-Path: msrps://alice@intra.example.com;tcp\r\n"
  "WWW-Authenticate: Digest realm=\"intra.example.com\", qop=\"auth\", "
  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"\r\n"
  "-------49fi$\r\n"
  "MSRP 49fj AUTH\r\n"
  "To-Path: msrps://alice@intra.example.com;tcp\r\n"
  "From-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
  "Authorization: Digest username=\"Alice\", realm=\"intra.example.com\", "
  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", qop=auth, nc=00000001, "
  "cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\"\r\n"
  "-------49fj$\r\n"
  "MSRP 49fj 200 OK\r\n"
  "To-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
  "From-Path: msrps://alice@intra.example.com;tcp\r\n"
  "Use-Path: msrps://relay1.example.com:9000/jui787s2f;tcp\r\n"
  "Expires: 900\r\n"
  "-------49fj$\r\n";

static void
test_rfc_exchange (void)
{
  g_autofree char *log = parse_all_ways (rfc_exchange, strlen (rfc_exchange));

  assert_has (log,
    "REQ a786hjs2 1 SEND\n"
    "HDR To-Path=msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\n"
    "HDR From-Path=msrp://atlanta.example.com:7654/jshA7weztas;tcp\n"
    "HDR Message-ID=87652491\n"
    "HDR Byte-Range=1-25/25\n"
    "HDR Content-Type=text/plain\n"
    "HEND body=1 to=1 from=1 mid=87652491 ct=text/plain br=1-25/25 sr=0 fr=1\n"
    "BODY \"Hey Bob, are you there?\"\n"
    "END $ 0\n"
    "RSP a786hjs2 200 \"OK\"\n");
  assert_has (log, "HEND body=1 to=1 from=1 mid=12339sdqwer ct=text/html br=1-106/106 sr=1 fr=0\n"
                   "BODY \"<html><body>\\r\\n<p>Here is");
  assert_has (log, "REQ dkei38sd 2 REPORT\n");
  assert_has (log, "br=1-106/106 sr=0 fr=1 status=000/200/OK\nEND $ 0\n");
  assert_has (log, "REQ 49fi 3 AUTH\n");
  assert_has (log, "RSP 49fi 401 \"Unauthorized\"\n");
  assert_has (log, "www-auth\nEND $ 0\n");
  assert_has (log, "authz\nEND $ 0\n");
  assert_has (log, "use=1 expires=900\nEND $ 0\n");
  g_assert_null (strstr (log, "PROBLEM"));
  g_assert_null (strstr (log, "ERROR"));
}

/* RFC 4975 §7.1: a message in two chunks, "+" then "$", the first with 1-* /8191. */
static void
test_rfc_chunked (void)
{
  GString *s = g_string_new (NULL);
  g_autofree char *log = NULL;
  g_autofree char *sum1 = NULL;
  g_autofree char *sum2 = NULL;
  g_autofree char *expect1 = NULL;
  g_autofree char *expect2 = NULL;
  GString *body = g_string_new (NULL);

  for (int i = 0; i < 8191; i++)
    g_string_append_c (body, "abcd\r\n-"[i % 7]);

  g_string_append (s, "MSRP dkei38sd SEND\r\n"
                      "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
                      "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
                      "Message-ID: 4564dpWd\r\n"
                      "Byte-Range: 1-*/8191\r\n"
                      "Content-Type: text/plain\r\n\r\n");
  g_string_append_len (s, body->str, 4096);
  g_string_append (s, "\r\n-------dkei38sd+\r\n");
  g_string_append (s, "MSRP dkei38ia SEND\r\n"
                      "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
                      "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
                      "Message-ID: 4564dpWd\r\n"
                      "Byte-Range: 4097-8191/8191\r\n"
                      "Content-Type: text/plain\r\n\r\n");
  g_string_append_len (s, body->str + 4096, 4095);
  g_string_append (s, "\r\n-------dkei38ia$\r\n");

  log = parse_all_ways (s->str, s->len);
  sum1 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *) body->str, 4096);
  sum2 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *) body->str + 4096, 4095);
  expect1 = g_strdup_printf ("br=1--1/8191 sr=0 fr=1\nBODY 4096 bytes sha256 %s\nEND + 0\n", sum1);
  expect2 = g_strdup_printf ("br=4097-8191/8191 sr=0 fr=1\nBODY 4095 bytes sha256 %s\nEND $ 0\n",
                             sum2);
  assert_has (log, expect1);
  assert_has (log, expect2);
  g_string_free (s, TRUE);
  g_string_free (body, TRUE);
}

/* ---- bodies that look like end-lines ---- */

#define HEAD(tid) "MSRP " tid " SEND\r\nTo-Path: msrp://a.example.com:1/s;tcp\r\n" \
                  "From-Path: msrp://b.example.com:2/t;tcp\r\nContent-Type: text/plain\r\n\r\n"

static void
test_body_dashes_exact (void)
{
  /* every near miss stays in the body; the message ends at the real end-line only */
  static const char data[] =
    HEAD ("tid1234")
    "a-------tid1234$\r\n"
    "\r\n-------tid1234\r\n"
    "\r\n-------tid12345$\r\n"
    "\r\n-------tid123$\r\n"
    "\r\n-------other99$\r\n"
    "\r\n-------tid1234$x\r\n"
    "\r\n-------tid1234$\r\r\n"
    "\r\r\n------tid1234$\r\n"
    "\r\n\r\n--------tid1234$"
    "\r\n-------tid1234+\r\n"
    "MSRP next1 SEND\r\n"
    "To-Path: msrp://a.example.com:1/s;tcp\r\nFrom-Path: msrp://b.example.com:2/t;tcp\r\n"
    "-------next1$\r\n";
  g_autofree char *log = parse_all_ways (data, sizeof data - 1);
  const char *body_start = strstr (data, "\r\n\r\n") + 4;
  const char *body_end = strstr (data, "\r\n-------tid1234+");
  g_autofree char *body = g_strndup (body_start, (gsize) (body_end - body_start));
  g_autofree char *escaped = g_strescape (body, NULL);
  g_autofree char *needle = g_strdup_printf ("BODY \"%s\"\nEND + 0\nREQ next1 1 SEND\n", escaped);

  assert_has (log, needle);
  assert_has (log, "HEND body=0 to=1 from=1 mid=- ct=- br=1--1/-1 sr=0 fr=1\nEND $ 0\n");
  g_assert_null (strstr (log, "ERROR"));
}

static void
test_empty_bodies (void)
{
  static const char data[] =
    HEAD ("aaaa1") "\r\n-------aaaa1$\r\n"     /* empty data, then CRLF end-line */
    HEAD ("aaaa2") "-------aaaa2$\r\n"         /* the blank line serves as the CRLF */
    HEAD ("aaaa3") "\r\n\r\n-------aaaa3$\r\n" /* data is one CRLF */
    "\r\n"                                    /* a stray blank line between messages */
    HEAD ("aaaa4") "\0\0\r\n-------aaaa4$\r\n";
  g_autofree char *log = parse_all_ways (data, sizeof data - 1);

  assert_has (log, "REQ aaaa1 1 SEND\n");
  assert_has (log, "REQ aaaa2 1 SEND\n");
  assert_has (log, "sr=0 fr=1\nEND $ 0\nREQ aaaa2");
  assert_has (log, "sr=0 fr=1\nEND $ 0\nREQ aaaa3");
  assert_has (log, "BODY \"\\r\\n\"\nEND $ 0\nREQ aaaa4");
  assert_has (log, "BODY \"@@\"\nEND $ 0\n");   /* NUL bytes are body like any other */
  g_assert_null (strstr (log, "ERROR"));
}

/* ---- hostile input ---- */

static void
expect_error (const char *data,
              gsize       len,
              int         code,
              const char *in_log)
{
  for (int chunk = 0; chunk <= 1; chunk++)
    {
      Result res;

      parse (data, len, chunk, NULL, &res);
      if (res.error == NULL || !g_error_matches (res.error, SIPS_MSRP_PARSER_ERROR, code))
        g_error ("expected error %d, got %s; log:\n%s", code,
                 res.error ? res.error->message : "none", res.log);
      if (in_log != NULL)
        assert_has (res.log, in_log);
      result_clear (&res);
    }
}

static void
expect_log (const char *data,
            gsize       len,
            const char *in_log)
{
  g_autofree char *log = parse_all_ways (data, len);

  assert_has (log, in_log);
  g_assert_null (strstr (log, "ERROR"));
}

#define S(x) x, sizeof x - 1
#define PATHS "To-Path: msrp://a.example.com:1/s;tcp\r\nFrom-Path: msrp://b.example.com:2/t;tcp\r\n"

static void
test_framing_errors (void)
{
  g_autofree char *long_line = NULL;
  g_autofree char *long_tid = NULL;
  GString *s;

  expect_error (S ("GET / HTTP/1.1\r\n\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("\x16\x03\x01\x02\x00"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("msrp abcd SEND\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("MSRP abcd\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("MSRP abcd SEND\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("MSRP  SEND\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, NULL);
  expect_error (S ("MSRP -abc SEND\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, NULL);
  expect_error (S ("MSRP ab\0d SEND\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, NULL);
  expect_error (S ("MSRP ab/d SEND\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, NULL);
  expect_error (S ("MSRP abcd 099 Low\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("MSRP abcd 700\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("MSRP abcd 20x OK\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);
  expect_error (S ("MSRP abcd 2000 OK\r\n"), SIPS_MSRP_PARSER_ERROR_BAD_START_LINE, NULL);

  long_tid = g_strnfill (33, 'a');
  s = g_string_new (NULL);
  g_string_printf (s, "MSRP %s SEND\r\n", long_tid);
  expect_error (s->str, s->len, SIPS_MSRP_PARSER_ERROR_BAD_TRANSACTION, NULL);

  long_line = g_strnfill (5000, 'A');
  g_string_printf (s, "MSRP abcd %s\r\n", long_line);
  expect_error (s->str, s->len, SIPS_MSRP_PARSER_ERROR_LINE_TOO_LONG, NULL);
  /* without any line end at all: fails as soon as the limit is passed */
  g_string_printf (s, "MSRP abcd %s", long_line);
  expect_error (s->str, s->len, SIPS_MSRP_PARSER_ERROR_LINE_TOO_LONG, NULL);

  /* end-lines of another transaction in the header section */
  expect_error (S ("MSRP abcd SEND\r\n" PATHS "-------abce$\r\n"),
                SIPS_MSRP_PARSER_ERROR_BAD_END_LINE, "REQ abcd 1 SEND\n");
  expect_error (S ("MSRP abcd SEND\r\n" PATHS "-------abcd!\r\n"),
                SIPS_MSRP_PARSER_ERROR_BAD_END_LINE, NULL);
  expect_error (S ("MSRP abcd SEND\r\n" PATHS "-------abcd\r\n"),
                SIPS_MSRP_PARSER_ERROR_BAD_END_LINE, NULL);
  expect_error (S ("MSRP abcd SEND\r\n" PATHS "-------abcd$$\r\n"),
                SIPS_MSRP_PARSER_ERROR_BAD_END_LINE, NULL);

  /* truncated anywhere */
  expect_error (S ("MSRP abcd SE"), SIPS_MSRP_PARSER_ERROR_TRUNCATED, NULL);
  expect_error (S ("MSRP abcd SEND\r\n" PATHS), SIPS_MSRP_PARSER_ERROR_TRUNCATED, NULL);
  expect_error (S (HEAD ("abcd") "half a body"), SIPS_MSRP_PARSER_ERROR_TRUNCATED,
                "BODY \"half a body\"\n");
  expect_error (S (HEAD ("abcd") "body\r\n-------abcd$"), SIPS_MSRP_PARSER_ERROR_TRUNCATED, NULL);
  /* the body's end-line with another transaction id is body: the message never ends */
  expect_error (S (HEAD ("abcd") "body\r\n-------wxyz$\r\n"), SIPS_MSRP_PARSER_ERROR_TRUNCATED,
                "BODY \"body\\r\\n-------wxyz$\"\n");  /* the CRLF is held back */
  g_string_free (s, TRUE);
}

static void
test_fails_for_good (void)
{
  Recorder r = { g_string_new (NULL), g_byte_array_new (), 0 };
  g_autoptr(SipsMsrpParser) parser = sips_msrp_parser_new (&callbacks, NULL, &r, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;

  g_assert_false (sips_msrp_parser_feed (parser, (const guint8 *) "JUNK", 4, &error));
  g_assert_error (error, SIPS_MSRP_PARSER_ERROR, SIPS_MSRP_PARSER_ERROR_BAD_START_LINE);
  g_assert_false (sips_msrp_parser_feed (parser, (const guint8 *) "MSRP", 4, &again));
  g_assert_error (again, SIPS_MSRP_PARSER_ERROR, SIPS_MSRP_PARSER_ERROR_FAILED);
  g_assert_cmpuint (r.n_ends, ==, 0);
  g_string_free (r.log, TRUE);
  g_byte_array_unref (r.body);
}

/* Problems that keep the framing: the status to answer, and the next message parses. */
static void
test_message_problems (void)
{
  g_autofree char *long_value = g_strnfill (5000, 'v');
  GString *s = g_string_new (NULL);
  const char *next = "MSRP zzzz SEND\r\n" PATHS "-------zzzz$\r\n";

  expect_log (S ("MSRP abcd FOO\r\n" PATHS "-------abcd$\r\n"),
              "REQ abcd 0 FOO\nPROBLEM 501 unknown method\n");
  expect_log (S ("MSRP abcd FOO\r\n" PATHS "-------abcd$\r\n"), "END $ 501\n");
  expect_log (S ("MSRP abcd send\r\n" PATHS "-------abcd$\r\n"),
              "REQ abcd 0 send\nPROBLEM 400 malformed method\n");
  expect_log (S ("MSRP abcd SE\x01ND\r\n" PATHS "-------abcd$\r\n"), "REQ abcd 0 SE?ND\nPROBLEM 400");
  expect_log (S ("MSRP abcd 200 O\xffK\r\n" PATHS "-------abcd$\r\n"),
              "RSP abcd 200 \"O\xef\xbf\xbdK\"\n");

  /* headers */
  expect_log (S ("MSRP abcd SEND\r\nFrom-Path: msrp://b.example.com:2/t;tcp\r\n-------abcd$\r\n"),
              "PROBLEM 400 To-Path or From-Path missing\nHEND");
  expect_log (S ("MSRP abcd SEND\r\nTo-Path: http://x/;tcp\r\nFrom-Path: msrp://b/t;tcp\r\n"
                 "-------abcd$\r\n"), "PROBLEM 400 invalid or repeated header\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "To-Path: msrp://c.example.com/u;tcp\r\n"
                 "-------abcd$\r\n"), "PROBLEM 400 invalid or repeated header\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "No colon here\r\n-------abcd$\r\n"),
              "PROBLEM 400 malformed header\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "X-Nul: a\0b\r\n-------abcd$\r\n"),
              "PROBLEM 400 malformed header value\nHEND");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "X-Bad\0Name: ab\r\n-------abcd$\r\n"),
              "PROBLEM 400 malformed header name\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "X-Utf8: \xc3\x28\r\n-------abcd$\r\n"),
              "PROBLEM 400 malformed header value\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "X-Bare: lf\n-------abcd$\r\n"),
              "PROBLEM 400 line not ended by CRLF\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "Message-ID: a b\r\n-------abcd$\r\n"),
              "PROBLEM 400 invalid or repeated header\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "Success-Report: partial\r\n-------abcd$\r\n"),
              "PROBLEM 400");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "Failure-Report: partial\r\n-------abcd$\r\n"),
              "fr=2\nEND $ 0\n");
  expect_log (S ("MSRP abcd REPORT\r\n" PATHS "Status: 000 2000 OK\r\n-------abcd$\r\n"),
              "PROBLEM 400");
  expect_log (S ("MSRP abcd AUTH\r\n" PATHS "Expires: -5\r\n-------abcd$\r\n"), "PROBLEM 400");
  expect_log (S ("MSRP abcd AUTH\r\n" PATHS "Expires: 99999999999\r\n-------abcd$\r\n"),
              "PROBLEM 400");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "Content-Type: garbage\r\n\r\nx\r\n-------abcd$\r\n"),
              "PROBLEM 400");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "\r\nno type\r\n-------abcd$\r\n"),
              "PROBLEM 400 a body without Content-Type\n");

  /* Byte-Range: huge, negative, garbage, inconsistent */
  static const char * const ranges[] = {
    "99999999999999999999-1/*", "1-99999999999999999999/*", "1-5/99999999999999999999",
    "-1-5/10", "0-5/10", "1-5/3", "7-5/10", "12-*/10", "a-b/c", "1-5", "1/5-6", "", "1--5/10",
    "1-5/10/", " 1-5/10x", "1-5/+10", "+1-5/10", "1-0x5/10",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      g_string_printf (s, "MSRP abcd SEND\r\n" PATHS "Byte-Range: %s\r\n-------abcd$\r\n%s",
                       ranges[i], next);
      expect_log (s->str, s->len, "PROBLEM 400 invalid or repeated header\n");
      expect_log (s->str, s->len, "END $ 400\nREQ zzzz 1 SEND\n");
    }
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "Byte-Range: 1-0/0\r\n-------abcd$\r\n"),
              "br=1-0/0 sr=0 fr=1\nEND $ 0\n");
  expect_log (S ("MSRP abcd SEND\r\n" PATHS "Byte-Range: 1-*/*\r\n-------abcd$\r\n"),
              "br=1--1/-1 sr=0 fr=1\nEND $ 0\n");

  /* an overlong header line is skipped; its status is 400 and the message goes on */
  g_string_printf (s, "MSRP abcd SEND\r\n" PATHS "X-Long: %s\r\nX-After: 1\r\n"
                      "Content-Type: text/plain\r\n\r\nok\r\n-------abcd$\r\n%s", long_value, next);
  expect_log (s->str, s->len, "PROBLEM 400 header line too long\nHDR X-After=1\n");
  expect_log (s->str, s->len, "BODY \"ok\"\nEND $ 400\nREQ zzzz 1 SEND\n");

  /* too many headers */
  g_string_assign (s, "MSRP abcd SEND\r\n" PATHS);
  for (int i = 0; i < 100; i++)
    g_string_append_printf (s, "X-H%d: %d\r\n", i, i);
  g_string_append_printf (s, "-------abcd$\r\n%s", next);
  expect_log (s->str, s->len, "HDR X-H61=61\nPROBLEM 400 too many headers\nHEND");
  expect_log (s->str, s->len, "END $ 400\nREQ zzzz 1 SEND\n");

  g_string_free (s, TRUE);
}

static void
test_size_limits (void)
{
  SipsMsrpParserLimits limits;
  GString *s = g_string_new ("MSRP abcd SEND\r\n" PATHS "Byte-Range: 1-100/100\r\n"
                             "Content-Type: text/plain\r\n\r\n");
  Result res;

  sips_msrp_parser_get_default_limits (&limits);
  limits.max_chunk_body = 10;
  g_string_append (s, "0123456789abcdef\r\n-------abcd+\r\n"
                      "MSRP zzzz SEND\r\n" PATHS "-------zzzz$\r\n");
  for (int chunk = -1; chunk <= 1; chunk++)
    {
      parse (s->str, s->len, chunk, &limits, &res);
      /* the first 10 bytes, then 413 at once (to stop the sender), the rest dropped */
      assert_has (res.log, "BODY \"0123456789\"\nPROBLEM 413 chunk body too large\nEND + 413\n"
                           "REQ zzzz 1 SEND\n");
      g_assert_null (res.error);
      result_clear (&res);
    }

  limits.max_chunk_body = 0;
  limits.max_message = 50;
  parse (s->str, s->len, 0, &limits, &res);
  assert_has (res.log, "HDR Byte-Range=1-100/100\nPROBLEM 413 message too large\n");
  result_clear (&res);
  g_string_free (s, TRUE);
}

/* A body much larger than any buffer passes through in pieces. */
static void
test_large_body_streams (void)
{
  gsize size = 3 * 1024 * 1024 + 7;
  g_autofree guint8 *body = g_malloc (size);
  GString *s = g_string_new (HEAD ("big1"));
  Result res;
  g_autofree char *sum = NULL;
  g_autofree char *expect = NULL;

  for (gsize i = 0; i < size; i++)
    body[i] = (guint8) g_test_rand_int_range (0, 256);
  g_string_append_len (s, (const char *) body, (gssize) size);
  g_string_append (s, "\r\n-------big1$\r\n");
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, body, size);
  expect = g_strdup_printf ("BODY %" G_GSIZE_FORMAT " bytes sha256 %s\nEND $ 0\n", size, sum);
  for (int chunk = 0; chunk <= 4096; chunk += 4096)
    {
      parse (s->str, s->len, chunk, NULL, &res);
      assert_has (res.log, expect);
      result_clear (&res);
    }
  g_string_free (s, TRUE);
}

/* Random bytes and mutations of a good exchange: anything may happen but a crash. */
static void
test_random_garbage (void)
{
  gsize len = strlen (rfc_exchange);

  for (int i = 0; i < 300; i++)
    {
      g_autofree char *data = g_memdup2 (rfc_exchange, len);
      Result res;

      for (int j = 0; j < 1 + i % 8; j++)
        data[g_test_rand_int_range (0, (gint32) len)] = (char) g_test_rand_int_range (0, 256);
      parse (data, len, -1, NULL, &res);
      result_clear (&res);
    }
  for (int i = 0; i < 100; i++)
    {
      char data[512];
      Result res;

      memcpy (data, "MSRP abcd ", 10);
      for (gsize j = 10; j < sizeof data; j++)
        data[j] = "AZ \r\n-$+#:/abcd\0"[g_test_rand_int_range (0, 16)];
      parse (data, sizeof data, -1, NULL, &res);
      result_clear (&res);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/msrp-parser/rfc-exchange", test_rfc_exchange);
  g_test_add_func ("/msrp-parser/rfc-chunked", test_rfc_chunked);
  g_test_add_func ("/msrp-parser/body-dashes-exact", test_body_dashes_exact);
  g_test_add_func ("/msrp-parser/empty-bodies", test_empty_bodies);
  g_test_add_func ("/msrp-parser/framing-errors", test_framing_errors);
  g_test_add_func ("/msrp-parser/fails-for-good", test_fails_for_good);
  g_test_add_func ("/msrp-parser/message-problems", test_message_problems);
  g_test_add_func ("/msrp-parser/size-limits", test_size_limits);
  g_test_add_func ("/msrp-parser/large-body-streams", test_large_body_streams);
  g_test_add_func ("/msrp-parser/random-garbage", test_random_garbage);
  return g_test_run ();
}
