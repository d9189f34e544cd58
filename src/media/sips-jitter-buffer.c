/* sips-jitter-buffer.c: an RTP jitter buffer without a thread per instance.
 *
 * rtpjitterbuffer has two threads per instance (its src pad's task and its timer thread),
 * two per call. Here packets are queued by whatever thread pushes them (the process's
 * socket reader, through srtpdec), ordered by extended sequence number, and ONE thread
 * for the whole process (`sips-playout`) sleeps until the earliest due time over all
 * instances and pushes the due packets on their instance's src pad.
 *
 * Timing, as rtpjitterbuffer's: a packet's PTS is the arrival running time of the
 * stream's first packet + its RTP time since that packet; it is pushed once the running
 * time reaches PTS + latency, and the LATENCY query adds latency, so a syncing sink
 * downstream finds it due on arrival. The origin follows the sender: re-synced on a new
 * SSRC, a sequence jump (once the next packet follows it: a stray one is dropped) or a
 * timestamp jump (> 1 s off the arrival time), and shifted by the least arrival delay of
 * each 2-s window when that drifts past latency/4 (clock drift; a late first packet).
 *
 * Serialized events keep their place after the packets queued before them; EOS too: what
 * is queued still plays at its time, then EOS (nothing is accepted after it). */
#include "media/sips-jitter-buffer.h"

#include <gst/rtp/gstrtpbuffer.h>

GST_DEBUG_CATEGORY_STATIC (sips_jitter_buffer_debug);
#define GST_CAT_DEFAULT sips_jitter_buffer_debug

#define DEFAULT_LATENCY_MS 100
#define MAX_PACKETS        512                 /* queued at most: 10 s of 20-ms packets */
#define MAX_DROPOUT        3000                /* a longer jump forward: a new stream, once */
#define MAX_MISORDER       100                 /* (or back) its next packet follows */
#define MAX_SKEW           GST_SECOND          /* RTP time this far off arrival: re-sync */
#define SKEW_WINDOW        (2 * GST_SECOND)
#define MIN_SHIFT          (5 * GST_MSECOND)
#define MAX_LOST_EVENTS    50                  /* a longer gap is one lost event */
#define NO_SEQ             G_MAXUINT64

enum { PROP_0, PROP_LATENCY, PROP_DO_LOST, PROP_STATS, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIGNAL_REQUEST_PT_MAP, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  guint64        ext_seq;   /* an event: the packet's it follows */
  gint64         pts;       /* running time (packets) */
  GstMiniObject *object;    /* GstBuffer or GstEvent */
  gboolean       discont;   /* a re-sync starts here */
} Item;

struct _SipsJitterBuffer
{
  GstElement     parent_instance;

  GstPad        *sinkpad;
  GstPad        *srcpad;

  GMutex         lock;           /* everything below but the playout's part */
  GQueue         queue;          /* of Item, by ext_seq */
  guint          n_packets;
  GstSegment     segment;        /* the input's */
  GstClock      *clock;          /* while PLAYING */
  GstClockTime   base_time;
  GstClockTime   latency;
  gboolean       do_lost;
  gboolean       flushing;
  gboolean       eos;
  /* the caps' clock-rate and payload type (-1: any), the current one's */
  gint           caps_clock_rate;
  gint           caps_pt;
  gint           clock_rate;
  gint           last_pt;
  /* the sender: its numbering and timing */
  gboolean       have_sender;    /* the timing's origin is set */
  gboolean       numbered;       /* seq_ref is set */
  guint32        ssrc;
  guint64        seq_ref;        /* the highest extended sequence number so far, */
  guint16        seq_ref_rtp;    /* as the sender numbered it */
  gint           bad_seq;        /* after a jump: the packet that confirms it, or -1 */
  guint64        ts_ref;         /* the highest extended RTP timestamp so far */
  gint64         base_rt;        /* the running time of base_ts */
  guint64        base_ts;
  gint64         window_start;   /* -1: none */
  gint64         window_min;     /* least arrival - PTS in the window */
  guint64        next_out;       /* the next sequence number to push, NO_SEQ: none yet */
  gint64         last_out_pts;
  struct {
    guint64 pushed, lost, late, duplicates, overflow, resyncs;
  } stats;

