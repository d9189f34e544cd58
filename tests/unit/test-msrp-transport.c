/* test-msrp-transport.c: a=setup roles, fingerprints, is-composing documents, and the
 * wire as a raw peer sees it: chunking, response timeouts, refusals, junk */
#include <gio/gio.h>
#include <string.h>

#include "core/sips-error.h"
#include "msrp/sips-msrp-iscomposing.h"
#include "msrp/sips-msrp-message.h"
#include "msrp/sips-msrp-parser.h"
#include "msrp/sips-msrp-uri.h"
#include "test-msrp-util.h"

/* ---- helpers without sockets ---- */

static void
test_setup_roles (void)
{
  g_assert_cmpint (sips_msrp_setup_parse ("ActPass"), ==, SIPS_MSRP_SETUP_ACTPASS);
  g_assert_cmpint (sips_msrp_setup_parse ("holdconn"), ==, SIPS_MSRP_SETUP_NONE);
  g_assert_cmpint (sips_msrp_setup_parse (NULL), ==, SIPS_MSRP_SETUP_NONE);
  g_assert_cmpstr (sips_msrp_setup_to_string (SIPS_MSRP_SETUP_PASSIVE), ==, "passive");

  g_assert_cmpint (sips_msrp_setup_answer (SIPS_MSRP_SETUP_ACTPASS), ==, SIPS_MSRP_SETUP_ACTIVE);
  g_assert_cmpint (sips_msrp_setup_answer (SIPS_MSRP_SETUP_ACTIVE), ==, SIPS_MSRP_SETUP_PASSIVE);
  g_assert_cmpint (sips_msrp_setup_answer (SIPS_MSRP_SETUP_PASSIVE), ==, SIPS_MSRP_SETUP_ACTIVE);
  g_assert_cmpint (sips_msrp_setup_answer (SIPS_MSRP_SETUP_NONE), ==, SIPS_MSRP_SETUP_PASSIVE);

  /* exactly one side connects, whatever the answer */
  for (int offer = SIPS_MSRP_SETUP_NONE; offer <= SIPS_MSRP_SETUP_PASSIVE; offer++)
    {
      SipsMsrpSetup answer = sips_msrp_setup_answer (offer);

      g_assert_true (sips_msrp_setup_is_active (TRUE, offer, answer) !=
                     sips_msrp_setup_is_active (FALSE, offer, answer));
    }
  /* RFC 4975 without a=setup: the offerer connects */
  g_assert_true (sips_msrp_setup_is_active (TRUE, SIPS_MSRP_SETUP_NONE, SIPS_MSRP_SETUP_NONE));
  /* RFC 6135: actpass answered active: the answerer connects */
  g_assert_false (sips_msrp_setup_is_active (TRUE, SIPS_MSRP_SETUP_ACTPASS, SIPS_MSRP_SETUP_ACTIVE));
  g_assert_true (sips_msrp_setup_is_active (TRUE, SIPS_MSRP_SETUP_ACTPASS, SIPS_MSRP_SETUP_PASSIVE));
}

static void
test_fingerprints (void)
{
  g_autofree char *fp = sips_msrp_tls_fingerprint (test_certs.a);
  g_autofree char *lower = g_ascii_strdown (fp, -1);
  g_autofree char *dir = g_build_filename (test_certs.dir, "a", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) again = sips_msrp_tls_load_certificate (dir, &error);
  g_autofree char *fp_again = NULL;
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GString) sha1 = g_string_new ("SHA-1 ");
  guint8 digest[20];
  gsize len = sizeof digest;
  GChecksum *checksum;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (fp, "sha-256 "));
  g_assert_cmpuint (strlen (fp), ==, strlen ("sha-256 ") + 32 * 3 - 1);
  g_assert_true (sips_msrp_tls_fingerprint_is_valid (fp));
  g_assert_true (sips_msrp_tls_fingerprint_matches (test_certs.a, fp));
  g_assert_true (sips_msrp_tls_fingerprint_matches (test_certs.a, lower));
  g_assert_false (sips_msrp_tls_fingerprint_matches (test_certs.b, fp));
  g_assert_false (sips_msrp_tls_fingerprint_matches (NULL, fp));

  /* generated once per state dir: loading again gives the same certificate */
  fp_again = sips_msrp_tls_fingerprint (again);
  g_assert_cmpstr (fp_again, ==, fp);

  /* other hash functions of RFC 4572 */
  g_object_get (test_certs.a, "certificate", &der, NULL);
  checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &len);
  g_checksum_free (checksum);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (sha1, i == 0 ? "%02x" : ":%02x", digest[i]);
  g_assert_true (sips_msrp_tls_fingerprint_matches (test_certs.a, sha1->str));

  g_assert_false (sips_msrp_tls_fingerprint_is_valid ("md5 00:11"));
  g_assert_false (sips_msrp_tls_fingerprint_is_valid ("sha-256 00:11"));
  g_assert_false (sips_msrp_tls_fingerprint_is_valid ("sha-256"));
  g_assert_false (sips_msrp_tls_fingerprint_is_valid (NULL));
}

