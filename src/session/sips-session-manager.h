/* sips-session-manager.h: owns every session; drops orphans, removes terminated ones after the linger time */
#pragma once

#include <glib-object.h>
#include "sips-session.h"
#include "sips-file-transfer.h"
#include "account/sips-account.h"
#include "config/sips-config-section.h"
#include "config/sips-ringtone-config.h"
#include "core/sips-sip-agent.h"
#include "msrp/sips-msrp-transport.h"

G_BEGIN_DECLS

#define SIPS_TYPE_SESSION_MANAGER (sips_session_manager_get_type ())
G_DECLARE_FINAL_TYPE (SipsSessionManager, sips_session_manager, SIPS, SESSION_MANAGER, GObject)

/* Signals:
 *   "session-added"   (SipsSession *session)   a session exists (CreateSession or incoming)
 *   "session-removed" (SipsSession *session)   it is gone (dropped, or linger time over)
 *   "file-transfer-added"   (SipsFileTransfer *transfer)  SendFile, or an incoming
 *                            offer (Direction incoming, State offered)
 *   "file-transfer-removed" (SipsFileTransfer *transfer)  its linger time is over
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
/* SendFile: a new session carries the transfer (see sips_file_transfer_new_outgoing()). */
SipsFileTransfer *sips_session_manager_send_file (SipsSessionManager *self,
                                                  SipsAccount        *account,
                                                  const char         *to_uri,
                                                  const char         *path,
                                                  const char         *content_type,
                                                  GError            **error);
/* Every transfer held (not yet removed), in creation order (transfer container). */
GPtrArray   *sips_session_manager_list_file_transfers (SipsSessionManager *self);
/* Drops a session still in NULL (its creator left); does nothing otherwise. */
void         sips_session_manager_drop_if_null   (SipsSessionManager *self, SipsSession *session);
/* Terminates every active session (daemon shutdown). */
void         sips_session_manager_terminate_all  (SipsSessionManager *self);

/* The SIP environment of the sessions made from now on (the engine sets it once).
 * Without it sessions have no signalling (their SIP methods answer NotSupported).
 * ringtones: where inbound/outbound ringtones come from (NULL = none). */
void         sips_session_manager_set_sip_env    (SipsSessionManager *self,
                                                  SipsSipAgent       *agent,
                                                  SipsConfigSection  *settings,
                                                  SipsConfigSection  *rtp,
                                                  SipsRingtoneConfig *ringtones);
/* The MSRP endpoint of the chat streams of sessions made from now on (NULL = none:
 * chat streams fail) and MSRPConfiguration1 (its relay settings, read when a chat
 * stream is set up; NULL = no relay). */
void         sips_session_manager_set_msrp_transport (SipsSessionManager *self,
                                                      SipsMsrpTransport  *msrp,
                                                      SipsConfigSection  *msrp_config);
/* An incoming INVITE on an unbound handle (nh: nua_handle_t *, sip: its sip_t *):
 * a new session takes the handle, announces itself (NewIncoming) and rings.
 * account: the account the Request-URI matched (account 0 otherwise).
 * An offer the SRTP policy refuses gets 488 and makes no session (NULL). */
SipsSession *sips_session_manager_take_incoming  (SipsSessionManager *self,
                                                  gpointer            nh,
                                                  gconstpointer       sip,
                                                  SipsAccount        *account);
/* Daemon exit, after the sessions ended: func (data) runs from an idle once every audio
 * stream and ringtone has stopped (recordings and file devices are final). */
void         sips_session_manager_when_media_stopped (SipsSessionManager *self,
                                                      GSourceFunc         func,
                                                      gpointer            data);
/* nua is shutting down (transport rebind, daemon exit): the sessions on it end. */
void         sips_session_manager_nua_closing    (SipsSessionManager *self,
                                                  gpointer            nua);

G_END_DECLS
