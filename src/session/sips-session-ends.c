/* sips-session-ends.c: what makes sessions end when nobody ends them, and what keeps
 * calls out that the daemon cannot take
 *
 *   AnswerTimeout   an incoming session still INCOMING that many seconds after its
 *                   INVITE is answered 480: WillEnd, -> TERMINATING, then (nua done)
 *                   DidFail("local", 480, reason) and DidEnd("local"); one ACCEPTING
 *                   then (our 200 sent, its ACK not come; at least SIPS_ACK_GRACE_S
 *                   after Accept) ends at once with DidFail("local", 408, "No ACK
 *                   received") and DidEnd("local"), rather than after RFC 3261's
 *                   64*T1 (32 s): the handle goes, sofia drops the dialog
 *   overload        a new INVITE is answered 503 with Retry-After, and no session is
 *                   made, while SIPS_MAX_UNANSWERED sessions wait for the application
 *                   (its clients are too slow) or every RTP port pair may be in use
 *
 * The other ends (no RTP, no ACK, unanswered re-INVITE or BYE) are in the parts that
 * see them: sips-session-media.c, sips-session-sip.c, sips-session-reinvite.c. */
#include "sips-session-sip-private.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>
#include <glib/gi18n.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_header.h>

static gboolean
on_answer_timeout (gpointer user_data)
{
  SipsSessionSip *self = user_data;
  g_autoptr(SipsSession) hold = g_object_ref (self->session);
  SipsSessionState state = sips_session_get_state (self->session);

  self->answer_timeout_id = 0;
  if (state == SIPS_SESSION_STATE_ACCEPTING && !self->awaiting_relay && self->nh != NULL &&
      self->fail_reason == NULL)
    {
      gint64 waited = g_get_monotonic_time () - self->accepted_at;

      /* an Accept just before the timeout still gets its ACK's round trip */
      if (waited < SIPS_ACK_GRACE_S * G_USEC_PER_SEC)
        {
          self->answer_timeout_id =
            g_timeout_add ((guint) ((SIPS_ACK_GRACE_S * G_USEC_PER_SEC - waited) / 1000) + 1,
                           on_answer_timeout, self);
          return G_SOURCE_REMOVE;
        }
      sips_log_message (sips_session_get_log_context (self->session),
                        "Session %p: no ACK for our 200", (void *) self->session);
      sips_session_sip_finish (self, "local", 408, _("No ACK received"), "local");
      return G_SOURCE_REMOVE;
    }
  if (state != SIPS_SESSION_STATE_INCOMING || self->nh == NULL || self->fail_reason != NULL)
    return G_SOURCE_REMOVE;
  sips_log_message (sips_session_get_log_context (self->session),
                    "Session %p: not answered within %u s", (void *) self->session, self->answer_timeout);
  self->fail_code = 480;
  self->fail_reason = g_strdup_printf (_("Not answered within %u s"), self->answer_timeout);
  /* DidFail/DidEnd when nua reports the transaction over (as for Reject) */
  sips_session_sip_begin_local_end (self);
  nua_respond (self->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END ());
  return G_SOURCE_REMOVE;
}

void
sips_session_sip_start_answer_timer (SipsSessionSip *self)
{
  if (self->answer_timeout == 0 || self->answer_timeout_id != 0)
    return;
  self->answer_timeout_id = g_timeout_add_seconds (self->answer_timeout, on_answer_timeout, self);
}

void
sips_session_sip_stop_timers (SipsSessionSip *self)
{
  g_clear_handle_id (&self->answer_timeout_id, g_source_remove);
}

/* The descriptors are nearly all open: a call holds its RTP and RTCP sockets (and a
 * recording its file) until its media is torn down (on GStreamer's pool threads, after
 * the session is gone), and GLib aborts when it cannot make a wakeup pipe. The
 * kernel hands out the lowest free number: that of a probe is how many are open (a
 * hole in the table only makes it say fewer). */
static gboolean
fds_running_out (void)
{
  static gsize limit;
  int probe;

  if (g_once_init_enter (&limit))
    {
      struct rlimit rl = { 0 };
      rlim_t n = getrlimit (RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;

      g_once_init_leave (&limit, n == RLIM_INFINITY || n > G_MAXINT ? G_MAXINT : MAX (n, 1));
    }
  probe = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (probe < 0)
    return TRUE;
  close (probe);
  /* a quarter kept: calls already taken open theirs later (media start), up to seconds
   * later when the main loop is behind */
  return (gsize) probe + MAX (SIPS_FDS_RESERVED, limit / 4) >= limit;
}

gboolean
sips_session_sip_refuse_overload (gpointer nh, guint n_unanswered, guint n_active,
                                  SipsConfigSection *settings)
{
  guint min = sips_config_section_get_uint (settings, "RtpPortMin");
  guint max = sips_config_section_get_uint (settings, "RtpPortMax");
  guint first = (min + 1) & ~1u;
  guint n_pairs = max >= first + 1 ? (max - first + 1) / 2 : 0;
  sip_retry_after_t retry_after = { { { 0 } } };
  const char *why;

  if (n_unanswered >= SIPS_MAX_UNANSWERED)
    why = "too many calls wait for an answer";
  else if (n_active >= n_pairs)
    why = "every RTP port pair may be in use";
  else if (fds_running_out ())
    why = "the file descriptors may run out";
  else
    return FALSE;
  g_message ("Incoming call refused (503): %s (%u unanswered, %u active)", why, n_unanswered,
             n_active);
  sip_retry_after_init (&retry_after);
  retry_after.af_delta = SIPS_OVERLOAD_RETRY_AFTER;
  nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER (&retry_after), TAG_END ());
  nua_handle_destroy (nh);
  return TRUE;
}