static void
test_iscomposing (void)
{
  g_autoptr(GBytes) doc = sips_iscomposing_build ("active", "text/plain", 90);
  g_autoptr(SipsIsComposing) parsed = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (doc, &len);
  /* RFC 3994 §7, with a namespace prefix */
  static const char rfc_example[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ic:isComposing xmlns:ic=\"urn:ietf:params:xml:ns:im-iscomposing\">\n"
    "  <ic:state>idle</ic:state>\n"
    "  <ic:lastactive>2003-01-27T10:43:00Z</ic:lastactive>\n"
    "  <ic:contenttype>audio</ic:contenttype>\n"
    "</ic:isComposing>\n";

  parsed = sips_iscomposing_parse (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->state, ==, "active");
  g_assert_cmpstr (parsed->content_type, ==, "text/plain");
  g_assert_cmpuint (parsed->refresh, ==, 90);
  g_clear_pointer (&parsed, sips_iscomposing_free);

  parsed = sips_iscomposing_parse ((const guint8 *) rfc_example, strlen (rfc_example), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->state, ==, "idle");
  g_assert_cmpstr (parsed->content_type, ==, "audio");
  g_assert_cmpuint (parsed->refresh, ==, 0);
  g_assert_cmpint (parsed->last_active, ==, (gint64) 1043664180 * G_USEC_PER_SEC);
  g_clear_pointer (&parsed, sips_iscomposing_free);

  static const char *const bad[] = {
    "<isComposing><state>typing</state></isComposing>",
    "<other><state>active</state></other>",
    "<isComposing><state>active</state>",
    "not xml at all",
    "",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;

      g_assert_null (sips_iscomposing_parse ((const guint8 *) bad[i], strlen (bad[i]), &e));
      g_assert_error (e, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    }
}

/* ---- a raw MSRP peer on a socket: parses what comes, answers as told ---- */

typedef enum {
  ANSWER_NONE,         /* reads and stays silent */
  ANSWER_EMPTY_ONLY,   /* answers bodiless SENDs only (binding), not messages */
  ANSWER_ALL,          /* 200 to every SEND, a success REPORT for each complete message */
} AnswerMode;

typedef struct {
  GSocketConnection *conn;
  SipsMsrpParser    *parser;
  guint8             buf[65536];
  AnswerMode         mode;
  gboolean           closed;
  GHashTable        *responses;   /* transaction id -> status */
  GArray            *chunks;      /* SipsMsrpByteRange of each SEND with a body */
  GArray            *chunk_lens;  /* guint64 body bytes of each */
  GByteArray        *body;        /* all SEND bodies, in order */
  guint64            cur_len;
  guint              n_messages;  /* SENDs ended with '$' and a body */
} RawConn;

static void
raw_write (RawConn *raw, GBytes *frame)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  gconstpointer data = g_bytes_get_data (frame, &size);

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (raw->conn)), data,
                             size, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
raw_write_text (RawConn *raw, const char *text)
{
  g_autoptr(GBytes) frame = g_bytes_new_static (text, strlen (text));

  raw_write (raw, frame);
}

static void
raw_write_noise (RawConn *raw, const guint8 *data, gsize len)
{
  g_autoptr(GBytes) frame = g_bytes_new (data, len);

  raw_write (raw, frame);
}

static void
on_raw_request (SipsMsrpParser *p, const char *tid, SipsMsrpMethod method, const char *name,
                gpointer data)
{
  ((RawConn *) data)->cur_len = 0;
}

static void
on_raw_response (SipsMsrpParser *p, const char *tid, guint status, const char *comment,
                 gpointer data)
{
  g_hash_table_insert (((RawConn *) data)->responses, g_strdup (tid), GUINT_TO_POINTER (status));
}

static void
on_raw_body (SipsMsrpParser *p, const guint8 *bytes, gsize len, gpointer data)
{
  RawConn *raw = data;

  g_byte_array_append (raw->body, bytes, (guint) len);
  raw->cur_len += len;
}

static char *
first_uri (GPtrArray *path)
{
  return sips_msrp_uri_to_string (g_ptr_array_index (path, 0));
}

static void
on_raw_end (SipsMsrpParser *p, char flag, guint status, gpointer data)
{
  RawConn *raw = data;
  const SipsMsrpHeaders *h = sips_msrp_parser_get_headers (p);
  gboolean empty = h->content_type == NULL;
  const char *tid = sips_msrp_parser_get_transaction_id (p);

  if (h->to_path == NULL || h->from_path == NULL || h->message_id == NULL)
    return;  /* a response */
  if (!empty)
    {
      g_array_append_val (raw->chunks, h->byte_range);
      g_array_append_val (raw->chunk_lens, raw->cur_len);
    }
  if (raw->mode == ANSWER_NONE || (raw->mode == ANSWER_EMPTY_ONLY && !empty))
    return;
  {
    g_autofree char *to = first_uri (h->from_path);
    g_autofree char *from = first_uri (h->to_path);
    g_autoptr(SipsMsrpMessage) response = sips_msrp_message_new_response (tid, 200, NULL, to, from);
    g_autoptr(GBytes) frame = sips_msrp_message_to_bytes (response, NULL, NULL, 0, '$');

    raw_write (raw, frame);
    if (!empty && flag == '$')
      {
        const char *to_path[] = { to, NULL };
        const char *from_path[] = { from, NULL };
        SipsMsrpByteRange all = { 1, h->byte_range.total, h->byte_range.total };
        g_autoptr(SipsMsrpMessage) report =
          sips_msrp_message_new_report (to_path, from_path, h->message_id, &all, 200, NULL);
        g_autoptr(GBytes) rframe = sips_msrp_message_to_bytes (report, NULL, NULL, 0, '$');

        raw->n_messages++;
        raw_write (raw, rframe);
      }
  }
}

static const SipsMsrpParserCallbacks raw_callbacks = {
  .request = on_raw_request,
  .response = on_raw_response,
  .body = on_raw_body,
  .end = on_raw_end,
};

static void raw_read (RawConn *raw);

static void
on_raw_read (GObject *source, GAsyncResult *result, gpointer data)
{
  RawConn *raw = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n <= 0)
    {
      raw->closed = TRUE;
      return;
    }
  if (!sips_msrp_parser_feed (raw->parser, raw->buf, (gsize) n, &error))
    g_error ("the raw peer could not parse what came: %s", error->message);
  raw_read (raw);
}

