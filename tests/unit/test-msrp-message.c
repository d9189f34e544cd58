/* test-msrp-message.c: what the MSRP writer and chunker put on the wire, read back by
 * the parser */
#include <glib.h>
#include <string.h>

#include "msrp/sips-msrp-chunker.h"
#include "msrp/sips-msrp-message.h"
#include "msrp/sips-msrp-parser.h"

static const char * const to_path[] = { "msrp://bob.example.com:8888/9di4eae923wzd;tcp", NULL };
static const char * const from_path[] = { "msrp://alice.example.com:7777/iau39soe2843z;tcp", NULL };

/* ---- one parsed message at a time ---- */

typedef struct {
  char              *tid;
  gboolean           is_request;
  char              *method;
  guint              code;
  char              *comment;
  char              *message_id;
  char              *content_type;
  char              *status_header;
  SipsMsrpByteRange  range;
  SipsMsrpReport     success, failure;
  GByteArray        *body;
  char               flag;
  guint              status;
  guint              n_messages;
} Parsed;

static void
on_request (SipsMsrpParser *p, const char *tid, SipsMsrpMethod m, const char *name, gpointer data)
{
  Parsed *x = data;

  g_free (x->tid);
  g_free (x->method);
  x->tid = g_strdup (tid);
  x->method = g_strdup (name);
  x->is_request = TRUE;
  g_byte_array_set_size (x->body, 0);
}

static void
on_response (SipsMsrpParser *p, const char *tid, guint code, const char *comment, gpointer data)
{
  Parsed *x = data;

  g_free (x->tid);
  g_free (x->comment);
  x->tid = g_strdup (tid);
  x->code = code;
  x->comment = g_strdup (comment);
  x->is_request = FALSE;
  g_byte_array_set_size (x->body, 0);
}

static void
on_header (SipsMsrpParser *p, const char *name, const char *value, gpointer data)
{
  Parsed *x = data;

  if (g_ascii_strcasecmp (name, "Status") == 0)
    {
      g_free (x->status_header);
      x->status_header = g_strdup (value);
    }
}

static void
on_body (SipsMsrpParser *p, const guint8 *d, gsize len, gpointer data)
{
  Parsed *x = data;

  g_byte_array_append (x->body, d, (guint) len);
}

static void
on_end (SipsMsrpParser *p, char flag, guint status, gpointer data)
{
  Parsed *x = data;
  const SipsMsrpHeaders *h = sips_msrp_parser_get_headers (p);

  g_free (x->message_id);
  g_free (x->content_type);
  x->message_id = g_strdup (h->message_id);
  x->content_type = g_strdup (h->content_type);
  x->range = h->byte_range;
  x->success = h->success_report;
  x->failure = h->failure_report;
  x->flag = flag;
  x->status = status;
  x->n_messages++;
  g_assert_nonnull (h->to_path);
  g_assert_nonnull (h->from_path);
}

static const SipsMsrpParserCallbacks callbacks = {
  .request = on_request, .response = on_response, .header = on_header, .body = on_body,
  .end = on_end,
};

static void
parsed_clear (Parsed *x)
{
  g_free (x->tid);
  g_free (x->method);
  g_free (x->comment);
  g_free (x->message_id);
  g_free (x->content_type);
  g_free (x->status_header);
  g_byte_array_unref (x->body);
}

static void
parse_bytes (GBytes *bytes,
             Parsed *x)
{
  g_autoptr(SipsMsrpParser) parser = sips_msrp_parser_new (&callbacks, NULL, x, NULL);
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_assert_true (sips_msrp_parser_feed (parser, data, len, &error));
  g_assert_no_error (error);
  g_assert_true (sips_msrp_parser_finish (parser, &error));
  g_assert_true (sips_msrp_parser_is_idle (parser));
}

#define PARSED_INIT { .body = g_byte_array_new () }

/* ---- tests ---- */

