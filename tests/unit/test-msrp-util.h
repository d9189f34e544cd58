/* test-msrp-util.h: what the MSRP transport and chat tests share: main-loop waits,
 * certificates, signal recording, chat pairs over loopback (header-only: the unit
 * tests are built from one file each) */
#pragma once

#include <glib.h>
#include <string.h>

#include "msrp/sips-msrp-chat.h"
#include "msrp/sips-msrp-tls.h"
#include "sips-test-util.h"

#define WAIT_MS 10000

static gboolean
test_msrp_on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until cond holds or ms pass; then asserts cond. */
#define WAIT_FOR(cond, ms) G_STMT_START {                                            \
    gboolean timed_out_ = FALSE;                                                    \
    guint timer_ = g_timeout_add ((ms), test_msrp_on_wait_timeout, &timed_out_);    \
    while (!(cond) && !timed_out_)                                                  \
      g_main_context_iteration (NULL, TRUE);                                        \
    if (!timed_out_)                                                                \
      g_source_remove (timer_);                                                     \
    g_assert_true (cond);                                                           \
  } G_STMT_END

/* Lets the main loop run for ms (to show that something does NOT happen). */
G_GNUC_UNUSED static void
test_msrp_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, test_msrp_on_wait_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Two certificates, generated once per run in a temporary state dir. */
typedef struct {
  char            *dir;
  GTlsCertificate *a;
  GTlsCertificate *b;
} TestCerts;

static TestCerts test_certs;

G_GNUC_UNUSED static void
test_msrp_certs_init (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;

  test_certs.dir = g_dir_make_tmp ("test-msrp-XXXXXX", &error);
  g_assert_no_error (error);
  dir_a = g_build_filename (test_certs.dir, "a", NULL);
  dir_b = g_build_filename (test_certs.dir, "b", NULL);
  test_certs.a = sips_msrp_tls_load_certificate (dir_a, &error);
  g_assert_no_error (error);
  test_certs.b = sips_msrp_tls_load_certificate (dir_b, &error);
  g_assert_no_error (error);
}

G_GNUC_UNUSED static void
test_msrp_certs_clear (void)
{
  g_clear_object (&test_certs.a);
  g_clear_object (&test_certs.b);
  sips_test_remove_tree (test_certs.dir);
  g_clear_pointer (&test_certs.dir, g_free);
}

