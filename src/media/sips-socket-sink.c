/* sips-socket-sink.c: each buffer as one datagram, sent with sendmsg() on the pushing thread */
#include "media/sips-socket-sink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_PARTS 8   /* memories per buffer gathered in one sendmsg() (RTP: header + payload) */

struct _SipsSocketSink
{
  GstElement              parent_instance;

  GSocket                *socket;
  int                     fd;
  /* under the object lock: set on the main context, read by the streaming thread */
  char                   *host;
  guint                   port;
  struct sockaddr_storage to;
  socklen_t               to_len;     /* 0: no valid destination, buffers are dropped */
  guint                   errors;     /* logged: the first and then every 1000th */
};

G_DEFINE_FINAL_TYPE (SipsSocketSink, sips_socket_sink, GST_TYPE_ELEMENT)

enum { PROP_0, PROP_HOST, PROP_PORT, N_PROPS };
static GParamSpec *props[N_PROPS];

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* under the object lock */
static void
update_destination (SipsSocketSink *self)
{
  g_autoptr(GInetAddress) inet = self->host != NULL ? g_inet_address_new_from_string (self->host) : NULL;
  g_autoptr(GSocketAddress) address = NULL;

  self->to_len = 0;
  if (inet == NULL || self->port == 0)
    return;
  address = g_inet_socket_address_new (inet, self->port);
  if (g_socket_address_to_native (address, &self->to, sizeof self->to, NULL))
    self->to_len = g_socket_address_get_native_size (address);
}

static void
send_datagram (SipsSocketSink *self, struct msghdr *msg)
{
  if (sendmsg (self->fd, msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && self->errors++ % 1000 == 0)
    g_debug ("%s: datagram not sent (%u so far): %s", GST_OBJECT_NAME (self), self->errors,
             g_strerror (errno));
}

static void
send_buffer (SipsSocketSink *self, GstBuffer *buffer)
{
  GstMapInfo maps[MAX_PARTS];
  struct iovec iov[MAX_PARTS];
  struct sockaddr_storage to;
  struct msghdr msg = { .msg_name = &to, .msg_iov = iov };
  guint n = gst_buffer_n_memory (buffer), mapped = 0;

  GST_OBJECT_LOCK (self);
  msg.msg_namelen = self->to_len;
  memcpy (&to, &self->to, self->to_len);
  GST_OBJECT_UNLOCK (self);
  if (msg.msg_namelen == 0 || n == 0)
    return;
  if (n > MAX_PARTS)  /* never for RTP (header + payload): the whole buffer as one mapping */
    {
      if (gst_buffer_map (buffer, &maps[0], GST_MAP_READ))
        {
          iov[0] = (struct iovec) { maps[0].data, maps[0].size };
          msg.msg_iovlen = 1;
          send_datagram (self, &msg);
          gst_buffer_unmap (buffer, &maps[0]);
        }
      return;
    }
  for (; mapped < n; mapped++)
    {
      if (!gst_memory_map (gst_buffer_peek_memory (buffer, mapped), &maps[mapped], GST_MAP_READ))
        break;
      iov[mapped] = (struct iovec) { maps[mapped].data, maps[mapped].size };
    }
  msg.msg_iovlen = mapped;
  if (mapped == n)
    send_datagram (self, &msg);
  while (mapped > 0)
    {
      mapped--;
      gst_memory_unmap (gst_buffer_peek_memory (buffer, mapped), &maps[mapped]);
    }
}

static GstFlowReturn
on_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  send_buffer (SIPS_SOCKET_SINK (parent), buffer);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static GstFlowReturn
on_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  guint n = gst_buffer_list_length (list);

  for (guint i = 0; i < n; i++)
    send_buffer (SIPS_SOCKET_SINK (parent), gst_buffer_list_get (list, i));
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

/* the end of the line: events and queries stop here */
static gboolean
on_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static void
sips_socket_sink_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SipsSocketSink *self = SIPS_SOCKET_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = (guint) g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  update_destination (self);
  GST_OBJECT_UNLOCK (self);
}

static void
sips_socket_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsSocketSink *self = SIPS_SOCKET_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_int (value, (gint) self->port);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
sips_socket_sink_finalize (GObject *object)
{
  SipsSocketSink *self = SIPS_SOCKET_SINK (object);

  g_clear_object (&self->socket);
  g_free (self->host);
  G_OBJECT_CLASS (sips_socket_sink_parent_class)->finalize (object);
}

static void
sips_socket_sink_class_init (SipsSocketSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = sips_socket_sink_set_property;
  object_class->get_property = sips_socket_sink_get_property;
  object_class->finalize = sips_socket_sink_finalize;
  /* udpsink's names: a stream's destination is set the same way on either */
  props[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL,
                                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_PORT] = g_param_spec_int ("port", NULL, NULL, 0, 65535, 0,
                                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "Socket sink", "Sink/Network",
                                         "Buffers as datagrams on a borrowed UDP socket",
                                         "sipsimpled");
}

static void
sips_socket_sink_init (SipsSocketSink *self)
{
  GstPad *pad = gst_pad_new_from_static_template (&sink_template, "sink");

  gst_pad_set_chain_function (pad, on_chain);
  gst_pad_set_chain_list_function (pad, on_chain_list);
  gst_pad_set_event_function (pad, on_event);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  self->fd = -1;
}

GstElement *
sips_socket_sink_new (GSocket *socket)
{
  SipsSocketSink *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  self = g_object_new (SIPS_TYPE_SOCKET_SINK, NULL);
  self->socket = g_object_ref (socket);
  self->fd = g_socket_get_fd (socket);
  return GST_ELEMENT (self);
}
