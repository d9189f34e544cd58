/* test-session.c: the session state machine, the session manager and the account's
 * registration rules without a SIP agent */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/sips-error.h"
#include "config/sips-config-schema.h"
#include "config/sips-config-store.h"
#include "account/sips-account.h"
#include "session/sips-session.h"
#include "session/sips-session-manager.h"

#define ALL_STATES 9u
#define BIT(s) (1u << (s))

/* ---- fixtures ---- */

typedef struct {
  char              *dir;
  SipsConfigStore   *store;
  SipsConfigSection *config;
  SipsAccount       *account;   /* enabled, not local */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("test-session-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "sipsimpled.conf", NULL);
  f->store = sips_config_store_new (path);
  f->config = sips_config_schema_section_new (f->store, SIPS_GROUP_ACCOUNT_PREFIX "alice@example.com");
  f->account = sips_account_new ("alice@example.com", f->config, FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "sipsimpled.conf", NULL);

  g_clear_object (&f->account);
  g_clear_object (&f->config);
  g_clear_object (&f->store);
  g_remove (path);
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* ---- calling every method with valid arguments ---- */

typedef struct {
  const char *name;
  guint       allowed;  /* states the seed allows it in */
  gboolean  (*call) (SipsSession *s, Fixture *f, GError **error);
} Method;

static gboolean
call_connect (SipsSession *s, Fixture *f, GError **e)
{
  return sips_session_connect (s, "sip:bob@example.com", f->account, "", TRUE, FALSE, e);
}

static gboolean call_accept (SipsSession *s, Fixture *f, GError **e) { return sips_session_accept (s, TRUE, FALSE, e); }
static gboolean call_reject (SipsSession *s, Fixture *f, GError **e) { return sips_session_reject (s, e); }
static gboolean call_hold (SipsSession *s, Fixture *f, GError **e) { return sips_session_hold (s, e); }
static gboolean call_unhold (SipsSession *s, Fixture *f, GError **e) { return sips_session_unhold (s, e); }
static gboolean call_start_rec (SipsSession *s, Fixture *f, GError **e) { return sips_session_start_recording_audio (s, f->dir, "", e); }
static gboolean call_stop_rec (SipsSession *s, Fixture *f, GError **e) { return sips_session_stop_recording_audio (s, e); }
static gboolean call_dtmf (SipsSession *s, Fixture *f, GError **e) { return sips_session_send_dtmf (s, "5", e); }
static gboolean call_add_audio (SipsSession *s, Fixture *f, GError **e) { return sips_session_add_audio (s, e); }
static gboolean call_add_chat (SipsSession *s, Fixture *f, GError **e) { return sips_session_add_chat (s, e); }
static gboolean call_accept_prop (SipsSession *s, Fixture *f, GError **e) { return sips_session_accept_proposal (s, e); }
static gboolean call_reject_prop (SipsSession *s, Fixture *f, GError **e) { return sips_session_reject_proposal (s, e); }
static gboolean call_terminate (SipsSession *s, Fixture *f, GError **e) { return sips_session_terminate (s, e); }
static gboolean call_composing (SipsSession *s, Fixture *f, GError **e) { return sips_session_send_composing_indication (s, "active", e); }
/* Remove* are refused for the missing stream in ESTABLISHED too: only their state check matters here */
static gboolean call_remove_audio (SipsSession *s, Fixture *f, GError **e) { return sips_session_remove_audio (s, e); }
static gboolean call_remove_chat (SipsSession *s, Fixture *f, GError **e) { return sips_session_remove_chat (s, e); }

static gboolean
call_send_message (SipsSession *s, Fixture *f, GError **e)
{
  g_autofree char *id = sips_session_send_message (s, "hi", "text/plain", "", 0, e);
  return id != NULL;
}

#define ESTABLISHED BIT (SIPS_SESSION_STATE_ESTABLISHED)
#define ACTIVE (BIT (SIPS_SESSION_STATE_CALLING) | BIT (SIPS_SESSION_STATE_INCOMING) | \
                BIT (SIPS_SESSION_STATE_ACCEPTING) | ESTABLISHED | \
                BIT (SIPS_SESSION_STATE_PROPOSING) | BIT (SIPS_SESSION_STATE_PROPOSED))

static const Method methods[] = {
  { "New",                     BIT (SIPS_SESSION_STATE_NULL),     call_connect },
  { "Accept",                  BIT (SIPS_SESSION_STATE_INCOMING), call_accept },
  { "Reject",                  BIT (SIPS_SESSION_STATE_INCOMING), call_reject },
  { "Hold",                    ESTABLISHED, call_hold },
  { "Unhold",                  ESTABLISHED, call_unhold },
  { "StartRecordingAudio",     ESTABLISHED, call_start_rec },
  { "StopRecordingAudio",      ESTABLISHED, call_stop_rec },
  { "SendDTMF",                ESTABLISHED, call_dtmf },
  { "SendMessage",             ESTABLISHED, call_send_message },
  { "SendComposingIndication", ESTABLISHED, call_composing },
  { "AddAudio",                ESTABLISHED, call_add_audio },
  { "RemoveAudio",             ESTABLISHED, call_remove_audio },
  { "AddChat",                 ESTABLISHED, call_add_chat },
  { "RemoveChat",              ESTABLISHED, call_remove_chat },
  { "AcceptProposal",          BIT (SIPS_SESSION_STATE_PROPOSED), call_accept_prop },
  { "RejectProposal",          BIT (SIPS_SESSION_STATE_PROPOSED), call_reject_prop },
  { "Terminate",               ACTIVE, call_terminate },
};

static SipsSession *
session_in_state (SipsSessionState state)
{
  SipsSession *s = sips_session_new ();

  sips_session_set_state (s, state);
  g_assert_cmpint (sips_session_get_state (s), ==, state);
  return s;
}

/* ---- session tests ---- */

static void
test_state_names (void)
{
  static const char *const names[] = { "NULL", "CALLING", "INCOMING", "ACCEPTING", "ESTABLISHED",
                                       "PROPOSING", "PROPOSED", "TERMINATING", "TERMINATED" };

  for (guint i = 0; i < ALL_STATES; i++)
    g_assert_cmpstr (sips_session_state_to_string (i), ==, names[i]);
}

static void
test_defaults (void)
{
  g_autoptr (SipsSession) s = sips_session_new ();
  g_autofree char *state = NULL, *direction = NULL, *codec = NULL, *route = NULL;
  gint64 start = -1, stop = -1;
  guint rate = 1, port = 1;
  gboolean on_hold = TRUE, has_audio = TRUE, has_chat = TRUE;
  SipsAccount *account = (SipsAccount *) 0x1;
  GObject *chat = (GObject *) 0x1;

  g_object_get (s, "state", &state, "direction", &direction, "audio-codec", &codec,
                "route", &route, "start-time", &start, "stop-time", &stop,
                "audio-sample-rate", &rate, "audio-local-rtp-port", &port, "on-hold", &on_hold,
                "has-audio", &has_audio, "has-chat", &has_chat, "account", &account,
                "chat-transport", &chat, NULL);
  g_assert_cmpstr (state, ==, "NULL");
  g_assert_cmpstr (direction, ==, "");
  g_assert_cmpstr (codec, ==, "");
  g_assert_cmpstr (route, ==, "");
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (stop, ==, 0);
  g_assert_cmpuint (rate, ==, 0);
  g_assert_cmpuint (port, ==, 0);
  g_assert_false (on_hold);
  g_assert_false (has_audio);
  g_assert_false (has_chat);
  g_assert_null (account);
  g_assert_null (chat);
}

/* The D-Bus layer forwards by name with identical GValue types: pin them down. */
static void
test_signal_types (void)
{
  static const struct { const char *name; const char *types; } expected[] = {
    { "changed-state", "xss" }, { "new-incoming", "xbb" }, { "new-outgoing", "x" },
    { "got-ring-indication", "x" }, { "will-start", "x" }, { "did-start", "x" },
    { "did-fail", "xsis" }, { "will-end", "x" }, { "did-end", "xs" },
    { "got-hold-request", "xs" }, { "got-unhold-request", "xs" },
    { "will-start-recording-audio", "xs" }, { "did-start-recording-audio", "xs" },
    { "will-stop-recording-audio", "xs" }, { "did-stop-recording-audio", "xs" },
    { "got-no-audio", "x" }, { "got-dtmf", "xs" }, { "got-message", "xssvs" },
    { "did-deliver-message", "xsis" }, { "did-not-deliver-message", "xsis" },
    { "got-stream-proposal", "xsbb" }, { "rejected-stream-proposal", "xss" },
    { "accepted-stream-proposal", "xs" }, { "got-composing-indication", "xsu" },
  };

  g_type_ensure (SIPS_TYPE_SESSION);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      guint id = g_signal_lookup (expected[i].name, SIPS_TYPE_SESSION);
      GSignalQuery q;

      g_assert_cmpuint (id, !=, 0);
      g_signal_query (id, &q);
      g_assert_cmpuint (q.return_type, ==, G_TYPE_NONE);
      g_assert_cmpuint (q.n_params, ==, strlen (expected[i].types));
      for (guint p = 0; p < q.n_params; p++)
        {
          GType want = 0;

          switch (expected[i].types[p])
            {
            case 'x': want = G_TYPE_INT64; break;
            case 's': want = G_TYPE_STRING; break;
            case 'b': want = G_TYPE_BOOLEAN; break;
            case 'i': want = G_TYPE_INT; break;
            case 'u': want = G_TYPE_UINT; break;
            case 'v': want = G_TYPE_VARIANT; break;
            }
          g_assert_cmpuint (q.param_types[p] & ~G_SIGNAL_TYPE_STATIC_SCOPE, ==, want);
        }
    }
  g_assert_cmpuint (g_signal_lookup ("send-composing-indication", SIPS_TYPE_SESSION), ==, 0);
}

