/* main.c: sipsimpled: options, bus name, sd_notify and its watchdog, signals, main loop */
#include <glib.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include "engine/sips-engine.h"
#include "core/sips-log.h"
#include "dbus/sips-dbus-exporter.h"
#include "media/sips-audio-device-check.h"
#include "media/sips-media-module.h"
#include "msrp/sips-file-hash.h"
#include "lsan-glib.h"

#define BUS_NAME "org.sipsimple.Daemon1"

typedef struct {
  GMainLoop        *loop;
  GDBusConnection  *connection;
  SipsEngine       *engine;
  SipsDbusExporter *exporter;
  guint             name_id;
  gboolean          name_acquired;
  gboolean          stopping;
  int               exit_status;
  guint             watchdog_id;
} Daemon;

static gboolean opt_session;
static gboolean opt_system;
static char    *opt_address;
static char    *opt_config;
static gboolean opt_verbose;
static gboolean opt_log_fields;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session, N_("Use the session bus (the default)"), NULL },
  { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system, N_("Use the system bus"), NULL },
  { "address", 0, 0, G_OPTION_ARG_STRING, &opt_address, N_("Use the bus at ADDR"), N_("ADDR") },
  { "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config, N_("Keep the configuration in FILE"), N_("FILE") },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, N_("Log debug messages and SIP traces"), NULL },
  { "log-fields", 0, 0, G_OPTION_ARG_NONE, &opt_log_fields,
    N_("Write the log on stderr in journal export format, with its structured fields"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
  { NULL }
};

static void
on_engine_shutdown (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  if (!sips_engine_shutdown_finish (SIPS_ENGINE (source), result, &error))
    g_warning ("SIP shutdown: %s", error->message);
  g_main_loop_quit (daemon->loop);
}

/* libsystemd is opened only when systemd waits for our notifications (NOTIFY_SOCKET set,
 * Type=notify): without it sd_notify() does nothing, and a daemon started otherwise does
 * not map libsystemd and its chain (gcrypt, gpg-error, lz4, ...: ~0.8 MB of idle RSS). */
static __typeof__ (sd_notify) *systemd_notify;
static __typeof__ (sd_watchdog_enabled) *systemd_watchdog_enabled;

static void
open_systemd (void)
{
  static gsize once;
  void *lib;

  if (!g_once_init_enter (&once))
    return;
  if (g_getenv ("NOTIFY_SOCKET") != NULL)
    {
      lib = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
      if (lib != NULL)
        {
          systemd_notify = (__typeof__ (sd_notify) *) dlsym (lib, "sd_notify");
          systemd_watchdog_enabled = (__typeof__ (sd_watchdog_enabled) *)
            dlsym (lib, "sd_watchdog_enabled");
        }
      if (systemd_notify == NULL)
        g_warning ("cannot notify systemd: %s", dlerror ());
    }
  g_once_init_leave (&once, 1);
}

static void
notify_systemd (const char *state)
{
  open_systemd ();
  if (systemd_notify != NULL)
    systemd_notify (0, state);
}

static gboolean
on_watchdog (gpointer user_data)
{
  notify_systemd ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* With WatchdogSec= systemd restarts a daemon whose main loop stops turning: it hears
 * from the loop itself, twice per interval. */
static void
start_watchdog (Daemon *daemon)
{
  uint64_t usec = 0;

  open_systemd ();
  if (systemd_watchdog_enabled != NULL && systemd_watchdog_enabled (0, &usec) > 0 &&
      usec >= 2000 && daemon->watchdog_id == 0)
    daemon->watchdog_id = g_timeout_add ((guint) MIN (usec / 2000, G_MAXUINT), on_watchdog,
                                         daemon);
}

/* Clients first lose the objects, then the SIP side says goodbye (BYE, un-REGISTER). */
static void
daemon_stop (Daemon *daemon, int exit_status)
{
  if (daemon->stopping)
    return;
  daemon->stopping = TRUE;
  daemon->exit_status = exit_status;
  notify_systemd ("STOPPING=1");

  if (daemon->exporter != NULL)
    sips_dbus_exporter_unexport (daemon->exporter);
  if (daemon->name_id != 0)
    {
      g_bus_unown_name (daemon->name_id);
      daemon->name_id = 0;
    }
  sips_engine_shutdown_async (daemon->engine, on_engine_shutdown, daemon);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  g_message ("%s", _("Stopping on request"));
  daemon_stop (user_data, EXIT_SUCCESS);
  return G_SOURCE_CONTINUE;
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  daemon->name_acquired = TRUE;
  g_message (_("Serving %s"), name);
  notify_systemd ("READY=1");
  start_watchdog (daemon);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  if (!daemon->name_acquired)
    g_printerr (_("sipsimpled: %s is already owned on this bus: another sipsimpled is running\n"), name);
  else
    g_warning ("Lost the bus name %s", name);
  daemon_stop (daemon, EXIT_FAILURE);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished,
                      GError *error, gpointer user_data)
{
  g_warning ("The bus connection closed%s%s", error != NULL ? ": " : "", error != NULL ? error->message : "");
  daemon_stop (user_data, EXIT_FAILURE);
}

static GDBusConnection *
connect_bus (GError **error)
{
  if (opt_address != NULL)
    return g_dbus_connection_new_for_address_sync (opt_address,
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, error);
  return g_bus_get_sync (opt_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, error);
}

/* Every call holds sockets and GStreamer's wakeup fds: the soft limit (often 1024) goes up
 * to the hard one, as a server's should (we use no select()). Before anything opens. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Cannot raise the file descriptor limit: %s", g_strerror (errno));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *state_dir = NULL;
  Daemon daemon = { 0 };

  sips_lsan_glib_start ();
  /* GLib before 2.76 keeps GSlice memory in its own caches for ever (each GStreamer
   * streaming thread fills some): after a burst of calls RSS would stay high. G_SLICE is
   * read before main() runs, hence the one re-exec. */
  if (glib_check_version (2, 76, 0) != NULL && g_getenv ("G_SLICE") == NULL)
    {
      g_setenv ("G_SLICE", "always-malloc", TRUE);
      execv ("/proc/self/exe", argv);
      /* not fatal: memory comes back more slowly */
    }
  raise_fd_limit ();
#ifdef __GLIBC__
  /* GStreamer and GLib threads would each get a malloc arena (8 per core) that keeps
   * what a burst of calls freed: few arenas, trimmed when the sessions are gone */
  mallopt (M_ARENA_MAX, 2);
#endif
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* The hidden mode the daemon runs itself in to check a device setting, so that the
   * daemon does not load GStreamer before a call needs it. */
  if (argc == 2 && g_str_has_prefix (argv[1], SIPS_AUDIO_DEVICE_CHECK_OPTION))
    return sips_audio_device_check_main (argv[1] + strlen (SIPS_AUDIO_DEVICE_CHECK_OPTION));

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("SIP user agent daemon offering the SIP SIMPLE client API over D-Bus"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sipsimpled: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (opt_version)
    {
      g_print ("sipsimpled %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if ((opt_system ? 1 : 0) + (opt_session ? 1 : 0) + (opt_address != NULL ? 1 : 0) > 1)
    {
      g_printerr ("sipsimpled: %s\n", _("--session, --system and --address exclude each other"));
      return EXIT_FAILURE;
    }
  g_log_set_writer_func (sips_log_writer, opt_log_fields ? GINT_TO_POINTER (TRUE) : NULL, NULL);
  if (opt_verbose)
    {
      g_log_set_debug_enabled (TRUE);
      /* sofia reads these when its transports start: full SIP messages into the log */
      g_setenv ("TPORT_LOG", "1", FALSE);
    }

  /* Before anything a client can see: a SIGTERM right after start must stop cleanly. */
  daemon.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_unix_signal, &daemon);
  g_unix_signal_add (SIGINT, on_unix_signal, &daemon);

  if (opt_system)
    state_dir = g_strdup ("/var/lib/sipsimpled");
  else
    state_dir = g_build_filename (g_get_user_state_dir (), "sipsimpled", NULL);
  config_path = opt_config != NULL ? g_strdup (opt_config) : sips_config_store_default_path (opt_system);

  sips_audio_device_check_set_checker ("/proc/self/exe");
  daemon.engine = sips_engine_new (config_path, state_dir, &error);
  if (daemon.engine == NULL)
    {
      g_printerr (_("sipsimpled: cannot load the configuration %s: %s\n"), config_path, error->message);
      return EXIT_FAILURE;
    }

  daemon.connection = connect_bus (&error);
  if (daemon.connection == NULL)
    {
      g_printerr (_("sipsimpled: cannot connect to the bus: %s\n"), error->message);
      g_clear_object (&daemon.engine);
      return EXIT_FAILURE;
    }
  g_dbus_connection_set_exit_on_close (daemon.connection, FALSE);

  if (!sips_engine_start (daemon.engine, &error))
    {
      g_printerr (_("sipsimpled: cannot start SIP: %s\n"), error->message);
      g_clear_object (&daemon.engine);
      g_clear_object (&daemon.connection);
      return EXIT_FAILURE;
    }

  /* Objects first, then the name: a client that sees the name finds the objects. */
  daemon.exporter = sips_dbus_exporter_new (daemon.engine, daemon.connection);
  g_signal_connect (daemon.connection, "closed", G_CALLBACK (on_connection_closed), &daemon);
  daemon.name_id = g_bus_own_name_on_connection (daemon.connection, BUS_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                 on_name_acquired, on_name_lost, &daemon, NULL);
  g_main_loop_run (daemon.loop);

  g_clear_object (&daemon.exporter);
  g_dbus_connection_flush_sync (daemon.connection, NULL, NULL);
  g_clear_object (&daemon.connection);
  g_clear_object (&daemon.engine);
  /* a file still being hashed for SendFile: its thread must not outlive OpenSSL */
  sips_file_hash_shutdown ();
  /* the calls' pipelines still going down: waited for, GStreamer's threads joined */
  sips_media_shutdown ();
  g_clear_handle_id (&daemon.watchdog_id, g_source_remove);
  g_main_loop_unref (daemon.loop);
  g_free (opt_address);
  g_free (opt_config);
  return daemon.exit_status;
}
