/* sips-dbus-sessions.c: SessionManager1, the Session1 objects and their MSRPChat1
 *
 * A session's chat stream (its "chat-transport", a SipsMsrpChat) is exported at
 * SESSION_PATH/Chat while the session has one; its SendMessage goes through the
 * session's. */
#include "sips-dbus-sessions.h"

#include <glib/gi18n.h>
#include "sips-dbus-errors.h"
#include "sips-dbus-exporter.h"
#include "sips-dbus-generated.h"
#include "sips-dbus-transfers.h"
#include "core/sips-error.h"

#define SESSION_MANAGER_PATH "/org/sipsimple/SessionManager"

typedef struct {
  SipsDbusSessionsExport *owner;
  SipsSession            *session;
  char                   *path;
  GDBusObjectSkeleton    *object;
  GDBusInterfaceSkeleton *skeleton;
  guint                   creator_watch;  /* the client that called CreateSession */

  /* its chat stream's MSRPChat1 (NULL = none) */
  GObject                *chat;
  char                   *chat_path;
  GDBusObjectSkeleton    *chat_object;
  GDBusInterfaceSkeleton *chat_skeleton;
} SessionExport;

struct _SipsDbusSessionsExport {
  GDBusObjectManagerServer *server;
  SipsEngine               *engine;
  SipsDbusExporter         *exporter;   /* owns this */
  SipsDbusSessionManager1  *manager_skeleton;
  GHashTable               *exports;       /* SipsSession* -> SessionExport* */
  GHashTable               *chats;         /* chat-transport GObject* -> SessionExport* */
  SipsDbusTransfersExport  *transfers;     /* the FileTransfer objects, SendFile */
  guint                     next_session;
  guint                     sessions_update;  /* idle source of update_sessions_property */
};

/* ---- private helpers ---- */

static SipsSessionManager *
session_manager (SipsDbusSessionsExport *self)
{
  return sips_engine_get_session_manager (self->engine);
}

static void
update_sessions_property (SipsDbusSessionsExport *self)
{
  g_autoptr(GPtrArray) active = sips_session_manager_get_active_sessions (session_manager (self));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) paths = NULL;

  for (guint i = 0; i < active->len; i++)
    g_strv_builder_add (builder, sips_dbus_sessions_export_path_of (self, active->pdata[i]));
  paths = g_strv_builder_end (builder);
  sips_dbus_session_manager1_set_sessions (self->manager_skeleton, (const char * const *) paths);
}

static gboolean
on_sessions_update (gpointer user_data)
{
  SipsDbusSessionsExport *self = user_data;

  self->sessions_update = 0;
  update_sessions_property (self);
  return G_SOURCE_REMOVE;
}

/* SessionManager1.Sessions lists every session: rebuilt once per main-loop iteration, not
 * on each session event (under load, hundreds of sessions and several events each made
 * it quadratic: ~10 % of the main thread at 300 calls/s). High priority: it is current
 * before the next D-Bus call is served. With more than SESSIONS_MANY sessions, each
 * rebuild and PropertiesChanged carries hundreds of paths and sessions come and go in
 * nearly every iteration (350 calls/s: 9 % of the main thread): then at most one update
 * per SESSIONS_COALESCE_MS. */
#define SESSIONS_MANY         64
#define SESSIONS_COALESCE_MS 100

static void
schedule_sessions_update (SipsDbusSessionsExport *self)
{
  if (self->sessions_update != 0)
    return;
  if (g_hash_table_size (self->exports) > SESSIONS_MANY)
    self->sessions_update = g_timeout_add_full (G_PRIORITY_HIGH, SESSIONS_COALESCE_MS,
                                                on_sessions_update, self, NULL);
  else
    self->sessions_update = g_idle_add_full (G_PRIORITY_HIGH, on_sessions_update, self, NULL);
}

static const char *
on_path_of (GObject *model_object, gpointer user_data)
{
  return sips_dbus_exporter_path_of (user_data, model_object);
}

