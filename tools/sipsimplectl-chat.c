/* sipsimplectl-chat.c: chat in sessions (Session1 with an MSRP chat stream):
 * chat (interactive), send-message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHAT_IFACE        IFACE_PREFIX "MSRPChat1"
#define REPORT_WAIT_MS    35000   /* the daemon gives up on a report after 30 s (408) */
#define DRAIN_WAIT_MS     5000    /* at end of input, for the reports of what was sent */

/* "Alice <sip:alice@example.com>" of a CPIM From ("\"Alice\" <sip:...>"), or the
 * bare URI when there is no display name. */
static char *
format_sender (const char *from)
{
  g_autofree char *name = NULL;
  const char *lt = strrchr (from, '<');
  const char *gt = lt ? strchr (lt, '>') : NULL;

  if (lt == NULL || gt == NULL)
    return g_strdup (from);
  name = g_strstrip (g_strndup (from, lt - from));
  if (name[0] == '"' && strlen (name) >= 2 && name[strlen (name) - 1] == '"')
    {
      name[strlen (name) - 1] = '\0';
      memmove (name, name + 1, strlen (name));
    }
  if (*name == '\0')
    return g_strndup (lt + 1, gt - lt - 1);
  return g_strdup_printf ("%s %.*s", name, (int) (gt - lt + 1), lt);
}

/* HH:MM:SS, local time, of the CPIM DateTime or else of `usec`. */
static char *
format_clock (const char *datetime, gint64 usec)
{
  g_autoptr(GDateTime) sent = datetime ? g_date_time_new_from_iso8601 (datetime, NULL) : NULL;
  g_autoptr(GDateTime) local = sent ? g_date_time_to_local (sent)
                                    : g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return local ? g_date_time_format (local, "%H:%M:%S") : g_strdup ("??:??:??");
}

static void
print_line (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
print_line (const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_print ("%s\n", text);
  fflush (stdout);  /* one line at a time, even into a pipe */
}

/* ------------------------------------------------------------ chat */

typedef struct {
  SessionFollow follow;
  char *chat_path;
  char *remote;
  GIOChannel *input;
  guint input_id;
  guint drain_id;
  GHashTable *pending;     /* ids of sent messages awaiting their report */
  guint sending;           /* SendMessage calls awaiting their reply */
  gboolean started;
  gboolean input_done;     /* end of input: hang up once `pending` is drained */
  gboolean peer_typing;
} Chat;

static void chat_terminate (Chat *chat);

static gboolean
on_drain_timeout (gpointer user_data)
{
  Chat *chat = user_data;

  chat->drain_id = 0;
  chat_terminate (chat);
  return G_SOURCE_REMOVE;
}

static void
chat_terminate (Chat *chat)
{
  g_clear_handle_id (&chat->drain_id, g_source_remove);
  session_follow_terminate (&chat->follow);
}

/* After the end of input, hang up once what was sent is reported on (or a while). */
static void
chat_maybe_finish (Chat *chat)
{
  if (!chat->input_done || chat->follow.terminating)
    return;
  if (chat->sending == 0 && g_hash_table_size (chat->pending) == 0)
    chat_terminate (chat);
  else if (chat->drain_id == 0)
    chat->drain_id = g_timeout_add (DRAIN_WAIT_MS, on_drain_timeout, chat);
}

static void
on_send_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Chat *chat = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);

  chat->sending--;
  if (reply == NULL)
    fail_error (error);
  else
    {
      char *id = NULL;

      g_variant_get (reply, "(s)", &id);
      g_hash_table_add (chat->pending, id);
    }
  chat_maybe_finish (chat);
}

static void
chat_send_line (Chat *chat, const char *line)
{
  if (!g_utf8_validate (line, -1, NULL))
    {
      fail (_("not sent: the line is not UTF-8"));
      return;
    }
  chat->sending++;
  g_dbus_connection_call (chat->follow.bus, DAEMON_NAME, chat->follow.path, SESSION_IFACE,
                          "SendMessage",
                          g_variant_new ("(sssx)", line, "text/plain", "", (gint64) 0),
                          G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, timeout_ms (), NULL,
                          on_send_done, chat);
}

static gboolean
on_input (GIOChannel *channel, GIOCondition condition, gpointer user_data)
{
  Chat *chat = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize terminator = 0;
  GIOStatus status;

  /* One line per wakeup; the channel's buffer keeps the rest for the next. */
  status = g_io_channel_read_line (channel, &line, NULL, &terminator, &error);
  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  if (status == G_IO_STATUS_NORMAL)
    {
      line[terminator] = '\0';
      if (*line != '\0')
        chat_send_line (chat, line);
      return G_SOURCE_CONTINUE;
    }
  if (status == G_IO_STATUS_ERROR)
    fail (_("cannot read the input: %s"), error->message);
  chat->input_id = 0;
  chat->input_done = TRUE;
  chat_maybe_finish (chat);
  return G_SOURCE_REMOVE;
}

