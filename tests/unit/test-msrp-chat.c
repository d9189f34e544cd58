/* test-msrp-chat.c: two chat endpoints in one process over loopback TCP and TLS:
 * messages both ways with their CPIM headers, reports, bursts, large and binary
 * messages, is-composing, fingerprints, shared connections */
#include <glib.h>
#include <string.h>

#include "core/sips-error.h"
#include "msrp/sips-msrp-chat.h"
#include "msrp/sips-msrp-transport.h"
#include "test-msrp-util.h"

/* 2024-05-01T10:00:00.25Z */
#define FIXED_TIMESTAMP ((gint64) 1714557600 * G_USEC_PER_SEC + 250000)

static void
check_messages_both_ways (gboolean tls)
{
  TestPair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *id_a = NULL;
  g_autofree char *id_b = NULL;
  const char *const extra[] = {
    "Subject", "Lunch?",
    "NS", "ex <urn:example:msrp-test>",
    "ex.Mood", "hungry",
    NULL,
  };
  const char text[] = "Hello Bob \xc3\xa9\xe2\x82\xac, lunch at noon?";
  TestEvent *got, *delivered;

  test_pair_connect (&p, tls);
  g_assert_true (sips_msrp_chat_get_use_tls (p.a) == tls);
  g_assert_true (g_str_has_prefix (sips_msrp_chat_get_local_path (p.a)[0],
                                   tls ? "msrps://127.0.0.1:" : "msrp://127.0.0.1:"));

  id_a = sips_msrp_chat_send_message (p.a, (const guint8 *) text, strlen (text),
                                      "text/plain; charset=utf-8", NULL, FIXED_TIMESTAMP,
                                      extra, &error);
  g_assert_no_error (error);
  WAIT_FOR (test_count (p.eb, "got-message") == 1 &&
            test_count (p.ea, "did-deliver-message") == 1, WAIT_MS);

  got = test_find (p.eb, "got-message", 0);
  g_assert_cmpstr (got->s1, ==, text);
  g_assert_cmpstr (got->s2, ==, "text/plain; charset=utf-8");
  g_assert_cmpstr (got->s3, ==, id_a);
  g_assert_cmpstr (test_header (got, "From"), ==, "Alice <sip:alice@example.com>");
  g_assert_cmpstr (test_header (got, "To"), ==, "Bob <sip:bob@example.org>");
  g_assert_cmpstr (test_header (got, "DateTime"), ==, "2024-05-01T10:00:00.250000Z");
  g_assert_cmpstr (test_header (got, "Subject"), ==, "Lunch?");
  g_assert_cmpstr (test_header (got, "NS"), ==, "ex <urn:example:msrp-test>");
  g_assert_cmpstr (test_header (got, "ex.Mood"), ==, "hungry");
  g_assert_null (test_header (got, "Content-Type"));
  g_assert_null (test_header (got, "Content-Transfer-Encoding"));

  delivered = test_find (p.ea, "did-deliver-message", 0);
  g_assert_cmpstr (delivered->s1, ==, id_a);
  g_assert_cmpint (delivered->code, ==, 200);
  g_assert_cmpstr (delivered->s2, ==, "OK");

  /* the other way, to another URI */
  id_b = sips_msrp_chat_send_message (p.b, (const guint8 *) "Sure!", 5, NULL,
                                      "sip:alice@desk.example.com", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id_b, !=, id_a);
  WAIT_FOR (test_count (p.ea, "got-message") == 1 &&
            test_count (p.eb, "did-deliver-message") == 1, WAIT_MS);
  got = test_find (p.ea, "got-message", 0);
  g_assert_cmpstr (got->s1, ==, "Sure!");
  g_assert_cmpstr (got->s2, ==, "text/plain");
  g_assert_cmpstr (test_header (got, "From"), ==, "Bob <sip:bob@example.org>");
  g_assert_cmpstr (test_header (got, "To"), ==, "<sip:alice@desk.example.com>");
  g_assert_nonnull (test_header (got, "DateTime"));
  g_assert_cmpstr (test_find (p.eb, "did-deliver-message", 0)->s1, ==, id_b);
  g_assert_cmpuint (test_count (p.ea, "did-not-deliver-message"), ==, 0);
  g_assert_cmpuint (test_count (p.eb, "did-not-deliver-message"), ==, 0);
  test_pair_clear (&p);
}

static void
test_tcp_messages (void)
{
  check_messages_both_ways (FALSE);
}

static void
test_tls_messages (void)
{
  check_messages_both_ways (TRUE);
}

