/* sipsimplectl-files.c: MSRP file transfers (MSRPFileTransfer1, RFC 5547):
 * send-file, transfers, accept-file, reject-file, cancel-file.
 *
 * Results go to stdout (the transfer's object, the received file's path), progress
 * to stderr: a bar redrawn in place on a terminal, one plain line per Progress
 * signal otherwise, so `f=$(sipsimplectl accept-file)` gets just the path.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TRANSFER_IFACE   IFACE_PREFIX "MSRPFileTransfer1"
#define TRANSFER_PREFIX  ROOT_PATH "/FileTransfer/"
#define BAR_WIDTH        30

/* ------------------------------------------------------------ progress */

typedef struct {
  gboolean tty;          /* stderr is a terminal: redraw one line */
  gboolean drawn;        /* a bar is on the line (end it with a newline) */
  gint64 start;          /* monotonic time of the first byte, or 0 */
  guint64 start_bytes;
  guint64 transferred, total;
} Progress;

static void
progress_init (Progress *p)
{
  p->tty = isatty (STDERR_FILENO);
}

static double
progress_rate (Progress *p)
{
  gint64 elapsed = p->start != 0 ? g_get_monotonic_time () - p->start : 0;

  if (elapsed <= 0 || p->transferred < p->start_bytes)
    return 0;
  return (double) (p->transferred - p->start_bytes) / (1024.0 * 1024.0) *
         G_USEC_PER_SEC / elapsed;
}

static void
progress_update (Progress *p, guint64 transferred, guint64 total)
{
  int percent = total > 0 ? (int) (transferred * 100 / total) : 100;

  if (p->start == 0)
    {
      p->start = g_get_monotonic_time ();
      p->start_bytes = transferred;
    }
  p->transferred = transferred;
  p->total = total;
  if (!p->tty)
    {
      g_printerr (_("progress: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " bytes (%d%%)\n"),
                  transferred, total, percent);
      return;
    }

  {
    char bar[BAR_WIDTH + 1];
    int filled = percent * BAR_WIDTH / 100;

    memset (bar, '#', filled);
    memset (bar + filled, '-', BAR_WIDTH - filled);
    bar[BAR_WIDTH] = '\0';
    g_printerr ("\r[%s] %3d%% %.1f/%.1f MiB %.1f MiB/s\033[K", bar, percent,
                transferred / (1024.0 * 1024.0), total / (1024.0 * 1024.0), progress_rate (p));
    p->drawn = TRUE;
  }
}

/* Ends the bar's line before anything else is printed. */
static void
progress_end_line (Progress *p)
{
  if (p->drawn)
    g_printerr ("\n");
  p->drawn = FALSE;
}

/* ------------------------------------------------------------ following a transfer */

typedef enum { FOLLOW_SEND, FOLLOW_RECEIVE } FollowKind;

typedef struct {
  FollowKind kind;
  GMainLoop *loop;
  GDBusConnection *bus;
  char *owner;
  char *path;              /* the transfer; NULL until SendFile answers */
  Progress progress;
  char *got_path;          /* GotFile's file_path */
  char *failure;           /* DidFail / DidNotDeliverFile, for the last word */
  gboolean delivered;      /* DidDeliverFile */
  gboolean cancelling;
  int interrupts;
  int status;
  guint signals_id, owner_id, sigint_id, sigterm_id;
} Follow;

static void
on_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);
  g_autofree char *name = error ? g_dbus_error_get_remote_error (error) : NULL;

  /* InvalidState: ending already; its DidEnd is on the way. */
  if (reply == NULL && g_strcmp0 (name, IFACE_PREFIX "Error.InvalidState") != 0)
    fail_error (error);
}

