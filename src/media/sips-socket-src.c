/* sips-socket-src.c: a live GStreamer source pushing a UDP socket's datagrams, read by one
 * reader thread for the whole process, or an ICE component's from libnice's receive
 * callback on the main context. udpsrc and nicesrc have a streaming thread per socket (two
 * per call: RTP and RTCP); here they push into the jitter buffer, which decouples. */
#include "media/sips-socket-src.h"
#include "media/sips-live-src.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gst/net/gstnetaddressmeta.h>

/* libnice's nice_agent_attach_recv(), found at run time in the libnice the ICE agent
 * already loaded: this file links no libnice (ICE may be a module loaded on first use) */
#define LIBNICE_SONAME   "libnice.so.10"
typedef void (*NiceRecvFunc) (GObject *agent, guint stream_id, guint component_id, guint len,
                              gchar *buf, gpointer user_data);
typedef gboolean (*NiceAttachRecvFunc) (GObject *agent, guint stream_id, guint component_id,
                                        GMainContext *context, NiceRecvFunc func, gpointer data);

#define MAX_DATAGRAM     65536
#define READS_PER_WAKEUP 32   /* then the other sockets get a turn */

struct _SipsSocketSrc
{
  GstElement              parent_instance;

  GstPad                 *srcpad;
  GSocket                *socket;    /* or: */
  GObject                *agent;     /* an ICE component (NiceAgent), read by libnice on context */
  guint                   stream_id;
  guint                   component_id;
  GstCaps                *caps;
  GMainContext           *context;
  gboolean                reading;   /* in the reader's epoll set (PLAYING) */
  gboolean                started;   /* stream-start, caps and segment pushed */
  struct sockaddr_storage last_from; /* the last sender, and its address object */
  socklen_t               last_from_len;
  GSocketAddress         *last_address;
};

G_DEFINE_FINAL_TYPE (SipsSocketSrc, sips_socket_src, GST_TYPE_ELEMENT)

static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GSocketAddress *
sender_address (SipsSocketSrc *self, const struct sockaddr_storage *from, socklen_t len)
{
  if (self->last_address == NULL || len != self->last_from_len || memcmp (from, &self->last_from, len) != 0)
    {
      g_clear_object (&self->last_address);
      self->last_address = g_socket_address_new_from_native ((gpointer) from, len);
      memcpy (&self->last_from, from, len);
      self->last_from_len = len;
    }
  return self->last_address;
}

static void
push_datagram (SipsSocketSrc *self, const guint8 *data, gsize size, GSocketAddress *from)
{
  GstBuffer *buffer = gst_buffer_new_memdup (data, size);
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstFlowReturn ret;

  if (!self->started)
    {
      sips_live_src_push_stream_start (GST_ELEMENT (self), self->srcpad, self->caps);
      self->started = TRUE;
    }
  if (clock != NULL)  /* the arrival's running time, as udpsrc's do-timestamp */
    {
      GstClockTime now = gst_clock_get_time (clock);
      GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));

      GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = now > base ? now - base : 0;
      gst_object_unref (clock);
    }
  if (from != NULL)
    gst_buffer_add_net_address_meta (buffer, from);
  ret = gst_pad_push (self->srcpad, buffer);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING && ret != GST_FLOW_NOT_LINKED)
    g_debug ("socket source: push: %s", gst_flow_get_name (ret));
}

static void
read_socket (SipsSocketSrc *self)
{
  static GPrivate buffer_key = G_PRIVATE_INIT (g_free);  /* one per reading thread */
  guint8 *data = g_private_get (&buffer_key);

  if (data == NULL)
    g_private_set (&buffer_key, (data = g_malloc (MAX_DATAGRAM)));
  for (guint i = 0; i < READS_PER_WAKEUP; i++)
    {
      struct sockaddr_storage from;
      socklen_t len = sizeof from;
      gssize n = recvfrom (g_socket_get_fd (self->socket), data, MAX_DATAGRAM, MSG_DONTWAIT,
                           (struct sockaddr *) &from, &len);

      if (n < 0)
        {
          /* ICMP errors (ECONNREFUSED...) of earlier sends are no reason to stop */
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            g_debug ("socket source: recvfrom: %s", g_strerror (errno));
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          continue;
        }
      push_datagram (self, data, (gsize) n, len > 0 ? sender_address (self, &from, len) : NULL);
    }
}