  /* the playout thread's, under its lock */
  GSequenceIter *due_iter;       /* in Playout.due while something is due */
  gint64         due_mono;       /* monotonic us */
  gboolean       registered;     /* PLAYING: may be armed */
  gboolean       serving;        /* the playout thread is pushing its packets */
};

G_DEFINE_FINAL_TYPE (SipsJitterBuffer, sips_jitter_buffer, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

/* ---- the playout thread: one for the process ----
 * Lock order: the src pad's stream lock, then an instance's lock, then the playout's. */

typedef struct {
  GMutex     lock;
  GCond      cond;   /* the earliest due time changed */
  GCond      idle;   /* an instance's serving ended */
  GSequence *due;    /* of SipsJitterBuffer, earliest due_mono first */
} Playout;

static Playout *playout_instance;

static void serve (SipsJitterBuffer *self);

static gint
compare_due (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const SipsJitterBuffer *x = a, *y = b;

  if (x->due_mono != y->due_mono)
    return x->due_mono < y->due_mono ? -1 : 1;
  return x < y ? -1 : (x > y ? 1 : 0);
}

static gpointer
playout_thread (gpointer data)
{
  Playout *p = data;

  g_mutex_lock (&p->lock);
  for (;;)  /* for the life of the process */
    {
      GSequenceIter *first = g_sequence_get_begin_iter (p->due);
      SipsJitterBuffer *self;

      if (g_sequence_iter_is_end (first))
        {
          g_cond_wait (&p->cond, &p->lock);
          continue;
        }
      self = g_sequence_get (first);
      if (self->due_mono > g_get_monotonic_time ())
        {
          g_cond_wait_until (&p->cond, &p->lock, self->due_mono);
          continue;
        }
      g_sequence_remove (first);
      self->due_iter = NULL;
      /* unregistering waits for this: self stays alive while served */
      self->serving = TRUE;
      g_mutex_unlock (&p->lock);
      serve (self);
      g_mutex_lock (&p->lock);
    }
  return NULL;
}

static Playout *
get_playout (void)
{
  if (g_once_init_enter (&playout_instance))
    {
      Playout *p = g_new0 (Playout, 1);

      g_mutex_init (&p->lock);
      g_cond_init (&p->cond);
      g_cond_init (&p->idle);
      p->due = g_sequence_new (NULL);
      g_thread_unref (g_thread_new ("sips-playout", playout_thread, p));
      g_once_init_leave (&playout_instance, p);
    }
  return playout_instance;
}

/* self->lock held: when the head of the queue is due, in monotonic time */
static gint64
head_due_mono (SipsJitterBuffer *self)
{
  Item *head = g_queue_peek_head (&self->queue);
  GstClockTime due, now;

  if (head == NULL || self->clock == NULL || self->flushing)
    return G_MAXINT64;
  if (!GST_IS_BUFFER (head->object))
    return g_get_monotonic_time ();
  due = self->base_time + (GstClockTime) head->pts + self->latency;
  now = gst_clock_get_time (self->clock);
  /* the pipeline's clock may be an audio device's: only the distance is taken, and the
   * clock is checked again on waking */
  return g_get_monotonic_time () + (due > now ? (gint64) ((due - now + 999) / 1000) : 0);
}

/* self->lock held: (re)schedules self for its head; serving ends here if it was on */
static void
arm (SipsJitterBuffer *self, gboolean end_serving)
{
  Playout *p = g_atomic_pointer_get (&playout_instance);
  gint64 due;

  if (p == NULL)  /* nothing registered yet */
    return;
  due = head_due_mono (self);
  g_mutex_lock (&p->lock);
  if (end_serving)
    {
      self->serving = FALSE;
      g_cond_broadcast (&p->idle);
    }
  /* while served, serve() arms it once done, seeing the queue as it is then */
  if (!self->serving && (self->due_iter == NULL || self->due_mono != due))
    {
      if (self->due_iter != NULL)
        g_sequence_remove (self->due_iter);
      self->due_iter = NULL;
      self->due_mono = due;
      if (self->registered && due != G_MAXINT64)
        {
          self->due_iter = g_sequence_insert_sorted (p->due, self, compare_due, NULL);
          if (g_sequence_iter_is_begin (self->due_iter))
            g_cond_signal (&p->cond);
        }
    }
  g_mutex_unlock (&p->lock);
}

/* Not armed any more; with wait, also returns only once a push in progress is over. */
static void
unregister (SipsJitterBuffer *self, gboolean wait)
{
  Playout *p = g_atomic_pointer_get (&playout_instance);

  if (p == NULL)
    return;
  g_mutex_lock (&p->lock);
  self->registered = FALSE;
  if (self->due_iter != NULL)
    g_sequence_remove (self->due_iter);
  self->due_iter = NULL;
  while (wait && self->serving)
    g_cond_wait (&p->idle, &p->lock);
  g_mutex_unlock (&p->lock);
}

/* ---- the queue ---- */

static void
item_free (gpointer data)
{
  Item *item = data;

  gst_mini_object_unref (item->object);
  g_free (item);
}

static void
clear_queue (SipsJitterBuffer *self)
{
  g_queue_clear_full (&self->queue, item_free);
  self->n_packets = 0;
}

static void
reset_stream (SipsJitterBuffer *self)
{
  clear_queue (self);
  self->have_sender = FALSE;
  self->numbered = FALSE;
  self->next_out = NO_SEQ;
  self->last_out_pts = -1;
  self->last_pt = -1;
  self->clock_rate = -1;
  self->eos = FALSE;
}

static GstClockTime
to_position (SipsJitterBuffer *self, gint64 running_time)
{
  guint64 position;

  if (self->segment.format != GST_FORMAT_TIME)
    return running_time;
  if (gst_segment_position_from_running_time_full (&self->segment, GST_FORMAT_TIME,
                                                   running_time, &position) <= 0)
    return 0;
  return position;
}

static GstEvent *
lost_event (SipsJitterBuffer *self, guint64 seq, gint64 pts, gint64 duration)
{
  GstStructure *s = gst_structure_new ("GstRTPPacketLost",
                                       "seqnum", G_TYPE_UINT, (guint) (seq & 0xffff),
                                       "timestamp", G_TYPE_UINT64, to_position (self, pts),
                                       "duration", G_TYPE_UINT64, (guint64) MAX (duration, 0),
                                       "retry", G_TYPE_UINT, 0,
                                       "might-have-been-fec", G_TYPE_BOOLEAN, FALSE, NULL);

  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

/* lock held: the lost events for the packets from next_out up to the one of pts */
static void
add_lost (SipsJitterBuffer *self, guint64 ext_seq, gint64 pts, GQueue *out)
{
  guint64 missing = ext_seq - self->next_out;
  gint64 step;

  self->stats.lost += missing;
  if (!self->do_lost || self->last_out_pts < 0 || pts <= self->last_out_pts)
    return;
  step = (pts - self->last_out_pts) / (gint64) (missing + 1);
  if (missing > MAX_LOST_EVENTS)
    {
      g_queue_push_tail (out, lost_event (self, self->next_out, self->last_out_pts + step,
                                          step * (gint64) missing));
      return;
    }
  for (guint64 i = 0; i < missing; i++)
    g_queue_push_tail (out, lost_event (self, self->next_out + i,
                                        self->last_out_pts + step * (gint64) (i + 1), step));
}

/* lock held: moves what is due at running time now to out */
static void
pop_due (SipsJitterBuffer *self, gint64 now, GQueue *out)
{
  Item *item;

  while ((item = g_queue_peek_head (&self->queue)) != NULL)
    {
      if (GST_IS_BUFFER (item->object))
        {
          GstBuffer *buffer;
          gboolean discont = item->discont || self->next_out == NO_SEQ;

          if (now < item->pts + (gint64) self->latency)
            break;
          if (self->next_out != NO_SEQ && item->ext_seq > self->next_out)
            {
              add_lost (self, item->ext_seq, item->pts, out);
              discont = TRUE;
            }
          self->next_out = item->ext_seq + 1;
          self->last_out_pts = item->pts;
          self->n_packets--;
          self->stats.pushed++;
          buffer = gst_buffer_make_writable (GST_BUFFER (item->object));
          GST_BUFFER_PTS (buffer) = to_position (self, item->pts);
          GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
          if (discont)
            GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
          else
            GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_DISCONT);
          item->object = GST_MINI_OBJECT_CAST (buffer);
        }
      g_queue_push_tail (out, item->object);
      g_free (g_queue_pop_head (&self->queue));
    }
}

/* The playout thread, self->serving: pushes what is due, then arms self again. */
static void
serve (SipsJitterBuffer *self)
{
  GQueue out = G_QUEUE_INIT;
  GstMiniObject *object;

  /* pad deactivation waits for the pushes; events pushed from upstream keep their order */
  GST_PAD_STREAM_LOCK (self->srcpad);
  g_mutex_lock (&self->lock);
  if (self->clock != NULL && !self->flushing)
    {
      GstClockTime now = gst_clock_get_time (self->clock);

      pop_due (self, now > self->base_time ? (gint64) (now - self->base_time) : 0, &out);
    }
  g_mutex_unlock (&self->lock);
  while ((object = g_queue_pop_head (&out)) != NULL)
    {
      if (GST_IS_BUFFER (object))
        {
          GstFlowReturn ret = gst_pad_push (self->srcpad, GST_BUFFER (object));

          if (ret != GST_FLOW_OK)
            GST_DEBUG_OBJECT (self, "push: %s", gst_flow_get_name (ret));
        }
      else
        gst_pad_push_event (self->srcpad, GST_EVENT (object));
    }
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  g_mutex_lock (&self->lock);
  arm (self, TRUE);
  g_mutex_unlock (&self->lock);
}

/* ---- input ---- */

static void
parse_caps (SipsJitterBuffer *self, GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gint rate = -1, pt = -1;

  if (s == NULL || !gst_structure_get_int (s, "clock-rate", &rate) || rate <= 0)
    rate = -1;
  if (s == NULL || !gst_structure_get_int (s, "payload", &pt))
    pt = -1;
  self->caps_clock_rate = rate;
  self->caps_pt = pt;
  self->last_pt = -1;  /* the next packet looks again */
}

static gint
request_clock_rate (SipsJitterBuffer *self, guint pt)
{
  g_autoptr(GstCaps) caps = NULL;
  GstStructure *s;
  gint rate = -1;

  g_signal_emit (self, signals[SIGNAL_REQUEST_PT_MAP], 0, pt, &caps);
  if (caps != NULL && (s = gst_caps_get_structure (caps, 0)) != NULL)
    gst_structure_get_int (s, "clock-rate", &rate);
  return rate;
}

/* lock held: a new origin of numbering (after all that is queued) and timing at this packet */
static guint64
restart (SipsJitterBuffer *self, guint16 seq, guint32 ts, guint32 ssrc, gint64 arrival)
{
  guint64 ext_seq = (1 << 16) + seq;

  self->bad_seq = -1;
  if (self->numbered)
    {
      ext_seq = self->seq_ref + 1;
      if (self->next_out != NO_SEQ && ext_seq < self->next_out)
        ext_seq = self->next_out;
      self->stats.resyncs++;
    }
  GST_DEBUG_OBJECT (self, "new origin: ssrc %08x seq %u ts %u", ssrc, seq, ts);
  self->have_sender = self->numbered = TRUE;
  self->ssrc = ssrc;
  self->seq_ref = ext_seq;
  self->seq_ref_rtp = seq;
  self->ts_ref = self->base_ts = (G_GUINT64_CONSTANT (1) << 32) + ts;
  self->base_rt = arrival;
  self->window_start = -1;
  return ext_seq;
}

static gint64
rtp_time (SipsJitterBuffer *self, guint64 ext_ts)
{
  if (ext_ts >= self->base_ts)
    return self->base_rt + (gint64) gst_util_uint64_scale_int (ext_ts - self->base_ts, GST_SECOND,
                                                                self->clock_rate);
  return self->base_rt - (gint64) gst_util_uint64_scale_int (self->base_ts - ext_ts, GST_SECOND,
                                                              self->clock_rate);
}

/* lock held: the least arrival delay of each window moves the origin when it drifts */
static void
follow_sender (SipsJitterBuffer *self, gint64 arrival, gint64 delay)
{
  if (self->window_start < 0)
    {
      self->window_start = arrival;
      self->window_min = delay;
      return;
    }
  self->window_min = MIN (self->window_min, delay);
  if (arrival - self->window_start < (gint64) SKEW_WINDOW)
    return;
  if (ABS (self->window_min) > MAX ((gint64) self->latency / 4, (gint64) MIN_SHIFT))
    {
      GST_DEBUG_OBJECT (self, "origin shifted by %" G_GINT64_FORMAT " us", self->window_min / 1000);
      self->base_rt += self->window_min;
      self->stats.resyncs++;
    }
  self->window_start = -1;
}

static GstFlowReturn
on_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (parent);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime arrival_pts = GST_BUFFER_PTS_IS_VALID (buffer) ? GST_BUFFER_PTS (buffer) : GST_BUFFER_DTS (buffer);
  gint64 arrival, pts, diff;
  guint64 ext_seq, ext_ts;
  guint16 seq;
  guint32 ts, ssrc;
  guint8 pt;
  gboolean discont = FALSE;
  Item *item;
  GList *l;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    {
      GST_DEBUG_OBJECT (self, "not an RTP packet: dropped");
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
  seq = gst_rtp_buffer_get_seq (&rtp);
  ts = gst_rtp_buffer_get_timestamp (&rtp);
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  g_mutex_lock (&self->lock);
  if (self->flushing || self->eos)
    {
      ret = self->flushing ? GST_FLOW_FLUSHING : GST_FLOW_EOS;
      goto drop;
    }
  if (pt != self->last_pt)
    {
      gint rate = self->caps_pt < 0 || self->caps_pt == pt ? self->caps_clock_rate : -1;

      if (rate <= 0)
        {
          g_mutex_unlock (&self->lock);
          rate = request_clock_rate (self, pt);
          g_mutex_lock (&self->lock);
          if (self->flushing)
            {
              ret = GST_FLOW_FLUSHING;
              goto drop;
            }
        }
      if (rate <= 0)
        {
          GST_WARNING_OBJECT (self, "no clock-rate for payload type %u: dropped", pt);
          goto drop;
        }
      if (self->clock_rate > 0 && rate != self->clock_rate)
        self->have_sender = FALSE;  /* another timeline */
      self->clock_rate = rate;
      self->last_pt = pt;
    }
  if (GST_CLOCK_TIME_IS_VALID (arrival_pts))
    arrival = (gint64) (self->segment.format == GST_FORMAT_TIME
                        ? gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, arrival_pts)
                        : arrival_pts);
  else if (self->clock != NULL)
    arrival = (gint64) (gst_clock_get_time (self->clock) - self->base_time);
  else
    arrival = -1;
  if (arrival < 0)
    {
      GST_DEBUG_OBJECT (self, "no arrival time: dropped");
      goto drop;
    }

  /* numbering: extended over wraps, a jump or a new SSRC restarts it after the queue */
  if (!self->have_sender || ssrc != self->ssrc)
    {
      ext_seq = restart (self, seq, ts, ssrc, arrival);
      discont = TRUE;
    }
  else
    {
      diff = (gint16) (seq - self->seq_ref_rtp);
      if ((diff > MAX_DROPOUT || diff < -MAX_MISORDER) && seq != self->bad_seq)
        {
          /* a stray packet, unless its successor follows (RFC 3550 A.1) */
          GST_DEBUG_OBJECT (self, "seq %u far off: dropped", seq);
          self->bad_seq = (guint16) (seq + 1);
          self->stats.late++;
          goto drop;
        }
      if (diff > MAX_DROPOUT || diff < -MAX_MISORDER)
        {
          ext_seq = restart (self, seq, ts, ssrc, arrival);
          discont = TRUE;
        }
      else
        {
          ext_seq = self->seq_ref + diff;
          if (diff > 0)
            {
              self->seq_ref = ext_seq;
              self->seq_ref_rtp = seq;
            }
        }
    }

  /* timing: RTP time from the origin; a jump restarts the origin at this packet. Only
   * timestamps that move on (or back by more than a second) say where the sender's clock
   * is: a telephone-event keeps its start's timestamp in every packet, for seconds */
  diff = (gint32) (ts - (guint32) self->ts_ref);
  ext_ts = self->ts_ref + diff;
  if (diff > 0)
    self->ts_ref = ext_ts;
  pts = rtp_time (self, ext_ts);
  if (!discont && (diff > 0 || diff < -(gint64) self->clock_rate))
    {
      if (ABS (arrival - pts) > (gint64) MAX_SKEW)
        {
          GST_DEBUG_OBJECT (self, "timestamp jump: new origin");
          self->ts_ref = self->base_ts = ext_ts;
          self->base_rt = pts = arrival;
          self->window_start = -1;
          self->stats.resyncs++;
          discont = TRUE;
        }
      else if (diff > 0)
        {
          follow_sender (self, arrival, arrival - pts);
          pts = rtp_time (self, ext_ts);
        }
    }

  if (self->next_out != NO_SEQ && ext_seq < self->next_out)
    {
      GST_LOG_OBJECT (self, "seq %u too late: dropped", seq);
      self->stats.late++;
      goto drop;
    }
  /* from the tail: packets mostly come in order */
  for (l = self->queue.tail; l != NULL; l = l->prev)
    {
      Item *other = l->data;

      if (other->ext_seq < ext_seq || (other->ext_seq == ext_seq && GST_IS_BUFFER (other->object)))
        break;
    }
  if (l != NULL && ((Item *) l->data)->ext_seq == ext_seq)
    {
      GST_LOG_OBJECT (self, "seq %u duplicate: dropped", seq);
      self->stats.duplicates++;
      goto drop;
    }
  if (self->n_packets >= MAX_PACKETS)
    {
      GST_DEBUG_OBJECT (self, "queue full: seq %u dropped", seq);
      self->stats.overflow++;
      goto drop;
    }
  item = g_new (Item, 1);
  item->ext_seq = ext_seq;
  item->pts = MAX (pts, 0);
  item->object = GST_MINI_OBJECT_CAST (buffer);
  item->discont = discont;
  if (l != NULL)
    g_queue_insert_after (&self->queue, l, item);
  else
    g_queue_push_head (&self->queue, item);
  self->n_packets++;
  if (self->queue.head->data == item)  /* a new earliest packet */
    arm (self, FALSE);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;

drop:
  g_mutex_unlock (&self->lock);
  gst_buffer_unref (buffer);
  return ret;
}