static void
test_send_round_trip (void)
{
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", NULL);
  g_autoptr(GBytes) wire = NULL;
  g_autofree char *message_id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
  SipsMsrpByteRange range = { 1, 5, 5 };
  Parsed x = PARSED_INIT;
  const char *text;

  sips_msrp_message_set_to_path (send, to_path);
  sips_msrp_message_set_from_path (send, from_path);
  sips_msrp_message_set_message_id (send, message_id);
  sips_msrp_message_set_byte_range (send, &range);
  sips_msrp_message_set_reports (send, SIPS_MSRP_REPORT_YES, SIPS_MSRP_REPORT_PARTIAL);
  sips_msrp_message_add_header (send, "X-Ext", "value");
  wire = sips_msrp_message_to_bytes (send, "text/plain", (const guint8 *) "Hello", 5, '$');

  /* the exact wire format: paths first, Content-Type last, CRLF before the end-line */
  text = g_bytes_get_data (wire, NULL);
  g_assert_true (g_str_has_prefix (text, "MSRP "));
  g_assert_nonnull (strstr (text, " SEND\r\nTo-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
                                  "From-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp\r\n"
                                  "Message-ID: "));
  g_assert_nonnull (strstr (text, "\r\nByte-Range: 1-5/5\r\nSuccess-Report: yes\r\n"
                                  "Failure-Report: partial\r\nX-Ext: value\r\n"
                                  "Content-Type: text/plain\r\n\r\nHello\r\n-------"));
  g_assert_true (g_str_has_suffix (text, "$\r\n"));

  parse_bytes (wire, &x);
  g_assert_cmpuint (x.n_messages, ==, 1);
  g_assert_cmpstr (x.tid, ==, sips_msrp_message_get_transaction_id (send));
  g_assert_cmpuint (strlen (x.tid), ==, SIPS_MSRP_IDENT_LENGTH);
  g_assert_cmpstr (x.method, ==, "SEND");
  g_assert_cmpstr (x.message_id, ==, message_id);
  g_assert_cmpstr (x.content_type, ==, "text/plain");
  g_assert_cmpint (x.range.start, ==, 1);
  g_assert_cmpint (x.range.end, ==, 5);
  g_assert_cmpint (x.range.total, ==, 5);
  g_assert_cmpint (x.success, ==, SIPS_MSRP_REPORT_YES);
  g_assert_cmpint (x.failure, ==, SIPS_MSRP_REPORT_PARTIAL);
  g_assert_cmpmem (x.body->data, x.body->len, "Hello", 5);
  g_assert_cmpint (x.flag, ==, '$');
  g_assert_cmpuint (x.status, ==, 0);
  parsed_clear (&x);
}

static void
test_responses (void)
{
  static const guint codes[] = { 200, 400, 403, 408, 413, 415, 481, 501 };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr(SipsMsrpMessage) r = sips_msrp_message_new_response ("a786hjs2", codes[i], NULL,
                                                                      from_path[0], to_path[0]);
      g_autoptr(GBytes) wire = sips_msrp_message_to_bytes (r, NULL, NULL, 0, '$');
      g_autofree char *start = g_strdup_printf ("MSRP a786hjs2 %u %s\r\nTo-Path: %s\r\n"
                                                "From-Path: %s\r\n-------a786hjs2$\r\n",
                                                codes[i], sips_msrp_status_reason (codes[i]),
                                                from_path[0], to_path[0]);
      Parsed x = PARSED_INIT;

      g_assert_cmpstr (g_bytes_get_data (wire, NULL), ==, start);
      parse_bytes (wire, &x);
      g_assert_false (x.is_request);
      g_assert_cmpuint (x.code, ==, codes[i]);
      g_assert_cmpstr (x.comment, ==, sips_msrp_status_reason (codes[i]));
      g_assert_cmpuint (x.status, ==, 0);
      parsed_clear (&x);
    }
  g_assert_cmpstr (sips_msrp_status_reason (200), ==, "OK");
  g_assert_cmpstr (sips_msrp_status_reason (481), ==, "No Such Session");
}

static void
test_report_and_auth (void)
{
  SipsMsrpByteRange range = { 1, 106, 106 };
  g_autoptr(SipsMsrpMessage) report =
    sips_msrp_message_new_report (from_path, to_path, "12339sdqwer", &range, 200, NULL);
  g_autoptr(SipsMsrpMessage) auth = sips_msrp_message_new_request ("AUTH", "49fi");
  g_autoptr(GBytes) wire = sips_msrp_message_to_bytes (report, NULL, NULL, 0, '$');
  g_autoptr(GBytes) auth_wire = NULL;
  Parsed x = PARSED_INIT;

  parse_bytes (wire, &x);
  g_assert_cmpstr (x.method, ==, "REPORT");
  g_assert_cmpstr (x.message_id, ==, "12339sdqwer");
  g_assert_cmpstr (x.status_header, ==, "000 200 OK");
  g_assert_cmpint (x.range.end, ==, 106);
  g_assert_cmpuint (x.body->len, ==, 0);
  parsed_clear (&x);

  sips_msrp_message_set_to_path (auth, (const char * const[]) { "msrps://alice@intra.example.com;tcp", NULL });
  sips_msrp_message_set_from_path (auth, (const char * const[]) { "msrps://alice.example.com:9892/98cjs;tcp", NULL });
  auth_wire = sips_msrp_message_to_bytes (auth, NULL, NULL, 0, '$');
  g_assert_cmpstr (g_bytes_get_data (auth_wire, NULL), ==,
                   "MSRP 49fi AUTH\r\n"
                   "To-Path: msrps://alice@intra.example.com;tcp\r\n"
                   "From-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
                   "-------49fi$\r\n");
}