/* ---- the reader: one thread for every socket source of the process ----
 * An epoll set polled by a thread of its own: a packet wakes neither the main loop (whose
 * every iteration walks all its sources: O(calls) per packet) nor a thread per socket. */

typedef struct {
  int           epfd;
  GMutex        lock;      /* held while events are handled: remove waits for it */
  GMainContext *context;
} SocketReader;

static gboolean
on_reader_readable (gint fd, GIOCondition condition, gpointer user_data)
{
  SocketReader *reader = user_data;
  struct epoll_event events[64];
  int n;

  g_mutex_lock (&reader->lock);
  n = epoll_wait (reader->epfd, events, G_N_ELEMENTS (events), 0);
  for (int i = 0; i < n; i++)
    read_socket (events[i].data.ptr);
  g_mutex_unlock (&reader->lock);
  return G_SOURCE_CONTINUE;
}

static gpointer
reader_thread (gpointer data)
{
  SocketReader *reader = data;
  g_autoptr(GMainLoop) loop = g_main_loop_new (reader->context, FALSE);

  g_main_context_push_thread_default (reader->context);
  g_main_loop_run (loop);  /* for the life of the process */
  return NULL;
}

static SocketReader *
get_reader (void)
{
  static SocketReader *reader;

  if (g_once_init_enter (&reader))
    {
      SocketReader *r = g_new0 (SocketReader, 1);
      g_autoptr(GSource) source = NULL;

      r->epfd = epoll_create1 (EPOLL_CLOEXEC);
      g_mutex_init (&r->lock);
      r->context = g_main_context_new ();
      source = g_unix_fd_source_new (r->epfd, G_IO_IN);
      g_source_set_callback (source, G_SOURCE_FUNC (on_reader_readable), r, NULL);
      g_source_attach (source, r->context);
      g_thread_unref (g_thread_new ("sips-rtp-reader", reader_thread, r));
      g_once_init_leave (&reader, r);
    }
  return reader;
}

static void
reader_add (SipsSocketSrc *self)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = self };

  if (epoll_ctl (get_reader ()->epfd, EPOLL_CTL_ADD, g_socket_get_fd (self->socket), &event) < 0)
    g_warning ("socket source: epoll_ctl: %s", g_strerror (errno));
  self->reading = TRUE;
}

static void
reader_remove (SipsSocketSrc *self)
{
  SocketReader *reader = get_reader ();

  if (!self->reading)
    return;
  self->reading = FALSE;
  epoll_ctl (reader->epfd, EPOLL_CTL_DEL, g_socket_get_fd (self->socket), NULL);
  /* the reader may be handling this socket's last event right now: wait for it */
  g_mutex_lock (&reader->lock);
  g_mutex_unlock (&reader->lock);
}

static NiceAttachRecvFunc
nice_attach_recv (void)
{
  static gsize found;
  static NiceAttachRecvFunc attach;

  if (g_once_init_enter (&found))
    {
      void *nice = dlopen (LIBNICE_SONAME, RTLD_LAZY | RTLD_NOLOAD);

      attach = nice != NULL ? (NiceAttachRecvFunc) dlsym (nice, "nice_agent_attach_recv") : NULL;
      if (attach == NULL)
        g_debug ("socket source: no %s loaded: nicesrc reads ICE", LIBNICE_SONAME);
      g_once_init_leave (&found, 1);
    }
  return attach;
}