static void
raw_read (RawConn *raw)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (raw->conn)), raw->buf,
                             sizeof raw->buf, G_PRIORITY_DEFAULT, NULL, on_raw_read, raw);
}

static RawConn *
raw_new (GSocketConnection *conn, AnswerMode mode)
{
  RawConn *raw = g_new0 (RawConn, 1);

  raw->conn = g_object_ref (conn);
  raw->mode = mode;
  raw->parser = sips_msrp_parser_new (&raw_callbacks, NULL, raw, NULL);
  raw->responses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  raw->chunks = g_array_new (FALSE, FALSE, sizeof (SipsMsrpByteRange));
  raw->chunk_lens = g_array_new (FALSE, FALSE, sizeof (guint64));
  raw->body = g_byte_array_new ();
  raw_read (raw);
  return raw;
}

static RawConn *
raw_connect (guint16 port, AnswerMode mode)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", port,
                                                                       NULL, &error);

  g_assert_no_error (error);
  return raw_new (conn, mode);
}

/* Closes our end; the pending read finishes (cancelled), then it is freed. */
static void
raw_free (RawConn *raw)
{
  g_io_stream_close (G_IO_STREAM (raw->conn), NULL, NULL);
  WAIT_FOR (raw->closed, WAIT_MS);
  g_object_unref (raw->conn);
  sips_msrp_parser_free (raw->parser);
  g_hash_table_unref (raw->responses);
  g_array_unref (raw->chunks);
  g_array_unref (raw->chunk_lens);
  g_byte_array_unref (raw->body);
  g_free (raw);
}

