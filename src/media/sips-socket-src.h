/* sips-socket-src.h: a GStreamer source reading a borrowed UDP socket on a main context */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_SOCKET_SRC (sips_socket_src_get_type ())
G_DECLARE_FINAL_TYPE (SipsSocketSrc, sips_socket_src, SIPS, SOCKET_SRC, GstElement)

/* A live source of the datagrams arriving on socket (each a buffer with caps, the arrival
 * running time as PTS/DTS and a GstNetAddressMeta of the sender), read while PLAYING by
 * one reader thread ("sips-rtp-reader") that serves every such source of the process, so
 * no streaming thread per socket as udpsrc has. The socket is only borrowed (neither
 * closed nor made non-blocking). context is where an ICE source gets its data. */
GstElement *sips_socket_src_new (GSocket *socket, GstCaps *caps, GMainContext *context);
/* The same for an ICE component of agent (a NiceAgent on context): what libnice receives
 * on it (no sender address). Stopped, a discarding receiver stays attached, so the agent
 * keeps answering checks. NULL if the loaded libnice is not the one we know (then use
 * nicesrc). */
GstElement *sips_socket_src_new_ice (GObject *agent, guint stream_id, guint component_id,
                                     GstCaps *caps, GMainContext *context);

G_END_DECLS
