/* sipsimplectl-calls.c: calls (SessionManager1, Session1) and registration
 * (Registration1): call, answer, reject, hangup, hold, unhold, sessions,
 * register, unregister; and the session picking the other session commands share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

gboolean
parse_options (const char *synopsis, const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (synopsis);
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  g_printerr ("sipsimplectl: %s\n", error->message);
  return FALSE;
}

char *
resolve_account (const char *spec, GError **error)
{
  if (spec[0] != '/' && strchr (spec, '@') != NULL && !g_str_has_prefix (spec, "account:"))
    {
      g_autofree char *named = g_strconcat ("account:", spec, NULL);
      return resolve_object (named, error);
    }
  return resolve_object (spec, error);
}

static gboolean
is_digits (const char *s)
{
  return *s != '\0' && strspn (s, "0123456789") == strlen (s);
}

static gboolean
session_matches (GVariant *props, Pick pick)
{
  static const char * const incoming[] = { "INCOMING", NULL };
  static const char * const active[] = { "CALLING", "INCOMING", "ACCEPTING", "ESTABLISHED",
                                         "PROPOSING", "PROPOSED", NULL };
  static const char * const established[] = { "ESTABLISHED", "PROPOSING", "PROPOSED", NULL };
  const char * const *states = pick == PICK_INCOMING ? incoming
                               : pick == PICK_ACTIVE ? active : established;
  g_autofree char *state = lookup_string (props, "State");

  if (pick == PICK_RECORDING)
    {
      g_autofree char *file = lookup_string (props, "AudioRecordingFileName");

      return *file != '\0';
    }
  if (pick == PICK_CHAT)
    {
      g_autoptr(GVariant) chat = g_variant_lookup_value (props, "HasChat", G_VARIANT_TYPE_BOOLEAN);

      if (chat == NULL || !g_variant_get_boolean (chat))
        return FALSE;
    }
  return g_strv_contains (states, state);
}

static const char *
no_match_message (Pick pick)
{
  switch (pick)
    {
    case PICK_INCOMING: return _("there is no incoming session");
    case PICK_ACTIVE: return _("there is no active session");
    case PICK_ESTABLISHED: return _("there is no established session");
    case PICK_CHAT: return _("there is no established session with chat");
    case PICK_RECORDING: default: return _("there is no session recording audio");
    }
}

char *
pick_session (const char *spec, Pick pick, GError **error)
{
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autofree char *path = NULL;
  g_autofree char *list = NULL;

  if (spec != NULL)
    {
      g_autoptr(GVariant) props = NULL;

      path = is_digits (spec) ? g_strconcat (ROOT_PATH "/Session/", spec, NULL)
                              : resolve_object (spec, error);
      if (path == NULL || (objects = get_managed_objects (error)) == NULL)
        return NULL;
      props = lookup_object_props (objects, path, SESSION_IFACE);
      if (props == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no session at %s"), path);
          return NULL;
        }
      return g_steal_pointer (&path);
    }

  if ((objects = get_managed_objects (error)) == NULL)
    return NULL;
  paths = objects_with_iface (objects, SESSION_IFACE);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GVariant) props = lookup_object_props (objects, paths->pdata[i], SESSION_IFACE);

      if (session_matches (props, pick))
        g_ptr_array_add (matches, paths->pdata[i]);
    }
  if (matches->len == 1)
    return g_strdup (matches->pdata[0]);

  if (matches->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, no_match_message (pick));
      return NULL;
    }
  g_ptr_array_add (matches, NULL);
  list = g_strjoinv (", ", (char **) matches->pdata);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               pick == PICK_INCOMING ? _("%u incoming sessions (%s): name one")
               : pick == PICK_ACTIVE ? _("%u active sessions (%s): name one")
               : pick == PICK_ESTABLISHED ? _("%u established sessions (%s): name one")
               : pick == PICK_CHAT ? _("%u sessions with chat (%s): name one")
               : _("%u sessions are recording audio (%s): name one"),
               matches->len - 1, list);
  return NULL;
}

/* Runs `method` on the session picked by the remaining argument, if any. */
static int
session_command (int argc, char **argv, const char *synopsis, Pick pick,
                 const char *method, GVariant *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) owned_params = params != NULL ? g_variant_ref_sink (params) : NULL;
  g_autofree char *path = NULL;

  if (argc > 2)
    return usage (synopsis);
  path = pick_session (argc == 2 ? argv[1] : NULL, pick, &error);
  if (path == NULL)
    return fail_error (error);
  reply = call_daemon (path, SESSION_IFACE, method, owned_params, NULL, &error);
  return reply != NULL ? EXIT_OK : fail_error (error);
}