static guint
raw_status (RawConn *raw, const char *tid)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (raw->responses, tid));
}

/* A listening raw peer: the passive side for a chat that connects. */
typedef struct {
  GSocketService *service;
  guint16         port;
  AnswerMode      mode;
  RawConn        *conn;
  char           *path[2];
} RawServer;

static gboolean
on_raw_incoming (GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  RawServer *server = data;

  g_assert_null (server->conn);
  server->conn = raw_new (conn, server->mode);
  return TRUE;
}

static void
raw_server_init (RawServer *server, AnswerMode mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  server->mode = mode;
  server->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                 &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  server->path[0] = g_strdup_printf ("msrp://127.0.0.1:%u/rawpeer;tcp", server->port);
  g_signal_connect (server->service, "incoming", G_CALLBACK (on_raw_incoming), server);
  g_socket_service_start (server->service);
}

static void
raw_server_clear (RawServer *server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  if (server->conn != NULL)
    raw_free (server->conn);
  g_free (server->path[0]);
}

/* A TCP chat that connects to the raw server. */
static SipsMsrpChat *
chat_to_raw (SipsMsrpTransport *transport, RawServer *server, guint response_timeout)
{
  g_autoptr(GError) error = NULL;
  SipsMsrpChat *chat = sips_msrp_chat_new (transport, FALSE);

  g_object_set (chat, "response-timeout", response_timeout, NULL);
  test_record (chat);
  g_assert_true (sips_msrp_chat_initialize (chat, &error));
  g_assert_true (sips_msrp_chat_set_remote (chat, (const char * const *) server->path, NULL, NULL,
                                            &error));
  g_assert_no_error (error);
  sips_msrp_chat_start (chat, TRUE);
  return chat;
}

static GPtrArray *
events_of (SipsMsrpChat *chat)
{
  return g_object_get_data (G_OBJECT (chat), "test-events");
}

/* ---- the wire ---- */

/* 2 MiB goes out in 64 KiB chunks with contiguous Byte-Ranges. */
static void
test_chunks_on_the_wire (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  RawServer server = { 0 };
  g_autoptr(SipsMsrpChat) chat = NULL;
  gsize size = 2 * 1024 * 1024;
  g_autofree char *text = g_malloc (size + 1);
  g_autofree char *id = NULL;
  gint64 total, expected_start = 1;
  guint n;

  for (gsize i = 0; i < size; i++)
    text[i] = (char) ('a' + i % 26);
  text[size] = '\0';

  raw_server_init (&server, ANSWER_ALL);
  chat = chat_to_raw (transport, &server, 0 + SIPS_MSRP_RESPONSE_TIMEOUT_MS);
  WAIT_FOR (test_count (events_of (chat), "did-start") == 1, WAIT_MS);
  id = test_send (chat, text);
  WAIT_FOR (test_count (events_of (chat), "did-deliver-message") == 1, 3 * WAIT_MS);
  g_assert_cmpstr (test_find (events_of (chat), "did-deliver-message", 0)->s1, ==, id);

  n = server.conn->chunks->len;
  total = g_array_index (server.conn->chunks, SipsMsrpByteRange, 0).total;
  g_assert_cmpint (total, >, (gint64) size);  /* the CPIM wrapper around it */
  g_assert_cmpuint (n, ==, (total + 65535) / 65536);
  for (guint i = 0; i < n; i++)
    {
      SipsMsrpByteRange *r = &g_array_index (server.conn->chunks, SipsMsrpByteRange, i);
      guint64 len = g_array_index (server.conn->chunk_lens, guint64, i);

      g_assert_cmpint (r->start, ==, expected_start);
      g_assert_cmpint (r->total, ==, total);
      g_assert_cmpuint (len, ==, (guint64) (r->end - r->start + 1));
      g_assert_cmpuint (len, ==, i + 1 < n ? 65536 : (guint64) (total - 65536 * (n - 1)));
      expected_start = r->end + 1;
    }
  g_assert_cmpint (expected_start, ==, total + 1);
  g_assert_cmpuint (server.conn->body->len, ==, total);
  g_assert_cmpmem (server.conn->body->data + total - size, size, text, size);

  sips_msrp_chat_end (chat);
  raw_server_clear (&server);
  sips_msrp_transport_stop (transport);
}

