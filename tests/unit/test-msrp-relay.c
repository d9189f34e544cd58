/* test-msrp-relay.c: MSRP relays (RFC 4976) against a real kamailio msrp relay started
 * here (tests/unit/kamailio-msrp.cfg.in, TCP): digest AUTH (challenge, wrong password,
 * unknown user), Use-Path and Expires, refresh, and two chats whose messages and
 * reports go through the relay both ways; plus digest unit checks and failures without
 * kamailio (refused connection, no answer, cancellation). */
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "core/sips-error.h"
#include "msrp/sips-msrp-chat.h"
#include "msrp/sips-msrp-digest.h"
#include "msrp/sips-msrp-relay.h"
#include "test-msrp-util.h"

#define KAMAILIO "/usr/sbin/kamailio"
#define KAMAILIO_MODULES "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

/* ---- the kamailio relay ---- */

typedef struct {
  char    *dir;
  char    *log_path;
  guint16  port;
  GPid     pid;
  gboolean exited;
} Kamailio;

static Kamailio kam;        /* for most tests; grants 600 s */
static Kamailio kam_short;  /* grants 2 s (kamailio 5.6 answers any Expires in AUTH with a
                             * malformed 423, so a short lifetime is its setting) */

/* Whatever ends the test (an assertion, meson's timeout) takes kamailio with it. */
static void
on_fatal_signal (int signum)
{
  if (kam.pid > 0 && !kam.exited)
    kill (-kam.pid, SIGKILL);
  if (kam_short.pid > 0 && !kam_short.exited)
    kill (-kam_short.pid, SIGKILL);
  signal (signum, SIG_DFL);
  raise (signum);
}

static guint16
free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
child_setup (gpointer data)
{
  setsid ();  /* its own process group: its workers are stopped with it */
}

static void
on_kamailio_exit (GPid pid, gint status, gpointer data)
{
  ((Kamailio *) data)->exited = TRUE;
  g_spawn_close_pid (pid);
}

static gboolean
kamailio_accepts (Kamailio *k)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_to_host (client, "127.0.0.1", k->port, NULL, NULL);

  return connection != NULL;
}

