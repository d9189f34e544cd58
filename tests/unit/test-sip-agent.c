/* test-sip-agent.c: the sofia agent on real loopback sockets: binding, OPTIONS over
 * UDP/TCP/TLS, busy ports, rebinding, incoming INVITE, shutdown */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "core/sips-error.h"
#include "core/sips-sip-agent.h"
#include "core/sips-tls-cert.h"
#include "config/sips-config-store.h"
#include "config/sips-config-section.h"
#include "config/sips-config-schema.h"
#include "sips-test-util.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_tag.h>

#define WAIT_MS 5000

typedef struct {
  char              *dir;
  char              *state_dir;
  SipsConfigStore   *store;
  SipsConfigSection *settings;
  SipsSipAgent      *agent;
} Fixture;

/* ---- helpers ---- */


static GSocket *
bind_socket (GSocketType type, guint port, gboolean listen, GError **error)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, (guint16) port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type,
                                            G_SOCKET_PROTOCOL_DEFAULT, error);

  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return NULL;
  if (listen && !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static guint
socket_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static gboolean
port_is_free (GSocketType type, guint port)
{
  g_autoptr(GSocket) socket = bind_socket (type, port, FALSE, NULL);

  return socket != NULL;
}

/* A port that is free for both UDP and TCP right now, and not in avoid[] */
static guint
pick_port (const guint *avoid, gsize n_avoid)
{
  for (int attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr(GSocket) tcp = bind_socket (G_SOCKET_TYPE_STREAM, 0, FALSE, NULL);
      guint port;
      gboolean clash = FALSE;

      g_assert_nonnull (tcp);
      port = socket_port (tcp);
      for (gsize i = 0; i < n_avoid; i++)
        clash |= avoid[i] == port;
      if (!clash && port_is_free (G_SOCKET_TYPE_DATAGRAM, port))
        return port;
    }
  g_assert_not_reached ();
}

static gboolean
on_timeout_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *flag is set or timeout_ms passed */
static gboolean
wait_for_flag (gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout_flag, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

/* Same for an async result delivered by on_async_done */
static void
wait_for_result (GAsyncResult **result, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout_flag, &timed_out);

  while (*result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_nonnull (*result);
}

static gboolean
on_socket_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Receives what arrives on socket within timeout_ms (NULL if nothing) */
static char *
receive_text (GSocket *socket, guint timeout_ms)
{
  gboolean readable = FALSE;
  g_autoptr(GSource) source = g_socket_create_source (socket, G_IO_IN, NULL);
  char buffer[8192];
  gssize n;

  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_socket_readable,
                         &readable, NULL);
  g_source_attach (source, NULL);
  wait_for_flag (&readable, timeout_ms);
  g_source_destroy (source);
  if (!readable)
    return NULL;
  n = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL);
  if (n <= 0)
    return NULL;
  buffer[n] = '\0';
  return g_strdup (buffer);
}

static char *
make_request (const char *method, const char *transport, guint port, guint local_port,
              const char *call_id, const char *body)
{
  return g_strdup_printf ("%s sip:test@127.0.0.1:%u SIP/2.0\r\n"
                          "Via: SIP/2.0/%s 127.0.0.1:%u;branch=z9hG4bK%s;rport\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:tester@127.0.0.1>;tag=t%s\r\n"
                          "To: <sip:test@127.0.0.1:%u>\r\n"
                          "Call-ID: %s\r\n"
                          "CSeq: 1 %s\r\n"
                          "Contact: <sip:tester@127.0.0.1:%u;transport=%s>\r\n"
                          "%s"
                          "Content-Length: %zu\r\n\r\n%s",
                          method, port, transport, local_port, call_id, call_id, port,
                          call_id, method, local_port, transport,
                          body[0] ? "Content-Type: application/sdp\r\n" : "",
                          strlen (body), body);
}

/* Sends an OPTIONS over UDP and returns the first response (NULL if none) */
static char *
udp_request (guint port, const char *method, const char *body, guint timeout_ms)
{
  g_autoptr(GSocket) socket = bind_socket (G_SOCKET_TYPE_DATAGRAM, 0, FALSE, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) port);
  g_autofree char *call_id = g_strdup_printf ("%08x", g_random_int ());
  g_autofree char *request = make_request (method, "UDP", port, socket_port (socket),
                                           call_id, body);

  g_assert_cmpint (g_socket_send_to (socket, to, request, strlen (request), NULL, NULL), ==,
                   (gssize) strlen (request));
  return receive_text (socket, timeout_ms);
}

