/* sipsimplectl-audio.c: the audio commands of sessions (Session1): dtmf, record.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>
#include <string.h>

/* ------------------------------------------------------------ dtmf */

#define DTMF_DIGITS           "0123456789*#ABCD"
#define DTMF_INTERVAL_MS      200     /* the daemon plays 100 ms + 60 ms of silence */
#define RECORDING_WAIT_MS     10000   /* for the recording signals, without --timeout */

typedef struct {
  GMainLoop *loop;
  const char *path;
  const char *digits;
  gsize next;
  int status;
} Dtmf;

/* One SendDTMF per digit; the main loop spaces them (a timeout, not a sleep). */
static gboolean
on_dtmf_next (gpointer user_data)
{
  Dtmf *dtmf = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  char digit[2] = { dtmf->digits[dtmf->next++], '\0' };

  reply = call_daemon (dtmf->path, SESSION_IFACE, "SendDTMF", g_variant_new ("(s)", digit),
                       NULL, &error);
  if (reply == NULL)
    dtmf->status = fail_error (error);
  else if (dtmf->digits[dtmf->next] != '\0')
    return G_SOURCE_CONTINUE;
  else
    dtmf->status = EXIT_OK;
  g_main_loop_quit (dtmf->loop);
  return G_SOURCE_REMOVE;
}

int
cmd_dtmf (int argc, char **argv)
{
  int opt_interval = DTMF_INTERVAL_MS;
  const GOptionEntry entries[] = {
    { "interval", 0, 0, G_OPTION_ARG_INT, &opt_interval, N_("Wait MS milliseconds between digits (200)"), N_("MS") },
    { NULL }
  };
  const char *synopsis = "dtmf [SESSION] DIGITS [--interval=MS]";
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *digits = NULL;
  Dtmf dtmf = { 0 };

  if (!parse_options ("dtmf [SESSION] DIGITS", entries, &argc, &argv) || argc < 2 || argc > 3)
    return usage (synopsis);
  if (opt_interval < 0 || opt_interval > 60000)
    return fail (_("the interval must be 0 to 60000 ms"));
  digits = g_ascii_strup (argv[argc - 1], -1);
  if (*digits == '\0')
    return usage (synopsis);
  if (strspn (digits, DTMF_DIGITS) != strlen (digits))
    return fail (_("“%s”: DTMF digits are 0-9, *, #, A-D"), argv[argc - 1]);

  path = pick_session (argc == 3 ? argv[1] : NULL, PICK_ESTABLISHED, &error);
  if (path == NULL)
    return fail_error (error);
  dtmf.path = path;
  dtmf.digits = digits;
  if (on_dtmf_next (&dtmf) == G_SOURCE_REMOVE)
    return dtmf.status;
  dtmf.loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (opt_interval, on_dtmf_next, &dtmf);
  g_main_loop_run (dtmf.loop);
  g_main_loop_unref (dtmf.loop);
  return dtmf.status;
}

/* ------------------------------------------------------------ record */

typedef struct {
  SignalWait wait;
  char *file_name;     /* from the awaited signal */
} RecordingWait;

static void
on_recording_signal (const DaemonSignal *sig, gpointer user_data)
{
  RecordingWait *wait = user_data;

  if (wait->file_name != NULL || !g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(xs)")))
    return;
  g_variant_get (sig->params, "(xs)", NULL, &wait->file_name);
  g_main_loop_quit (wait->wait.loop);
}

/* Runs `method` on the session and prints the file name of the Session1 signal
 * `member` (DidStartRecordingAudio, DidStopRecordingAudio) that confirms it. */
static int
recording_command (const char *path, const char *method, GVariant *params, const char *member)
{
  g_autoptr(GVariant) owned_params = params != NULL ? g_variant_ref_sink (params) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *owner = NULL;
  GDBusConnection *bus;
  RecordingWait wait = { { 0 } };
  int wait_ms = timeout_ms () > 0 ? timeout_ms () : RECORDING_WAIT_MS;
  int status;

  if ((status = connect_daemon (&bus, &owner)) != EXIT_OK)
    return status;

  /* Subscribed before the call: DidStartRecordingAudio is emitted before the reply. */
  signal_wait_start (&wait.wait, bus, owner, path, member, on_recording_signal, &wait);
  reply = call_daemon (path, SESSION_IFACE, method, owned_params, NULL, &error);
  if (reply == NULL)
    status = fail_error (error);
  else
    {
      signal_wait_run (&wait.wait, wait_ms);
      if (wait.file_name != NULL)
        g_print ("%s\n", wait.file_name);
      else
        status = fail (_("the daemon accepted %s but sent no %s within %d s"), method, member,
                       wait_ms / 1000);
    }
  signal_wait_clear (&wait.wait);
  g_free (wait.file_name);
  return status;
}

int
cmd_record (int argc, char **argv)
{
  g_autofree char *opt_path = NULL;
  g_autofree char *opt_file = NULL;
  const GOptionEntry entries[] = {
    { "path", 0, 0, G_OPTION_ARG_FILENAME, &opt_path, N_("Record into directory DIR (default: Settings1.RecordingsDirectory)"), N_("DIR") },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &opt_file, N_("Name the file NAME (default: generated from the parties and the time)"), N_("NAME") },
    { NULL }
  };
  const char *synopsis = "record start [SESSION] [--path=DIR] [--file=NAME] | record stop [SESSION]";
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  gboolean start;

  if (!parse_options ("record start|stop [SESSION]", entries, &argc, &argv) || argc < 2 || argc > 3)
    return usage (synopsis);
  start = strcmp (argv[1], "start") == 0;
  if ((!start && strcmp (argv[1], "stop") != 0) ||
      (!start && (opt_path != NULL || opt_file != NULL)))
    return usage (synopsis);

  path = pick_session (argc == 3 ? argv[2] : NULL, start ? PICK_ESTABLISHED : PICK_RECORDING,
                       &error);
  if (path == NULL)
    return fail_error (error);
  if (!start)
    return recording_command (path, "StopRecordingAudio", NULL, "DidStopRecordingAudio");
  /* the daemon wants an absolute directory; ours is relative to where we run */
  if (opt_path != NULL && *opt_path != '\0')
    dir = g_canonicalize_filename (opt_path, NULL);
  if ((dir != NULL && !g_utf8_validate (dir, -1, NULL)) ||
      (opt_file != NULL && !g_utf8_validate (opt_file, -1, NULL)))
    return fail (_("file and directory names must be UTF-8"));
  return recording_command (path, "StartRecordingAudio",
                            g_variant_new ("(ss)", dir ? dir : "", opt_file ? opt_file : ""),
                            "DidStartRecordingAudio");
}