static void
chat_unexport (SessionExport *export)
{
  if (export->chat == NULL)
    return;
  g_hash_table_remove (export->owner->chats, export->chat);
  sips_dbus_unforward_signals (export->chat, export->chat_skeleton);
  g_dbus_object_manager_server_unexport (export->owner->server, export->chat_path);
  g_clear_object (&export->chat_skeleton);
  g_clear_object (&export->chat_object);
  g_clear_object (&export->chat);
  g_clear_pointer (&export->chat_path, g_free);
}

static void
session_export_free (gpointer data)
{
  SessionExport *export = data;

  chat_unexport (export);
  g_signal_handlers_disconnect_by_data (export->session, export);
  if (export->creator_watch != 0)
    g_bus_unwatch_name (export->creator_watch);
  sips_dbus_unforward_signals (G_OBJECT (export->session), export->skeleton);
  g_signal_handlers_disconnect_by_data (export->session, export->owner);
  g_dbus_object_manager_server_unexport (export->owner->server, export->path);
  g_clear_object (&export->skeleton);
  g_clear_object (&export->object);
  g_clear_object (&export->session);
  g_free (export->path);
  g_free (export);
}

/* ---- Session1 methods ---- */

static SipsSession *
session_of (GDBusInterfaceSkeleton *skeleton)
{
  return sips_dbus_skeleton_get_model (skeleton);
}

