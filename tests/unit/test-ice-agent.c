/* test-ice-agent.c: SipsIceAgent, two real agents on 127.0.0.1 in this process:
 * host candidates and credentials as SDP lines, connectivity checks both ways, malformed
 * candidate lines skipped one by one, an unreachable STUN server bounded by the gathering
 * timeout, and a forced pair carrying data without ICE on the other side. (The daemon's
 * libnice-before-sofia-sip link order is guarded by tests/integration/test_ice.py: this
 * binary does not load sofia-sip.) */
#include <gio/gio.h>
#include <nice/agent.h>
#include <string.h>

#include "core/sips-error.h"
#include "media/sips-ice-agent.h"

typedef struct {
  gboolean gathered;
  char    *succeeded;  /* "local remote" */
  char    *failed;
} Events;

static void
on_gathered (SipsIceAgent *agent, gpointer user_data)
{
  ((Events *) user_data)->gathered = TRUE;
}

static void
on_succeeded (SipsIceAgent *agent, const char *local, const char *remote, gpointer user_data)
{
  ((Events *) user_data)->succeeded = g_strdup_printf ("%s %s", local, remote);
}

static void
on_failed (SipsIceAgent *agent, const char *reason, gpointer user_data)
{
  ((Events *) user_data)->failed = g_strdup (reason);
}

static gboolean
wait_for (gboolean *flag, char **text, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!(flag != NULL ? *flag : *text != NULL) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  return flag != NULL ? *flag : *text != NULL;
}

static SipsIceAgent *
make_agent (gboolean controlling, const char *stun, guint stun_port, Events *events)
{
  SipsIceAgentConfig config = { .local_address = "127.0.0.1", .controlling = controlling,
                                .stun_address = stun, .stun_port = stun_port };
  g_autoptr(GError) error = NULL;
  SipsIceAgent *agent = sips_ice_agent_new (&config, &error);

  g_assert_no_error (error);
  g_signal_connect (agent, "gathered", G_CALLBACK (on_gathered), events);
  g_signal_connect (agent, "succeeded", G_CALLBACK (on_succeeded), events);
  g_signal_connect (agent, "failed", G_CALLBACK (on_failed), events);
  /* host candidates only: complete already */
  events->gathered = sips_ice_agent_get_gathered (agent);
  return agent;
}

/* from's SDP lines into to: ufrag, pwd and the candidate values; extra lines added */
static gint
exchange (SipsIceAgent *from, SipsIceAgent *to, const char * const *extra)
{
  g_autofree char *lines = sips_ice_agent_get_sdp_lines (from);
  g_auto(GStrv) split = g_strsplit (lines, "\r\n", -1);
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
  const char *ufrag = NULL, *pwd = NULL;
  g_autoptr(GError) error = NULL;
  gint usable;

  for (guint i = 0; split[i] != NULL; i++)
    {
      if (g_str_has_prefix (split[i], "a=ice-ufrag:"))
        ufrag = split[i] + 12;
      else if (g_str_has_prefix (split[i], "a=ice-pwd:"))
        pwd = split[i] + 10;
      else if (g_str_has_prefix (split[i], "a=candidate:"))
        g_ptr_array_add (candidates, g_strdup (split[i] + 12));
    }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (candidates, g_strdup (extra[i]));
  g_ptr_array_add (candidates, NULL);
  usable = sips_ice_agent_set_remote (to, ufrag, pwd, (const char * const *) candidates->pdata, &error);
  g_assert_no_error (error);
  return usable;
}

static void
events_clear (Events *e)
{
  g_free (e->succeeded);
  g_free (e->failed);
}