static void
on_ice_data (GObject *agent, guint stream_id, guint component_id, guint len, gchar *buf,
             gpointer user_data)
{
  push_datagram (user_data, (const guint8 *) buf, len, NULL);
}

/* libnice reads the sockets (STUN: checks, consent) only while a receiver is attached */
static void
on_ice_discard (GObject *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                gpointer user_data)
{
}

static void
start_reading (SipsSocketSrc *self)
{
  if (self->agent != NULL)
    nice_attach_recv () (self->agent, self->stream_id, self->component_id, self->context,
                         on_ice_data, self);
  else if (!self->reading)
    reader_add (self);
}

static void
stop_reading (SipsSocketSrc *self)
{
  if (self->agent != NULL)
    nice_attach_recv () (self->agent, self->stream_id, self->component_id, self->context,
                         on_ice_discard, NULL);
  else
    reader_remove (self);
}

static void
on_playing (GstElement *element)
{
  start_reading (SIPS_SOCKET_SRC (element));
}

static void
on_stopping (GstElement *element)
{
  stop_reading (SIPS_SOCKET_SRC (element));
}

static GstStateChangeReturn
sips_socket_src_change_state (GstElement *element, GstStateChange transition)
{
  return sips_live_src_change_state (element, transition, GST_ELEMENT_CLASS (sips_socket_src_parent_class),
                                     &SIPS_SOCKET_SRC (element)->started, on_playing, on_stopping);
}

static gboolean
on_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  return sips_live_src_query (pad, parent, query, SIPS_SOCKET_SRC (parent)->caps);
}

static void
sips_socket_src_dispose (GObject *object)
{
  SipsSocketSrc *self = SIPS_SOCKET_SRC (object);

  stop_reading (self);
  g_clear_object (&self->last_address);
  G_OBJECT_CLASS (sips_socket_src_parent_class)->dispose (object);
}

static void
sips_socket_src_finalize (GObject *object)
{
  SipsSocketSrc *self = SIPS_SOCKET_SRC (object);

  g_clear_object (&self->socket);
  g_clear_object (&self->agent);
  g_clear_pointer (&self->caps, gst_caps_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (sips_socket_src_parent_class)->finalize (object);
}

static void
sips_socket_src_class_init (SipsSocketSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->dispose = sips_socket_src_dispose;
  object_class->finalize = sips_socket_src_finalize;
  element_class->change_state = sips_socket_src_change_state;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Socket source", "Source/Network",
                                         "Datagrams of a UDP socket, read on a main context",
                                         "sipsimpled");
}

static void
sips_socket_src_init (SipsSocketSrc *self)
{
  self->srcpad = sips_live_src_add_pad (GST_ELEMENT (self), &src_template, on_src_query);
}

GstElement *
sips_socket_src_new (GSocket *socket, GstCaps *caps, GMainContext *context)
{
  SipsSocketSrc *self;

  g_return_val_if_fail (G_IS_SOCKET (socket) && context != NULL, NULL);
  self = g_object_new (SIPS_TYPE_SOCKET_SRC, NULL);
  self->socket = g_object_ref (socket);
  self->caps = caps != NULL ? gst_caps_ref (caps) : NULL;
  self->context = g_main_context_ref (context);
  return GST_ELEMENT (self);
}

GstElement *
sips_socket_src_new_ice (GObject *agent, guint stream_id, guint component_id, GstCaps *caps,
                         GMainContext *context)
{
  SipsSocketSrc *self;

  g_return_val_if_fail (G_IS_OBJECT (agent) && context != NULL, NULL);
  if (nice_attach_recv () == NULL)
    return NULL;
  self = g_object_new (SIPS_TYPE_SOCKET_SRC, NULL);
  self->agent = g_object_ref (agent);
  self->stream_id = stream_id;
  self->component_id = component_id;
  self->caps = caps != NULL ? gst_caps_ref (caps) : NULL;
  self->context = g_main_context_ref (context);
  return GST_ELEMENT (self);
}