/* Input is read only once the chat stream is up, so nothing typed early is lost. */
static void
chat_start_input (Chat *chat)
{
  if (chat->input != NULL)
    return;
  chat->input = g_io_channel_unix_new (STDIN_FILENO);
  g_io_channel_set_encoding (chat->input, NULL, NULL);
  g_io_channel_set_flags (chat->input, G_IO_FLAG_NONBLOCK, NULL);
  chat->input_id = g_io_add_watch (chat->input, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, chat);
}

static void
chat_got_message (Chat *chat, GVariant *params)
{
  g_autoptr(GVariant) headers = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *clock = NULL;
  const char *content, *content_type, *from = NULL, *datetime = NULL, *encoding = NULL;
  gint64 when;

  g_variant_get (params, "(x&s&s@a{ss}&s)", &when, &content, &content_type, &headers, NULL);
  g_variant_lookup (headers, "From", "&s", &from);
  g_variant_lookup (headers, "DateTime", "&s", &datetime);
  g_variant_lookup (headers, "Content-Transfer-Encoding", "&s", &encoding);
  sender = format_sender (from != NULL ? from : chat->remote);
  clock = format_clock (datetime, when);
  chat->peer_typing = FALSE;  /* a message ends the composing state (RFC 3994) */
  if (g_ascii_strncasecmp (content_type, "text/", 5) == 0 && encoding == NULL)
    print_line ("[%s] %s: %s", clock, sender, content);
  else
    print_line (_("[%s] %s: (%s, %zu bytes, not shown)"), clock, sender, content_type,
                strlen (content));
}