static char *
kamailio_log (Kamailio *k)
{
  char *text = NULL;

  if (k->log_path != NULL)
    g_file_get_contents (k->log_path, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

/* Lines of the (main) log with all of the given substrings. */
static guint
kamailio_count (const char *first, const char *second)
{
  g_autofree char *log = kamailio_log (&kam);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  guint n = 0;

  for (char **l = lines; *l != NULL; l++)
    if (strstr (*l, first) != NULL && (second == NULL || strstr (*l, second) != NULL))
      n++;
  return n;
}

static void
kamailio_start (Kamailio *k, guint max_expires)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *template_path = g_test_build_filename (G_TEST_DIST, "kamailio-msrp.cfg.in",
                                                          NULL);
  g_autofree char *template = NULL;
  g_autofree char *port = NULL;
  g_autofree char *max = g_strdup_printf ("%u", max_expires);
  g_autofree char *cfg_path = NULL;
  g_autofree char *pid_path = NULL;
  g_autoptr(GString) cfg = NULL;
  const char *argv[16];
  int log_fd;
  guint n = 0;

  g_assert_true (g_file_get_contents (template_path, &template, NULL, &error));
  g_assert_no_error (error);
  k->dir = g_dir_make_tmp ("test-msrp-relay-XXXXXX", &error);
  g_assert_no_error (error);
  k->port = free_port ();
  port = g_strdup_printf ("%u", k->port);
  cfg = g_string_new (template);
  g_string_replace (cfg, "@PORT@", port, 0);
  g_string_replace (cfg, "@MODULES@", KAMAILIO_MODULES, 0);
  g_string_replace (cfg, "@MAX_EXPIRES@", max, 0);
  cfg_path = g_build_filename (k->dir, "kamailio.cfg", NULL);
  pid_path = g_build_filename (k->dir, "kamailio.pid", NULL);
  k->log_path = g_build_filename (k->dir, "kamailio.log", NULL);
  g_assert_true (g_file_set_contents (cfg_path, cfg->str, -1, &error));
  g_assert_no_error (error);

  argv[n++] = KAMAILIO;
  argv[n++] = "-f";
  argv[n++] = cfg_path;
  argv[n++] = "-DD";
  argv[n++] = "-E";
  argv[n++] = "-w";
  argv[n++] = k->dir;
  argv[n++] = "-P";
  argv[n++] = pid_path;
  argv[n++] = "-Y";
  argv[n++] = k->dir;
  argv[n++] = "-m";
  argv[n++] = "32";
  argv[n++] = "-M";
  argv[n++] = "8";
  argv[n++] = NULL;

  log_fd = g_open (k->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (log_fd, >=, 0);
  signal (SIGABRT, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);
  signal (SIGINT, on_fatal_signal);
  g_spawn_async_with_fds (k->dir, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                          child_setup, NULL, &k->pid, -1, log_fd, log_fd, &error);
  close (log_fd);
  g_assert_no_error (error);
  g_child_watch_add (k->pid, on_kamailio_exit, k);

  /* it listens once its processes run; no sleeping: the loop polls every 50 ms */
  for (guint i = 0; i < 200 && !k->exited && !kamailio_accepts (k); i++)
    test_msrp_spin (50);
  if (k->exited || !kamailio_accepts (k))
    {
      g_autofree char *log = kamailio_log (k);

      g_error ("kamailio did not start; its log:\n%s", log);
    }
  g_test_message ("kamailio relay on 127.0.0.1:%u (pid %d)", k->port, k->pid);
}

static void
kamailio_stop (Kamailio *k)
{
  if (k->pid <= 0)
    return;
  if (!k->exited)
    {
      kill (k->pid, SIGTERM);
      for (guint i = 0; i < 100 && !k->exited; i++)
        test_msrp_spin (50);
    }
  kill (-k->pid, SIGKILL);  /* its workers, and itself should it hang */
  for (guint i = 0; i < 100 && !k->exited; i++)
    test_msrp_spin (50);
  k->pid = 0;
  if (g_test_verbose ())
    {
      g_autofree char *log = kamailio_log (k);

      g_test_message ("kamailio log:\n%s", log);
    }
  sips_test_remove_tree (k->dir);
  g_clear_pointer (&k->dir, g_free);
  g_clear_pointer (&k->log_path, g_free);
}

static char *
relay_uri (Kamailio *k)
{
  return sips_msrp_relay_make_uri ("127.0.0.1", k->port, FALSE);
}

/* ---- helpers ---- */

typedef struct {
  gboolean       done;
  SipsMsrpRelay *relay;
  GError        *error;
} AuthResult;

static void
on_authenticated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AuthResult *r = user_data;

  r->relay = sips_msrp_relay_authenticate_finish (result, &r->error);
  r->done = TRUE;
}

/* Authenticates through the convenience call; NULL with *error on failure. */
static SipsMsrpRelay *
authenticate (SipsMsrpTransport *transport, const char *uri, const char *user,
              const char *password, GError **error)
{
  AuthResult r = { 0 };

  sips_msrp_relay_authenticate_async (transport, uri, user, password, NULL, on_authenticated, &r);
  WAIT_FOR (r.done, WAIT_MS);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.relay;
}

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AuthResult *r = user_data;

  if (sips_msrp_relay_start_finish (SIPS_MSRP_RELAY (source), result, &r->error))
    r->relay = g_object_ref (SIPS_MSRP_RELAY (source));
  r->done = TRUE;
}