static void
test_burst (void)
{
  TestPair p = { 0 };
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  test_pair_connect (&p, TRUE);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %03u", i);

      g_ptr_array_add (ids, test_send (p.a, text));
    }
  WAIT_FOR (test_count (p.eb, "got-message") == 200 &&
            test_count (p.ea, "did-deliver-message") == 200, 3 * WAIT_MS);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %03u", i);
      TestEvent *got = test_find (p.eb, "got-message", i);

      g_assert_cmpstr (got->s1, ==, text);
      g_assert_cmpstr (got->s3, ==, g_ptr_array_index (ids, i));
    }
  /* every message has its own report */
  for (guint i = 0; i < 200; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < 200 && !found; j++)
        found = strcmp (test_find (p.ea, "did-deliver-message", j)->s1,
                        g_ptr_array_index (ids, i)) == 0;
      g_assert_true (found);
    }
  g_assert_cmpuint (test_count (p.ea, "did-not-deliver-message"), ==, 0);
  test_pair_clear (&p);
}

static void
test_large (void)
{
  TestPair p = { 0 };
  gsize size = 2 * 1024 * 1024;
  g_autofree char *text = g_malloc (size + 1);
  g_autofree char *sent_sum = NULL;
  g_autofree char *got_sum = NULL;
  g_autofree char *id = NULL;
  GRand *rand = g_rand_new_with_seed (4975);
  TestEvent *got;

  for (gsize i = 0; i < size; i++)
    text[i] = (char) g_rand_int_range (rand, 32, 127);
  text[size] = '\0';
  g_rand_free (rand);
  sent_sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, (gssize) size);

  test_pair_connect (&p, TRUE);
  id = test_send (p.a, text);
  WAIT_FOR (test_count (p.eb, "got-message") == 1 &&
            test_count (p.ea, "did-deliver-message") == 1, 3 * WAIT_MS);
  got = test_find (p.eb, "got-message", 0);
  g_assert_cmpuint (strlen (got->s1), ==, size);
  got_sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, got->s1, -1);
  g_assert_cmpstr (got_sum, ==, sent_sum);
  g_assert_cmpstr (got->s3, ==, id);
  g_assert_cmpstr (test_find (p.ea, "did-deliver-message", 0)->s1, ==, id);
  test_pair_clear (&p);
}

static void
test_non_utf8 (void)
{
  TestPair p = { 0 };
  g_autoptr(GError) error = NULL;
  static const guint8 binary[] = { 0xff, 0xfe, 0x00, 'M', 'S', 'R', 'P', 0x80, 0xc3, 0x28 };
  g_autofree char *id = NULL;
  g_autofree guchar *decoded = NULL;
  gsize decoded_len = 0;
  TestEvent *got;

  test_pair_connect (&p, FALSE);
  id = sips_msrp_chat_send_message (p.a, binary, sizeof binary, "application/octet-stream",
                                    NULL, 0, NULL, &error);
  g_assert_no_error (error);
  WAIT_FOR (test_count (p.eb, "got-message") == 1, WAIT_MS);
  got = test_find (p.eb, "got-message", 0);
  g_assert_cmpstr (got->s2, ==, "application/octet-stream");
  g_assert_cmpstr (test_header (got, "Content-Transfer-Encoding"), ==, "base64");
  g_assert_true (g_utf8_validate (got->s1, -1, NULL));
  decoded = g_base64_decode (got->s1, &decoded_len);
  g_assert_cmpmem (decoded, decoded_len, binary, sizeof binary);
  WAIT_FOR (test_count (p.ea, "did-deliver-message") == 1, WAIT_MS);
  test_pair_clear (&p);
}