static void
on_chat_signal (const DaemonSignal *sig, gpointer user_data)
{
  Chat *chat = user_data;
  const char *member = sig->member;
  GVariant *params = sig->params;

  if (strcmp (sig->iface, CHAT_IFACE) == 0)
    {
      if (strcmp (member, "DidStart") == 0 && !chat->started)
        {
          chat->started = TRUE;
          print_line (_("(chatting with %s; end with Ctrl-D)"), chat->remote);
          chat_start_input (chat);
        }
      else if (strcmp (member, "DidFail") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(xs)")))
        {
          const char *reason;

          g_variant_get (params, "(x&s)", NULL, &reason);
          fail (_("the chat stream failed: %s"), reason);
          chat->follow.failed = TRUE;
        }
      return;
    }

  if (strcmp (member, "GotMessage") == 0 &&
      g_variant_is_of_type (params, G_VARIANT_TYPE ("(xssa{ss}s)")))
    chat_got_message (chat, params);
  else if ((strcmp (member, "DidDeliverMessage") == 0 ||
            strcmp (member, "DidNotDeliverMessage") == 0) &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(xsis)")))
    {
      const char *id, *reason;
      gint32 code;

      g_variant_get (params, "(x&si&s)", NULL, &id, &code, &reason);
      if (member[3] == 'N')
        print_line (_("(message not delivered: %d %s)"), code, reason);
      g_hash_table_remove (chat->pending, id);
      chat_maybe_finish (chat);
    }
  else if (strcmp (member, "GotComposingIndication") == 0 &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(xsu)")))
    {
      const char *state;

      g_variant_get (params, "(x&su)", NULL, &state, NULL);
      if (strcmp (state, "active") == 0 && !chat->peer_typing)
        print_line (_("(peer is typing)"));
      chat->peer_typing = strcmp (state, "active") == 0;
    }
  else if (strcmp (member, "DidFail") == 0 &&
           g_variant_is_of_type (params, G_VARIANT_TYPE ("(xsis)")))
    {
      const char *originator, *reason;
      gint32 code;

      g_variant_get (params, "(x&si&s)", NULL, &originator, &code, &reason);
      fail (_("the session failed: %d %s (%s)"), code, reason, originator);
      chat->follow.failed = TRUE;
    }
  else if (strcmp (member, "DidEnd") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(xs)")))
    {
      const char *originator;

      g_variant_get (params, "(x&s)", NULL, &originator);
      if (strcmp (originator, "remote") == 0)
        print_line (_("(%s ended the chat)"), chat->remote);
      session_follow_ended (&chat->follow);
    }
}

int
cmd_chat (int argc, char **argv)
{
  g_autofree char *opt_account = NULL;
  g_autofree char *opt_route = NULL;
  gboolean opt_audio = FALSE;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &opt_account, N_("Chat from ACCOUNT (default: Settings1.DefaultAccount)"), N_("ACCOUNT") },
    { "route", 0, 0, G_OPTION_ARG_STRING, &opt_route, N_("Send the INVITE to URI (sip:host:port;transport=udp|tcp|tls)"), N_("URI") },
    { "audio", 0, 0, G_OPTION_ARG_NONE, &opt_audio, N_("Offer an audio stream as well"), NULL },
    { NULL }
  };
  const char *synopsis = "chat URI [--account=ACCOUNT] [--route=URI] [--audio]";
  g_autofree char *account = NULL;
  Chat chat = { { 0 } };
  int status;

  if (!parse_options ("chat URI", entries, &argc, &argv) || argc != 2)
    return usage (synopsis);
  chat.follow.gone_message = _("sipsimpled left the bus during the chat");
  if ((status = session_follow_create (&chat.follow, opt_account, &account)) != EXIT_OK)
    {
      session_follow_clear (&chat.follow);
      return status;
    }
  chat.chat_path = g_strconcat (chat.follow.path, "/Chat", NULL);
  chat.remote = g_strdup (argv[1]);
  chat.pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Subscribed before New: the bus applies our matches before it passes New on. */
  session_follow_subscribe (&chat.follow, SESSION_IFACE, chat.follow.path, on_chat_signal, &chat);
  session_follow_subscribe (&chat.follow, CHAT_IFACE, chat.chat_path, on_chat_signal, &chat);

  if (session_follow_new (&chat.follow, argv[1], account, opt_route, opt_audio, TRUE))
    g_main_loop_run (chat.follow.loop);

  g_clear_handle_id (&chat.input_id, g_source_remove);
  g_clear_handle_id (&chat.drain_id, g_source_remove);
  session_follow_stop (&chat.follow);
  /* SendMessage replies still on their way hold `chat`: let them land first. */
  while (chat.sending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&chat.input, g_io_channel_unref);
  g_hash_table_unref (chat.pending);
  g_free (chat.remote);
  g_free (chat.chat_path);
  status = chat.follow.status;
  session_follow_clear (&chat.follow);
  return status;
}

/* ------------------------------------------------------------ send-message */

typedef struct {
  SignalWait wait;
  char *id;                /* from SendMessage's reply */
  GHashTable *reports;     /* id -> "+code reason" (delivered) or "-code reason" */
  gboolean ended;
} Send;

static void
on_send_signal (const DaemonSignal *sig, gpointer user_data)
{
  Send *send = user_data;
  const char *member = sig->member;
  GVariant *params = sig->params;
  const char *id, *reason;
  gint32 code;

  if (strcmp (member, "DidEnd") == 0)
    {
      send->ended = TRUE;
      g_main_loop_quit (send->wait.loop);
      return;
    }
  if ((strcmp (member, "DidDeliverMessage") != 0 && strcmp (member, "DidNotDeliverMessage") != 0) ||
      !g_variant_is_of_type (params, G_VARIANT_TYPE ("(xsis)")))
    return;
  g_variant_get (params, "(x&si&s)", NULL, &id, &code, &reason);
  g_hash_table_replace (send->reports, g_strdup (id),
                        g_strdup_printf ("%c%d %s", member[3] == 'D' ? '+' : '-', code, reason));
  if (send->id != NULL && strcmp (id, send->id) == 0)
    g_main_loop_quit (send->wait.loop);
}

int
cmd_send_message (int argc, char **argv)
{
  g_autofree char *opt_type = NULL;
  const GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &opt_type, N_("Send the text as CONTENT_TYPE (default: text/plain)"), N_("CONTENT_TYPE") },
    { NULL }
  };
  const char *synopsis = "send-message [SESSION] TEXT [--type=CONTENT_TYPE]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *path = NULL;
  g_autofree char *owner = NULL;
  GDBusConnection *bus;
  Send send = { { 0 } };
  const char *text, *report;
  int wait_ms = timeout_ms () > 0 ? timeout_ms () : REPORT_WAIT_MS;
  int status;

  if (!parse_options ("send-message [SESSION] TEXT", entries, &argc, &argv) ||
      argc < 2 || argc > 3)
    return usage (synopsis);
  text = argv[argc - 1];
  if (!g_utf8_validate (text, -1, NULL) || (opt_type && !g_utf8_validate (opt_type, -1, NULL)))
    return fail (_("the text and its type must be UTF-8"));
  if ((status = connect_daemon (&bus, &owner)) != EXIT_OK)
    return status;
  path = pick_session (argc == 3 ? argv[1] : NULL, PICK_CHAT, &error);
  if (path == NULL)
    return fail_error (error);

  send.reports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  signal_wait_start (&send.wait, bus, owner, path, NULL, on_send_signal, &send);
  reply = call_daemon (path, SESSION_IFACE, "SendMessage",
                       g_variant_new ("(sssx)", text, opt_type ? opt_type : "text/plain", "",
                                      (gint64) 0),
                       G_VARIANT_TYPE ("(s)"), &error);
  if (reply == NULL)
    status = fail_error (error);
  else
    {
      g_variant_get (reply, "(s)", &send.id);
      g_print ("%s\n", send.id);
      fflush (stdout);
      /* Reports that came before the reply wait in the main context: the loop
       * dispatches them, and on_send_signal now knows the id. */
      signal_wait_run (&send.wait, wait_ms);
      report = g_hash_table_lookup (send.reports, send.id);
      if (report != NULL && report[0] == '+')
        {
          g_print (_("delivered: %s\n"), report + 1);
          status = EXIT_OK;
        }
      else if (report != NULL)
        status = fail (_("not delivered: %s"), report + 1);
      else if (send.ended)
        status = fail (_("the session ended before the message was reported on"));
      else
        status = fail (_("no delivery report within %d s"), wait_ms / 1000);
    }
  signal_wait_clear (&send.wait);
  g_hash_table_unref (send.reports);
  g_free (send.id);
  return status;
}