/* ------------------------------------------------------------ call */

typedef struct {
  SessionFollow follow;
  GDBusInterfaceInfo *iface;        /* Session1, for argument names; may be NULL */
  char *failure;                    /* "486 Busy Here (remote)" */
} Call;

static void
on_session_signal (const DaemonSignal *sig, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GString) line = g_string_new (NULL);
  GDBusSignalInfo *signal = NULL;

  if (call->iface != NULL)
    signal = g_dbus_interface_info_lookup_signal (call->iface, sig->member);
  append_time (line, sig->time);
  g_string_append_printf (line, " %s", sig->member);
  append_signal_args (line, signal, sig->params, sig->first);
  emit_line (line);

  if (strcmp (sig->member, "DidFail") == 0 &&
      g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(xsis)")))
    {
      const char *originator, *reason;
      gint32 code;

      g_variant_get (sig->params, "(x&si&s)", NULL, &originator, &code, &reason);
      call->follow.failed = TRUE;
      g_free (call->failure);
      call->failure = g_strdup_printf ("%d %s (%s)", code, reason, originator);
    }
  else if (strcmp (sig->member, "DidEnd") == 0)
    session_follow_ended (&call->follow);
}

int
cmd_call (int argc, char **argv)
{
  g_autofree char *opt_account = NULL;
  g_autofree char *opt_route = NULL;
  gboolean opt_chat = FALSE;
  gboolean opt_no_audio = FALSE;
  gboolean opt_detach = FALSE;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &opt_account, N_("Call from ACCOUNT (default: Settings1.DefaultAccount)"), N_("ACCOUNT") },
    { "route", 0, 0, G_OPTION_ARG_STRING, &opt_route, N_("Send the INVITE to URI (sip:host:port;transport=udp|tcp|tls)"), N_("URI") },
    { "chat", 0, 0, G_OPTION_ARG_NONE, &opt_chat, N_("Offer a chat stream"), NULL },
    { "no-audio", 0, 0, G_OPTION_ARG_NONE, &opt_no_audio, N_("Offer no audio stream"), NULL },
    { "detach", 0, 0, G_OPTION_ARG_NONE, &opt_detach, N_("Return once the call is placed"), NULL },
    { NULL }
  };
  const char *synopsis = "call URI [--account=ACCOUNT] [--route=URI] [--chat] [--no-audio] [--detach]";
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autofree char *account = NULL;
  Call call = { { 0 } };
  int status;

  if (!parse_options ("call URI", entries, &argc, &argv))
    return usage (synopsis);
  if (argc != 2)
    return usage (synopsis);
  call.follow.gone_message = _("sipsimpled left the bus during the call");
  call.follow.hangup_notice = _("sipsimplectl: hanging up (interrupt again to leave at once)\n");
  if ((status = session_follow_create (&call.follow, opt_account, &account)) != EXIT_OK)
    {
      session_follow_clear (&call.follow);
      return status;
    }

  /* Argument names for the lines below; the session exists (and stays, as we
   * created it) at least until New. */
  node = introspect (call.follow.path, NULL);
  call.iface = node ? g_dbus_node_info_lookup_interface (node, SESSION_IFACE) : NULL;
  /* Subscribed before New, so NewOutgoing and everything after it is seen: the
   * bus applies our AddMatch before it passes our New call on. */
  session_follow_subscribe (&call.follow, SESSION_IFACE, call.follow.path,
                            on_session_signal, &call);

  if (session_follow_new (&call.follow, argv[1], account, opt_route, !opt_no_audio, opt_chat))
    {
      g_print ("%s\n", call.follow.path);
      fflush (stdout);
      if (opt_detach)
        call.follow.status = EXIT_OK;
      else
        g_main_loop_run (call.follow.loop);
      if (call.follow.failed)
        fail (_("the call failed: %s"), call.failure);
    }

  status = call.follow.status;
  session_follow_clear (&call.follow);
  g_free (call.failure);
  return status;
}

/* ------------------------------------------------------------ session commands */

