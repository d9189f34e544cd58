/* sips-deadlines.h: one-shot timers that share one GSource per main context.
 *
 * GLib's main loop walks every attached source at each iteration. A call's audio
 * stream had two timeouts of its own for most of its life (no audio yet, the stop's
 * grace): with hundreds of calls in set-up and teardown that walk was a fifth of the
 * main thread (perf, 300 calls/s). Deadlines of the same length come due in the order
 * they were set, so adding one is O(1) in the usual case. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SipsDeadline SipsDeadline;
typedef void (*SipsDeadlineFunc) (gpointer data);

/* Calls func (data) once, ms from now, on context (the thread-default one when NULL),
 * from that context's thread. The handle is freed before func runs: func must forget
 * it, and only a deadline that has not fired yet may be cancelled. */
SipsDeadline *sips_deadline_add    (GMainContext *context, guint ms, SipsDeadlineFunc func,
                                    gpointer data);
/* Cancels a pending deadline (NULL: nothing), from its context's thread. */
void          sips_deadline_cancel (SipsDeadline *deadline);
/* Cancels *deadline if set, and sets it to NULL */
void          sips_deadline_clear  (SipsDeadline **deadline);

G_END_DECLS