/* A serialized event: at once when nothing is queued, else after what is. */
static gboolean
forward_serialized (SipsJitterBuffer *self, GstEvent *event)
{
  Item *tail;

  GST_PAD_STREAM_LOCK (self->srcpad);
  g_mutex_lock (&self->lock);
  if (self->flushing)
    {
      g_mutex_unlock (&self->lock);
      GST_PAD_STREAM_UNLOCK (self->srcpad);
      gst_event_unref (event);
      return FALSE;
    }
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    self->eos = TRUE;
  if ((tail = g_queue_peek_tail (&self->queue)) != NULL)
    {
      Item *item = g_new0 (Item, 1);

      item->ext_seq = tail->ext_seq;
      item->object = GST_MINI_OBJECT_CAST (event);
      g_queue_push_tail (&self->queue, item);
      g_mutex_unlock (&self->lock);
      GST_PAD_STREAM_UNLOCK (self->srcpad);
      return TRUE;
    }
  g_mutex_unlock (&self->lock);
  gst_pad_push_event (self->srcpad, event);
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return TRUE;
}

static gboolean
on_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (parent);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      clear_queue (self);
      arm (self, FALSE);  /* nothing due */
      g_mutex_unlock (&self->lock);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      {
        gboolean ok;

        /* after a push in progress, which flush-start made return */
        GST_PAD_STREAM_LOCK (self->srcpad);
        ok = gst_pad_push_event (self->srcpad, event);
        g_mutex_lock (&self->lock);
        self->flushing = FALSE;
        reset_stream (self);
        g_mutex_unlock (&self->lock);
        GST_PAD_STREAM_UNLOCK (self->srcpad);
        return ok;
      }
    case GST_EVENT_CAPS:
      {
        GstCaps *caps;

        gst_event_parse_caps (event, &caps);
        g_mutex_lock (&self->lock);
        parse_caps (self, caps);
        g_mutex_unlock (&self->lock);
        return forward_serialized (self, event);
      }
    case GST_EVENT_SEGMENT:
      {
        const GstSegment *segment;

        gst_event_parse_segment (event, &segment);
        if (segment->format != GST_FORMAT_TIME)
          {
            GST_WARNING_OBJECT (self, "segment not in time: ignored");
            gst_event_unref (event);
            return FALSE;
          }
        g_mutex_lock (&self->lock);
        self->segment = *segment;
        g_mutex_unlock (&self->lock);
        return forward_serialized (self, event);
      }
    default:
      if (GST_EVENT_IS_SERIALIZED (event))
        return forward_serialized (self, event);
      return gst_pad_event_default (pad, parent, event);
    }
}

