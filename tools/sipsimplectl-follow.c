/* sipsimplectl-follow.c: what the commands that stay for the daemon's signals
 * share: every subscription goes through follow_signals(); `call` and `chat`
 * follow a session to its end, `record` and `send-message` wait for one signal
 * with a timeout, `monitor` follows everything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib-unix.h>

int
connect_daemon (GDBusConnection **bus, char **owner)
{
  g_autoptr(GError) error = NULL;

  if ((*bus = get_bus (&error)) == NULL)
    return fail_error (error);
  *owner = get_daemon_owner (&error);
  if (*owner == NULL)
    return error != NULL ? fail_error (error) : fail_not_running ();
  return EXIT_OK;
}

/* The time of a signal of ours (its first argument, an x) or else now; *first
 * is the index of the argument after the time. */
static gint64
signal_time (GVariant *params, gsize *first)
{
  gint64 when = g_get_real_time ();

  *first = 0;
  if (g_variant_n_children (params) > 0)
    {
      g_autoptr(GVariant) arg0 = g_variant_get_child_value (params, 0);

      if (g_variant_is_of_type (arg0, G_VARIANT_TYPE_INT64))
        when = g_variant_get_int64 (arg0), *first = 1;
    }
  return when;
}

/* ------------------------------------------------------------ following signals */

typedef struct {
  DaemonSignalFunc func;
  gpointer user_data;
} Follower;

/* The one GDBusSignalCallback: the commands' handlers get a DaemonSignal. */
static void
on_followed_signal (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *iface,
                    const char      *member,
                    GVariant        *params,
                    gpointer         user_data)
{
  Follower *follower = user_data;
  DaemonSignal sig = { path, iface, member, params, 0, 0 };

  sig.time = g_str_has_prefix (iface, IFACE_PREFIX) ? signal_time (params, &sig.first)
                                                    : g_get_real_time ();
  follower->func (&sig, follower->user_data);
}

guint
follow_signals (GDBusConnection  *bus,
                const char       *sender,
                const char       *iface,
                const char       *member,
                const char       *path,
                const char       *arg0,
                DaemonSignalFunc  func,
                gpointer          user_data)
{
  Follower *follower = g_new (Follower, 1);

  follower->func = func;
  follower->user_data = user_data;
  return g_dbus_connection_signal_subscribe (bus, sender, iface, member, path, arg0,
                                             G_DBUS_SIGNAL_FLAGS_NONE, on_followed_signal,
                                             follower, g_free);
}

guint
follow_daemon_owner (GDBusConnection *bus, DaemonSignalFunc func, gpointer user_data)
{
  return follow_signals (bus, "org.freedesktop.DBus", "org.freedesktop.DBus",
                         "NameOwnerChanged", "/org/freedesktop/DBus", DAEMON_NAME,
                         func, user_data);
}

/* ------------------------------------------------------------ waiting for a signal */

