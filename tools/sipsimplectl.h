/* sipsimplectl.h: what the parts of sipsimplectl share (not installed).
 *
 * sipsimplectl.c          main, the command table, the bus connection, get/set/accounts/status
 * sipsimplectl-values.c   object names -> paths, values <-> command-line words
 * sipsimplectl-monitor.c  monitor
 * sipsimplectl-calls.c    call, answer, reject, hangup, hold, unhold, sessions,
 *                         (un)register; picking a session
 * sipsimplectl-audio.c    dtmf, record
 * sipsimplectl-play.c     play
 * sipsimplectl-chat.c     chat, send-message
 * sipsimplectl-message.c  message (pager mode)
 * sipsimplectl-presence.c subscribe, publish
 * sipsimplectl-files.c    send-file, transfers, accept-file, reject-file, cancel-file
 * sipsimplectl-follow.c   following signals (every command's subscriptions), a session
 *                         (call, chat), waiting for a signal
 * sipsimplectl-complete.c words for the bash completion (__complete)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <glib.h>

#define DAEMON_NAME      "org.sipsimple.Daemon1"
#define ROOT_PATH        "/org/sipsimple"
#define IFACE_PREFIX     "org.sipsimple."
#define SETTINGS_PATH    ROOT_PATH "/Settings"
#define SETTINGS_IFACE   IFACE_PREFIX "Settings1"
#define MANAGER_PATH     ROOT_PATH "/SessionManager"
#define MANAGER_IFACE    IFACE_PREFIX "SessionManager1"
#define ACCOUNT_IFACE    IFACE_PREFIX "Account1"
#define REG_IFACE        IFACE_PREFIX "Registration1"
#define SESSION_IFACE    IFACE_PREFIX "Session1"
#define PROPS_IFACE      "org.freedesktop.DBus.Properties"
#define OM_IFACE         "org.freedesktop.DBus.ObjectManager"
#define DBUS_PREFIX      "org.freedesktop.DBus."

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* ---- sipsimplectl.c: errors and the bus */