static char *
tcp_options (guint port)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autofree char *request = NULL;

  if (!g_socket_connect (socket, to, NULL, NULL))
    return NULL;
  request = make_request ("OPTIONS", "TCP", port, socket_port (socket), "tcp-options", "");
  g_assert_true (g_socket_send (socket, request, strlen (request), NULL, NULL) > 0);
  return receive_text (socket, WAIT_MS);
}

static gboolean
on_accept_certificate (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors,
                       gpointer user_data)
{
  return TRUE;  /* self-signed: accept anything in this test */
}

static void
on_async_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* TLS handshake with the agent, then an OPTIONS; returns the response */
static char *
tls_options (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("127.0.0.1", (guint16) port);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  char buffer[8192];
  gssize n;

  g_socket_client_set_enable_proxy (client, FALSE);
  tcp = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, NULL,
                                    on_async_done, &result);
  wait_for_result (&result, WAIT_MS);
  g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  request = make_request ("OPTIONS", "TLS", port,
                          socket_port (g_socket_connection_get_socket (tcp)), "tls-options", "");
  g_output_stream_write_all_async (g_io_stream_get_output_stream (tls), request,
                                   strlen (request), G_PRIORITY_DEFAULT, NULL,
                                   on_async_done, &result);
  wait_for_result (&result, WAIT_MS);
  g_output_stream_write_all_finish (g_io_stream_get_output_stream (tls), result, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  g_input_stream_read_async (g_io_stream_get_input_stream (tls), buffer, sizeof buffer - 1,
                             G_PRIORITY_DEFAULT, NULL, on_async_done, &result);
  wait_for_result (&result, WAIT_MS);
  n = g_input_stream_read_finish (g_io_stream_get_input_stream (tls), result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);
  buffer[n] = '\0';
  g_io_stream_close (tls, NULL, NULL);
  return g_strdup (buffer);
}

static void
assert_200 (char *response)
{
  g_autofree char *owned = response;

  g_assert_nonnull (owned);
  g_assert_true (g_str_has_prefix (owned, "SIP/2.0 200 "));
}

static void
set_uint (Fixture *f, const char *name, guint value)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sips_config_section_set (f->settings, name, g_variant_new_uint32 (value), &error));
  g_assert_no_error (error);
}

static gboolean
has_uri (Fixture *f, const char *format, guint port)
{
  g_autofree char *uri = g_strdup_printf (format, port);

  return g_strv_contains (sips_sip_agent_get_listening_uris (f->agent), uri);
}

static void
start_agent (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->agent = sips_sip_agent_new (f->settings, f->state_dir);
  sips_config_section_set_apply_func (f->settings, sips_sip_agent_apply_setting, f->agent);
  g_assert_true (sips_sip_agent_start (f->agent, &error));
  g_assert_no_error (error);
  g_assert_nonnull (sips_sip_agent_get_nua (f->agent));
}

static void
shutdown_agent (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sips_sip_agent_shutdown_async (f->agent, on_async_done, &result);
  wait_for_result (&result, 7000);
  g_assert_true (sips_sip_agent_shutdown_finish (f->agent, result, &error));
  g_assert_no_error (error);
  g_assert_null (sips_sip_agent_get_nua (f->agent));
  g_assert_cmpuint (g_strv_length ((char **) sips_sip_agent_get_listening_uris (f->agent)), ==, 0);
  sips_config_section_set_apply_func (f->settings, NULL, NULL);
  g_clear_object (&f->agent);
}

/* ---- fixture ---- */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GVariant) listen = g_variant_ref_sink (g_variant_new_string ("127.0.0.1"));

  f->dir = g_dir_make_tmp ("test-sip-agent-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "sipsimpled.conf", NULL);
  f->state_dir = g_build_filename (f->dir, "state", NULL);
  f->store = sips_config_store_new (path);
  f->settings = sips_config_schema_section_new (f->store, SIPS_GROUP_SETTINGS);
  g_assert_true (sips_config_section_set (f->settings, "SipListenAddress", listen, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->agent != NULL)
    shutdown_agent (f);
  g_clear_object (&f->settings);
  g_clear_object (&f->store);
  sips_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->state_dir);
}

