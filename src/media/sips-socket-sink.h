/* sips-socket-sink.h: a GStreamer sink sending each buffer as a datagram on a borrowed UDP socket */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_SOCKET_SINK (sips_socket_sink_get_type ())
G_DECLARE_FINAL_TYPE (SipsSocketSink, sips_socket_sink, SIPS, SOCKET_SINK, GstElement)

/* Sends every buffer it is given, at once and on the pushing thread, to "host" (an IP
 * literal) and "port" from socket (borrowed: symmetric RTP sends from the socket it
 * reads). A datagram the socket cannot take now is dropped, as the network could. Unlike
 * udpsink it keeps no descriptor of its own (udpsink: two eventfds), never waits, and
 * does no per-buffer bookkeeping: it is a call's RTP and RTCP way out. */
GstElement *sips_socket_sink_new (GSocket *socket);

G_END_DECLS