/* First Ctrl-C cancels and waits for DidEnd; a second one leaves at once. */
static gboolean
on_interrupt (gpointer user_data)
{
  Follow *f = user_data;

  progress_end_line (&f->progress);
  if (++f->interrupts > 1 || f->path == NULL)
    {
      f->status = EXIT_FAIL;
      g_main_loop_quit (f->loop);
      return G_SOURCE_CONTINUE;
    }
  g_printerr (_("sipsimplectl: cancelling the transfer (interrupt again to leave at once)\n"));
  f->cancelling = TRUE;
  g_dbus_connection_call (f->bus, DAEMON_NAME, f->path, TRANSFER_IFACE, "Cancel", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, timeout_ms (), NULL, on_cancel_done, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_daemon_gone (const DaemonSignal *sig, gpointer user_data)
{
  Follow *f = user_data;

  progress_end_line (&f->progress);
  fail (_("sipsimpled left the bus during the transfer"));
  f->status = EXIT_FAIL;
  g_main_loop_quit (f->loop);
}

static void
follow_finish (Follow *f)
{
  progress_end_line (&f->progress);
  if (f->kind == FOLLOW_SEND && f->delivered)
    {
      g_print (_("delivered: %" G_GUINT64_FORMAT " bytes (%.1f MiB/s)\n"),
               f->progress.total, progress_rate (&f->progress));
      f->status = EXIT_OK;
    }
  else if (f->kind == FOLLOW_RECEIVE && f->got_path != NULL)
    {
      g_print ("%s\n", f->got_path);
      f->status = EXIT_OK;
    }
  else if (f->failure != NULL)
    f->status = fail (f->kind == FOLLOW_SEND ? _("not delivered: %s") : _("not received: %s"),
                      f->failure);
  else
    f->status = fail (_("the transfer ended without %s"),
                      f->kind == FOLLOW_SEND ? "DidDeliverFile" : "GotFile");
  fflush (stdout);
  g_main_loop_quit (f->loop);
}

static void
set_failure (Follow *f, char *failure)
{
  g_free (f->failure);
  f->failure = failure;
}

static void
on_transfer_signal (const DaemonSignal *sig, gpointer user_data)
{
  Follow *f = user_data;
  const char *member = sig->member;
  GVariant *params = sig->params;

  /* Signals of other transfers (SendFile's object is not known before its reply). */
  if (f->path == NULL || strcmp (sig->path, f->path) != 0)
    return;

  if (strcmp (member, "Progress") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(xtt)")))
    {
      guint64 transferred, total;

      g_variant_get (params, "(xtt)", NULL, &transferred, &total);
      progress_update (&f->progress, transferred, total);
    }
  else if (strcmp (member, "GotFile") == 0 &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(xsts)")))
    {
      g_free (f->got_path);
      g_variant_get (params, "(xsts)", NULL, &f->got_path, &f->progress.total, NULL);
    }
  else if (strcmp (member, "DidDeliverFile") == 0)
    f->delivered = TRUE;
  else if (strcmp (member, "DidNotDeliverFile") == 0 &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(xis)")))
    {
      const char *reason;
      gint32 code;

      g_variant_get (params, "(xi&s)", NULL, &code, &reason);
      set_failure (f, g_strdup_printf ("%d %s", code, reason));
    }
  else if (strcmp (member, "DidFail") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(xs)")))
    {
      const char *reason;

      g_variant_get (params, "(x&s)", NULL, &reason);
      /* DidNotDeliverFile's code says more; keep it. */
      if (f->failure == NULL)
        set_failure (f, g_strdup (reason));
    }
  else if (strcmp (member, "DidEnd") == 0)
    follow_finish (f);
}

/* Subscribes to every transfer signal of the daemon (before the call that makes
 * them, so none slips by) and watches the daemon and Ctrl-C. */
static int
follow_start (Follow *f, FollowKind kind)
{
  int status;

  f->kind = kind;
  if ((status = connect_daemon (&f->bus, &f->owner)) != EXIT_OK)
    return status;
  progress_init (&f->progress);
  f->loop = g_main_loop_new (NULL, FALSE);
  f->status = EXIT_FAIL;
  f->signals_id = follow_signals (f->bus, f->owner, TRANSFER_IFACE, NULL, NULL, NULL,
                                  on_transfer_signal, f);
  f->owner_id = follow_daemon_owner (f->bus, on_daemon_gone, f);
  f->sigint_id = g_unix_signal_add (SIGINT, on_interrupt, f);
  f->sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, f);
  return EXIT_OK;
}

static void
follow_clear (Follow *f)
{
  g_clear_handle_id (&f->sigint_id, g_source_remove);
  g_clear_handle_id (&f->sigterm_id, g_source_remove);
  if (f->signals_id != 0)
    g_dbus_connection_signal_unsubscribe (f->bus, f->signals_id);
  if (f->owner_id != 0)
    g_dbus_connection_signal_unsubscribe (f->bus, f->owner_id);
  f->signals_id = f->owner_id = 0;
  g_clear_pointer (&f->loop, g_main_loop_unref);
  g_clear_pointer (&f->owner, g_free);
  g_clear_pointer (&f->path, g_free);
  g_clear_pointer (&f->got_path, g_free);
  g_clear_pointer (&f->failure, g_free);
}

/* ------------------------------------------------------------ picking a transfer */

typedef enum {
  PICK_OFFERED,   /* accept-file, reject-file */
  PICK_RUNNING,   /* cancel-file: every state Cancel() accepts */
} TransferPick;

static gboolean
transfer_matches (GVariant *props, TransferPick pick)
{
  g_autofree char *state = lookup_string (props, "State");
  g_autofree char *direction = lookup_string (props, "Direction");

  if (pick == PICK_OFFERED)
    return strcmp (state, "offered") == 0 && strcmp (direction, "incoming") == 0;
  return strcmp (state, "offered") == 0 || strcmp (state, "connecting") == 0 ||
         strcmp (state, "transferring") == 0;
}

/* transfer/N, N, or an object path under /org/sipsimple/FileTransfer/. */
static gboolean
looks_like_transfer (const char *spec)
{
  return g_str_has_prefix (spec, "transfer/") || g_str_has_prefix (spec, TRANSFER_PREFIX) ||
         (*spec != '\0' && strspn (spec, "0123456789") == strlen (spec));
}

/* The transfer named by `spec`, or with spec NULL the only one `pick` applies to. */
static char *
pick_transfer (const char *spec, TransferPick pick, GError **error)
{
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autofree char *path = NULL;
  g_autofree char *list = NULL;

  if (spec != NULL)
    {
      g_autoptr(GVariant) props = NULL;

      path = strspn (spec, "0123456789") == strlen (spec)
               ? g_strconcat (TRANSFER_PREFIX, spec, NULL) : resolve_object (spec, error);
      if (path == NULL || (objects = get_managed_objects (error)) == NULL)
        return NULL;
      props = lookup_object_props (objects, path, TRANSFER_IFACE);
      if (props == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no file transfer at %s"), path);
          return NULL;
        }
      return g_steal_pointer (&path);
    }

  if ((objects = get_managed_objects (error)) == NULL)
    return NULL;
  paths = objects_with_iface (objects, TRANSFER_IFACE);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GVariant) props = lookup_object_props (objects, paths->pdata[i], TRANSFER_IFACE);

      if (transfer_matches (props, pick))
        g_ptr_array_add (matches, paths->pdata[i]);
    }
  if (matches->len == 1)
    return g_strdup (matches->pdata[0]);
  if (matches->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           pick == PICK_OFFERED ? _("no file is offered")
                                                : _("no file transfer is under way"));
      return NULL;
    }
  g_ptr_array_add (matches, NULL);
  list = g_strjoinv (", ", (char **) matches->pdata);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               pick == PICK_OFFERED ? _("%u files are offered (%s): name one")
                                    : _("%u file transfers are under way (%s): name one"),
               matches->len - 1, list);
  return NULL;
}

/* ------------------------------------------------------------ send-file */

int
cmd_send_file (int argc, char **argv)
{
  g_autofree char *opt_account = NULL;
  g_autofree char *opt_type = NULL;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &opt_account, N_("Send from ACCOUNT (default: Settings1.DefaultAccount)"), N_("ACCOUNT") },
    { "content-type", 0, 0, G_OPTION_ARG_STRING, &opt_type, N_("Offer the file as TYPE (default: guessed by the daemon)"), N_("TYPE") },
    { NULL }
  };
  const char *synopsis = "send-file URI PATH [--account=ACCOUNT] [--content-type=TYPE]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *account = NULL;
  g_autofree char *file = NULL;
  Follow f = { 0 };
  int status;

  if (!parse_options ("send-file URI PATH", entries, &argc, &argv) || argc != 3)
    return usage (synopsis);
  if (*argv[1] == '\0' || *argv[2] == '\0')
    return usage (synopsis);
  if (opt_type != NULL && !g_utf8_validate (opt_type, -1, NULL))
    return fail (_("the content type must be UTF-8"));
  /* The daemon has its own working directory: send it an absolute path. */
  file = g_canonicalize_filename (argv[2], NULL);
  if (!g_utf8_validate (file, -1, NULL) || !g_utf8_validate (argv[1], -1, NULL))
    return fail (_("the URI and the file name must be UTF-8"));

  if ((status = follow_start (&f, FOLLOW_SEND)) != EXIT_OK)
    goto out;
  if (opt_account != NULL && (account = resolve_account (opt_account, &error)) == NULL)
    {
      status = fail_error (error);
      goto out;
    }
  /* The rate shown counts from the call: offer, answer and connection included. */
  f.progress.start = g_get_monotonic_time ();
  reply = call_daemon (MANAGER_PATH, MANAGER_IFACE, "SendFile",
                       g_variant_new ("(osss)", account ? account : "/", argv[1], file,
                                      opt_type ? opt_type : ""),
                       G_VARIANT_TYPE ("(o)"), &error);
  if (reply == NULL)
    {
      status = fail_error (error);
      goto out;
    }
  g_variant_get (reply, "(o)", &f.path);
  g_print ("%s\n", f.path);
  fflush (stdout);
  /* Signals that came before the reply wait in the main context: the loop
   * dispatches them now that f.path is known. */
  g_main_loop_run (f.loop);
  status = f.status;