static void
test_composing (void)
{
  TestPair p = { 0 };
  g_autoptr(GError) error = NULL;
  TestEvent *e;

  test_pair_connect (&p, TRUE);
  g_assert_true (sips_msrp_chat_send_composing_indication (p.a, "active", 60, &error));
  g_assert_no_error (error);
  WAIT_FOR (test_count (p.eb, "got-composing-indication") == 1, WAIT_MS);
  e = test_find (p.eb, "got-composing-indication", 0);
  g_assert_cmpstr (e->s1, ==, "active");
  g_assert_cmpint (e->code, ==, 60);

  g_assert_true (sips_msrp_chat_send_composing_indication (p.b, "active", 0, &error));
  g_assert_true (sips_msrp_chat_send_composing_indication (p.b, "idle", 0, &error));
  g_assert_no_error (error);
  WAIT_FOR (test_count (p.ea, "got-composing-indication") == 2, WAIT_MS);
  e = test_find (p.ea, "got-composing-indication", 0);
  g_assert_cmpstr (e->s1, ==, "active");
  g_assert_cmpint (e->code, ==, 120);  /* RFC 3994's default */
  e = test_find (p.ea, "got-composing-indication", 1);
  g_assert_cmpstr (e->s1, ==, "idle");
  g_assert_cmpint (e->code, ==, 0);

  /* not messages, no reports */
  g_assert_false (sips_msrp_chat_send_composing_indication (p.a, "typing", 0, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  test_msrp_spin (100);
  g_assert_cmpuint (test_count (p.ea, "got-message"), ==, 0);
  g_assert_cmpuint (test_count (p.eb, "got-message"), ==, 0);
  g_assert_cmpuint (test_count (p.ea, "did-deliver-message"), ==, 0);
  g_assert_cmpuint (test_count (p.ea, "did-not-deliver-message"), ==, 0);
  test_pair_clear (&p);
}

/* The active side is told another fingerprint than its peer's certificate has. */
static void
test_wrong_fingerprint_active (void)
{
  TestPair p = { 0 };
  g_autofree char *own = sips_msrp_tls_fingerprint (test_certs.a);

  test_pair_init (&p, TRUE, own, NULL);
  test_pair_start (&p);
  WAIT_FOR (test_count (p.ea, "did-end") == 1, WAIT_MS);
  g_assert_cmpuint (test_count (p.ea, "did-fail"), ==, 1);
  g_assert_nonnull (strstr (test_find (p.ea, "did-fail", 0)->s1, "fingerprint"));
  g_assert_cmpuint (test_count (p.ea, "did-start"), ==, 0);
  g_assert_cmpstr (sips_msrp_chat_state_to_string (sips_msrp_chat_get_state (p.a)), ==, "failed");
  g_assert_cmpuint (test_count (p.eb, "did-start"), ==, 0);
  test_pair_clear (&p);
}

/* The passive side is told another fingerprint: it refuses, the active side fails too. */
static void
test_wrong_fingerprint_passive (void)
{
  TestPair p = { 0 };
  g_autofree char *own = sips_msrp_tls_fingerprint (test_certs.b);

  test_pair_init (&p, TRUE, NULL, own);
  test_pair_start (&p);
  WAIT_FOR (test_count (p.ea, "did-end") == 1 && test_count (p.eb, "did-end") == 1, WAIT_MS);
  g_assert_nonnull (strstr (test_find (p.eb, "did-fail", 0)->s1, "fingerprint"));
  g_assert_nonnull (strstr (test_find (p.ea, "did-fail", 0)->s1, "403"));
  g_assert_cmpuint (test_count (p.ea, "did-start") + test_count (p.eb, "did-start"), ==, 0);
  test_pair_clear (&p);
}

/* Messages sent before the stream starts wait for it; after the end none are taken. */
static void
test_queue_and_end (void)
{
  TestPair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *early = NULL;
  g_autofree char *late = NULL;

  test_pair_init (&p, FALSE, NULL, NULL);
  early = test_send (p.a, "before the start");
  test_pair_start (&p);
  WAIT_FOR (test_count (p.eb, "got-message") == 1 &&
            test_count (p.ea, "did-deliver-message") == 1, WAIT_MS);
  g_assert_cmpstr (test_find (p.eb, "got-message", 0)->s1, ==, "before the start");

  sips_msrp_chat_end (p.a);
  g_assert_cmpuint (test_count (p.ea, "will-end"), ==, 1);
  g_assert_cmpuint (test_count (p.ea, "did-end"), ==, 1);
  g_assert_cmpuint (test_count (p.ea, "did-fail"), ==, 0);
  g_assert_cmpstr (sips_msrp_chat_state_to_string (sips_msrp_chat_get_state (p.a)), ==, "ended");
  late = sips_msrp_chat_send_message (p.a, (const guint8 *) "x", 1, NULL, NULL, 0, NULL, &error);
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  g_assert_null (late);
  sips_msrp_chat_end (p.a);
  g_assert_cmpuint (test_count (p.ea, "did-end"), ==, 1);
  test_pair_clear (&p);
}

/* Two sessions between the same endpoints share one connection (RFC 4975 §6). */
static void
test_connection_reuse (void)
{
  g_autoptr(SipsMsrpTransport) ta = test_msrp_transport_new (TRUE, test_certs.a);
  g_autoptr(SipsMsrpTransport) tb = test_msrp_transport_new (TRUE, test_certs.b);
  SipsMsrpChat *a[2], *b[2];
  GPtrArray *ea[2], *eb[2];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 2; i++)
    {
      a[i] = sips_msrp_chat_new (ta, TRUE);
      b[i] = sips_msrp_chat_new (tb, TRUE);
      ea[i] = test_record (a[i]);
      eb[i] = test_record (b[i]);
      g_assert_true (sips_msrp_chat_initialize (a[i], &error));
      g_assert_true (sips_msrp_chat_initialize (b[i], &error));
      g_assert_true (sips_msrp_chat_set_remote (a[i], sips_msrp_chat_get_local_path (b[i]), NULL,
                                                sips_msrp_transport_get_fingerprint (tb), &error));
      g_assert_true (sips_msrp_chat_set_remote (b[i], sips_msrp_chat_get_local_path (a[i]), NULL,
                                                sips_msrp_transport_get_fingerprint (ta), &error));
      g_assert_no_error (error);
      sips_msrp_chat_start (b[i], FALSE);
      sips_msrp_chat_start (a[i], TRUE);
    }
  WAIT_FOR (test_count (ea[0], "did-start") == 1 && test_count (ea[1], "did-start") == 1 &&
            test_count (eb[0], "did-start") == 1 && test_count (eb[1], "did-start") == 1, WAIT_MS);
  g_assert_cmpuint (sips_msrp_transport_get_n_connections (ta), ==, 1);
  g_assert_cmpuint (sips_msrp_transport_get_n_connections (tb), ==, 1);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *text = g_strdup_printf ("to session %u", i);
      g_autofree char *id = test_send (a[i], text);
    }
  WAIT_FOR (test_count (eb[0], "got-message") == 1 && test_count (eb[1], "got-message") == 1 &&
            test_count (ea[0], "did-deliver-message") == 1 &&
            test_count (ea[1], "did-deliver-message") == 1, WAIT_MS);
  g_assert_cmpstr (test_find (eb[0], "got-message", 0)->s1, ==, "to session 0");
  g_assert_cmpstr (test_find (eb[1], "got-message", 0)->s1, ==, "to session 1");

  /* one session ending leaves the other's connection alone */
  sips_msrp_chat_end (a[0]);
  sips_msrp_chat_end (b[0]);
  {
    g_autofree char *id = test_send (b[1], "still here");
  }
  WAIT_FOR (test_count (ea[1], "got-message") == 1, WAIT_MS);
  g_assert_cmpuint (test_count (ea[1], "did-fail") + test_count (eb[1], "did-fail"), ==, 0);

  for (guint i = 0; i < 2; i++)
    {
      sips_msrp_chat_end (a[i]);
      sips_msrp_chat_end (b[i]);
      g_object_unref (a[i]);
      g_object_unref (b[i]);
    }
  sips_msrp_transport_stop (ta);
  sips_msrp_transport_stop (tb);
  test_msrp_spin (20);
}