/* A body holding the end-line of the transaction id gets a new transaction id. */
static void
test_transaction_id_collision (void)
{
  static const char body[] = "before\r\n-------abcd1234$\r\nafter";
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", "abcd1234");
  g_autoptr(GBytes) wire = NULL;
  Parsed x = PARSED_INIT;

  sips_msrp_message_set_to_path (send, to_path);
  sips_msrp_message_set_from_path (send, from_path);
  wire = sips_msrp_message_to_bytes (send, "text/plain", (const guint8 *) body, strlen (body), '$');
  g_assert_cmpstr (sips_msrp_message_get_transaction_id (send), !=, "abcd1234");
  parse_bytes (wire, &x);
  g_assert_cmpuint (x.n_messages, ==, 1);
  g_assert_cmpmem (x.body->data, x.body->len, body, strlen (body));
  parsed_clear (&x);
}

/* The head / body / end-line pieces make the same message as to_bytes. */
static void
test_streamed_pieces (void)
{
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", "piece1");
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) head = NULL;
  g_autoptr(GBytes) tail = NULL;
  GByteArray *joined = g_byte_array_new ();

  sips_msrp_message_set_to_path (send, to_path);
  sips_msrp_message_set_from_path (send, from_path);
  whole = sips_msrp_message_to_bytes (send, "text/plain", (const guint8 *) "xyz", 3, '+');
  head = sips_msrp_message_head_to_bytes (send, "text/plain");
  tail = sips_msrp_message_end_line (send, TRUE, '+');
  g_byte_array_append (joined, g_bytes_get_data (head, NULL), (guint) g_bytes_get_size (head));
  g_byte_array_append (joined, (const guint8 *) "xyz", 3);
  g_byte_array_append (joined, g_bytes_get_data (tail, NULL), (guint) g_bytes_get_size (tail));
  g_assert_cmpmem (joined->data, joined->len, g_bytes_get_data (whole, NULL), g_bytes_get_size (whole));
  g_byte_array_unref (joined);
}

/* 2 MiB in 64 KiB chunks: 32 SENDs, '+' but the last '$', reassembled exactly. */
static void
test_chunked_2mib (void)
{
  gsize size = 2 * 1024 * 1024;
  guint8 *data = g_malloc (size);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", NULL);
  g_autoptr(SipsMsrpChunker) chunker = NULL;
  g_autoptr(GHashTable) tids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree guint8 *reassembled = g_malloc0 (size);
  g_autofree char *sum_in = NULL;
  g_autofree char *sum_out = NULL;
  Parsed x = PARSED_INIT;
  GBytes *chunk;
  char *tid;
  guint n = 0;
  SipsMsrpByteRange range;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_test_rand_int_range (0, 256);
  sum_in = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  body = g_bytes_new_take (data, size);

  sips_msrp_message_set_to_path (send, to_path);
  sips_msrp_message_set_from_path (send, from_path);
  sips_msrp_message_set_message_id (send, "msg2mib");
  sips_msrp_message_set_reports (send, SIPS_MSRP_REPORT_YES, SIPS_MSRP_REPORT_YES);
  chunker = sips_msrp_chunker_new (send, "application/octet-stream", body, 0);
  g_assert_cmpuint (sips_msrp_chunker_get_n_chunks (chunker), ==, 32);

  /* chunks in reverse order would do too: placement is by Byte-Range */
  while ((chunk = sips_msrp_chunker_next (chunker, &tid, &range)) != NULL)
    {
      g_assert_true (g_hash_table_add (tids, tid));  /* every transaction id differs */
      parse_bytes (chunk, &x);
      g_assert_cmpstr (x.tid, ==, tid);
      g_assert_cmpstr (x.message_id, ==, "msg2mib");
      g_assert_cmpint (x.range.start, ==, range.start);
      g_assert_cmpint (x.range.end, ==, range.end);
      g_assert_cmpint (x.range.total, ==, (gint64) size);
      g_assert_cmpuint (x.body->len, ==, 64 * 1024);
      g_assert_cmpuint ((guint64) (x.range.end - x.range.start + 1), ==, x.body->len);
      memcpy (reassembled + x.range.start - 1, x.body->data, x.body->len);
      n++;
      g_assert_cmpint (x.flag, ==, n < 32 ? '+' : '$');
      g_bytes_unref (chunk);
    }
  g_assert_cmpuint (n, ==, 32);
  g_assert_true (sips_msrp_chunker_is_done (chunker));
  g_assert_null (sips_msrp_chunker_interrupt (chunker, NULL));
  sum_out = g_compute_checksum_for_data (G_CHECKSUM_SHA256, reassembled, size);
  g_assert_cmpstr (sum_out, ==, sum_in);
  parsed_clear (&x);
}