static void
on_count (gpointer instance, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
on_relay_fail (SipsMsrpRelay *relay, const char *reason, gpointer user_data)
{
  g_test_message ("relay did-fail: %s", reason);
  g_free (*(char **) user_data);
  *(char **) user_data = g_strdup (reason);
}

/* ---- digest (RFC 2617 §3.5) ---- */

static void
test_digest (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsMsrpDigestChallenge) c = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *plain = NULL;

  c = sips_msrp_digest_challenge_parse ("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\","
                                        " nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
                                        " opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", &error);
  g_assert_no_error (error);
  g_assert_true (c->qop_auth);
  g_assert_false (c->stale);
  g_assert_cmpstr (c->algorithm, ==, "MD5");
  auth = sips_msrp_digest_authorization (c, "GET", "/dir/index.html", "Mufasa",
                                         "Circle Of Life", 1, "0a4f113b");
  g_assert_nonnull (strstr (auth, "response=\"6629fae49393a05397450978507c4ef1\""));
  g_assert_true (g_str_has_prefix (auth, "Digest username=\"Mufasa\", realm=\"testrealm@host.com\""));
  g_assert_nonnull (strstr (auth, "qop=auth, nc=00000001"));
  g_assert_nonnull (strstr (auth, "cnonce=\"0a4f113b\""));
  g_assert_nonnull (strstr (auth, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
  g_clear_pointer (&c, sips_msrp_digest_challenge_free);

  /* no qop (RFC 2069): MD5(HA1:nonce:HA2); escapes in quoted strings; stale */
  c = sips_msrp_digest_challenge_parse ("digest nonce=abc, realm=\"r\\\"q\", stale=TRUE", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->realm, ==, "r\"q");
  g_assert_true (c->stale);
  g_assert_false (c->has_qop);
  plain = sips_msrp_digest_authorization (c, "AUTH", "msrp://h:1;tcp", "u", "p", 1, "x");
  g_assert_nonnull (strstr (plain, "realm=\"r\\\"q\""));
  g_assert_null (strstr (plain, "qop="));
  g_clear_pointer (&c, sips_msrp_digest_challenge_free);

  g_assert_null (sips_msrp_digest_challenge_parse ("Basic realm=\"x\"", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (sips_msrp_digest_challenge_parse ("Digest realm=x, nonce=y, algorithm=SHA-256", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (sips_msrp_digest_challenge_parse ("Digest realm=x, nonce=y, qop=auth-int", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (sips_msrp_digest_challenge_parse ("Digest realm=\"x, nonce=y", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (sips_msrp_digest_challenge_parse ("Digest realm=x", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
}

/* ---- failures without kamailio ---- */

static void
on_silent_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
                    gpointer user_data)
{
  /* accepted and kept open, never answered */
  g_ptr_array_add (user_data, g_object_ref (connection));
}

static void
test_unreachable (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  g_autoptr(SipsMsrpTransport) transport2 = test_msrp_transport_new (FALSE, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) listen_address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GSocketService) silent = g_socket_service_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SipsMsrpRelay) relay = NULL;
  g_autofree char *refused = sips_msrp_relay_make_uri ("127.0.0.1", free_port (), FALSE);
  g_autofree char *silent_uri = NULL;
  AuthResult r = { 0 };
  guint16 port;

  /* nobody listens */
  g_assert_null (authenticate (transport, refused, "alice", "x", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "Cannot connect to the MSRP relay"));
  g_clear_error (&error);

  /* not an MSRP URI */
  g_assert_null (authenticate (transport, "sip:relay.example.com", "alice", "x", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* a relay that never answers */
  g_socket_listener_add_address (G_SOCKET_LISTENER (silent), listen_address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                 &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (silent, "incoming", G_CALLBACK (on_silent_incoming), held);
  silent_uri = sips_msrp_relay_make_uri ("127.0.0.1", port, FALSE);
  relay = sips_msrp_relay_new (transport, silent_uri, "alice", "x", &error);
  g_assert_no_error (error);
  sips_msrp_relay_set_response_timeout (relay, 300);
  sips_msrp_relay_start_async (relay, NULL, on_started, &r);
  WAIT_FOR (r.done, WAIT_MS);
  g_assert_error (r.error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (r.error->message, "No answer from the MSRP relay"));
  g_assert_false (sips_msrp_relay_is_authenticated (relay));
  g_assert_null (sips_msrp_relay_get_use_path (relay));
  g_clear_error (&r.error);
  g_clear_object (&relay);

  /* cancelled while waiting for the answer (another transport: a new connection) */
  memset (&r, 0, sizeof r);
  relay = sips_msrp_relay_new (transport2, silent_uri, "alice", "x", &error);
  sips_msrp_relay_start_async (relay, cancellable, on_started, &r);
  WAIT_FOR (held->len == 2, WAIT_MS);
  g_cancellable_cancel (cancellable);
  WAIT_FOR (r.done, WAIT_MS);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  g_clear_object (&relay);

  g_socket_service_stop (silent);
  sips_msrp_transport_stop (transport);
  sips_msrp_transport_stop (transport2);
}

/* ---- against kamailio ---- */

static void
test_auth_failures (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = relay_uri (&kam);

  /* the right user, a wrong password: challenged twice */
  g_assert_null (authenticate (transport, uri, "alice", "not-her-password", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED);
  g_test_message ("wrong password: %s", error->message);
  g_assert_nonnull (strstr (error->message, "401 Unauthorized"));
  g_assert_nonnull (strstr (error->message, "alice"));
  g_assert_null (strstr (error->message, "not-her-password"));
  g_clear_error (&error);
  g_assert_cmpuint (kamailio_count ("authfail user=<alice> reason=<bad credentials>", NULL), ==, 1);

  /* a user the relay does not know */
  g_assert_null (authenticate (transport, uri, "mallory", "x", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED);
  g_test_message ("unknown user: %s", error->message);
  g_assert_nonnull (strstr (error->message, "403 Forbidden"));
  g_clear_error (&error);
  g_assert_cmpuint (kamailio_count ("authfail user=<mallory>", NULL), ==, 1);
  g_assert_cmpuint (kamailio_count ("authok", NULL), ==, 0);
  sips_msrp_transport_stop (transport);
}

static void
test_auth (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = relay_uri (&kam);
  g_autofree char *prefix = g_strdup_printf ("msrp://127.0.0.1:%u/", kam.port);
  guint auth_frames = kamailio_count ("frame method=<AUTH>", NULL);
  g_autoptr(SipsMsrpRelay) relay = authenticate (transport, uri, "alice", "alice-secret", &error);
  const char * const *use_path;

  g_assert_no_error (error);
  g_assert_true (sips_msrp_relay_is_authenticated (relay));
  use_path = sips_msrp_relay_get_use_path (relay);
  g_assert_cmpuint (g_strv_length ((char **) use_path), ==, 1);
  g_assert_true (g_str_has_prefix (use_path[0], prefix));
  g_assert_true (g_str_has_suffix (use_path[0], ";tcp"));
  g_assert_cmpuint (sips_msrp_relay_get_expires (relay), ==, 600);  /* its auth_max_expires */
  g_assert_cmpint (sips_msrp_relay_get_expiry_time (relay), >, g_get_monotonic_time ());
  g_assert_nonnull (sips_msrp_relay_get_connection (relay));
  g_assert_cmpuint (kamailio_count ("authok user=<alice>", NULL), ==, 1);
  /* first without credentials (the challenge), then with them */
  g_assert_cmpuint (kamailio_count ("frame method=<AUTH>", NULL), ==, auth_frames + 2);

  sips_msrp_relay_stop (relay);
  g_assert_false (sips_msrp_relay_is_authenticated (relay));
  g_assert_null (sips_msrp_relay_get_connection (relay));
  sips_msrp_transport_stop (transport);
}

static void
test_refresh (void)
{
  g_autoptr(SipsMsrpTransport) transport = test_msrp_transport_new (FALSE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *first = NULL;
  g_autofree char *log = NULL;
  g_autoptr(SipsMsrpRelay) relay = NULL;
  g_autofree char *failed = NULL;
  AuthResult r = { 0 };
  guint refreshed = 0;

  kamailio_start (&kam_short, 2);
  uri = relay_uri (&kam_short);
  relay = sips_msrp_relay_new (transport, uri, "bob", "bob-secret", &error);
  g_assert_no_error (error);
  g_signal_connect (relay, "did-refresh", G_CALLBACK (on_count), &refreshed);
  g_signal_connect (relay, "did-fail", G_CALLBACK (on_relay_fail), &failed);
  sips_msrp_relay_start_async (relay, NULL, on_started, &r);
  WAIT_FOR (r.done, WAIT_MS);
  g_assert_no_error (r.error);
  g_clear_object (&r.relay);
  g_assert_cmpuint (sips_msrp_relay_get_expires (relay), ==, 2);
  first = g_strdup (sips_msrp_relay_get_use_path (relay)[0]);

  /* refreshed before the 2 s run out, twice, reusing the nonce or taking a new one */
  WAIT_FOR (refreshed == 2, WAIT_MS);
  g_assert_null (failed);
  g_assert_true (sips_msrp_relay_is_authenticated (relay));
  g_assert_cmpuint (sips_msrp_relay_get_expires (relay), ==, 2);
  log = kamailio_log (&kam_short);
  g_assert_nonnull (strstr (log, "authok user=<bob>"));
  /* kamailio grants a new path each time */
  g_assert_cmpstr (sips_msrp_relay_get_use_path (relay)[0], !=, first);
  sips_msrp_relay_stop (relay);
  sips_msrp_transport_stop (transport);
  kamailio_stop (&kam_short);
}

/* Two endpoints, each with its own transport and relay binding (same kamailio), chat
 * through it: Alice's To-Path is her relay, Bob's relay, Bob. */
static void
test_chat_through_relay (void)
{
  TestPair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = relay_uri (&kam);
  g_autoptr(SipsMsrpRelay) ra = NULL;
  g_autoptr(SipsMsrpRelay) rb = NULL;
  g_autofree char *id_a = NULL;
  g_autofree char *id_b = NULL;
  g_autofree char *id_big = NULL;
  g_autoptr(GString) big = g_string_new (NULL);
  const char *accept = SIPS_MSRP_CHAT_ACCEPT_TYPES;
  const char *const extra[] = { "Subject", "via relay", NULL };
  guint relayed_before = kamailio_count ("SIPS-MSRP relay method=<SEND>", NULL);
  guint reports_before = kamailio_count ("SIPS-MSRP deliver method=<REPORT>", NULL);
  g_autofree char *failed = NULL;
  TestEvent *got;

  p.ta = test_msrp_transport_new (FALSE, NULL);
  p.tb = test_msrp_transport_new (FALSE, NULL);
  ra = authenticate (p.ta, uri, "alice", "alice-secret", &error);
  g_assert_no_error (error);
  rb = authenticate (p.tb, uri, "bob", "bob-secret", &error);
  g_assert_no_error (error);

  p.a = sips_msrp_chat_new (p.ta, FALSE);
  p.b = sips_msrp_chat_new (p.tb, FALSE);
  p.ea = test_record (p.a);
  p.eb = test_record (p.b);
  sips_msrp_chat_set_relay (p.a, ra);
  sips_msrp_chat_set_relay (p.b, rb);
  sips_msrp_chat_set_identities (p.a, "Alice", "sip:alice@example.com", "Bob", "sip:bob@example.org");
  sips_msrp_chat_set_identities (p.b, "Bob", "sip:bob@example.org", "Alice", "sip:alice@example.com");
  g_assert_true (sips_msrp_chat_initialize (p.a, &error));
  g_assert_true (sips_msrp_chat_initialize (p.b, &error));
  g_assert_no_error (error);

  /* a=path: the Use-Path first, then our own URI */
  g_assert_cmpuint (g_strv_length ((char **) sips_msrp_chat_get_local_path (p.a)), ==, 2);
  g_assert_cmpstr (sips_msrp_chat_get_local_path (p.a)[0], ==, sips_msrp_relay_get_use_path (ra)[0]);
  g_assert_nonnull (strstr (sips_msrp_chat_get_local_path (p.a)[1],
                            sips_msrp_chat_get_session_id (p.a)));
  g_assert_cmpstr (sips_msrp_chat_get_local_path (p.b)[0], ==, sips_msrp_relay_get_use_path (rb)[0]);

  g_assert_true (sips_msrp_chat_set_remote (p.a, sips_msrp_chat_get_local_path (p.b), accept,
                                            NULL, &error));
  g_assert_true (sips_msrp_chat_set_remote (p.b, sips_msrp_chat_get_local_path (p.a), accept,
                                            NULL, &error));
  g_assert_no_error (error);
  test_pair_start (&p);
  WAIT_FOR (test_count (p.ea, "did-start") == 1 && test_count (p.eb, "did-start") == 1, WAIT_MS);

  /* both ways, with their reports */
  id_a = sips_msrp_chat_send_message (p.a, (const guint8 *) "Hi Bob, via the relay", 21,
                                      NULL, NULL, 0, extra, &error);
  g_assert_no_error (error);
  WAIT_FOR (test_count (p.eb, "got-message") == 1 &&
            test_count (p.ea, "did-deliver-message") == 1, WAIT_MS);
  got = test_find (p.eb, "got-message", 0);
  g_assert_cmpstr (got->s1, ==, "Hi Bob, via the relay");
  g_assert_cmpstr (got->s3, ==, id_a);
  g_assert_cmpstr (test_header (got, "From"), ==, "Alice <sip:alice@example.com>");
  g_assert_cmpstr (test_header (got, "Subject"), ==, "via relay");
  g_assert_cmpstr (test_find (p.ea, "did-deliver-message", 0)->s1, ==, id_a);

  id_b = test_send (p.b, "Hi Alice, same way back");
  WAIT_FOR (test_count (p.ea, "got-message") == 1 &&
            test_count (p.eb, "did-deliver-message") == 1, WAIT_MS);
  got = test_find (p.ea, "got-message", 0);
  g_assert_cmpstr (got->s1, ==, "Hi Alice, same way back");
  g_assert_cmpstr (test_header (got, "From"), ==, "Bob <sip:bob@example.org>");
  g_assert_cmpstr (test_find (p.eb, "did-deliver-message", 0)->s1, ==, id_b);

  /* larger than a relay takes in one frame: chunked, reassembled */
  for (guint i = 0; big->len < 40000; i++)
    g_string_append_printf (big, "line %u of a long message through a relay\n", i);
  id_big = sips_msrp_chat_send_message (p.a, (const guint8 *) big->str, big->len, NULL, NULL,
                                        0, NULL, &error);
  g_assert_no_error (error);
  WAIT_FOR (test_count (p.eb, "got-message") == 2 &&
            test_count (p.ea, "did-deliver-message") == 2, WAIT_MS);
  g_assert_cmpstr (test_find (p.eb, "got-message", 1)->s1, ==, big->str);
  g_assert_cmpuint (test_count (p.ea, "did-not-deliver-message"), ==, 0);
  g_assert_cmpuint (test_count (p.eb, "did-not-deliver-message"), ==, 0);
  g_assert_cmpuint (test_count (p.ea, "did-fail") + test_count (p.eb, "did-fail"), ==, 0);

  /* it all went through kamailio: each endpoint has its relay connection only, and
   * kamailio relayed the SENDs (empty SEND, 2 + 40000/4096 chunks) and the REPORTs */
  g_assert_cmpuint (sips_msrp_transport_get_n_connections (p.ta), ==, 1);
  g_assert_cmpuint (sips_msrp_transport_get_n_connections (p.tb), ==, 1);
  g_assert_cmpuint (kamailio_count ("SIPS-MSRP relay method=<SEND>", NULL) - relayed_before,
                    >=, 1 + 2 + 10);
  g_assert_cmpuint (kamailio_count ("SIPS-MSRP deliver method=<REPORT>", NULL) - reports_before,
                    ==, 3);

  /* the relay goes away: the relay binding and the chats fail with a reason */
  g_signal_connect (ra, "did-fail", G_CALLBACK (on_relay_fail), &failed);
  kamailio_stop (&kam);
  WAIT_FOR (failed != NULL && test_count (p.ea, "did-fail") == 1 &&
            test_count (p.eb, "did-fail") == 1, WAIT_MS);
  g_assert_true (g_str_has_prefix (failed, "The connection to the MSRP relay"));
  g_assert_true (g_str_has_prefix (test_find (p.ea, "did-fail", 0)->s1,
                                   "The MSRP connection was lost"));
  g_assert_false (sips_msrp_relay_is_authenticated (ra));
  g_signal_handlers_disconnect_by_data (ra, &failed);
  test_pair_clear (&p);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/msrp-relay/digest", test_digest);
  g_test_add_func ("/msrp-relay/unreachable", test_unreachable);
  if (!g_file_test (KAMAILIO, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (KAMAILIO_MODULES "msrp.so", G_FILE_TEST_EXISTS))
    {
      g_test_message ("no kamailio with its msrp module: the relay tests are skipped");
      return g_test_run ();
    }
  g_test_add_func ("/msrp-relay/kamailio/auth-failures", test_auth_failures);
  g_test_add_func ("/msrp-relay/kamailio/auth", test_auth);
  g_test_add_func ("/msrp-relay/kamailio/refresh", test_refresh);
  /* last: it stops kamailio to see the relay go */
  g_test_add_func ("/msrp-relay/kamailio/chat", test_chat_through_relay);

  kamailio_start (&kam, 600);
  status = g_test_run ();
  kamailio_stop (&kam);
  return status;
}