/* The passive side's connection going away is a did-fail (then did-end). */
static void
test_connection_lost (void)
{
  TestPair p = { 0 };

  test_pair_connect (&p, TRUE);
  sips_msrp_transport_stop (p.tb);
  WAIT_FOR (test_count (p.ea, "did-end") == 1 && test_count (p.eb, "did-end") == 1, WAIT_MS);
  g_assert_nonnull (strstr (test_find (p.ea, "did-fail", 0)->s1, "connection"));
  g_assert_cmpuint (test_count (p.eb, "did-fail"), ==, 1);
  test_pair_clear (&p);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_msrp_certs_init ();

  g_test_add_func ("/msrp/chat/tcp/messages", test_tcp_messages);
  g_test_add_func ("/msrp/chat/tls/messages", test_tls_messages);
  g_test_add_func ("/msrp/chat/tls/burst", test_burst);
  g_test_add_func ("/msrp/chat/tls/large", test_large);
  g_test_add_func ("/msrp/chat/tcp/non-utf8", test_non_utf8);
  g_test_add_func ("/msrp/chat/tls/composing", test_composing);
  g_test_add_func ("/msrp/chat/tls/wrong-fingerprint-active", test_wrong_fingerprint_active);
  g_test_add_func ("/msrp/chat/tls/wrong-fingerprint-passive", test_wrong_fingerprint_passive);
  g_test_add_func ("/msrp/chat/tcp/queue-and-end", test_queue_and_end);
  g_test_add_func ("/msrp/chat/tls/connection-reuse", test_connection_reuse);
  g_test_add_func ("/msrp/chat/tls/connection-lost", test_connection_lost);

  status = g_test_run ();
  test_msrp_certs_clear ();
  return status;
}
