/* test-deadlines.c: one-shot timers sharing one GSource per main context: order, cancel,
 * a callback that adds and cancels, one source for many deadlines and none once done */
#include <glib-object.h>

#include "media/sips-deadlines.h"

typedef struct {
  GMainContext *context;
  GString      *fired;
  SipsDeadline *other;   /* what a callback cancels */
  guint         count;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->fired = g_string_new (NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
  g_string_free (f->fired, TRUE);
}

typedef struct {
  Fixture *f;
  char     name;
} Mark;

static void
on_mark (gpointer data)
{
  Mark *mark = data;

  g_string_append_c (mark->f->fired, mark->name);
  mark->f->count++;
  g_assert_true (g_main_context_is_owner (mark->f->context));
}

/* Iterates the context until count deadlines fired or timeout_ms passed */
static gboolean
wait_count (Fixture *f, guint count, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (f->count < count && g_get_monotonic_time () < end)
    {
      g_autoptr(GSource) timeout = g_timeout_source_new (50);  /* bounds each wait */

      g_source_set_dummy_callback (timeout);
      g_source_attach (timeout, f->context);
      g_main_context_iteration (f->context, TRUE);
      g_source_destroy (timeout);
    }
  return f->count >= count;
}

static void
test_order (Fixture *f, gconstpointer data)
{
  Mark a = { f, 'a' }, b = { f, 'b' }, c = { f, 'c' };
  gint64 start = g_get_monotonic_time ();

  sips_deadline_add (NULL, 60, on_mark, &c);
  sips_deadline_add (NULL, 20, on_mark, &a);
  sips_deadline_add (NULL, 40, on_mark, &b);
  g_assert_true (wait_count (f, 3, 2000));
  g_assert_cmpstr (f->fired->str, ==, "abc");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 60000);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  Mark a = { f, 'a' }, b = { f, 'b' }, c = { f, 'c' };
  SipsDeadline *first = sips_deadline_add (NULL, 20, on_mark, &a);
  SipsDeadline *last;

  sips_deadline_add (NULL, 40, on_mark, &b);
  last = sips_deadline_add (NULL, 60, on_mark, &c);
  sips_deadline_cancel (first);  /* the head: the next one is armed */
  sips_deadline_cancel (last);
  sips_deadline_cancel (NULL);
  g_assert_true (wait_count (f, 1, 2000));
  g_assert_false (wait_count (f, 2, 150));
  g_assert_cmpstr (f->fired->str, ==, "b");
}

typedef struct {
  Mark  mark;
  Mark *added;
} Busy;

/* fires, cancels f->other, adds `added` 10 ms on */
static void
on_busy (gpointer data)
{
  Busy *busy = data;

  on_mark (&busy->mark);
  sips_deadline_cancel (g_steal_pointer (&busy->mark.f->other));
  sips_deadline_add (NULL, 10, on_mark, busy->added);
}

static void
test_callback_adds_and_cancels (Fixture *f, gconstpointer data)
{
  Mark b = { f, 'b' }, c = { f, 'c' };
  Busy a = { { f, 'a' }, &c };

  sips_deadline_add (NULL, 20, on_busy, &a);
  f->other = sips_deadline_add (NULL, 20, on_mark, &b);  /* due with a: cancelled by it */
  g_assert_true (wait_count (f, 2, 2000));
  g_assert_false (wait_count (f, 3, 100));
  g_assert_cmpstr (f->fired->str, ==, "ac");
}

/* sources of f->context whose ids are between two markers' */
static guint
sources_between (Fixture *f, guint first_id, guint last_id, guint *found_id)
{
  guint n = 0;

  for (guint id = first_id + 1; id < last_id; id++)
    if (g_main_context_find_source_by_id (f->context, id) != NULL)
      {
        n++;
        *found_id = id;
      }
  return n;
}

static guint
marker (Fixture *f)
{
  g_autoptr(GSource) source = g_idle_source_new ();
  guint id;

  g_source_set_dummy_callback (source);
  id = g_source_attach (source, f->context);
  g_source_destroy (source);
  return id;
}

static void
test_one_source (Fixture *f, gconstpointer data)
{
  Mark marks[100];
  guint first = marker (f), last, id = 0;

  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    {
      marks[i] = (Mark) { f, 'x' };
      sips_deadline_add (NULL, 20 + i % 7, on_mark, &marks[i]);
    }
  last = marker (f);
  g_assert_cmpuint (sources_between (f, first, last, &id), ==, 1);
  g_assert_true (wait_count (f, G_N_ELEMENTS (marks), 5000));
  /* all fired: nothing stays attached to wake the context */
  g_assert_null (g_main_context_find_source_by_id (f->context, id));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/deadlines/order", test_order);
  ADD ("/deadlines/cancel", test_cancel);
  ADD ("/deadlines/callback-adds-and-cancels", test_callback_adds_and_cancels);
  ADD ("/deadlines/one-source", test_one_source);
#undef ADD
  return g_test_run ();
}