out:
  follow_clear (&f);
  return status;
}

/* ------------------------------------------------------------ transfers */

static guint64
lookup_uint64 (GVariant *props, const char *name)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (props, name, G_VARIANT_TYPE_UINT64);

  return value != NULL ? g_variant_get_uint64 (value) : 0;
}

/* The name goes last: it may hold spaces. */
static void
print_transfer_row (const char *path, const char *direction, const char *state,
                    const char *size, const char *progress, const char *name)
{
  g_print ("%-30s %-9s %-12s %12s %-8s %s\n", path, direction, state, size, progress, name);
}

int
cmd_transfers (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  if (!parse_options ("transfers", NULL, &argc, &argv) || argc != 1)
    return usage ("transfers");
  if ((objects = get_managed_objects (&error)) == NULL)
    return fail_error (error);
  paths = objects_with_iface (objects, TRANSFER_IFACE);
  print_transfer_row (_("PATH"), _("DIRECTION"), _("STATE"), _("SIZE"), _("PROGRESS"), _("NAME"));
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GVariant) props = lookup_object_props (objects, paths->pdata[i], TRANSFER_IFACE);
      g_autofree char *direction = lookup_string (props, "Direction");
      g_autofree char *state = lookup_string (props, "State");
      g_autofree char *name = lookup_string (props, "FileName");
      guint64 size = lookup_uint64 (props, "FileSize");
      guint64 done = lookup_uint64 (props, "BytesTransferred");
      g_autofree char *size_text = g_strdup_printf ("%" G_GUINT64_FORMAT, size);
      g_autofree char *progress = g_strdup_printf ("%d%%", size > 0 ? (int) (MIN (done, size) * 100 / size)
                                                                    : strcmp (state, "completed") == 0 ? 100 : 0);

      print_transfer_row (paths->pdata[i], direction, state, size_text, progress,
                          *name != '\0' ? name : "-");
    }
  return EXIT_OK;
}