/* A peer that never answers: the start fails (its empty SEND gets no 200). */
static void
test_silent_peer (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  RawServer server = { 0 };
  g_autoptr(SipsMsrpChat) chat = NULL;

  raw_server_init (&server, ANSWER_NONE);
  chat = chat_to_raw (transport, &server, 300);
  WAIT_FOR (test_count (events_of (chat), "did-end") == 1, WAIT_MS);
  g_assert_cmpuint (test_count (events_of (chat), "did-start"), ==, 0);
  g_assert_nonnull (strstr (test_find (events_of (chat), "did-fail", 0)->s1, "No answer"));
  raw_server_clear (&server);
  sips_msrp_transport_stop (transport);
}

/* A started session whose peer stops answering: 408 for the message. */
static void
test_response_timeout (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  RawServer server = { 0 };
  g_autoptr(SipsMsrpChat) chat = NULL;
  g_autofree char *id = NULL;
  TestEvent *e;

  raw_server_init (&server, ANSWER_EMPTY_ONLY);
  chat = chat_to_raw (transport, &server, 300);
  WAIT_FOR (test_count (events_of (chat), "did-start") == 1, WAIT_MS);
  id = test_send (chat, "anybody there?");
  WAIT_FOR (test_count (events_of (chat), "did-not-deliver-message") == 1, WAIT_MS);
  e = test_find (events_of (chat), "did-not-deliver-message", 0);
  g_assert_cmpstr (e->s1, ==, id);
  g_assert_cmpint (e->code, ==, 408);
  g_assert_cmpuint (server.conn->chunks->len, ==, 1);  /* it did go out */
  g_assert_cmpuint (test_count (events_of (chat), "did-deliver-message"), ==, 0);
  sips_msrp_chat_end (chat);
  raw_server_clear (&server);
  sips_msrp_transport_stop (transport);
}

static char *
frame_for (const char *tid, const char *to, const char *from, const char *extra,
           const char *content_type, const char *body)
{
  return g_strdup_printf ("MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\n"
                          "Message-ID: m%s\r\n%s%s%s%s%s%s-------%s$\r\n",
                          tid, to, from, tid, extra,
                          content_type != NULL ? "Content-Type: " : "",
                          content_type != NULL ? content_type : "",
                          content_type != NULL ? "\r\n\r\n" : "",
                          content_type != NULL ? body : "",
                          content_type != NULL ? "\r\n" : "", tid);
}

/* A raw active peer against a passive chat: each refusal is the right status, and the
 * session goes on after each. */