int
cmd_answer (int argc, char **argv)
{
  gboolean opt_chat = FALSE;
  gboolean opt_no_audio = FALSE;
  const GOptionEntry entries[] = {
    { "chat", 0, 0, G_OPTION_ARG_NONE, &opt_chat, N_("Accept the chat stream too"), NULL },
    { "no-audio", 0, 0, G_OPTION_ARG_NONE, &opt_no_audio, N_("Do not accept the audio stream"), NULL },
    { NULL }
  };
  const char *synopsis = "answer [SESSION] [--chat] [--no-audio]";

  if (!parse_options ("answer [SESSION]", entries, &argc, &argv))
    return usage (synopsis);
  return session_command (argc, argv, synopsis, PICK_INCOMING, "Accept",
                          g_variant_new ("(bb)", !opt_no_audio, opt_chat));
}

/* A session command without options: its synopsis is "NAME [SESSION]". */
static int
plain_session_command (int argc, char **argv, const char *synopsis, Pick pick,
                       const char *method)
{
  if (!parse_options (synopsis, NULL, &argc, &argv))
    return usage (synopsis);
  return session_command (argc, argv, synopsis, pick, method, NULL);
}

int
cmd_reject (int argc, char **argv)
{
  return plain_session_command (argc, argv, "reject [SESSION]", PICK_INCOMING, "Reject");
}

int
cmd_hangup (int argc, char **argv)
{
  return plain_session_command (argc, argv, "hangup [SESSION]", PICK_ACTIVE, "Terminate");
}

int
cmd_hold (int argc, char **argv)
{
  return plain_session_command (argc, argv, "hold [SESSION]", PICK_ESTABLISHED, "Hold");
}

int
cmd_unhold (int argc, char **argv)
{
  return plain_session_command (argc, argv, "unhold [SESSION]", PICK_ESTABLISHED, "Unhold");
}

/* ------------------------------------------------------------ sessions */

static gint64
lookup_int64 (GVariant *props, const char *name)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (props, name, G_VARIANT_TYPE_INT64);

  return value != NULL ? g_variant_get_int64 (value) : 0;
}

static gboolean
lookup_boolean (GVariant *props, const char *name)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (props, name, G_VARIANT_TYPE_BOOLEAN);

  return value != NULL && g_variant_get_boolean (value);
}

static const char *
or_dash (const char *s)
{
  return s != NULL && *s != '\0' ? s : "-";
}

static void
print_session_row (const char *path, const char *state, const char *direction,
                   const char *remote, const char *codec, const char *duration,
                   const char *hold)
{
  g_print ("%-26s %-11s %-9s %-32s %-6s %-8s %s\n", path, state, direction, remote, codec,
           duration, hold);
}

static void
print_audio_row (const char *path, const char *state, const char *codec, const char *srtp,
                 const char *local, const char *remote_sdp, const char *remote_seen,
                 const char *received)
{
  g_print ("%-26s %-11s %-11s %-4s %-21s %-21s %-21s %s\n", path, state, codec, srtp, local,
           remote_sdp, remote_seen, received);
}

static guint32
lookup_uint32 (GVariant *props, const char *name)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (props, name, G_VARIANT_TYPE_UINT32);

  return value != NULL ? g_variant_get_uint32 (value) : 0;
}

/* "address:port" ("[address]:port" for IPv6), or NULL when either is unset. */
static char *
format_endpoint (GVariant *props, const char *address_prop, const char *port_prop)
{
  g_autofree char *address = lookup_string (props, address_prop);
  guint32 port = lookup_uint32 (props, port_prop);

  if (*address == '\0' || port == 0)
    return NULL;
  return g_strdup_printf (strchr (address, ':') ? "[%s]:%u" : "%s:%u", address, port);
}

/* sessions --audio: the media of each session, as far as its properties tell. */
static void
print_session_audio (const char *path, GVariant *props)
{
  g_autofree char *state = lookup_string (props, "State");
  g_autofree char *codec = lookup_string (props, "AudioCodec");
  g_autofree char *local = format_endpoint (props, "AudioLocalRtpAddress", "AudioLocalRtpPort");
  g_autofree char *sdp = format_endpoint (props, "AudioRemoteRtpAddressSdp",
                                          "AudioRemoteRtpPortSdp");
  g_autofree char *seen = format_endpoint (props, "AudioRemoteRtpAddressReceived",
                                           "AudioRemoteRtpPortReceived");
  g_autofree char *codec_rate = NULL;
  gboolean has_codec = *codec != '\0';

  if (has_codec)
    codec_rate = g_strdup_printf ("%s/%u", codec, lookup_uint32 (props, "AudioSampleRate"));
  print_audio_row (path, state, or_dash (codec_rate),
                   has_codec ? (lookup_boolean (props, "AudioSrtpActive") ? _("yes") : _("no")) : "-",
                   or_dash (local), or_dash (sdp), or_dash (seen),
                   has_codec ? (lookup_boolean (props, "AudioWasReceived") ? _("yes") : _("no")) : "-");
}