static gboolean
on_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY)
    {
      GstClockTime min, max, latency;
      gboolean live;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      g_mutex_lock (&self->lock);
      latency = self->latency;
      g_mutex_unlock (&self->lock);
      min += latency;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += latency;
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
  return gst_pad_query_default (pad, parent, query);
}

/* ---- the element ---- */

static GstStateChangeReturn
sips_jitter_buffer_change_state (GstElement *element, GstStateChange transition)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (element);
  GstStateChangeReturn ret;

  switch (transition)
    {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      reset_stream (self);
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      /* not waiting for a push in progress: a paused sink may hold it until PLAYING */
      unregister (self, FALSE);
      g_mutex_lock (&self->lock);
      g_clear_object (&self->clock);
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* before the pads deactivate: nothing is pushed once this returns */
      unregister (self, TRUE);
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_clear_object (&self->clock);
      reset_stream (self);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
    }
  ret = GST_ELEMENT_CLASS (sips_jitter_buffer_parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition)
    {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      {
        Playout *p = get_playout ();

        g_mutex_lock (&self->lock);
        g_clear_object (&self->clock);
        self->clock = gst_element_get_clock (element);
        self->base_time = gst_element_get_base_time (element);
        g_mutex_lock (&p->lock);
        self->registered = TRUE;
        g_mutex_unlock (&p->lock);
        arm (self, FALSE);
        g_mutex_unlock (&self->lock);
        break;
      }
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      return GST_STATE_CHANGE_NO_PREROLL;  /* live: nothing comes out while paused */
    default:
      break;
    }
  return ret;
}