static void
test_refusals (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  g_autoptr(SipsMsrpChat) chat = sips_msrp_chat_new (transport, FALSE);
  const char *const raw_path[] = { "msrp://127.0.0.1:9/rawclient;tcp", NULL };
  g_autoptr(GError) error = NULL;
  GPtrArray *events = test_record (chat);
  const char *from = raw_path[0];
  const char *to;
  g_autofree char *unknown = NULL;
  RawConn *raw;
  TestEvent *got;
  struct { const char *tid, *extra, *type, *body; guint status; } cases[] = {
    { "tid1", "Byte-Range: 1-0/0\r\n", NULL, NULL, 200 },                  /* binds */
    { "tid2", "Byte-Range: 1-3/3\r\n", "application/x-unknown", "abc", 415 },
    { "tid3", "Byte-Range: 1-5/999999999\r\n", "text/plain", "hello", 413 },
    { "tid4", "Success-Report: yes\r\n", "text/plain", "plain hello", 200 },
    { "tid5", "Byte-Range: 1-3/6\r\n", "text/plain", "abc", 200 },          /* two chunks */
    { "tid6", "Byte-Range: 4-6/6\r\n", "text/plain", "def", 200 },
    { "tid7", "Failure-Report: no\r\n", "text/plain", "no answer wanted", 0 },
    { "tid8", "", "text/plain", "last", 200 },
  };

  g_assert_true (sips_msrp_chat_initialize (chat, &error));
  g_assert_true (sips_msrp_chat_set_remote (chat, raw_path, NULL, NULL, &error));
  g_assert_no_error (error);
  sips_msrp_chat_start (chat, FALSE);
  to = sips_msrp_chat_get_local_path (chat)[0];
  unknown = g_strdup_printf ("msrp://127.0.0.1:%u/nosuchsession;tcp",
                             sips_msrp_transport_get_port (transport));
  raw = raw_connect (sips_msrp_transport_get_port (transport), ANSWER_NONE);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *frame = NULL;

      /* tid5/tid6: the chunks of one message share its Message-ID */
      frame = frame_for (cases[i].tid, to, from, cases[i].extra, cases[i].type, cases[i].body);
      if (strcmp (cases[i].tid, "tid6") == 0)
        {
          char *mid = strstr (frame, "Message-ID: mtid6");

          mid[strlen ("Message-ID: mtid")] = '5';
        }
      if (strcmp (cases[i].tid, "tid5") == 0)
        {
          char *end = strstr (frame, "-------tid5$");

          end[strlen ("-------tid5")] = '+';
        }
      raw_write_text (raw, frame);
    }
  raw_write_text (raw, "MSRP tid9 AUTH\r\nTo-Path: msrp://127.0.0.1:1/x;tcp\r\n"
                       "From-Path: msrp://127.0.0.1:9/rawclient;tcp\r\n-------tid9$\r\n");
  raw_write_text (raw, "MSRP tid10 FOO\r\nTo-Path: msrp://127.0.0.1:1/x;tcp\r\n"
                       "From-Path: msrp://127.0.0.1:9/rawclient;tcp\r\n-------tid10$\r\n");
  {
    g_autofree char *frame = frame_for ("tid11", unknown, from, "", "text/plain", "who?");

    raw_write_text (raw, frame);
  }
  WAIT_FOR (raw_status (raw, "tid11") != 0 && raw_status (raw, "tid8") != 0, WAIT_MS);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (raw_status (raw, cases[i].tid), ==, cases[i].status);
  g_assert_cmpuint (raw_status (raw, "tid9"), ==, 403);
  g_assert_cmpuint (raw_status (raw, "tid10"), ==, 501);
  g_assert_cmpuint (raw_status (raw, "tid11"), ==, 481);

  WAIT_FOR (test_count (events, "got-message") == 4, WAIT_MS);
  g_assert_cmpuint (test_count (events, "did-start"), ==, 1);
  got = test_find (events, "got-message", 0);
  g_assert_cmpstr (got->s1, ==, "plain hello");
  g_assert_cmpstr (got->s2, ==, "text/plain");
  g_assert_cmpuint (g_variant_n_children (got->headers), ==, 0);
  g_assert_cmpstr (test_find (events, "got-message", 1)->s1, ==, "abcdef");
  g_assert_cmpstr (test_find (events, "got-message", 1)->s3, ==, "mtid5");
  g_assert_cmpstr (test_find (events, "got-message", 2)->s1, ==, "no answer wanted");
  g_assert_cmpstr (test_find (events, "got-message", 3)->s1, ==, "last");
  g_assert_cmpuint (test_count (events, "did-fail"), ==, 0);

  sips_msrp_chat_end (chat);
  raw_free (raw);
  sips_msrp_transport_stop (transport);
}

