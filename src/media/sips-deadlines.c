/* sips-deadlines.c: one-shot timers sharing one GSource per main context */
#include "media/sips-deadlines.h"

typedef struct {
  GSource       source;
  GMainContext *context;
  GQueue        due;      /* SipsDeadline, earliest first */
} DeadlineSource;

struct _SipsDeadline {
  GList             link;  /* in due */
  gint64            when;  /* monotonic µs */
  SipsDeadlineFunc  func;
  gpointer          data;
  DeadlineSource   *owner;
};

static GMutex lock;
static GHashTable *sources;  /* GMainContext* -> DeadlineSource*, under lock */

static void
rearm (DeadlineSource *self)
{
  SipsDeadline *first = g_queue_peek_head (&self->due);

  g_source_set_ready_time (&self->source, first != NULL ? first->when : -1);
}

/* the last deadline gone: the source goes too, so that nothing stays attached */
static void
drop_if_empty (DeadlineSource *self)
{
  GMainContext *context = self->context;

  if (!g_queue_is_empty (&self->due))
    return;
  g_mutex_lock (&lock);
  g_hash_table_remove (sources, context);
  g_mutex_unlock (&lock);
  g_source_destroy (&self->source);
  g_source_unref (&self->source);
  g_main_context_unref (context);
}

static gboolean
on_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  DeadlineSource *self = (DeadlineSource *) source;
  gint64 now = g_source_get_time (source);
  SipsDeadline *first;

  g_source_ref (source);  /* a callback may drop the last deadline */
  while ((first = g_queue_peek_head (&self->due)) != NULL && first->when <= now)
    {
      SipsDeadlineFunc func = first->func;
      gpointer data = first->data;

      g_queue_unlink (&self->due, &first->link);
      g_free (first);
      func (data);
    }
  if (!g_source_is_destroyed (source))
    {
      rearm (self);
      drop_if_empty (self);
    }
  g_source_unref (source);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_funcs = { NULL, NULL, on_dispatch, NULL, NULL, NULL };

static DeadlineSource *
source_for (GMainContext *context)
{
  DeadlineSource *self;

  g_mutex_lock (&lock);
  if (sources == NULL)
    sources = g_hash_table_new (NULL, NULL);
  self = g_hash_table_lookup (sources, context);
  if (self == NULL)
    {
      self = (DeadlineSource *) g_source_new (&deadline_funcs, sizeof (DeadlineSource));
      self->context = g_main_context_ref (context);  /* while deadlines are pending */
      g_queue_init (&self->due);
      g_source_set_static_name (&self->source, "sips-deadlines");
      g_source_attach (&self->source, context);
      g_hash_table_insert (sources, context, self);
    }
  g_mutex_unlock (&lock);
  return self;
}

SipsDeadline *
sips_deadline_add (GMainContext *context, guint ms, SipsDeadlineFunc func, gpointer data)
{
  SipsDeadline *deadline = g_new0 (SipsDeadline, 1);
  DeadlineSource *self;
  GList *after;

  if (context == NULL)
    context = g_main_context_ref_thread_default ();
  else
    g_main_context_ref (context);
  self = source_for (context);
  g_main_context_unref (context);
  deadline->when = g_get_monotonic_time () + (gint64) ms * 1000;
  deadline->func = func;
  deadline->data = data;
  deadline->owner = self;
  deadline->link.data = deadline;
  /* from the back: the same length comes due in the order set */
  for (after = self->due.tail; after != NULL && ((SipsDeadline *) after->data)->when > deadline->when;
       after = after->prev)
    ;
  if (after == NULL)
    g_queue_push_head_link (&self->due, &deadline->link);
  else
    g_queue_insert_after_link (&self->due, after, &deadline->link);
  if (self->due.head == &deadline->link)
    rearm (self);
  return deadline;
}

void
sips_deadline_cancel (SipsDeadline *deadline)
{
  DeadlineSource *self;
  gboolean was_first;

  if (deadline == NULL)
    return;
  self = deadline->owner;
  was_first = self->due.head == &deadline->link;
  g_queue_unlink (&self->due, &deadline->link);
  g_free (deadline);
  if (was_first)
    rearm (self);
  drop_if_empty (self);
}

void
sips_deadline_clear (SipsDeadline **deadline)
{
  sips_deadline_cancel (g_steal_pointer (deadline));
}