static GstStructure *
make_stats (SipsJitterBuffer *self)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("application/x-sips-jitter-buffer-stats",
                         "pushed", G_TYPE_UINT64, self->stats.pushed,
                         "lost", G_TYPE_UINT64, self->stats.lost,
                         "late", G_TYPE_UINT64, self->stats.late,
                         "duplicates", G_TYPE_UINT64, self->stats.duplicates,
                         "overflow", G_TYPE_UINT64, self->stats.overflow,
                         "resyncs", G_TYPE_UINT64, self->stats.resyncs, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
sips_jitter_buffer_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (object);

  switch (prop_id)
    {
    case PROP_LATENCY:
      g_mutex_lock (&self->lock);
      self->latency = g_value_get_uint (value) * GST_MSECOND;
      arm (self, FALSE);
      g_mutex_unlock (&self->lock);
      gst_element_post_message (GST_ELEMENT (self), gst_message_new_latency (GST_OBJECT (self)));
      break;
    case PROP_DO_LOST:
      g_mutex_lock (&self->lock);
      self->do_lost = g_value_get_boolean (value);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_jitter_buffer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (object);

  switch (prop_id)
    {
    case PROP_LATENCY:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, (guint) (self->latency / GST_MSECOND));
      g_mutex_unlock (&self->lock);
      break;
    case PROP_DO_LOST:
      g_mutex_lock (&self->lock);
      g_value_set_boolean (value, self->do_lost);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, make_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_jitter_buffer_dispose (GObject *object)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (object);

  unregister (self, TRUE);  /* already so, unless never in READY */
  G_OBJECT_CLASS (sips_jitter_buffer_parent_class)->dispose (object);
}

static void
sips_jitter_buffer_finalize (GObject *object)
{
  SipsJitterBuffer *self = SIPS_JITTER_BUFFER (object);

  clear_queue (self);
  g_clear_object (&self->clock);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (sips_jitter_buffer_parent_class)->finalize (object);
}

static void
sips_jitter_buffer_class_init (SipsJitterBufferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = sips_jitter_buffer_set_property;
  object_class->get_property = sips_jitter_buffer_get_property;
  object_class->dispose = sips_jitter_buffer_dispose;
  object_class->finalize = sips_jitter_buffer_finalize;
  element_class->change_state = sips_jitter_buffer_change_state;

  props[PROP_LATENCY] =
    g_param_spec_uint ("latency", "Latency", "How long a packet is held after its arrival time (ms)",
                       0, G_MAXUINT / 2 / 1000, DEFAULT_LATENCY_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_DO_LOST] =
    g_param_spec_boolean ("do-lost", "Do lost", "Send GstRTPPacketLost events for missing packets",
                          TRUE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_STATS] =
    g_param_spec_boxed ("stats", "Statistics", "Packets pushed, lost, late, duplicates, overflow; re-syncs",
                        GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_REQUEST_PT_MAP] =
    g_signal_new ("request-pt-map", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  GST_TYPE_CAPS, 1, G_TYPE_UINT);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "RTP jitter buffer", "Filter/Network/RTP",
                                         "Reorders RTP packets and plays them out at their time, "
                                         "on one thread for the whole process",
                                         "sipsimpled");
  GST_DEBUG_CATEGORY_INIT (sips_jitter_buffer_debug, "sipsjitterbuffer", 0, "RTP jitter buffer");
}

static void
sips_jitter_buffer_init (SipsJitterBuffer *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->queue);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->latency = DEFAULT_LATENCY_MS * GST_MSECOND;
  self->do_lost = TRUE;
  self->flushing = TRUE;
  self->caps_clock_rate = self->caps_pt = -1;
  reset_stream (self);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_chain);
  gst_pad_set_event_function (self->sinkpad, on_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, on_src_query);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

static gpointer
register_once (gpointer data)
{
  gst_element_register (NULL, "sipsjitterbuffer", GST_RANK_NONE, SIPS_TYPE_JITTER_BUFFER);
  return NULL;
}

void
sips_jitter_buffer_register (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_once, NULL);
}
