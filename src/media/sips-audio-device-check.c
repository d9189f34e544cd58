/* sips-audio-device-check.c: checking an audio device description in a child process
 *
 * Building a device bin needs GStreamer initialised, and then its registry and the
 * plugins of the elements named stay mapped for the life of the process (+5 MB of idle
 * RSS for `audiotestsrc ! ...` and `fakesink`). A daemon checking its settings at start,
 * or a device a client sets, has no call that needs them yet: the daemon's own binary
 * checks in a short-lived child instead. That child's gst_init also brings the registry
 * cache (~/.cache/gstreamer-1.0) up to date, so the first call's gst_init here is quick.
 * Once a call has initialised GStreamer here, checking in this process costs nothing. */
#include "sips-audio-device-check.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "media/sips-media-module.h"

/* The checker's exit status */
enum {
  CHECK_VALID = 0,
  CHECK_INVALID = 1,        /* the reason on stdout */
  CHECK_NO_GSTREAMER = 2,
  CHECK_USAGE = 3,
};

static char *checker;  /* set by main() before the settings are loaded */

void
sips_audio_device_check_set_checker (const char *path)
{
  g_free (checker);
  checker = g_strdup (path);
}

static gboolean
check_here (const char *description, gboolean is_source, GError **error)
{
  return sips_media_check_device (description, is_source, error);
}

/* The description goes on the checker's stdin from a memory file: no length limit (an
 * argument has 128 KiB at most, and clients may set anything) and no pipe to keep fed. */
static int
description_fd (const char *description, GError **error)
{
  g_autoptr(GOutputStream) stream = NULL;
  int fd = memfd_create ("sips-audio-device", MFD_CLOEXEC);
  int saved_errno;

  if (fd < 0)
    goto failed;
  stream = g_unix_output_stream_new (fd, FALSE);
  if (!g_output_stream_write_all (stream, description, strlen (description), NULL, NULL, error))
    {
      close (fd);
      return -1;
    }
  if (lseek (fd, 0, SEEK_SET) == 0)
    return fd;
  close (fd);

failed:
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s", g_strerror (saved_errno));
  return -1;
}

static char *
bytes_text (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  return g_strstrip (g_utf8_make_valid (data != NULL ? data : "", size));
}

static gboolean
check_in_child (const char *description, gboolean is_source, GError **error)
{
  g_autofree char *option = g_strconcat (SIPS_AUDIO_DEVICE_CHECK_OPTION,
                                         is_source ? "source" : "sink", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  g_autoptr(GError) spawn_error = NULL;
  int fd, status;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fd = description_fd (description, &spawn_error);
  if (fd >= 0)
    {
      g_subprocess_launcher_take_stdin_fd (launcher, fd);
      child = g_subprocess_launcher_spawn (launcher, &spawn_error, checker, option, NULL);
    }
  /* synchronous, as the check in this process was: a settings change or the start waits */
  if (child == NULL || !g_subprocess_communicate (child, NULL, NULL, &out, &err, &spawn_error))
    {
      if (child != NULL)
        g_subprocess_force_exit (child);
      g_warning ("Cannot run %s to check an audio device, checking in the daemon: %s",
                 checker, spawn_error->message);
      return check_here (description, is_source, error);
    }
  out_text = bytes_text (out);
  err_text = bytes_text (err);
  /* GStreamer's warnings, a sanitizer's report: through our log, as if checked here
   * (our stderr may be in journal export format) */
  if (*err_text != '\0')
    g_message ("The audio device check said: %s", err_text);

  status = g_subprocess_get_status (child);
  if (WIFSIGNALED (status))
    {
      /* an element that crashes the checker would crash a call */
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("its check ended with signal %d"), WTERMSIG (status));
      return FALSE;
    }
  switch (WIFEXITED (status) ? WEXITSTATUS (status) : -1)
    {
    case CHECK_VALID:
      return TRUE;
    case CHECK_INVALID:
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, out_text);
      return FALSE;
    case CHECK_NO_GSTREAMER:
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED, _("GStreamer is not available"));
      return FALSE;
    default:
      g_warning ("%s could not check an audio device (wait status %d), checking in the daemon",
                 checker, status);
      return check_here (description, is_source, error);
    }
}

gboolean
sips_audio_device_check_isolated (const char *description, gboolean is_source, GError **error)
{
  if (checker != NULL && !sips_media_is_initialized ())
    return check_in_child (description, is_source, error);
  return check_here (description, is_source, error);
}

/* All of stdin, NULL if it cannot be read or is not text */
static char *
read_stdin (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char buffer[4096];
  ssize_t n;

  while ((n = read (STDIN_FILENO, buffer, sizeof buffer)) != 0)
    {
      if (n < 0 && errno != EINTR)
        return NULL;
      if (n > 0)
        g_string_append_len (text, buffer, n);
    }
  if (strlen (text->str) != text->len || !g_utf8_validate (text->str, -1, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

int
sips_audio_device_check_main (const char *direction)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = read_stdin ();
  gboolean is_source = g_str_equal (direction, "source");
  int status;

  if ((!is_source && !g_str_equal (direction, "sink")) || description == NULL)
    {
      g_printerr ("sipsimpled: %s\n",
                  _("--check-audio-device=source|sink takes a device description on stdin"));
      return CHECK_USAGE;
    }
  if (sips_media_check_device (description, is_source, &error))
    status = CHECK_VALID;
  else if (g_error_matches (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED))
    {
      g_printerr (_("sipsimpled: cannot initialise GStreamer: %s\n"), error->message);
      status = CHECK_NO_GSTREAMER;
    }
  else
    {
      g_print ("%s\n", error->message);
      status = CHECK_INVALID;
    }
  sips_media_shutdown ();
  return status;
}