/* Junk at the listening port of a TLS endpoint with a chat going on. */
static void
test_junk (void)
{
  TestPair p = { 0 };
  g_autofree char *unknown = NULL;
  g_autofree char *frame = NULL;
  g_autofree char *hijack = NULL;
  g_autofree char *id = NULL;
  guint16 port;
  guint8 noise[4096];
  GRand *rand = g_rand_new_with_seed (4975);
  RawConn *raw;

  test_pair_connect (&p, TRUE);
  port = sips_msrp_transport_get_port (p.tb);

  for (gsize i = 0; i < sizeof noise; i++)
    noise[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);

  /* random bytes (not MSRP): the endpoint hangs up */
  noise[0] = 'X';
  raw = raw_connect (port, ANSWER_NONE);
  raw_write_noise (raw, noise, sizeof noise);
  WAIT_FOR (raw->closed, WAIT_MS);
  raw_free (raw);

  /* random bytes after a TLS record header: the handshake fails */
  noise[0] = 0x16;
  noise[1] = 0x03;
  noise[2] = 0x01;
  raw = raw_connect (port, ANSWER_NONE);
  raw_write_noise (raw, noise, sizeof noise);
  WAIT_FOR (raw->closed, WAIT_MS);
  raw_free (raw);

  /* an MSRP start line with a bad transaction id */
  raw = raw_connect (port, ANSWER_NONE);
  raw_write_text (raw, "MSRP \x01\x02 SEND\r\n");
  WAIT_FOR (raw->closed, WAIT_MS);
  raw_free (raw);

  /* half a frame, then gone */
  raw = raw_connect (port, ANSWER_NONE);
  raw_write_text (raw, "MSRP half SEND\r\nTo-Path: msrp://127.0.0.1:1/x;tcp\r\nFrom-Pa");
  raw_free (raw);

  /* a frame for a session nobody has: 481; one for a session bound elsewhere: 506 */
  unknown = g_strdup_printf ("msrp://127.0.0.1:%u/nosuchsession;tcp", port);
  frame = frame_for ("junk1", unknown, "msrp://127.0.0.1:9/junk;tcp", "", "text/plain", "hi");
  hijack = frame_for ("junk2", sips_msrp_chat_get_local_path (p.b)[0],
                      sips_msrp_chat_get_local_path (p.a)[0], "", "text/plain", "hijack");
  raw = raw_connect (port, ANSWER_NONE);
  raw_write_text (raw, frame);
  raw_write_text (raw, hijack);
  WAIT_FOR (raw_status (raw, "junk1") != 0 && raw_status (raw, "junk2") != 0, WAIT_MS);
  g_assert_cmpuint (raw_status (raw, "junk1"), ==, 481);
  g_assert_cmpuint (raw_status (raw, "junk2"), ==, 506);
  raw_free (raw);

  /* the chat goes on, both ways */
  id = test_send (p.a, "still there?");
  WAIT_FOR (test_count (p.eb, "got-message") == 1 &&
            test_count (p.ea, "did-deliver-message") == 1, WAIT_MS);
  g_clear_pointer (&id, g_free);
  id = test_send (p.b, "yes");
  WAIT_FOR (test_count (p.ea, "got-message") == 1 &&
            test_count (p.eb, "did-deliver-message") == 1, WAIT_MS);
  g_assert_cmpstr (test_find (p.eb, "got-message", 0)->s1, ==, "still there?");
  g_assert_cmpuint (test_count (p.ea, "did-fail") + test_count (p.eb, "did-fail"), ==, 0);
  test_pair_clear (&p);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_msrp_certs_init ();

  g_test_add_func ("/msrp/transport/setup-roles", test_setup_roles);
  g_test_add_func ("/msrp/transport/fingerprints", test_fingerprints);
  g_test_add_func ("/msrp/transport/iscomposing", test_iscomposing);
  g_test_add_func ("/msrp/transport/chunks-on-the-wire", test_chunks_on_the_wire);
  g_test_add_func ("/msrp/transport/silent-peer", test_silent_peer);
  g_test_add_func ("/msrp/transport/response-timeout", test_response_timeout);
  g_test_add_func ("/msrp/transport/refusals", test_refusals);
  g_test_add_func ("/msrp/transport/junk", test_junk);

  status = g_test_run ();
  test_msrp_certs_clear ();
  return status;
}
