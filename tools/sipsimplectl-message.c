/* sipsimplectl-message.c: message, a pager-mode instant message (RFC 3428 SIP
 * MESSAGE) sent with Account1.SendMessage, waiting for its delivery report.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* A MESSAGE nobody answers fails after SIP's transaction timeout (32 s, then 408). */
#define MESSAGE_WAIT_MS 40000

typedef struct {
  GMainLoop *loop;
  char *id;                /* from SendMessage's reply */
  GHashTable *reports;     /* id -> "+code reason" (delivered) or "-code reason" */
  gboolean daemon_gone;
} Message;

static void
on_report (const DaemonSignal *sig, gpointer user_data)
{
  Message *message = user_data;
  const char *id, *reason;
  gint32 code;

  if ((strcmp (sig->member, "DidDeliverMessage") != 0 &&
       strcmp (sig->member, "DidNotDeliverMessage") != 0) ||
      !g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(xsis)")))
    return;
  g_variant_get (sig->params, "(x&si&s)", NULL, &id, &code, &reason);
  g_hash_table_replace (message->reports, g_strdup (id),
                        g_strdup_printf ("%c%d %s", sig->member[3] == 'D' ? '+' : '-',
                                         code, reason));
  if (message->id != NULL && strcmp (id, message->id) == 0)
    g_main_loop_quit (message->loop);
}

/* NameOwnerChanged of the daemon's name: it left the bus (new owner ""). */
static void
on_owner_changed (const DaemonSignal *sig, gpointer user_data)
{
  Message *message = user_data;
  const char *new_owner = NULL;

  if (g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(sss)")))
    g_variant_get (sig->params, "(&s&s&s)", NULL, NULL, &new_owner);
  if (new_owner != NULL && *new_owner == '\0')
    {
      message->daemon_gone = TRUE;
      g_main_loop_quit (message->loop);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
cmd_message (int argc, char **argv)
{
  g_autofree char *opt_type = NULL;
  const GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &opt_type, N_("Send the text as CONTENT_TYPE (default: text/plain)"), N_("CONTENT_TYPE") },
    { NULL }
  };
  const char *synopsis = "message [ACCOUNT] URI TEXT [--type=CONTENT_TYPE]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autofree char *path = NULL;
  g_autofree char *owner = NULL;
  GDBusConnection *bus;
  Message message = { NULL };
  const char *uri, *text, *report;
  int wait_ms = timeout_ms () > 0 ? timeout_ms () : MESSAGE_WAIT_MS;
  guint report_id, owner_id;
  int status;

  if (!parse_options ("message [ACCOUNT] URI TEXT", entries, &argc, &argv) ||
      argc < 3 || argc > 4)
    return usage (synopsis);
  uri = argv[argc - 2];
  text = argv[argc - 1];
  if (!g_utf8_validate (text, -1, NULL) || !g_utf8_validate (uri, -1, NULL) ||
      (opt_type != NULL && !g_utf8_validate (opt_type, -1, NULL)))
    return fail (_("the URI, the text and its type must be UTF-8"));
  if ((status = connect_daemon (&bus, &owner)) != EXIT_OK)
    return status;
  path = argc == 4 ? resolve_account (argv[1], &error) : default_account (&error);
  if (path == NULL)
    return fail_error (error);

  /* Subscribed before the call: the report cannot slip by. */
  message.loop = g_main_loop_new (NULL, FALSE);
  message.reports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  report_id = follow_signals (bus, owner, ACCOUNT_IFACE, NULL, path, NULL, on_report, &message);
  owner_id = follow_daemon_owner (bus, on_owner_changed, &message);

  reply = call_daemon (path, ACCOUNT_IFACE, "SendMessage",
                       g_variant_new ("(sss)", uri, text, opt_type != NULL ? opt_type : ""),
                       G_VARIANT_TYPE ("(s)"), &error);
  if (reply == NULL)
    status = fail_error (error);
  else
    {
      g_variant_get (reply, "(s)", &message.id);
      g_print ("%s\n", message.id);
      fflush (stdout);
      /* reports that came before the reply wait in the main context: the loop
       * dispatches them, and on_report now knows the id */
      timeout = g_timeout_source_new (wait_ms);
      g_source_set_callback (timeout, on_timeout, message.loop, NULL);
      g_source_attach (timeout, NULL);
      if (g_hash_table_lookup (message.reports, message.id) == NULL)
        g_main_loop_run (message.loop);
      g_source_destroy (timeout);

      report = g_hash_table_lookup (message.reports, message.id);
      if (report != NULL && report[0] == '+')
        {
          g_print (_("delivered: %s\n"), report + 1);
          status = EXIT_OK;
        }
      else if (report != NULL)
        status = fail (_("not delivered: %s"), report + 1);
      else if (message.daemon_gone)
        status = fail (_("sipsimpled left the bus before the message was reported on"));
      else
        status = fail (_("no delivery report within %d s"), wait_ms / 1000);
    }
  g_dbus_connection_signal_unsubscribe (bus, report_id);
  g_dbus_connection_signal_unsubscribe (bus, owner_id);
  g_main_loop_unref (message.loop);
  g_hash_table_unref (message.reports);
  g_free (message.id);
  return status;
}