static gboolean
on_wait_timeout (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
signal_wait_start (SignalWait          *wait,
                   GDBusConnection     *bus,
                   const char          *owner,
                   const char          *path,
                   const char          *member,
                   DaemonSignalFunc     on_signal,
                   gpointer             user_data)
{
  wait->bus = bus;
  wait->loop = g_main_loop_new (NULL, FALSE);
  wait->signal_id = follow_signals (bus, owner, SESSION_IFACE, member, path, NULL,
                                    on_signal, user_data);
}

void
signal_wait_run (SignalWait *wait, int wait_ms)
{
  g_autoptr(GSource) timeout = g_timeout_source_new (wait_ms);

  g_source_set_callback (timeout, on_wait_timeout, wait->loop, NULL);
  g_source_attach (timeout, NULL);
  g_main_loop_run (wait->loop);
  g_source_destroy (timeout);
}

void
signal_wait_clear (SignalWait *wait)
{
  g_dbus_connection_signal_unsubscribe (wait->bus, wait->signal_id);
  g_main_loop_unref (wait->loop);
}

/* ------------------------------------------------------------ following a session */

int
session_follow_create (SessionFollow *follow, const char *opt_account, char **account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  int status;

  if ((status = connect_daemon (&follow->bus, &follow->owner)) != EXIT_OK)
    return status;
  if (opt_account != NULL && (*account = resolve_account (opt_account, &error)) == NULL)
    return fail_error (error);

  reply = call_daemon (MANAGER_PATH, MANAGER_IFACE, "CreateSession", NULL,
                       G_VARIANT_TYPE ("(o)"), &error);
  if (reply == NULL)
    return fail_error (error);
  g_variant_get (reply, "(o)", &follow->path);
  follow->loop = g_main_loop_new (NULL, FALSE);
  follow->status = EXIT_FAIL;
  return EXIT_OK;
}

void
session_follow_subscribe (SessionFollow       *follow,
                          const char          *iface,
                          const char          *path,
                          DaemonSignalFunc     on_signal,
                          gpointer             user_data)
{
  g_assert (follow->n_subscriptions < G_N_ELEMENTS (follow->subscriptions));
  follow->subscriptions[follow->n_subscriptions++] =
    follow_signals (follow->bus, follow->owner, iface, NULL, path, NULL, on_signal, user_data);
}

static void
on_daemon_gone (const DaemonSignal *sig, gpointer user_data)
{
  SessionFollow *follow = user_data;

  fail ("%s", follow->gone_message);
  follow->status = EXIT_FAIL;
  g_main_loop_quit (follow->loop);
}

static void
on_terminate_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);
  g_autofree char *name = error ? g_dbus_error_get_remote_error (error) : NULL;

  /* InvalidState: the session is ending already; its DidEnd is on the way. */
  if (reply == NULL && g_strcmp0 (name, IFACE_PREFIX "Error.InvalidState") != 0)
    fail_error (error);
}

void
session_follow_terminate (SessionFollow *follow)
{
  if (follow->terminating)
    return;
  follow->terminating = TRUE;
  g_dbus_connection_call (follow->bus, DAEMON_NAME, follow->path, SESSION_IFACE, "Terminate",
                          NULL, NULL, G_DBUS_CALL_FLAGS_NONE, timeout_ms (), NULL,
                          on_terminate_done, NULL);
}

/* First Ctrl-C hangs up and waits for DidEnd; a second one leaves at once. */
static gboolean
on_interrupt (gpointer user_data)
{
  SessionFollow *follow = user_data;

  if (++follow->interrupts > 1)
    {
      follow->status = EXIT_FAIL;
      g_main_loop_quit (follow->loop);
      return G_SOURCE_CONTINUE;
    }
  if (follow->hangup_notice != NULL)
    g_printerr ("%s", follow->hangup_notice);
  session_follow_terminate (follow);
  return G_SOURCE_CONTINUE;
}

gboolean
session_follow_new (SessionFollow *follow, const char *uri, const char *account,
                    const char *route, gboolean audio, gboolean chat)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  follow->owner_id = follow_daemon_owner (follow->bus, on_daemon_gone, follow);
  follow->sigint_id = g_unix_signal_add (SIGINT, on_interrupt, follow);
  follow->sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, follow);

  reply = call_daemon (follow->path, SESSION_IFACE, "New",
                       g_variant_new ("(sosbb)", uri, account ? account : "/",
                                      route ? route : "", audio, chat),
                       NULL, &error);
  if (reply != NULL)
    return TRUE;
  follow->status = fail_error (error);
  return FALSE;
}

void
session_follow_ended (SessionFollow *follow)
{
  follow->status = follow->failed ? EXIT_FAIL : EXIT_OK;
  g_main_loop_quit (follow->loop);
}

void
session_follow_stop (SessionFollow *follow)
{
  g_clear_handle_id (&follow->sigint_id, g_source_remove);
  g_clear_handle_id (&follow->sigterm_id, g_source_remove);
  for (guint i = 0; i < follow->n_subscriptions; i++)
    g_dbus_connection_signal_unsubscribe (follow->bus, follow->subscriptions[i]);
  follow->n_subscriptions = 0;
  if (follow->owner_id != 0)
    g_dbus_connection_signal_unsubscribe (follow->bus, follow->owner_id);
  follow->owner_id = 0;
}

void
session_follow_clear (SessionFollow *follow)
{
  session_follow_stop (follow);
  g_clear_pointer (&follow->loop, g_main_loop_unref);
  g_clear_pointer (&follow->path, g_free);
  g_clear_pointer (&follow->owner, g_free);
}