static void
test_chunker_edges (void)
{
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", NULL);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) ten = g_bytes_new_static ("0123456789", 10);
  g_autoptr(SipsMsrpChunker) c0 = NULL;
  g_autoptr(SipsMsrpChunker) c1 = NULL;
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GBytes) chunk2 = NULL;
  g_autoptr(GBytes) stop = NULL;
  Parsed x = PARSED_INIT;

  sips_msrp_message_set_to_path (send, to_path);
  sips_msrp_message_set_from_path (send, from_path);

  /* empty: one SEND 1-0/0 without Content-Type */
  c0 = sips_msrp_chunker_new (send, NULL, empty, 0);
  chunk = sips_msrp_chunker_next (c0, NULL, NULL);
  g_assert_null (strstr (g_bytes_get_data (chunk, NULL), "Content-Type"));
  parse_bytes (chunk, &x);
  g_assert_cmpint (x.range.start, ==, 1);
  g_assert_cmpint (x.range.end, ==, 0);
  g_assert_cmpint (x.range.total, ==, 0);
  g_assert_cmpint (x.flag, ==, '$');
  g_assert_null (sips_msrp_chunker_next (c0, NULL, NULL));

  /* 10 bytes by 4: 1-4, 5-8, then interrupted: '#' with an empty range at 9 */
  c1 = sips_msrp_chunker_new (send, "text/plain", ten, 4);
  g_assert_cmpuint (sips_msrp_chunker_get_n_chunks (c1), ==, 3);
  g_bytes_unref (sips_msrp_chunker_next (c1, NULL, NULL));
  chunk2 = sips_msrp_chunker_next (c1, NULL, NULL);
  parse_bytes (chunk2, &x);
  g_assert_cmpint (x.range.start, ==, 5);
  g_assert_cmpint (x.range.end, ==, 8);
  g_assert_cmpmem (x.body->data, x.body->len, "4567", 4);
  g_assert_cmpint (x.flag, ==, '+');
  stop = sips_msrp_chunker_interrupt (c1, NULL);
  parse_bytes (stop, &x);
  g_assert_cmpint (x.range.start, ==, 9);
  g_assert_cmpint (x.range.end, ==, 8);
  g_assert_cmpint (x.flag, ==, '#');
  g_assert_cmpuint (x.status, ==, 0);
  g_assert_true (sips_msrp_chunker_is_done (c1));
  parsed_clear (&x);
}

static void
test_random_ident (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 2000; i++)
    {
      char *id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);

      g_assert_cmpuint (strlen (id), ==, 16);
      for (const char *p = id; *p != '\0'; p++)
        g_assert_true (g_ascii_isalnum (*p));
      g_assert_true (sips_msrp_is_ident (id, strlen (id)));
      g_assert_true (g_hash_table_add (seen, id));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/msrp-message/send-round-trip", test_send_round_trip);
  g_test_add_func ("/msrp-message/responses", test_responses);
  g_test_add_func ("/msrp-message/report-and-auth", test_report_and_auth);
  g_test_add_func ("/msrp-message/transaction-id-collision", test_transaction_id_collision);
  g_test_add_func ("/msrp-message/streamed-pieces", test_streamed_pieces);
  g_test_add_func ("/msrp-message/chunked-2mib", test_chunked_2mib);
  g_test_add_func ("/msrp-message/chunker-edges", test_chunker_edges);
  g_test_add_func ("/msrp-message/random-ident", test_random_ident);
  return g_test_run ();
}
