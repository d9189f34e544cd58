/* test-socket-sink.c: SipsSocketSink, a call's RTP and RTCP way out: what it sends, where,
 * from which socket, and that it keeps no descriptor of its own */
#include <string.h>
#include <gio/gio.h>
#include <gst/gst.h>

#include "media/sips-socket-sink.h"
#include "sips-test-util.h"

typedef struct {
  GstElement *sink;
  GstPad     *src;  /* ours, linked to the sink's */
} Feed;

static GSocket *
bound_socket (GSocketFamily family)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (family);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSocket *socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  if (socket == NULL || !g_socket_bind (socket, address, FALSE, NULL))
    {
      g_clear_object (&socket);
      return NULL;
    }
  g_socket_set_timeout (socket, 2);
  return socket;
}

static guint
port_of (GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static void
feed_init (Feed *feed, GSocket *from)
{
  g_autoptr(GstPad) sink_pad = NULL;
  g_autoptr(GstCaps) caps = gst_caps_new_empty_simple ("application/x-rtp");
  GstSegment segment;

  feed->sink = gst_object_ref_sink (sips_socket_sink_new (from));
  sink_pad = gst_element_get_static_pad (feed->sink, "sink");
  feed->src = gst_pad_new ("src", GST_PAD_SRC);
  g_assert_cmpint (gst_pad_link (feed->src, sink_pad), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (feed->src, TRUE);
  g_assert_cmpint (gst_element_set_state (feed->sink, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_push_event (feed->src, gst_event_new_stream_start ("test")));
  g_assert_true (gst_pad_push_event (feed->src, gst_event_new_caps (caps)));
  g_assert_true (gst_pad_push_event (feed->src, gst_event_new_segment (&segment)));
}

static void
feed_clear (Feed *feed)
{
  gst_element_set_state (feed->sink, GST_STATE_NULL);
  gst_object_unref (feed->src);
  gst_object_unref (feed->sink);
}

/* a buffer of two memories, as a payloader makes: header and payload */
static void
push (Feed *feed, const char *header, const char *payload)
{
  GstBuffer *buffer = gst_buffer_new ();
  char *h = g_strdup (header);
  char *p = g_strdup (payload);

  gst_buffer_append_memory (buffer, gst_memory_new_wrapped (0, h, strlen (h), 0, strlen (h), h, g_free));
  gst_buffer_append_memory (buffer, gst_memory_new_wrapped (0, p, strlen (p), 0, strlen (p), p, g_free));
  g_assert_cmpint (gst_pad_push (feed->src, buffer), ==, GST_FLOW_OK);
}

/* a buffer of more memories than are gathered in one sendmsg(): still one datagram */
static void
push_many (Feed *feed, const char *text)
{
  GstBuffer *buffer = gst_buffer_new ();

  for (const char *c = text; *c != '\0'; c++)
    {
      char *part = g_strndup (c, 1);

      gst_buffer_append_memory (buffer, gst_memory_new_wrapped (0, part, 1, 0, 1, part, g_free));
    }
  g_assert_cmpint (gst_pad_push (feed->src, buffer), ==, GST_FLOW_OK);
}

/* the next datagram on socket (NULL after 2 s): its text, and its sender's port */
static char *
receive (GSocket *socket, guint *from_port)
{
  g_autoptr(GSocketAddress) from = NULL;
  char data[256];
  gssize n = g_socket_receive_from (socket, &from, data, sizeof data - 1, NULL, NULL);

  if (n < 0)
    return NULL;
  if (from_port != NULL)
    *from_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from));
  return g_strndup (data, n);
}

static void
check_family (GSocketFamily family, const char *host)
{
  g_autoptr(GSocket) ours = bound_socket (family);
  g_autoptr(GSocket) peer = bound_socket (family);
  g_autoptr(GSocket) moved = bound_socket (family);
  g_autofree char *got = NULL;
  g_autofree char *got2 = NULL;
  g_autofree char *many = NULL;
  g_autofree char *none = NULL;
  guint fds, sender = 0;
  Feed feed;

  if (ours == NULL || peer == NULL || moved == NULL)
    {
      g_test_skip ("no loopback for this address family");
      return;
    }
  fds = sips_test_count_fds ();
  feed_init (&feed, ours);
  g_assert_cmpuint (sips_test_count_fds (), ==, fds);  /* udpsink: two eventfds */

  /* no destination yet: dropped, not an error */
  push (&feed, "H0", "P0");
  g_object_set (feed.sink, "host", host, "port", (gint) port_of (peer), NULL);
  push (&feed, "H1", "P1");
  got = receive (peer, &sender);
  g_assert_cmpstr (got, ==, "H1P1");  /* one datagram of both memories: "H0P0" never left */
  g_assert_cmpuint (sender, ==, port_of (ours));  /* symmetric RTP: from the session's socket */
  push_many (&feed, "0123456789ab");
  many = receive (peer, NULL);
  g_assert_cmpstr (many, ==, "0123456789ab");

  /* a re-INVITE moves the destination while the stream runs */
  g_object_set (feed.sink, "port", (gint) port_of (moved), NULL);
  push (&feed, "H2", "P2");
  got2 = receive (moved, NULL);
  g_assert_cmpstr (got2, ==, "H2P2");
  g_socket_set_timeout (peer, 1);
  none = receive (peer, NULL);
  g_assert_null (none);
  feed_clear (&feed);
}

static void
test_ipv4 (void)
{
  check_family (G_SOCKET_FAMILY_IPV4, "127.0.0.1");
}

static void
test_ipv6 (void)
{
  check_family (G_SOCKET_FAMILY_IPV6, "::1");
}

/* not an address (the stream only gives literals): nothing goes anywhere */
static void
test_bad_host (void)
{
  g_autoptr(GSocket) ours = bound_socket (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocket) peer = bound_socket (G_SOCKET_FAMILY_IPV4);
  g_autofree char *none = NULL;
  Feed feed;

  feed_init (&feed, ours);
  g_object_set (feed.sink, "host", "127.0.0.1", "port", (gint) port_of (peer), NULL);
  g_object_set (feed.sink, "host", "not-an-address", NULL);
  push (&feed, "H", "P");
  g_socket_set_timeout (peer, 1);
  none = receive (peer, NULL);
  g_assert_null (none);
  feed_clear (&feed);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/socket-sink/ipv4", test_ipv4);
  g_test_add_func ("/socket-sink/ipv6", test_ipv6);
  g_test_add_func ("/socket-sink/bad-host", test_bad_host);
  return g_test_run ();
}
