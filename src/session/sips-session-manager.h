/* sips-session-manager.h: owns every session; drops orphans, removes terminated ones after the linger time */
#pragma once

#include <glib-object.h>
#include "sips-session.h"

G_BEGIN_DECLS

#define SIPS_TYPE_SESSION_MANAGER (sips_session_manager_get_type ())
G_DECLARE_FINAL_TYPE (SipsSessionManager, sips_session_manager, SIPS, SESSION_MANAGER, GObject)

/* Signals:
 *   "session-added"   (SipsSession *session)   a session exists (CreateSession or incoming)
 *   "session-removed" (SipsSession *session)   it is gone (dropped, or linger time over)
 * Property "sessions" (read-only, boxed G_TYPE_PTR_ARRAY of SipsSession*, the same list as
 * get_active_sessions(), elements not owned): notified whenever the list of sessions not in
 * NULL/TERMINATED changes. */

/* linger_seconds_func: returns the current TerminatedSessionLinger (read when a session ends). */
typedef guint (*SipsLingerFunc) (gpointer user_data);

SipsSessionManager *sips_session_manager_new (SipsLingerFunc linger_func, gpointer user_data);

SipsSession *sips_session_manager_create_session (SipsSessionManager *self);
/* Every session the manager holds, in creation order (transfer container). */
GPtrArray   *sips_session_manager_list_sessions  (SipsSessionManager *self);
/* The seed's "sessions": those not NULL and not TERMINATED (transfer container). */
GPtrArray   *sips_session_manager_get_active_sessions (SipsSessionManager *self);
/* Drops a session still in NULL (its creator left); does nothing otherwise. */
void         sips_session_manager_drop_if_null   (SipsSessionManager *self, SipsSession *session);
/* Terminates every active session (daemon shutdown). */
void         sips_session_manager_terminate_all  (SipsSessionManager *self);

G_END_DECLS