/* ---- tests ---- */

/* UDP, TCP and TLS on three different ports (needs sofia's third bind URL) */
static void
test_three_transports (Fixture *f, gconstpointer data)
{
  guint udp = pick_port (NULL, 0);
  guint tcp = pick_port ((guint[]) { udp }, 1);
  guint tls = pick_port ((guint[]) { udp, tcp }, 2);
  g_autofree char *agent_pem = g_build_filename (f->state_dir, "tls", "agent.pem", NULL);
  GStatBuf st;

  set_uint (f, "SipUdpPort", udp);
  set_uint (f, "SipTcpPort", tcp);
  set_uint (f, "SipTlsPort", tls);
  start_agent (f);

  g_assert_cmpuint (g_strv_length ((char **) sips_sip_agent_get_listening_uris (f->agent)), ==, 3);
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=udp", udp));
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=tcp", tcp));
  g_assert_true (has_uri (f, "sips:127.0.0.1:%u;transport=tls", tls));

  /* the generated certificate: private, reusable */
  g_assert_cmpint (g_stat (agent_pem, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (sips_tls_cert_check_file (agent_pem, NULL));

  assert_200 (udp_request (udp, "OPTIONS", "", WAIT_MS));
  assert_200 (tcp_options (tcp));
  assert_200 (tls_options (tls));

  /* a Contact for each transport names its own port (sofia's own pick does not) */
  {
    g_autofree char *c_udp = sips_sip_agent_contact_for (f->agent, "udp", "alice");
    g_autofree char *c_tcp = sips_sip_agent_contact_for (f->agent, "TCP", "alice");
    g_autofree char *c_tls = sips_sip_agent_contact_for (f->agent, "tls", NULL);
    g_autofree char *e_udp = g_strdup_printf ("<sip:alice@127.0.0.1:%u;transport=udp>", udp);
    g_autofree char *e_tcp = g_strdup_printf ("<sip:alice@127.0.0.1:%u;transport=tcp>", tcp);
    g_autofree char *e_tls = g_strdup_printf ("<sips:127.0.0.1:%u;transport=tls>", tls);

    g_assert_cmpstr (c_udp, ==, e_udp);
    g_assert_cmpstr (c_tcp, ==, e_tcp);
    g_assert_cmpstr (c_tls, ==, e_tls);
    g_assert_null (sips_sip_agent_contact_for (f->agent, "sctp", "alice"));
  }
  /* UDP only where configured */
  g_assert_null (udp_request (tcp, "OPTIONS", "", 300));
}

/* UDP and TCP sharing one port, TLS off */
static void
test_shared_port (Fixture *f, gconstpointer data)
{
  guint port = pick_port (NULL, 0);

  set_uint (f, "SipUdpPort", port);
  set_uint (f, "SipTcpPort", port);
  set_uint (f, "SipTlsPort", 0);
  start_agent (f);

  g_assert_cmpuint (g_strv_length ((char **) sips_sip_agent_get_listening_uris (f->agent)), ==, 2);
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=udp", port));
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=tcp", port));
  assert_200 (udp_request (port, "OPTIONS", "", WAIT_MS));
  assert_200 (tcp_options (port));
}

/* A busy port at start: that transport stays off, the agent runs */
static void
test_busy_at_start (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) squatter = bind_socket (G_SOCKET_TYPE_DATAGRAM, 0, FALSE, NULL);
  guint busy = socket_port (squatter);
  guint tcp = pick_port ((guint[]) { busy }, 1);
  GLogLevelFlags fatal;

  set_uint (f, "SipUdpPort", busy);
  set_uint (f, "SipTcpPort", tcp);
  set_uint (f, "SipTlsPort", 0);
  /* the warning is expected (g_test_expect_message does not see structured logs) */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  start_agent (f);
  g_log_set_always_fatal (fatal);

  g_assert_false (has_uri (f, "sip:127.0.0.1:%u;transport=udp", busy));
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=tcp", tcp));
  assert_200 (tcp_options (tcp));
}

/* Everything off: still an agent (outgoing-only), nothing listed */
static void
test_all_off (Fixture *f, gconstpointer data)
{
  set_uint (f, "SipUdpPort", 0);
  set_uint (f, "SipTcpPort", 0);
  set_uint (f, "SipTlsPort", 0);
  start_agent (f);
  g_assert_cmpuint (g_strv_length ((char **) sips_sip_agent_get_listening_uris (f->agent)), ==, 0);
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* Rebinding: a busy port is refused and the old binding stays; a free one moves */
static void
test_rebind (Fixture *f, gconstpointer data)
{
  guint udp = pick_port (NULL, 0);
  guint tcp = pick_port ((guint[]) { udp }, 1);
  g_autoptr(GSocket) udp_squatter = bind_socket (G_SOCKET_TYPE_DATAGRAM, 0, FALSE, NULL);
  g_autoptr(GSocket) tcp_squatter = bind_socket (G_SOCKET_TYPE_STREAM, 0, TRUE, NULL);
  guint busy_udp = socket_port (udp_squatter);
  guint busy_tcp = socket_port (tcp_squatter);
  guint new_udp, tls;
  guint notified = 0;
  gulong notify_id;
  g_autoptr(GError) error = NULL;

  set_uint (f, "SipUdpPort", udp);
  set_uint (f, "SipTcpPort", tcp);
  set_uint (f, "SipTlsPort", 0);
  start_agent (f);
  notify_id = g_signal_connect (f->agent, "notify::listening-uris", G_CALLBACK (on_notify),
                                &notified);

  /* busy UDP port: refused, nothing changes */
  g_assert_false (sips_config_section_set (f->settings, "SipUdpPort",
                                           g_variant_new_uint32 (busy_udp), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpuint (sips_config_section_get_uint (f->settings, "SipUdpPort"), ==, udp);
  g_assert_cmpuint (notified, ==, 0);
  assert_200 (udp_request (udp, "OPTIONS", "", WAIT_MS));

  /* busy TCP port (a listener): refused too */
  g_assert_false (sips_config_section_set (f->settings, "SipTcpPort",
                                           g_variant_new_uint32 (busy_tcp), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_clear_error (&error);
  assert_200 (tcp_options (tcp));

  /* a free port: the new one answers, the old one is closed, TCP is still served */
  new_udp = pick_port ((guint[]) { udp, tcp, busy_udp, busy_tcp }, 4);
  set_uint (f, "SipUdpPort", new_udp);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=udp", new_udp));
  g_assert_false (has_uri (f, "sip:127.0.0.1:%u;transport=udp", udp));
  assert_200 (udp_request (new_udp, "OPTIONS", "", WAIT_MS));
  g_assert_true (port_is_free (G_SOCKET_TYPE_DATAGRAM, udp));
  assert_200 (tcp_options (tcp));

  /* TLS switched on at run time, then off */
  tls = pick_port ((guint[]) { new_udp, tcp, busy_udp, busy_tcp }, 4);
  set_uint (f, "SipTlsPort", tls);
  g_assert_true (has_uri (f, "sips:127.0.0.1:%u;transport=tls", tls));
  assert_200 (tls_options (tls));
  set_uint (f, "SipTlsPort", 0);
  g_assert_false (has_uri (f, "sips:127.0.0.1:%u;transport=tls", tls));
  g_assert_true (port_is_free (G_SOCKET_TYPE_STREAM, tls));

  /* turning a transport off frees its port */
  set_uint (f, "SipTcpPort", 0);
  g_assert_cmpuint (g_strv_length ((char **) sips_sip_agent_get_listening_uris (f->agent)), ==, 1);
  assert_200 (udp_request (new_udp, "OPTIONS", "", WAIT_MS));

  /* &notified dies with this frame; the teardown's shutdown notifies again */
  g_signal_handler_disconnect (f->agent, notify_id);
}

/* A configured certificate file is used; the generated one is kept */
static void
test_certificate_file (Fixture *f, gconstpointer data)
{
  g_autofree char *own = g_build_filename (f->dir, "own.pem", NULL);
  g_autofree char *copied = g_build_filename (f->state_dir, "tls-custom", "agent.pem", NULL);
  g_autofree char *own_pem = NULL, *copied_pem = NULL;
  g_autoptr(GError) error = NULL;
  guint udp = pick_port (NULL, 0);
  guint tls = pick_port ((guint[]) { udp }, 1);

  g_assert_true (sips_tls_cert_generate (own, "own.example", &error));
  g_assert_no_error (error);
  set_uint (f, "SipUdpPort", udp);
  set_uint (f, "SipTcpPort", 0);
  set_uint (f, "SipTlsPort", tls);
  start_agent (f);
  assert_200 (tls_options (tls));

  g_assert_true (sips_config_section_set (f->settings, "TlsCertificateFile",
                                          g_variant_new_string (own), &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (own, &own_pem, NULL, NULL));
  g_assert_true (g_file_get_contents (copied, &copied_pem, NULL, NULL));
  g_assert_cmpstr (own_pem, ==, copied_pem);
  assert_200 (tls_options (tls));
  assert_200 (udp_request (udp, "OPTIONS", "", WAIT_MS));
}

/* An IPv6 listen address: bracketed in the URIs */
static void
test_ipv6 (Fixture *f, gconstpointer data)
{
  g_autoptr(GInetAddress) lo6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (lo6, 0);
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(GError) error = NULL;
  guint port;

  if (probe == NULL || !g_socket_bind (probe, any_port, FALSE, NULL))
    {
      g_test_skip ("no IPv6 loopback");
      return;
    }
  port = socket_port (probe);
  g_clear_object (&probe);

  g_assert_true (sips_config_section_set (f->settings, "SipListenAddress",
                                          g_variant_new_string ("::1"), &error));
  g_assert_no_error (error);
  set_uint (f, "SipUdpPort", port);
  set_uint (f, "SipTcpPort", 0);
  set_uint (f, "SipTlsPort", 0);
  start_agent (f);
  g_assert_true (has_uri (f, "sip:[::1]:%u;transport=udp", port));
}

static gboolean
on_nua_event (SipsSipAgent *agent, int event, int status, const char *phrase,
              gpointer nh, gpointer sip, gpointer tags, gpointer user_data)
{
  (*(guint *) user_data)++;
  return FALSE;
}

/* An INVITE nobody takes is refused with 480; "nua-event" saw it */
static void
test_incoming_invite (Fixture *f, gconstpointer data)
{
  guint udp = pick_port (NULL, 0);
  guint events = 0;
  gulong event_id;
  g_autofree char *response = NULL;
  const char *sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                    "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

  set_uint (f, "SipUdpPort", udp);
  set_uint (f, "SipTcpPort", 0);
  set_uint (f, "SipTlsPort", 0);
  start_agent (f);
  event_id = g_signal_connect (f->agent, "nua-event", G_CALLBACK (on_nua_event), &events);

  {
    g_autoptr(GSocket) socket = bind_socket (G_SOCKET_TYPE_DATAGRAM, 0, FALSE, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) udp);
    g_autofree char *request = make_request ("INVITE", "UDP", udp, socket_port (socket),
                                             "invite-1", sdp);

    g_assert_true (g_socket_send_to (socket, to, request, strlen (request), NULL, NULL) > 0);
    for (int i = 0; i < 5; i++)
      {
        g_free (response);
        response = receive_text (socket, WAIT_MS);
        g_assert_nonnull (response);
        if (!g_str_has_prefix (response, "SIP/2.0 1"))
          break;
      }
  }
  g_assert_true (g_str_has_prefix (response, "SIP/2.0 480 "));
  g_assert_cmpuint (events, >, 0);
  g_signal_handler_disconnect (f->agent, event_id);  /* &events dies with this frame */
}

/* write(2) calls of this thread so far (/proc/thread-self/io: syscw) */
static guint64
thread_write_calls (void)
{
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/thread-self/io", &text, NULL, NULL));
  line = strstr (text, "syscw: ");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("syscw: "), NULL, 10);
}

/* Sofia's GSource watches a descriptor per transport and more. GLib takes a blocked
 * source's descriptors out of the poll while it dispatches and puts them back after, and
 * each change writes the context's wakeup eventfd: three writes per dispatch, some 60
 * per call under load. Counted here over OPTIONS round trips (sofia answers with
 * sendmsg, which syscw does not count; its messages to itself wake the context once). */
static void
test_no_wakeup_writes (Fixture *f, gconstpointer data)
{
  guint udp = pick_port (NULL, 0);
  guint tcp = pick_port (&udp, 1);
  guint avoid[] = { udp, tcp };
  guint tls = pick_port (avoid, G_N_ELEMENTS (avoid));
  g_autoptr(GSocket) socket = bind_socket (G_SOCKET_TYPE_DATAGRAM, 0, FALSE, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) udp);
  const guint rounds = 20;
  guint dispatched = 0;
  guint64 writes;

  set_uint (f, "SipUdpPort", udp);
  set_uint (f, "SipTcpPort", tcp);
  set_uint (f, "SipTlsPort", tls);
  start_agent (f);
  assert_200 (udp_request (udp, "OPTIONS", "", WAIT_MS));  /* warm: lazily made parts */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  writes = thread_write_calls ();
  for (guint i = 0; i < rounds; i++)
    {
      g_autofree char *call_id = g_strdup_printf ("wake-%u", i);
      g_autofree char *request = make_request ("OPTIONS", "UDP", udp, socket_port (socket),
                                               call_id, "");
      gboolean readable = FALSE, timed_out = FALSE;
      g_autoptr(GSource) source = g_socket_create_source (socket, G_IO_IN, NULL);
      guint timeout_id = g_timeout_add (WAIT_MS, on_timeout_flag, &timed_out);
      char buffer[8192];
      gssize n;

      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_socket_readable,
                             &readable, NULL);
      g_source_attach (source, NULL);
      g_assert_cmpint (g_socket_send_to (socket, to, request, strlen (request), NULL, NULL),
                       ==, (gssize) strlen (request));
      while (!readable && !timed_out)
        {
          if (g_main_context_iteration (NULL, TRUE))
            dispatched++;
        }
      g_source_destroy (source);
      g_assert_false (timed_out);
      g_source_remove (timeout_id);
      n = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL);
      g_assert_cmpint (n, >, 0);
      buffer[n] = '\0';
      g_assert_true (g_str_has_prefix (buffer, "SIP/2.0 200 "));
    }
  writes = thread_write_calls () - writes;
  g_test_message ("%u OPTIONS: %u iterations dispatched, %" G_GUINT64_FORMAT " writes",
                  rounds, dispatched, writes);
  g_assert_cmpuint (dispatched, >=, rounds);
  /* 6 a round are this test's own (its socket source's descriptor in and out of the
   * poll, attach and destroy); sofia's blocked dispatches added 12 more */
  g_assert_cmpuint (writes, <, 12 * rounds);
}

/* The value of header name in the text of a SIP message ("" if absent) */
static char *
header_value (const char *message, const char *name)
{
  g_auto(GStrv) lines = g_strsplit (message, "\r\n", -1);
  gsize len = strlen (name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, len) == 0 && lines[i][len] == ':')
      return g_strdup (g_strstrip (lines[i] + len + 1));
  return g_strdup ("");
}

/* A request on a handle nobody destroys at "nua-closing" keeps the old nua busy: the
 * write is accepted at once without iterating the main context, SIP is off only until
 * the old nua lets go (here: the peer answers), then the new port is bound. */
static void
test_rebind_waits_for_busy_nua (Fixture *f, gconstpointer data)
{
  guint udp = pick_port (NULL, 0);
  guint new_udp = pick_port ((guint[]) { udp }, 1);
  g_autoptr(GSocket) peer = bind_socket (G_SOCKET_TYPE_DATAGRAM, 0, FALSE, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) old_address = g_inet_socket_address_new (lo, (guint16) udp);
  g_autofree char *to = g_strdup_printf ("sip:peer@127.0.0.1:%u", socket_port (peer));
  g_autofree char *request = NULL, *response = NULL;
  g_autofree char *via = NULL, *from = NULL, *to_hdr = NULL, *call_id = NULL, *cseq = NULL;
  g_autoptr(GError) error = NULL;
  guint notified = 0;
  gulong notify_id;
  nua_handle_t *nh;

  set_uint (f, "SipUdpPort", udp);
  set_uint (f, "SipTcpPort", 0);
  set_uint (f, "SipTlsPort", 0);
  start_agent (f);

  nh = nua_handle (sips_sip_agent_get_nua (f->agent), NULL, SIPTAG_TO_STR (to), TAG_END ());
  nua_options (nh, TAG_END ());
  request = receive_text (peer, WAIT_MS);
  g_assert_nonnull (request);
  g_assert_true (g_str_has_prefix (request, "OPTIONS "));

  notify_id = g_signal_connect (f->agent, "notify::listening-uris", G_CALLBACK (on_notify),
                                &notified);
  g_assert_true (sips_config_section_set (f->settings, "SipUdpPort",
                                          g_variant_new_uint32 (new_udp), &error));
  g_assert_no_error (error);
  /* nothing bound meanwhile, and no second rebind on top of this one */
  g_assert_cmpuint (g_strv_length ((char **) sips_sip_agent_get_listening_uris (f->agent)), ==, 0);
  g_assert_null (sips_sip_agent_get_nua (f->agent));
  g_assert_false (sips_config_section_set (f->settings, "SipTcpPort",
                                           g_variant_new_uint32 (new_udp), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_clear_error (&error);

  /* the peer answers to the old port, which the old nua still holds */
  via = header_value (request, "Via");
  from = header_value (request, "From");
  to_hdr = header_value (request, "To");
  call_id = header_value (request, "Call-ID");
  cseq = header_value (request, "CSeq");
  response = g_strdup_printf ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=p1\r\n"
                              "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
                              via, from, to_hdr, call_id, cseq);
  g_assert_true (g_socket_send_to (peer, old_address, response, strlen (response), NULL,
                                   NULL) > 0);

  for (int i = 0; i < 100 && !has_uri (f, "sip:127.0.0.1:%u;transport=udp", new_udp); i++)
    {
      gboolean flag = FALSE;

      wait_for_flag (&flag, 100);
    }
  g_assert_true (has_uri (f, "sip:127.0.0.1:%u;transport=udp", new_udp));
  g_assert_nonnull (sips_sip_agent_get_nua (f->agent));
  g_assert_cmpuint (notified, >=, 2);
  assert_200 (udp_request (new_udp, "OPTIONS", "", WAIT_MS));
  g_assert_true (port_is_free (G_SOCKET_TYPE_DATAGRAM, udp));
  g_signal_handler_disconnect (f->agent, notify_id);  /* &notified dies with this frame */
}

/* The system CAs are linked (OpenSSL reads them on demand from sofia's CApath), not
 * copied into cafile.pem; a configured CA file is then the only trust */
static guint
count_hash_links (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_regex_match_simple ("^[0-9a-f]{8}\\.[0-9]+$", name, 0, 0))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_assert_true (g_file_test (path, G_FILE_TEST_IS_SYMLINK));
        n++;
      }
  return n;
}

