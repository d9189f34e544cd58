/* sipsimplectl-play.c: play: a sound file into a session's audio (Session1.PlayAudioFile).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>

typedef struct {
  SignalWait wait;
  const char *file;
  gboolean done;
  gboolean completed;
} PlayWait;

static void
on_stopped_playing (const DaemonSignal *sig, gpointer user_data)
{
  PlayWait *wait = user_data;
  const char *file;
  gboolean completed;

  if (wait->done || !g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(xsb)")))
    return;
  g_variant_get (sig->params, "(x&sb)", NULL, &file, &completed);
  if (g_strcmp0 (file, wait->file) != 0)
    return;
  wait->done = TRUE;
  wait->completed = completed;
  g_main_loop_quit (wait->wait.loop);
}

int
cmd_play (int argc, char **argv)
{
  gboolean opt_loop = FALSE, opt_stop = FALSE, opt_wait = FALSE;
  const GOptionEntry entries[] = {
    { "loop", 0, 0, G_OPTION_ARG_NONE, &opt_loop, N_("Play the file again and again until stopped"), NULL },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &opt_wait, N_("Return when the file has stopped (exit 0 if it played to its end)"), NULL },
    { "stop", 0, 0, G_OPTION_ARG_NONE, &opt_stop, N_("Stop the file playing; the input device is heard again"), NULL },
    { NULL }
  };
  const char *synopsis = "play [SESSION] FILE [--loop] [--wait] | play --stop [SESSION]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *path = NULL;
  g_autofree char *file = NULL;
  g_autofree char *owner = NULL;
  GDBusConnection *bus;
  PlayWait wait = { { 0 } };
  int status;

  if (!parse_options (synopsis, entries, &argc, &argv))
    return usage (synopsis);
  if (opt_stop)
    {
      if (argc > 2 || opt_loop || opt_wait)
        return usage (synopsis);
      if ((path = pick_session (argc == 2 ? argv[1] : NULL, PICK_ESTABLISHED, &error)) == NULL ||
          (reply = call_daemon (path, SESSION_IFACE, "StopPlayingAudioFile", NULL, NULL, &error)) == NULL)
        return fail_error (error);
      return EXIT_OK;
    }
  if (argc < 2 || argc > 3 || argv[argc - 1][0] == '\0')
    return usage (synopsis);
  /* the daemon has another working directory: paths are made absolute here */
  file = g_canonicalize_filename (argv[argc - 1], NULL);
  if ((path = pick_session (argc == 3 ? argv[1] : NULL, PICK_ESTABLISHED, &error)) == NULL)
    return fail_error (error);
  if ((status = connect_daemon (&bus, &owner)) != EXIT_OK)
    return status;

  wait.file = file;
  if (opt_wait)  /* before the call: a short file may end before the reply is read */
    signal_wait_start (&wait.wait, bus, owner, path, "DidStopPlayingAudioFile", on_stopped_playing, &wait);
  reply = call_daemon (path, SESSION_IFACE, "PlayAudioFile", g_variant_new ("(sb)", file, opt_loop),
                       NULL, &error);
  if (reply == NULL)
    status = fail_error (error);
  else
    {
      g_print ("%s\n", file);
      if (opt_wait)
        {
          signal_wait_run (&wait.wait, timeout_ms () > 0 ? timeout_ms () : G_MAXINT);
          status = wait.done && wait.completed ? EXIT_OK : EXIT_FAIL;
        }
    }
  if (opt_wait)
    signal_wait_clear (&wait.wait);
  return status;
}