static void
test_host_checks_both_ways (void)
{
  Events ea = { 0 }, eb = { 0 };
  g_autoptr(SipsIceAgent) a = make_agent (TRUE, NULL, 0, &ea);
  g_autoptr(SipsIceAgent) b = make_agent (FALSE, NULL, 0, &eb);
  g_autofree char *address = NULL;
  g_autofree char *lines = NULL;
  g_autofree char *b_address = NULL;
  g_autofree char *remote = NULL;
  guint port = 0, b_port = 0, remote_port = 0;
  const char *garbage[] = { "garbage", "1 1 UDP 2130706431 127.0.0.1 0 typ host",
                            "1 3 UDP 2130706431 127.0.0.1 4000 typ host", NULL };

  g_assert_true (wait_for (&ea.gathered, NULL, 3000) && wait_for (&eb.gathered, NULL, 3000));
  g_assert_true (sips_ice_agent_get_default (a, 1, &address, &port));
  g_assert_cmpstr (address, ==, "127.0.0.1");
  g_assert_cmpuint (port, >, 0);
  lines = sips_ice_agent_get_sdp_lines (a);
  g_assert_nonnull (strstr (lines, "a=ice-ufrag:"));
  g_assert_nonnull (strstr (lines, " 1 UDP "));
  g_assert_nonnull (strstr (lines, " 2 UDP "));
  g_assert_null (strstr (lines, "TCP"));  /* UDP only */

  /* the bad lines cost nothing but themselves: the two good ones are taken */
  g_assert_cmpint (exchange (a, b, garbage), ==, 1);
  g_assert_cmpint (exchange (b, a, NULL), ==, 1);
  g_assert_true (wait_for (NULL, &ea.succeeded, 5000));
  g_assert_true (wait_for (NULL, &eb.succeeded, 5000));
  g_assert_cmpstr (ea.succeeded, ==, "host host");
  g_assert_cmpstr (eb.succeeded, ==, "host host");
  /* the selected pair is both sides' default candidates: no updated offer needed */
  g_assert_true (sips_ice_agent_get_default (b, 1, &b_address, &b_port));
  g_assert_true (sips_ice_agent_get_selected (a, NULL, NULL, &remote, &remote_port));
  g_assert_cmpstr (remote, ==, b_address);
  g_assert_cmpuint (remote_port, ==, b_port);
  g_assert_true (sips_ice_agent_selected_is_default (a, b_address, b_port));
  g_assert_false (sips_ice_agent_selected_is_default (a, b_address, b_port + 7));
  g_assert_null (ea.failed);
  events_clear (&ea);
  events_clear (&eb);
}

static void
test_missing_credentials_refused (void)
{
  Events e = { 0 };
  g_autoptr(SipsIceAgent) a = make_agent (TRUE, NULL, 0, &e);
  g_autoptr(GError) error = NULL;
  const char *candidates[] = { "1 1 UDP 2130706431 127.0.0.1 4000 typ host", NULL };

  g_assert_cmpint (sips_ice_agent_set_remote (a, NULL, "pwdpwdpwdpwdpwdpwdpwdpwd", candidates, &error), ==, -1);
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  events_clear (&e);
}

static void
test_unreachable_stun_bounded (void)
{
  Events e = { 0 };
  g_autoptr(GSocket) dead = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(SipsIceAgent) a = NULL;
  gint64 t0;

  /* a bound socket nobody reads: the STUN requests go unanswered */
  g_assert_true (g_socket_bind (dead, any, TRUE, NULL));
  bound = g_socket_get_local_address (dead, NULL);
  t0 = g_get_monotonic_time ();
  a = make_agent (TRUE, "127.0.0.1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), &e);
  g_assert_true (wait_for (&e.gathered, NULL, 5000));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, (SIPS_ICE_GATHER_TIMEOUT_MS + 300) * 1000);
  events_clear (&e);
}

static void
on_data (NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer user_data)
{
  g_string_append_len (user_data, buf, len);
}

static void
test_forced_pair_without_ice (void)
{
  Events e = { 0 };
  g_autoptr(SipsIceAgent) a = make_agent (TRUE, NULL, 0, &e);
  g_autoptr(GSocket) peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) to = NULL;
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree char *address = NULL;
  guint port = 0, peer_port;
  NiceAgent *nice = NICE_AGENT (sips_ice_agent_get_nice (a));
  guint stream = sips_ice_agent_get_stream_id (a);
  char buf[64];
  gssize n;

  g_assert_true (wait_for (&e.gathered, NULL, 3000));
  g_assert_true (g_socket_bind (peer, any, TRUE, NULL));
  bound = g_socket_get_local_address (peer, NULL);
  peer_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  sips_ice_agent_force_remote (a, "127.0.0.1", peer_port, peer_port + 1);
  g_assert_cmpint (nice_agent_send (nice, stream, 1, 5, "hello"), ==, 5);
  g_socket_set_timeout (peer, 2);
  n = g_socket_receive (peer, buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, ==, 5);
  /* and from the plain peer back into the agent */
  nice_agent_attach_recv (nice, stream, 1, NULL, on_data, got);
  g_assert_true (sips_ice_agent_get_default (a, 1, &address, &port));
  to = g_inet_socket_address_new (lo, (guint16) port);
  g_assert_cmpint (g_socket_send_to (peer, to, "world", 5, NULL, NULL), ==, 5);
  for (gint64 end = g_get_monotonic_time () + 2000000; got->len < 5 && g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  g_assert_cmpstr (got->str, ==, "world");
  nice_agent_attach_recv (nice, stream, 1, NULL, NULL, NULL);
  events_clear (&e);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice-agent/host-checks-both-ways", test_host_checks_both_ways);
  g_test_add_func ("/ice-agent/missing-credentials", test_missing_credentials_refused);
  g_test_add_func ("/ice-agent/unreachable-stun-bounded", test_unreachable_stun_bounded);
  g_test_add_func ("/ice-agent/forced-pair-without-ice", test_forced_pair_without_ice);
  return g_test_run ();
}