G_GNUC_UNUSED static SipsMsrpTransport *
test_msrp_transport_new (gboolean use_tls, GTlsCertificate *cert)
{
  g_autoptr(GError) error = NULL;
  SipsMsrpTransport *transport = sips_msrp_transport_new ("127.0.0.1", 0, use_tls, cert);

  g_assert_true (sips_msrp_transport_start (transport, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sips_msrp_transport_get_port (transport), >, 0);
  return transport;
}

/* ---- signal recording ---- */

typedef struct {
  char     *name;
  char     *s1;        /* content, message id, reason, composing state */
  char     *s2;        /* content type, reason */
  char     *s3;        /* message id of got-message */
  gint      code;      /* code, refresh */
  GVariant *headers;
} TestEvent;

static void
test_event_free (gpointer data)
{
  TestEvent *e = data;

  g_free (e->name);
  g_free (e->s1);
  g_free (e->s2);
  g_free (e->s3);
  g_clear_pointer (&e->headers, g_variant_unref);
  g_free (e);
}

static TestEvent *
test_event_add (GPtrArray *events, const char *name, const char *s1, const char *s2)
{
  TestEvent *e = g_new0 (TestEvent, 1);

  e->name = g_strdup (name);
  e->s1 = g_strdup (s1);
  e->s2 = g_strdup (s2);
  g_ptr_array_add (events, e);
  return e;
}

#define TEST_SIMPLE_RECORDER(fn, signal_name)                          \
  static void                                                          \
  fn (SipsMsrpChat *chat, gint64 ts, gpointer data)                    \
  {                                                                    \
    g_assert_cmpint (ts, >, 0);                                        \
    test_event_add (data, signal_name, NULL, NULL);                    \
  }

TEST_SIMPLE_RECORDER (on_rec_did_initialize, "did-initialize")
TEST_SIMPLE_RECORDER (on_rec_did_start, "did-start")
TEST_SIMPLE_RECORDER (on_rec_will_end, "will-end")
TEST_SIMPLE_RECORDER (on_rec_did_end, "did-end")

static void
on_rec_fail (SipsMsrpChat *chat, gint64 ts, const char *reason, gpointer data)
{
  g_test_message ("did-fail: %s", reason);
  test_event_add (data, "did-fail", reason, NULL);
}

static void
on_rec_message (SipsMsrpChat *chat, gint64 ts, const char *content, const char *type,
                GVariant *headers, const char *id, gpointer data)
{
  TestEvent *e = test_event_add (data, "got-message", content, type);

  g_assert_true (g_variant_is_of_type (headers, G_VARIANT_TYPE ("a{ss}")));
  e->headers = g_variant_ref (headers);
  e->s3 = g_strdup (id);
}

static void
on_rec_deliver (SipsMsrpChat *chat, gint64 ts, const char *id, gint code, const char *reason,
                gpointer data)
{
  test_event_add (data, "did-deliver-message", id, reason)->code = code;
}

static void
on_rec_not_deliver (SipsMsrpChat *chat, gint64 ts, const char *id, gint code,
                    const char *reason, gpointer data)
{
  g_test_message ("did-not-deliver-message %s: %d %s", id, code, reason);
  test_event_add (data, "did-not-deliver-message", id, reason)->code = code;
}

static void
on_rec_composing (SipsMsrpChat *chat, gint64 ts, const char *state, guint refresh, gpointer data)
{
  test_event_add (data, "got-composing-indication", state, NULL)->code = (gint) refresh;
}

/* Records every signal of chat into a new array (freed with the chat's data). */
G_GNUC_UNUSED static GPtrArray *
test_record (SipsMsrpChat *chat)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (test_event_free);

  g_signal_connect (chat, "did-initialize", G_CALLBACK (on_rec_did_initialize), events);
  g_signal_connect (chat, "did-start", G_CALLBACK (on_rec_did_start), events);
  g_signal_connect (chat, "will-end", G_CALLBACK (on_rec_will_end), events);
  g_signal_connect (chat, "did-end", G_CALLBACK (on_rec_did_end), events);
  g_signal_connect (chat, "did-fail", G_CALLBACK (on_rec_fail), events);
  g_signal_connect (chat, "got-message", G_CALLBACK (on_rec_message), events);
  g_signal_connect (chat, "did-deliver-message", G_CALLBACK (on_rec_deliver), events);
  g_signal_connect (chat, "did-not-deliver-message", G_CALLBACK (on_rec_not_deliver), events);
  g_signal_connect (chat, "got-composing-indication", G_CALLBACK (on_rec_composing), events);
  g_object_set_data_full (G_OBJECT (chat), "test-events", events,
                          (GDestroyNotify) g_ptr_array_unref);
  return events;
}

G_GNUC_UNUSED static guint
test_count (GPtrArray *events, const char *name)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    if (strcmp (((TestEvent *) g_ptr_array_index (events, i))->name, name) == 0)
      n++;
  return n;
}

/* The nth (0-based) event of that name, NULL if none. */
G_GNUC_UNUSED static TestEvent *
test_find (GPtrArray *events, const char *name, guint nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      TestEvent *e = g_ptr_array_index (events, i);

      if (strcmp (e->name, name) == 0 && nth-- == 0)
        return e;
    }
  return NULL;
}

G_GNUC_UNUSED static const char *
test_header (TestEvent *e, const char *name)
{
  const char *value = NULL;

  if (e->headers == NULL || !g_variant_lookup (e->headers, name, "&s", &value))
    return NULL;
  return value;
}

/* ---- two chat endpoints, each with its own transport, connected over loopback ---- */