static void
test_wrong_state (Fixture *f, gconstpointer data)
{
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    for (guint st = 0; st < ALL_STATES; st++)
      {
        g_autoptr (SipsSession) s = NULL;
        g_autoptr (GError) error = NULL;
        g_autofree char *expected = NULL;

        if (methods[m].allowed & BIT (st))
          continue;
        s = session_in_state (st);
        g_assert_false (methods[m].call (s, f, &error));
        g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
        expected = g_strdup_printf ("%s is not allowed in state %s", methods[m].name,
                                    sips_session_state_to_string (st));
        g_assert_cmpstr (error->message, ==, expected);
        /* refused calls change nothing */
        g_assert_cmpint (sips_session_get_state (s), ==, st);
      }
}

/* In an allowed state, valid arguments reach the (not yet built) signalling. */
static void
test_allowed_state_not_supported (Fixture *f, gconstpointer data)
{
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    for (guint st = 0; st < ALL_STATES; st++)
      {
        g_autoptr (SipsSession) s = NULL;
        g_autoptr (GError) error = NULL;

        if (!(methods[m].allowed & BIT (st)) || methods[m].call == call_terminate)
          continue;
        s = session_in_state (st);
        g_assert_false (methods[m].call (s, f, &error));
        if (methods[m].call == call_remove_audio || methods[m].call == call_remove_chat)
          g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);  /* no such stream */
        else
          g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
        g_assert_cmpint (sips_session_get_state (s), ==, st);
      }
}