static guint
count_certificates (const char *path)
{
  g_autofree char *pem = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &pem, NULL, NULL));
  for (const char *p = pem; (p = strstr (p, "BEGIN CERTIFICATE")) != NULL; p++)
    n++;
  return n;
}

static void
test_system_cas (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (f->dir, "tls", NULL);
  g_autofree char *cafile = g_build_filename (dir, "cafile.pem", NULL);
  g_autofree char *own = g_build_filename (f->dir, "own-ca.pem", NULL);
  g_autoptr(GError) error = NULL;
  guint system = count_hash_links ("/etc/ssl/certs");

  if (system == 0)
    {
      g_test_skip ("no hashed /etc/ssl/certs");
      return;
    }
  g_assert_true (sips_tls_cert_prepare_dir (dir, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_hash_links (dir), ==, system);
  g_assert_cmpuint (count_certificates (cafile), ==, 1);  /* our own only */

  g_assert_true (sips_tls_cert_generate (own, "ca.example", &error));
  g_assert_no_error (error);
  g_assert_true (sips_tls_cert_prepare_dir (dir, NULL, own, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_hash_links (dir), ==, 0);

  /* and back: linked again, not duplicated */
  g_assert_true (sips_tls_cert_prepare_dir (dir, NULL, "", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_hash_links (dir), ==, system);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/sip-agent/three-transports", test_three_transports);
  ADD ("/sip-agent/shared-port", test_shared_port);
  ADD ("/sip-agent/busy-at-start", test_busy_at_start);
  ADD ("/sip-agent/all-off", test_all_off);
  ADD ("/sip-agent/rebind", test_rebind);
  ADD ("/sip-agent/rebind-waits-for-busy-nua", test_rebind_waits_for_busy_nua);
  ADD ("/sip-agent/certificate-file", test_certificate_file);
  ADD ("/sip-agent/incoming-invite", test_incoming_invite);
  ADD ("/sip-agent/ipv6", test_ipv6);
  ADD ("/sip-agent/system-cas", test_system_cas);
  ADD ("/sip-agent/no-wakeup-writes", test_no_wakeup_writes);
#undef ADD

  return g_test_run ();
}