/* sessions: state, direction, remote party, codec, duration, hold. */
static void
print_session_summary (const char *path, GVariant *props)
{
  g_autofree char *state = lookup_string (props, "State");
  g_autofree char *direction = lookup_string (props, "Direction");
  g_autofree char *remote = lookup_string (props, "RemoteUri");
  g_autofree char *codec = lookup_string (props, "AudioCodec");
  g_autofree char *duration = NULL;
  gint64 start = lookup_int64 (props, "StartTime");
  gint64 stop = lookup_int64 (props, "StopTime");
  gboolean by_local = lookup_boolean (props, "OnHoldByLocal");
  gboolean by_remote = lookup_boolean (props, "OnHoldByRemote");
  const char *hold;

  if (start != 0)
    {
      gint64 seconds = MAX (0, ((stop != 0 ? stop : g_get_real_time ()) - start) / G_USEC_PER_SEC);

      duration = g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                                  (int) (seconds / 60 % 60), (int) (seconds % 60));
    }
  if (by_local && by_remote)
    hold = _("both");
  else if (by_local || by_remote)
    hold = by_local ? _("local") : _("remote");
  else
    hold = lookup_boolean (props, "OnHold") ? _("yes") : _("no");
  print_session_row (path, state, or_dash (direction), or_dash (remote), or_dash (codec),
                     or_dash (duration), hold);
}

int
cmd_sessions (int argc, char **argv)
{
  gboolean opt_audio = FALSE;
  const GOptionEntry entries[] = {
    { "audio", 'a', 0, G_OPTION_ARG_NONE, &opt_audio, N_("Show the audio stream of each session"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  if (!parse_options ("sessions", entries, &argc, &argv) || argc != 1)
    return usage ("sessions [--audio]");
  if ((objects = get_managed_objects (&error)) == NULL)
    return fail_error (error);
  paths = objects_with_iface (objects, SESSION_IFACE);
  if (opt_audio)
    print_audio_row (_("PATH"), _("STATE"), _("CODEC"), _("SRTP"), _("LOCAL-RTP"),
                     _("REMOTE-RTP"), _("RTP-FROM"), _("RECEIVED"));
  else
    print_session_row (_("PATH"), _("STATE"), _("DIRECTION"), _("REMOTE"), _("CODEC"),
                       _("DURATION"), _("HOLD"));
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GVariant) props = lookup_object_props (objects, paths->pdata[i], SESSION_IFACE);

      if (opt_audio)
        print_session_audio (paths->pdata[i], props);
      else
        print_session_summary (paths->pdata[i], props);
    }
  return EXIT_OK;
}

/* ------------------------------------------------------------ registration */

char *
default_account (GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  const char *path;

  reply = call_daemon (SETTINGS_PATH, PROPS_IFACE, "Get",
                       g_variant_new ("(ss)", SETTINGS_IFACE, "DefaultAccount"),
                       G_VARIANT_TYPE ("(v)"), error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH) ||
      strcmp ((path = g_variant_get_string (value, NULL)), "/") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("there is no default account (name one, or set settings DefaultAccount)"));
      return NULL;
    }
  return g_strdup (path);
}

static int
registration_command (int argc, char **argv, const char *synopsis, const char *method)
{
  g_autofree char *parameters = g_strdup_printf ("%s [ACCOUNT]", argv[0]);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *path = NULL;

  if (!parse_options (parameters, NULL, &argc, &argv) || argc > 2)
    return usage (synopsis);
  path = argc == 2 ? resolve_account (argv[1], &error) : default_account (&error);
  if (path == NULL)
    return fail_error (error);
  reply = call_daemon (path, REG_IFACE, method, NULL, NULL, &error);
  return reply != NULL ? EXIT_OK : fail_error (error);
}

int
cmd_register (int argc, char **argv)
{
  return registration_command (argc, argv, "register [ACCOUNT]", "Register");
}

int
cmd_unregister (int argc, char **argv)
{
  return registration_command (argc, argv, "unregister [ACCOUNT]", "Unregister");
}