/* ------------------------------------------------------------ accept-file */

int
cmd_accept_file (int argc, char **argv)
{
  const char *synopsis = "accept-file [TRANSFER] [DIRECTORY]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *directory = NULL;
  const char *spec = NULL, *dir_arg = NULL;
  Follow f = { 0 };
  int status;

  if (!parse_options (synopsis, NULL, &argc, &argv) || argc > 3)
    return usage (synopsis);
  /* One word: a transfer when it reads like one (transfer/N, N, a FileTransfer
   * path), else the directory (./3 for a directory named 3). */
  if (argc == 3)
    spec = argv[1], dir_arg = argv[2];
  else if (argc == 2 && looks_like_transfer (argv[1]))
    spec = argv[1];
  else if (argc == 2)
    dir_arg = argv[1];
  if (dir_arg != NULL && *dir_arg == '\0')
    return usage (synopsis);
  /* "" = Settings1.DownloadsDirectory; else absolute, the daemon has its own cwd. */
  directory = dir_arg != NULL ? g_canonicalize_filename (dir_arg, NULL) : g_strdup ("");
  if (!g_utf8_validate (directory, -1, NULL))
    return fail (_("the directory name must be UTF-8"));

  if ((status = follow_start (&f, FOLLOW_RECEIVE)) != EXIT_OK)
    goto out;
  if ((f.path = pick_transfer (spec, PICK_OFFERED, &error)) == NULL)
    {
      status = fail_error (error);
      goto out;
    }
  f.progress.start = g_get_monotonic_time ();
  reply = call_daemon (f.path, TRANSFER_IFACE, "Accept", g_variant_new ("(s)", directory),
                       NULL, &error);
  if (reply == NULL)
    {
      status = fail_error (error);
      goto out;
    }
  g_main_loop_run (f.loop);
  status = f.status;

out:
  follow_clear (&f);
  return status;
}

/* ------------------------------------------------------------ reject-file, cancel-file */

static int
transfer_command (int argc, char **argv, const char *synopsis, TransferPick pick,
                  const char *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *path = NULL;

  if (!parse_options (synopsis, NULL, &argc, &argv) || argc > 2)
    return usage (synopsis);
  if ((path = pick_transfer (argc == 2 ? argv[1] : NULL, pick, &error)) == NULL)
    return fail_error (error);
  reply = call_daemon (path, TRANSFER_IFACE, method, NULL, NULL, &error);
  return reply != NULL ? EXIT_OK : fail_error (error);
}

int
cmd_reject_file (int argc, char **argv)
{
  return transfer_command (argc, argv, "reject-file [TRANSFER]", PICK_OFFERED, "Reject");
}

int
cmd_cancel_file (int argc, char **argv)
{
  return transfer_command (argc, argv, "cancel-file [TRANSFER]", PICK_RUNNING, "Cancel");
}