static gboolean
on_handle_new (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
               const char *callee_uri, const char *account_path, const char *route,
               gboolean audio, gboolean chat, gpointer user_data)
{
  SipsDbusSessionsExport *self = user_data;
  SipsSession *session = session_of (G_DBUS_INTERFACE_SKELETON (skeleton));
  g_autoptr(GError) error = NULL;
  SipsAccount *account = NULL;

  /* The state is checked first, as for every other method: only then the account. */
  if (sips_session_get_state (session) == SIPS_SESSION_STATE_NULL
      && (account = sips_dbus_exporter_lookup_account (self->exporter, account_path, &error)) == NULL)
    return sips_dbus_return_error (invocation, error);
  if (!sips_session_connect (session, callee_uri, account, route, audio, chat, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session1_complete_new (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_accept (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
                  gboolean audio, gboolean chat, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sips_session_accept (session_of (G_DBUS_INTERFACE_SKELETON (skeleton)), audio, chat, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session1_complete_accept (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_start_recording (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
                           const char *path, const char *file_name, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sips_session_start_recording_audio (session_of (G_DBUS_INTERFACE_SKELETON (skeleton)),
                                           path, file_name, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session1_complete_start_recording_audio (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_send_dtmf (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
                     const char *digit, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sips_session_send_dtmf (session_of (G_DBUS_INTERFACE_SKELETON (skeleton)), digit, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session1_complete_send_dtmf (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* SendMessage of Session1 and of MSRPChat1 (whose model is the session too): the message
 * id, or NULL once the error is returned to the caller. */
static char *
send_message (GDBusInterfaceSkeleton *skeleton, GDBusMethodInvocation *invocation,
              const char *content, const char *content_type, const char *to_uri, gint64 timestamp)
{
  g_autoptr(GError) error = NULL;
  char *message_id = sips_session_send_message (session_of (skeleton), content, content_type,
                                                to_uri, timestamp, &error);

  if (message_id == NULL)
    sips_dbus_return_error (invocation, error);
  return message_id;
}

static gboolean
on_handle_send_message (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
                        const char *content, const char *content_type, const char *to_uri,
                        gint64 timestamp, gpointer user_data)
{
  g_autofree char *message_id = send_message (G_DBUS_INTERFACE_SKELETON (skeleton), invocation,
                                              content, content_type, to_uri, timestamp);

  if (message_id != NULL)
    sips_dbus_session1_complete_send_message (skeleton, invocation, message_id);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_send_composing (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
                          const char *state, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sips_session_send_composing_indication (session_of (G_DBUS_INTERFACE_SKELETON (skeleton)),
                                               state, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session1_complete_send_composing_indication (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_chat_send_message (SipsDbusMSRPChat1 *skeleton, GDBusMethodInvocation *invocation,
                             const char *content, const char *content_type, const char *to_uri,
                             gint64 timestamp, gpointer user_data)
{
  g_autofree char *message_id = send_message (G_DBUS_INTERFACE_SKELETON (skeleton), invocation,
                                              content, content_type, to_uri, timestamp);

  if (message_id != NULL)
    sips_dbus_msrpchat1_complete_send_message (skeleton, invocation, message_id);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_play_audio_file (SipsDbusSession1 *skeleton, GDBusMethodInvocation *invocation,
                           const char *path, gboolean loop, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sips_session_play_audio_file (session_of (G_DBUS_INTERFACE_SKELETON (skeleton)), path, loop, &error))
    return sips_dbus_return_error (invocation, error);
  sips_dbus_session1_complete_play_audio_file (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static const SipsDbusVoidMethod session_void_methods[] = {
  { "handle-reject",               (SipsDbusVoidFunc) sips_session_reject },
  { "handle-hold",                 (SipsDbusVoidFunc) sips_session_hold },
  { "handle-unhold",               (SipsDbusVoidFunc) sips_session_unhold },
  { "handle-stop-recording-audio", (SipsDbusVoidFunc) sips_session_stop_recording_audio },
  { "handle-add-audio",            (SipsDbusVoidFunc) sips_session_add_audio },
  { "handle-remove-audio",         (SipsDbusVoidFunc) sips_session_remove_audio },
  { "handle-add-chat",             (SipsDbusVoidFunc) sips_session_add_chat },
  { "handle-remove-chat",          (SipsDbusVoidFunc) sips_session_remove_chat },
  { "handle-accept-proposal",      (SipsDbusVoidFunc) sips_session_accept_proposal },
  { "handle-reject-proposal",      (SipsDbusVoidFunc) sips_session_reject_proposal },
  { "handle-terminate",            (SipsDbusVoidFunc) sips_session_terminate },
  { "handle-stop-playing-audio-file", (SipsDbusVoidFunc) sips_session_stop_playing_audio_file },
};

/* ---- session objects ---- */

static void
chat_export (SessionExport *export, GObject *chat)
{
  SipsDbusSessionsExport *self = export->owner;

  export->chat = g_object_ref (chat);
  export->chat_path = g_strconcat (export->path, "/Chat", NULL);
  export->chat_skeleton = G_DBUS_INTERFACE_SKELETON (sips_dbus_msrpchat1_skeleton_new ());
  g_hash_table_insert (self->chats, chat, export);

  sips_dbus_skeleton_set_model (export->chat_skeleton, export->session);
  sips_dbus_bind_properties (chat, export->chat_skeleton, SIPS_DBUS_TYPE_MSRPCHAT1,
                             on_path_of, self->exporter);
  sips_dbus_forward_signals (chat, export->chat_skeleton, SIPS_DBUS_TYPE_MSRPCHAT1);
  g_signal_connect (export->chat_skeleton, "handle-send-message",
                    G_CALLBACK (on_handle_chat_send_message), self);

  export->chat_object = g_dbus_object_skeleton_new (export->chat_path);
  g_dbus_object_skeleton_add_interface (export->chat_object, export->chat_skeleton);
  g_dbus_object_manager_server_export (self->server, export->chat_object);
}

/* Connected before Session1's ChatTransport binding, which then finds the new path. */
static void
on_session_chat (SipsSession *session, GParamSpec *pspec, gpointer user_data)
{
  SessionExport *export = user_data;
  g_autoptr(GObject) chat = NULL;

  g_object_get (session, "chat-transport", &chat, NULL);
  if (chat == export->chat)
    return;
  chat_unexport (export);
  if (chat != NULL)
    chat_export (export, chat);
}

/* The manager says when the list of active sessions changes (a session's first state
 * out of NULL, TERMINATED): not on each of its other state changes. */
static void
on_manager_sessions (GObject *manager, GParamSpec *pspec, gpointer user_data)
{
  schedule_sessions_update (user_data);
}

static void
on_session_added (SipsSessionManager *manager, SipsSession *session, gpointer user_data)
{
  SipsDbusSessionsExport *self = user_data;
  SessionExport *export = g_new0 (SessionExport, 1);

  export->owner = self;
  export->session = g_object_ref (session);
  export->path = g_strdup_printf ("/org/sipsimple/Session/%u", self->next_session++);
  /* its log lines name it as clients know it (journalctl SIPS_SESSION=...) */
  sips_log_context_set (sips_session_get_log_context (session), SIPS_LOG_FIELD_SESSION, export->path);
  export->skeleton = G_DBUS_INTERFACE_SKELETON (sips_dbus_session1_skeleton_new ());
  g_hash_table_insert (self->exports, session, export);

  g_signal_connect (session, "notify::chat-transport", G_CALLBACK (on_session_chat), export);
  on_session_chat (session, NULL, export);
  sips_dbus_skeleton_set_model (export->skeleton, session);
  sips_dbus_bind_properties (G_OBJECT (session), export->skeleton, SIPS_DBUS_TYPE_SESSION1,
                             on_path_of, self->exporter);
  sips_dbus_forward_signals (G_OBJECT (session), export->skeleton, SIPS_DBUS_TYPE_SESSION1);
  sips_dbus_connect_void_methods (export->skeleton, session_void_methods,
                                  G_N_ELEMENTS (session_void_methods));
  g_signal_connect (export->skeleton, "handle-new", G_CALLBACK (on_handle_new), self);
  g_signal_connect (export->skeleton, "handle-accept", G_CALLBACK (on_handle_accept), self);
  g_signal_connect (export->skeleton, "handle-start-recording-audio", G_CALLBACK (on_handle_start_recording), self);
  g_signal_connect (export->skeleton, "handle-send-dtmf", G_CALLBACK (on_handle_send_dtmf), self);
  g_signal_connect (export->skeleton, "handle-send-message", G_CALLBACK (on_handle_send_message), self);
  g_signal_connect (export->skeleton, "handle-send-composing-indication", G_CALLBACK (on_handle_send_composing), self);
  g_signal_connect (export->skeleton, "handle-play-audio-file", G_CALLBACK (on_handle_play_audio_file), self);

  export->object = g_dbus_object_skeleton_new (export->path);
  g_dbus_object_skeleton_add_interface (export->object, export->skeleton);
  g_dbus_object_manager_server_export (self->server, export->object);
  schedule_sessions_update (self);
}

static void
on_session_removed (SipsSessionManager *manager, SipsSession *session, gpointer user_data)
{
  SipsDbusSessionsExport *self = user_data;

  g_hash_table_remove (self->exports, session);
  schedule_sessions_update (self);
}

static void
on_creator_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  SessionExport *export = user_data;
  SipsDbusSessionsExport *self = export->owner;

  /* Only an unused session goes; a call in progress outlives the client that made it. */
  g_bus_unwatch_name (export->creator_watch);
  export->creator_watch = 0;
  sips_session_manager_drop_if_null (session_manager (self), export->session);
}

/* ---- SessionManager1 methods ---- */

static gboolean
on_handle_create_session (SipsDbusSessionManager1 *skeleton, GDBusMethodInvocation *invocation,
                          gpointer user_data)
{
  SipsDbusSessionsExport *self = user_data;
  SipsSession *session = sips_session_manager_create_session (session_manager (self));
  SessionExport *export = g_hash_table_lookup (self->exports, session);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  g_assert (export != NULL);
  if (sender != NULL)
    export->creator_watch =
      g_bus_watch_name_on_connection (g_dbus_method_invocation_get_connection (invocation), sender,
                                      G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_creator_vanished,
                                      export, NULL);
  sips_dbus_session_manager1_complete_create_session (skeleton, invocation, export->path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* CreateSession and New in one call: a session that is never NULL, so a client that
 * leaves at once (busctl, a shell script) still places the call. */
static gboolean
on_handle_new_session (SipsDbusSessionManager1 *skeleton, GDBusMethodInvocation *invocation,
                       const char *callee_uri, const char *account_path, const char *route,
                       gboolean audio, gboolean chat, gpointer user_data)
{
  SipsDbusSessionsExport *self = user_data;
  g_autoptr(GError) error = NULL;
  SipsAccount *account;
  SipsSession *session;
  SessionExport *export;

  if ((account = sips_dbus_exporter_lookup_account (self->exporter, account_path, &error)) == NULL)
    return sips_dbus_return_error (invocation, error);
  session = sips_session_manager_create_session (session_manager (self));
  export = g_hash_table_lookup (self->exports, session);
  g_assert (export != NULL);
  if (!sips_session_connect (session, callee_uri, account, route, audio, chat, &error))
    {
      sips_session_manager_drop_if_null (session_manager (self), session);
      return sips_dbus_return_error (invocation, error);
    }
  sips_dbus_session_manager1_complete_new_session (skeleton, invocation, export->path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- public API ---- */

SipsDbusSessionsExport *
sips_dbus_sessions_export_new (GDBusObjectManagerServer *server, SipsEngine *engine,
                               SipsDbusExporter *exporter)
{
  SipsDbusSessionsExport *self = g_new0 (SipsDbusSessionsExport, 1);
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (SESSION_MANAGER_PATH);
  g_autoptr(GPtrArray) existing = NULL;

  self->server = g_object_ref (server);
  self->engine = g_object_ref (engine);
  self->exporter = exporter;
  self->exports = g_hash_table_new_full (NULL, NULL, NULL, session_export_free);
  self->chats = g_hash_table_new (NULL, NULL);
  self->manager_skeleton = sips_dbus_session_manager1_skeleton_new ();

  g_signal_connect (self->manager_skeleton, "handle-create-session", G_CALLBACK (on_handle_create_session), self);
  g_signal_connect (self->manager_skeleton, "handle-new-session", G_CALLBACK (on_handle_new_session), self);
  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (self->manager_skeleton));
  g_dbus_object_manager_server_export (server, object);

  existing = sips_session_manager_list_sessions (session_manager (self));
  for (guint i = 0; i < existing->len; i++)
    on_session_added (session_manager (self), existing->pdata[i], self);
  g_signal_connect (session_manager (self), "session-added", G_CALLBACK (on_session_added), self);
  g_signal_connect (session_manager (self), "session-removed", G_CALLBACK (on_session_removed), self);
  g_signal_connect (session_manager (self), "notify::sessions", G_CALLBACK (on_manager_sessions), self);
  self->transfers = sips_dbus_transfers_export_new (server, session_manager (self),
                                                    self->manager_skeleton, exporter);
  return self;
}

void
sips_dbus_sessions_export_free (SipsDbusSessionsExport *self)
{
  g_signal_handlers_disconnect_by_data (session_manager (self), self);
  g_clear_handle_id (&self->sessions_update, g_source_remove);
  g_clear_pointer (&self->transfers, sips_dbus_transfers_export_free);
  g_hash_table_unref (self->exports);
  g_hash_table_unref (self->chats);
  g_dbus_object_manager_server_unexport (self->server, SESSION_MANAGER_PATH);
  g_clear_object (&self->manager_skeleton);
  g_clear_object (&self->engine);
  g_clear_object (&self->server);
  g_free (self);
}

const char *
sips_dbus_sessions_export_path_of (SipsDbusSessionsExport *self, gpointer session)
{
  SessionExport *export = g_hash_table_lookup (self->exports, session);

  if (export != NULL)
    return export->path;
  export = g_hash_table_lookup (self->chats, session);
  if (export != NULL)
    return export->chat_path;
  return self->transfers != NULL ? sips_dbus_transfers_export_path_of (self->transfers, session)
                                 : NULL;
}