/* Print "sipsimplectl: MESSAGE" on stderr and return EXIT_FAIL. */
int fail (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Print the usage line of one command and return EXIT_USAGE. */
int usage (const char *synopsis);
int fail_not_running (void);
/* Shows a remote error by its short name ("InvalidState: ..."); returns EXIT_FAIL. */
int fail_error (GError *error);

/* "Session1" for org.sipsimple.Session1, "Properties" for the D-Bus ones. */
const char *short_iface (const char *iface);
char *bus_description (void);

/* The connection (made on first use; owned by main). */
GDBusConnection *get_bus (GError **error);
int timeout_ms (void);
GVariant *call_daemon (const char          *path,
                       const char          *iface,
                       const char          *method,
                       GVariant            *params,
                       const GVariantType  *reply_type,
                       GError             **error);
GVariant *call_bus_driver (const char          *method,
                           GVariant            *params,
                           const GVariantType  *reply_type,
                           GError             **error);
/* The daemon's unique name, or NULL (without error) when it is not on the bus. */
char *get_daemon_owner_no_start (GError **error);
char *get_daemon_owner (GError **error);
GDBusNodeInfo *introspect (const char *path, GError **error);
/* The a{oa{sa{sv}}} of ObjectManager.GetManagedObjects. */
GVariant *get_managed_objects (GError **error);

/* ---- sipsimplectl-values.c */

GVariant *lookup_object_props (GVariant *objects, const char *path, const char *iface);
GPtrArray *objects_with_iface (GVariant *objects, const char *iface);
char *lookup_string (GVariant *props, const char *name);
char *resolve_object (const char *spec, GError **error);
GDBusNodeInfo *introspect_object (const char *path, GError **error);
GDBusPropertyInfo *find_property (GDBusNodeInfo *node, const char *name,
                                  GDBusInterfaceInfo **iface_out);
char *format_plain (GVariant *value);
GVariant *parse_value (const char *name, const GVariantType *type,
                       int argc, char **argv, GError **error);

/* ---- sipsimplectl-monitor.c: output shared with `call` */

void append_time (GString *line, gint64 usec);
/* Appends " name=value" for params[first..] (names from `signal` when it matches). */
void append_signal_args (GString *line, GDBusSignalInfo *signal, GVariant *params, gsize first);
void emit_line (GString *line);

/* ---- sipsimplectl-calls.c: what the session commands share */

/* Parses a command's own options (anywhere after the command name); the other
 * words stay in argc/argv, argv[0] being the command name. */
gboolean parse_options (const char *synopsis, const GOptionEntry *entries, int *argc, char ***argv);
/* ACCOUNT as everywhere (account/N, account:ID, a path), plus a bare USER@DOMAIN. */
char *resolve_account (const char *spec, GError **error);
/* Settings1.DefaultAccount's path (an error when there is none). */
char *default_account (GError **error);

typedef enum {
  PICK_INCOMING,     /* answer, reject */
  PICK_ACTIVE,       /* hangup: every state Terminate() accepts */
  PICK_ESTABLISHED,  /* hold, unhold, dtmf, record start */
  PICK_RECORDING,    /* record stop: AudioRecordingFileName is set */
  PICK_CHAT,         /* send-message: established, with a chat stream */
} Pick;

/* The session named by `spec` (session/N, N or a path), or with spec NULL the
 * only session the command can apply to; anything else is an error. */
char *pick_session (const char *spec, Pick pick, GError **error);

/* ---- sipsimplectl-follow.c: staying for the daemon's signals */

/* The bus and the daemon's unique name; EXIT_OK, or the exit status after
 * saying why not (the daemon not running is an error here). */
int connect_daemon (GDBusConnection **bus, char **owner);

/* A signal as every command's handler gets it. */
typedef struct {
  const char *path;
  const char *iface;
  const char *member;
  GVariant *params;
  gint64 time;     /* ours carry it as their first argument (an x); others: now */
  gsize first;     /* the index of the first argument after that time */
} DaemonSignal;

typedef void (*DaemonSignalFunc) (const DaemonSignal *sig, gpointer user_data);

/* Passes the signals from `sender` that match `iface`, `member`, `path` and
 * `arg0` (NULL: any) to `func`; unsubscribe with g_dbus_connection_signal_unsubscribe. */
guint follow_signals (GDBusConnection *bus, const char *sender, const char *iface,
                      const char *member, const char *path, const char *arg0,
                      DaemonSignalFunc func, gpointer user_data);
/* The bus driver's NameOwnerChanged for the daemon's well-known name. */
guint follow_daemon_owner (GDBusConnection *bus, DaemonSignalFunc func, gpointer user_data);

/* One Session1 signal awaited with a timeout (record, send-message). */
typedef struct {
  GMainLoop *loop;      /* the signal handler quits it */
  GDBusConnection *bus;
  guint signal_id;
} SignalWait;

/* Subscribes `on_signal` to the Session1 signal `member` (NULL: all of them)
 * of the session at `path`: before the call that makes it, so it cannot slip by. */
void signal_wait_start (SignalWait *wait, GDBusConnection *bus, const char *owner,
                        const char *path, const char *member,
                        DaemonSignalFunc on_signal, gpointer user_data);
/* Runs the loop until the handler quits it or `wait_ms` pass. */
void signal_wait_run (SignalWait *wait, int wait_ms);
void signal_wait_clear (SignalWait *wait);

/* A session we created, followed until its DidEnd (call, chat). */
typedef struct {
  GMainLoop *loop;
  GDBusConnection *bus;
  char *owner;
  char *path;                  /* the session */
  const char *gone_message;    /* said when the daemon leaves the bus */
  const char *hangup_notice;   /* said on the first Ctrl-C, or NULL */
  gboolean terminating;
  gboolean failed;             /* exit with EXIT_FAIL at DidEnd */
  int interrupts;
  int status;
  guint subscriptions[2];
  guint n_subscriptions;
  guint owner_id, sigint_id, sigterm_id;
} SessionFollow;

/* Connects, resolves `opt_account` (if any) into *account and creates the
 * session; EXIT_OK or the exit status after saying why not. */
int session_follow_create (SessionFollow *follow, const char *opt_account, char **account);
/* Passes the signals of `iface` at `path` (of the daemon) to `on_signal`. */
void session_follow_subscribe (SessionFollow *follow, const char *iface, const char *path,
                               DaemonSignalFunc on_signal, gpointer user_data);
/* Watches for the daemon leaving and for Ctrl-C (first: Terminate, second:
 * leave), then calls New; FALSE (follow->status set) when New failed. */
gboolean session_follow_new (SessionFollow *follow, const char *uri, const char *account,
                             const char *route, gboolean audio, gboolean chat);
/* Terminate(), once. */
void session_follow_terminate (SessionFollow *follow);
/* At DidEnd: quits the loop with the status. */
void session_follow_ended (SessionFollow *follow);
/* Stops the subscriptions and the Ctrl-C handling; _clear also frees. */
void session_follow_stop (SessionFollow *follow);
void session_follow_clear (SessionFollow *follow);

/* ---- commands (argv[0] is the command name) */

int cmd_status (int argc, char **argv);
int cmd_get (int argc, char **argv);
int cmd_set (int argc, char **argv);
int cmd_accounts (int argc, char **argv);
int cmd_monitor (int argc, char **argv);
int cmd_call (int argc, char **argv);
int cmd_answer (int argc, char **argv);
int cmd_reject (int argc, char **argv);
int cmd_hangup (int argc, char **argv);
int cmd_hold (int argc, char **argv);
int cmd_unhold (int argc, char **argv);
int cmd_dtmf (int argc, char **argv);
int cmd_record (int argc, char **argv);
int cmd_play (int argc, char **argv);
int cmd_sessions (int argc, char **argv);
int cmd_chat (int argc, char **argv);
int cmd_send_message (int argc, char **argv);
int cmd_message (int argc, char **argv);
int cmd_register (int argc, char **argv);
int cmd_unregister (int argc, char **argv);
int cmd_subscribe (int argc, char **argv);
int cmd_publish (int argc, char **argv);
int cmd_send_file (int argc, char **argv);
int cmd_transfers (int argc, char **argv);
int cmd_accept_file (int argc, char **argv);
int cmd_reject_file (int argc, char **argv);
int cmd_cancel_file (int argc, char **argv);

/* ---- sipsimplectl-complete.c */

/* Prints each command name once (sipsimplectl.c owns the table). */
void print_command_names (void);
int cmd_complete (int argc, char **argv);