#define ASSERT_INVALID_ARG(call) G_STMT_START {                   \
    g_autoptr (GError) _e = NULL;                                 \
    g_assert_false (call);                                        \
    g_assert_error (_e, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT); \
  } G_STMT_END

static void
test_connect_arguments (Fixture *f, gconstpointer data)
{
  static const char *const bad_uris[] = { "bob", "sip:", "http://x", "", "bob@example.com" };
  g_autoptr (SipsSession) s = sips_session_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_uris); i++)
    {
      ASSERT_INVALID_ARG (sips_session_connect (s, bad_uris[i], f->account, "", TRUE, FALSE, &_e));
      if (*bad_uris[i] != '\0')
        ASSERT_INVALID_ARG (sips_session_connect (s, "sip:bob@example.com", f->account,
                                                  bad_uris[i], TRUE, FALSE, &_e));
    }
  ASSERT_INVALID_ARG (sips_session_connect (s, NULL, f->account, "", TRUE, FALSE, &_e));
  ASSERT_INVALID_ARG (sips_session_connect (s, "sip:bob@example.com", f->account, "",
                                            FALSE, FALSE, &_e));
  ASSERT_INVALID_ARG (sips_session_connect (s, "sip:bob@example.com", NULL, "", TRUE, FALSE, &_e));

  /* a valid route and sips: callee pass the checks */
  g_assert_false (sips_session_connect (s, "sips:bob@example.com", f->account,
                                        "sip:127.0.0.1:5070;transport=tcp", FALSE, TRUE, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  /* a disabled account cannot place calls */
  g_assert_true (sips_config_section_set (f->config, "Enabled", g_variant_new_boolean (FALSE),
                                          &error));
  g_assert_no_error (error);
  ASSERT_INVALID_ARG (sips_session_connect (s, "sip:bob@example.com", f->account, "",
                                            TRUE, FALSE, &_e));
  g_assert_cmpint (sips_session_get_state (s), ==, SIPS_SESSION_STATE_NULL);
}

static void
test_established_arguments (Fixture *f, gconstpointer data)
{
  static const char *const bad_digits[] = { "x", "12", "", "a", "E", " " };
  static const char *const good_digits[] = { "0", "9", "*", "#", "A", "D" };
  g_autoptr (SipsSession) s = session_in_state (SIPS_SESSION_STATE_ESTABLISHED);
  g_autofree char *file = g_build_filename (f->dir, "plain-file", NULL);
  g_autoptr (SipsSession) incoming = session_in_state (SIPS_SESSION_STATE_INCOMING);

  for (guint i = 0; i < G_N_ELEMENTS (bad_digits); i++)
    ASSERT_INVALID_ARG (sips_session_send_dtmf (s, bad_digits[i], &_e));
  ASSERT_INVALID_ARG (sips_session_send_dtmf (s, NULL, &_e));
  for (guint i = 0; i < G_N_ELEMENTS (good_digits); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (sips_session_send_dtmf (s, good_digits[i], &error));
      g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
    }

  /* SendMessage: content type, recipient */
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "", "", 0, &_e) != NULL);
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "text", "", 0, &_e) != NULL);
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "text/", "", 0, &_e) != NULL);
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "/plain", "", 0, &_e) != NULL);
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "text/plain", "bob", 0, &_e) != NULL);
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "text/plain", "sip:", 0, &_e) != NULL);
  ASSERT_INVALID_ARG (sips_session_send_message (s, "hi", "text/plain", "http://x", 0, &_e) != NULL);
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *id = sips_session_send_message (s, "hi", "text/html; charset=utf-8",
                                                     "sip:bob@example.com", 0, &error);
    g_assert_null (id);
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  }

  /* StartRecordingAudio: path "" or an existing absolute directory, plain file name */
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  ASSERT_INVALID_ARG (sips_session_start_recording_audio (s, "relative/dir", "", &_e));
  ASSERT_INVALID_ARG (sips_session_start_recording_audio (s, "/nonexistent/dir", "", &_e));
  ASSERT_INVALID_ARG (sips_session_start_recording_audio (s, file, "", &_e));
  ASSERT_INVALID_ARG (sips_session_start_recording_audio (s, f->dir, "a/b.wav", &_e));
  ASSERT_INVALID_ARG (sips_session_start_recording_audio (s, "", "..", &_e));
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (sips_session_start_recording_audio (s, "", "call.wav", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  }
  g_remove (file);

  /* composing state */
  ASSERT_INVALID_ARG (sips_session_send_composing_indication (s, "typing", &_e));
  ASSERT_INVALID_ARG (sips_session_send_composing_indication (s, "", &_e));

  /* Remove* need the stream */
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (sips_session_remove_audio (s, &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
    g_clear_error (&error);
    g_assert_false (sips_session_remove_chat (s, &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  }

  /* Accept needs a stream */
  ASSERT_INVALID_ARG (sips_session_accept (incoming, FALSE, FALSE, &_e));
  g_assert_cmpint (sips_session_get_state (s), ==, SIPS_SESSION_STATE_ESTABLISHED);
}

/* ---- signal log ---- */

static void
on_changed_state (SipsSession *s, gint64 ts, const char *prev, const char *state, GPtrArray *log)
{
  g_assert_cmpint (ts, >, 0);
  g_ptr_array_add (log, g_strdup_printf ("changed-state %s>%s", prev, state));
}

static void
on_will_end (SipsSession *s, gint64 ts, GPtrArray *log)
{
  g_assert_cmpint (ts, >, 0);
  g_ptr_array_add (log, g_strdup ("will-end"));
}

static void
on_did_end (SipsSession *s, gint64 ts, const char *originator, GPtrArray *log)
{
  g_assert_cmpint (ts, >, 0);
  g_ptr_array_add (log, g_strdup_printf ("did-end %s", originator));
}

static GPtrArray *
watch_session (SipsSession *s)
{
  GPtrArray *log = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (s, "changed-state", G_CALLBACK (on_changed_state), log);
  g_signal_connect (s, "will-end", G_CALLBACK (on_will_end), log);
  g_signal_connect (s, "did-end", G_CALLBACK (on_did_end), log);
  return log;
}

static void
assert_log (GPtrArray *log, const char *const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, log->len); i++)
    g_assert_cmpstr (g_ptr_array_index (log, i), ==, expected[i]);
  g_assert_cmpuint (log->len, ==, n);
}

static void
on_notify_count (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_changed_state (void)
{
  g_autoptr (SipsSession) s = sips_session_new ();
  g_autoptr (GPtrArray) log = watch_session (s);
  static const char *const expected[] = {
    "changed-state NULL>CALLING", "changed-state CALLING>ESTABLISHED",
    "changed-state ESTABLISHED>PROPOSING", NULL };
  guint notified = 0;
  g_autofree char *state = NULL;

  g_signal_connect (s, "notify::state", G_CALLBACK (on_notify_count), &notified);
  sips_session_set_state (s, SIPS_SESSION_STATE_CALLING);
  sips_session_set_state (s, SIPS_SESSION_STATE_CALLING);   /* no change, no signal */
  sips_session_set_state (s, SIPS_SESSION_STATE_ESTABLISHED);
  sips_session_set_state (s, SIPS_SESSION_STATE_PROPOSING);
  assert_log (log, expected);
  g_assert_cmpuint (notified, ==, 3);
  g_object_get (s, "state", &state, NULL);
  g_assert_cmpstr (state, ==, "PROPOSING");
}

static void
test_terminate (void)
{
  g_autoptr (SipsSession) s = session_in_state (SIPS_SESSION_STATE_ESTABLISHED);
  g_autoptr (GPtrArray) log = watch_session (s);
  g_autoptr (GError) error = NULL;
  static const char *const expected[] = {
    "will-end", "changed-state ESTABLISHED>TERMINATING",
    "changed-state TERMINATING>TERMINATED", "did-end local", NULL };
  gint64 before = g_get_real_time (), stop = 0;

  g_assert_true (sips_session_terminate (s, &error));
  g_assert_no_error (error);
  assert_log (log, expected);
  g_assert_cmpint (sips_session_get_state (s), ==, SIPS_SESSION_STATE_TERMINATED);
  g_object_get (s, "stop-time", &stop, NULL);
  g_assert_cmpint (stop, >=, before);
  g_assert_cmpint (stop, <=, g_get_real_time ());

  /* a second terminate is refused */
  g_assert_false (sips_session_terminate (s, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
}

static void
test_terminate_every_active_state (void)
{
  for (guint st = 0; st < ALL_STATES; st++)
    {
      g_autoptr (SipsSession) s = NULL;
      g_autoptr (GPtrArray) log = NULL;
      g_autoptr (GError) error = NULL;

      if (!(ACTIVE & BIT (st)))
        continue;
      s = session_in_state (st);
      log = watch_session (s);
      g_assert_true (sips_session_terminate (s, &error));
      g_assert_no_error (error);
      g_assert_cmpint (sips_session_get_state (s), ==, SIPS_SESSION_STATE_TERMINATED);
      g_assert_cmpuint (log->len, ==, 4);
      g_assert_cmpstr (g_ptr_array_index (log, 0), ==, "will-end");
      g_assert_cmpstr (g_ptr_array_index (log, 3), ==, "did-end local");
    }
}

static void
test_times (void)
{
  g_autoptr (SipsSession) s = sips_session_new ();
  gint64 before = g_get_real_time (), start = 0, start2 = 0, stop = 0;

  sips_session_set_state (s, SIPS_SESSION_STATE_CALLING);
  g_object_get (s, "start-time", &start, "stop-time", &stop, NULL);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (stop, ==, 0);

  sips_session_set_state (s, SIPS_SESSION_STATE_ESTABLISHED);
  g_object_get (s, "start-time", &start, "stop-time", &stop, NULL);
  g_assert_cmpint (start, >=, before);
  g_assert_cmpint (stop, ==, 0);

  /* a stream proposal leaves and re-enters ESTABLISHED: the start time stays */
  sips_session_set_state (s, SIPS_SESSION_STATE_PROPOSING);
  sips_session_set_state (s, SIPS_SESSION_STATE_ESTABLISHED);
  g_object_get (s, "start-time", &start2, NULL);
  g_assert_cmpint (start2, ==, start);

  sips_session_set_state (s, SIPS_SESSION_STATE_TERMINATED);
  g_object_get (s, "stop-time", &stop, NULL);
  g_assert_cmpint (stop, >=, start);
}

/* ---- session manager ---- */

typedef struct {
  guint       linger;
  GPtrArray  *added;      /* SipsSession*, unowned */
  GPtrArray  *removed;
  guint       sessions_notified;
} ManagerLog;

static guint
get_linger (gpointer user_data)
{
  return ((ManagerLog *) user_data)->linger;
}

static void
on_session_added (SipsSessionManager *m, SipsSession *s, ManagerLog *ml)
{
  g_ptr_array_add (ml->added, s);
}

static void
on_session_removed (SipsSessionManager *m, SipsSession *s, ManagerLog *ml)
{
  g_assert_true (SIPS_IS_SESSION (s));
  g_ptr_array_add (ml->removed, s);
}

static void
on_sessions_notify (GObject *object, GParamSpec *pspec, ManagerLog *ml)
{
  ml->sessions_notified++;
}

static SipsSessionManager *
manager_new (ManagerLog *ml, guint linger)
{
  SipsSessionManager *m = sips_session_manager_new (get_linger, ml);

  ml->linger = linger;
  ml->added = g_ptr_array_new ();
  ml->removed = g_ptr_array_new ();
  ml->sessions_notified = 0;
  g_signal_connect (m, "session-added", G_CALLBACK (on_session_added), ml);
  g_signal_connect (m, "session-removed", G_CALLBACK (on_session_removed), ml);
  g_signal_connect (m, "notify::sessions", G_CALLBACK (on_sessions_notify), ml);
  return m;
}

static void
manager_log_clear (ManagerLog *ml)
{
  g_clear_pointer (&ml->added, g_ptr_array_unref);
  g_clear_pointer (&ml->removed, g_ptr_array_unref);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until n sessions were removed or timeout_ms passed. */
static gboolean
wait_removed (ManagerLog *ml, guint n, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);

  while (ml->removed->len < n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return ml->removed->len >= n;
}

static guint
active_count (SipsSessionManager *m)
{
  g_autoptr (GPtrArray) active = sips_session_manager_get_active_sessions (m);

  return active->len;
}

static void
test_manager_active_set (void)
{
  ManagerLog ml;
  g_autoptr (SipsSessionManager) m = manager_new (&ml, 30);
  SipsSession *a, *b;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) prop = NULL;

  a = sips_session_manager_create_session (m);
  b = sips_session_manager_create_session (m);
  g_assert_cmpuint (ml.added->len, ==, 2);
  g_assert_true (g_ptr_array_index (ml.added, 0) == a);
  g_assert_true (g_ptr_array_index (ml.added, 1) == b);
  all = sips_session_manager_list_sessions (m);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_true (g_ptr_array_index (all, 0) == a);
  g_assert_cmpuint (active_count (m), ==, 0);   /* NULL sessions are not "sessions" */
  g_assert_cmpuint (ml.sessions_notified, ==, 0);

  sips_session_set_state (a, SIPS_SESSION_STATE_CALLING);
  g_assert_cmpuint (active_count (m), ==, 1);
  g_assert_cmpuint (ml.sessions_notified, ==, 1);
  g_object_get (m, "sessions", &prop, NULL);
  g_assert_cmpuint (prop->len, ==, 1);
  g_assert_true (g_ptr_array_index (prop, 0) == a);

  sips_session_set_state (a, SIPS_SESSION_STATE_ESTABLISHED);  /* still active */
  g_assert_cmpuint (ml.sessions_notified, ==, 1);

  sips_session_set_state (a, SIPS_SESSION_STATE_TERMINATED);
  g_assert_cmpuint (active_count (m), ==, 0);
  g_assert_cmpuint (ml.sessions_notified, ==, 2);
  /* lingering: still held, not yet removed */
  g_clear_pointer (&all, g_ptr_array_unref);
  all = sips_session_manager_list_sessions (m);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpuint (ml.removed->len, ==, 0);

  manager_log_clear (&ml);
}

static void
test_manager_linger (gconstpointer data)
{
  guint linger = GPOINTER_TO_UINT (data);
  ManagerLog ml;
  g_autoptr (SipsSessionManager) m = manager_new (&ml, linger);
  SipsSession *s = sips_session_manager_create_session (m);
  g_autoptr (SipsSession) ref = g_object_ref (s);
  g_autoptr (GPtrArray) all = NULL;
  gint64 t0;

  sips_session_set_state (s, SIPS_SESSION_STATE_ESTABLISHED);
  t0 = g_get_monotonic_time ();
  g_assert_true (sips_session_terminate (s, NULL));
  g_assert_cmpuint (ml.removed->len, ==, 0);   /* never from inside the state change */

  g_assert_true (wait_removed (&ml, 1, (linger + 2) * 1000));
  g_assert_true (g_ptr_array_index (ml.removed, 0) == s);
  if (linger > 0)
    g_assert_cmpint (g_get_monotonic_time () - t0, >=, G_USEC_PER_SEC / 2);
  all = sips_session_manager_list_sessions (m);
  g_assert_cmpuint (all->len, ==, 0);
  /* the manager dropped its reference: ours is the last */
  g_assert_cmpuint (G_OBJECT (ref)->ref_count, ==, 1);

  manager_log_clear (&ml);
}

/* Many lingering sessions share one timer: each goes at its own due time, in due order,
 * also when the linger setting changed in between (a later, shorter linger goes first),
 * and the main context holds no source per lingering session. */
static void
test_manager_linger_many (void)
{
  ManagerLog ml;
  g_autoptr (SipsSessionManager) m = manager_new (&ml, 2);
  SipsSession *slow[20], *fast;
  guint sources_before = 0, sources_after = 0;
  GSource *probe;

  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    {
      slow[i] = sips_session_manager_create_session (m);
      sips_session_set_state (slow[i], SIPS_SESSION_STATE_ESTABLISHED);
    }
  fast = sips_session_manager_create_session (m);
  sips_session_set_state (fast, SIPS_SESSION_STATE_ESTABLISHED);
  /* source ids grow by one per source created: count what terminating creates */
  probe = g_idle_source_new ();
  sources_before = g_source_attach (probe, NULL);
  g_source_destroy (probe);
  g_source_unref (probe);
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    g_assert_true (sips_session_terminate (slow[i], NULL));
  probe = g_idle_source_new ();
  sources_after = g_source_attach (probe, NULL);
  g_source_destroy (probe);
  g_source_unref (probe);
  g_assert_cmpuint (sources_after - sources_before, <=, 3);

  ml.linger = 1;
  g_assert_true (sips_session_terminate (fast, NULL));
  g_assert_true (wait_removed (&ml, 1, 1800));
  g_assert_true (g_ptr_array_index (ml.removed, 0) == fast);
  g_assert_true (wait_removed (&ml, 1 + G_N_ELEMENTS (slow), 3000));
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    g_assert_true (g_ptr_array_index (ml.removed, 1 + i) == slow[i]);

  manager_log_clear (&ml);
}

static void
test_manager_drop_if_null (void)
{
  ManagerLog ml;
  g_autoptr (SipsSessionManager) m = manager_new (&ml, 30);
  SipsSession *idle = sips_session_manager_create_session (m);
  SipsSession *busy = sips_session_manager_create_session (m);
  g_autoptr (SipsSession) stranger = sips_session_new ();
  g_autoptr (GPtrArray) all = NULL;

  sips_session_set_state (busy, SIPS_SESSION_STATE_CALLING);
  sips_session_manager_drop_if_null (m, busy);
  sips_session_manager_drop_if_null (m, stranger);
  g_assert_cmpuint (ml.removed->len, ==, 0);

  sips_session_manager_drop_if_null (m, idle);
  g_assert_cmpuint (ml.removed->len, ==, 1);
  g_assert_true (g_ptr_array_index (ml.removed, 0) == idle);
  g_assert_cmpuint (ml.sessions_notified, ==, 1);   /* only busy's CALLING */
  all = sips_session_manager_list_sessions (m);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_true (g_ptr_array_index (all, 0) == busy);

  manager_log_clear (&ml);
}

static void
test_manager_terminate_all (void)
{
  ManagerLog ml;
  g_autoptr (SipsSessionManager) m = manager_new (&ml, 30);
  SipsSession *a = sips_session_manager_create_session (m);
  SipsSession *b = sips_session_manager_create_session (m);
  SipsSession *c = sips_session_manager_create_session (m);

  sips_session_set_state (a, SIPS_SESSION_STATE_ESTABLISHED);
  sips_session_set_state (b, SIPS_SESSION_STATE_INCOMING);
  sips_session_manager_terminate_all (m);
  g_assert_cmpint (sips_session_get_state (a), ==, SIPS_SESSION_STATE_TERMINATED);
  g_assert_cmpint (sips_session_get_state (b), ==, SIPS_SESSION_STATE_TERMINATED);
  g_assert_cmpint (sips_session_get_state (c), ==, SIPS_SESSION_STATE_NULL);
  g_assert_cmpuint (active_count (m), ==, 0);

  /* disposing with linger timers pending cancels them: nothing fires later */
  g_clear_object (&m);
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (ml.removed->len, ==, 0);

  manager_log_clear (&ml);
}

/* ---- account ---- */

static void
test_account (Fixture *f, gconstpointer data)
{
  g_autoptr (SipsAccount) local = sips_account_new ("local@host", NULL, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTypeClass) registration_class = NULL;

  g_assert_cmpstr (sips_account_get_id (f->account), ==, "alice@example.com");
  g_assert_false (sips_account_is_local (f->account));
  g_assert_true (sips_account_get_config (f->account) == f->config);
  /* no agent attached: no registration object yet, and nothing registered */
  g_assert_null (sips_account_get_registration (f->account));
  g_assert_cmpstr (sips_account_get_registration_state (f->account), ==, "unregistered");
  /* the Registration1 signals live on the registration, with the contract's names */
  registration_class = g_type_class_ref (SIPS_TYPE_REGISTRATION);
  g_assert_cmpuint (g_signal_lookup ("did-succeed", SIPS_TYPE_REGISTRATION), !=, 0);
  g_assert_cmpuint (g_signal_lookup ("did-fail", SIPS_TYPE_REGISTRATION), !=, 0);
  g_assert_cmpuint (g_signal_lookup ("will-end", SIPS_TYPE_REGISTRATION), !=, 0);
  g_assert_cmpuint (g_signal_lookup ("did-end", SIPS_TYPE_REGISTRATION), !=, 0);

  g_assert_true (sips_account_is_local (local));
  g_assert_false (sips_account_register (local, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_false (sips_account_unregister (local, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* no SIP agent attached: nothing to register through */
  g_assert_false (sips_account_register (f->account, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_true (sips_config_section_set (f->config, "Enabled", g_variant_new_boolean (FALSE),
                                          &error));
  g_assert_no_error (error);
  g_assert_false (sips_account_register (f->account, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/session/state-names", test_state_names);
  g_test_add_func ("/session/defaults", test_defaults);
  g_test_add_func ("/session/signal-types", test_signal_types);
  g_test_add ("/session/wrong-state", Fixture, NULL, fixture_setup, test_wrong_state,
              fixture_teardown);
  g_test_add ("/session/allowed-state-not-supported", Fixture, NULL, fixture_setup,
              test_allowed_state_not_supported, fixture_teardown);
  g_test_add ("/session/connect-arguments", Fixture, NULL, fixture_setup,
              test_connect_arguments, fixture_teardown);
  g_test_add ("/session/established-arguments", Fixture, NULL, fixture_setup,
              test_established_arguments, fixture_teardown);
  g_test_add_func ("/session/changed-state", test_changed_state);
  g_test_add_func ("/session/terminate", test_terminate);
  g_test_add_func ("/session/terminate-every-active-state", test_terminate_every_active_state);
  g_test_add_func ("/session/times", test_times);
  g_test_add_func ("/session-manager/active-set", test_manager_active_set);
  g_test_add_data_func ("/session-manager/linger-0", GUINT_TO_POINTER (0), test_manager_linger);
  g_test_add_data_func ("/session-manager/linger-1", GUINT_TO_POINTER (1), test_manager_linger);
  g_test_add_func ("/session-manager/linger-many", test_manager_linger_many);
  g_test_add_func ("/session-manager/drop-if-null", test_manager_drop_if_null);
  g_test_add_func ("/session-manager/terminate-all", test_manager_terminate_all);
  g_test_add ("/account/registration", Fixture, NULL, fixture_setup, test_account,
              fixture_teardown);

  return g_test_run ();
}