typedef struct {
  SipsMsrpTransport *ta;
  SipsMsrpTransport *tb;
  SipsMsrpChat      *a;     /* the active side (the offerer with a=setup:actpass) */
  SipsMsrpChat      *b;
  GPtrArray         *ea;    /* their events */
  GPtrArray         *eb;
} TestPair;

/* Fingerprints a_expects/b_expects: what each side was told of the other (NULL = the
 * right one). Does not start. */
G_GNUC_UNUSED static void
test_pair_init (TestPair *p, gboolean tls, const char *a_expects, const char *b_expects)
{
  g_autoptr(GError) error = NULL;
  const char *accept = SIPS_MSRP_CHAT_ACCEPT_TYPES;

  p->ta = test_msrp_transport_new (tls, test_certs.a);
  p->tb = test_msrp_transport_new (tls, test_certs.b);
  p->a = sips_msrp_chat_new (p->ta, tls);
  p->b = sips_msrp_chat_new (p->tb, tls);
  p->ea = test_record (p->a);
  p->eb = test_record (p->b);
  sips_msrp_chat_set_identities (p->a, "Alice", "sip:alice@example.com", "Bob",
                                 "sip:bob@example.org");
  sips_msrp_chat_set_identities (p->b, "Bob", "sip:bob@example.org", "Alice",
                                 "sip:alice@example.com");
  g_assert_true (sips_msrp_chat_initialize (p->a, &error));
  g_assert_true (sips_msrp_chat_initialize (p->b, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_count (p->ea, "did-initialize"), ==, 1);

  g_assert_true (sips_msrp_chat_set_remote (p->a, sips_msrp_chat_get_local_path (p->b), accept,
                                            a_expects != NULL ? a_expects
                                            : sips_msrp_transport_get_fingerprint (p->tb),
                                            &error));
  g_assert_true (sips_msrp_chat_set_remote (p->b, sips_msrp_chat_get_local_path (p->a), accept,
                                            b_expects != NULL ? b_expects
                                            : sips_msrp_transport_get_fingerprint (p->ta),
                                            &error));
  g_assert_no_error (error);
}

/* The roles of RFC 6135: a offers actpass, b answers active or passive. */
G_GNUC_UNUSED static void
test_pair_start (TestPair *p)
{
  SipsMsrpSetup answer = SIPS_MSRP_SETUP_PASSIVE;

  sips_msrp_chat_start (p->a, sips_msrp_setup_is_active (TRUE, SIPS_MSRP_SETUP_OFFER, answer));
  sips_msrp_chat_start (p->b, sips_msrp_setup_is_active (FALSE, SIPS_MSRP_SETUP_OFFER, answer));
}

G_GNUC_UNUSED static void
test_pair_connect (TestPair *p, gboolean tls)
{
  test_pair_init (p, tls, NULL, NULL);
  test_pair_start (p);
  WAIT_FOR (test_count (p->ea, "did-start") == 1 && test_count (p->eb, "did-start") == 1,
            WAIT_MS);
  g_assert_cmpstr (sips_msrp_chat_state_to_string (sips_msrp_chat_get_state (p->a)), ==,
                   "started");
}

G_GNUC_UNUSED static void
test_pair_clear (TestPair *p)
{
  if (p->a != NULL)
    sips_msrp_chat_end (p->a);
  if (p->b != NULL)
    sips_msrp_chat_end (p->b);
  g_clear_object (&p->a);
  g_clear_object (&p->b);
  if (p->ta != NULL)
    sips_msrp_transport_stop (p->ta);
  if (p->tb != NULL)
    sips_msrp_transport_stop (p->tb);
  g_clear_object (&p->ta);
  g_clear_object (&p->tb);
  /* let the closed connections and handshakes wind down */
  test_msrp_spin (20);
}

G_GNUC_UNUSED static char *
test_send (SipsMsrpChat *chat, const char *text)
{
  g_autoptr(GError) error = NULL;
  char *id = sips_msrp_chat_send_message (chat, (const guint8 *) text, strlen (text),
                                          "text/plain", NULL, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}
