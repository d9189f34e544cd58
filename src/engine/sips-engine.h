/* sips-engine.h: the daemon's model: configuration, accounts, sessions and the SIP agent */
#pragma once

#include <gio/gio.h>
#include "config/sips-config-store.h"
#include "config/sips-config-section.h"
#include "config/sips-ringtone-config.h"
#include "account/sips-account.h"
#include "session/sips-session-manager.h"
#include "core/sips-sip-agent.h"

G_BEGIN_DECLS

#define SIPS_TYPE_ENGINE (sips_engine_get_type ())
G_DECLARE_FINAL_TYPE (SipsEngine, sips_engine, SIPS, ENGINE, GObject)

/* Signals: "account-added" (SipsAccount *), "account-removed" (SipsAccount *).
 * Property "default-account" (SipsAccount *, read-only, notified). */

/* config_path: the keyfile; state_dir: private data (TLS material). Loads the
 * configuration and creates account 0 and the configured accounts. A configuration file
 * that cannot be parsed is renamed to "PATH.unreadable-SECONDS" (kept for its owner) and
 * the defaults are used. */
SipsEngine         *sips_engine_new (const char  *config_path,
                                     const char  *state_dir,
                                     GError     **error);

/* Starts the SIP agent (transports on busy ports stay off with a warning). */
gboolean            sips_engine_start (SipsEngine *self, GError **error);
/* Terminates sessions and shuts the SIP agent down; callback on the main loop. */
void                sips_engine_shutdown_async  (SipsEngine *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean            sips_engine_shutdown_finish (SipsEngine *self, GAsyncResult *result, GError **error);

SipsConfigStore    *sips_engine_get_store           (SipsEngine *self);
SipsConfigSection  *sips_engine_get_settings        (SipsEngine *self);
SipsRingtoneConfig *sips_engine_get_ringtone_config (SipsEngine *self);
SipsConfigSection  *sips_engine_get_rtp_config      (SipsEngine *self);
SipsConfigSection  *sips_engine_get_msrp_config     (SipsEngine *self);
SipsSessionManager *sips_engine_get_session_manager (SipsEngine *self);
SipsSipAgent       *sips_engine_get_sip_agent       (SipsEngine *self);

/* Accounts in order: account 0 (local) first, then by addition (transfer none). */
GPtrArray          *sips_engine_get_accounts        (SipsEngine *self);
SipsAccount        *sips_engine_get_local_account   (SipsEngine *self);
SipsAccount        *sips_engine_lookup_account      (SipsEngine *self, const char *id);
/* Settings' DefaultAccount resolved (account 0 when unset or gone). */
SipsAccount        *sips_engine_get_default_account (SipsEngine *self);

/* address: "user@domain" (a leading "sip:" is accepted and dropped). properties: a{sv}
 * of Account1 names. Invalid address/properties -> InvalidArgument, duplicate -> Failed?
 * no: InvalidArgument; nothing changes on error. */
SipsAccount        *sips_engine_add_account    (SipsEngine   *self,
                                                const char   *address,
                                                GVariant     *properties,
                                                GError      **error);
/* account 0 -> PermissionDenied; not ours -> NotFound. */
gboolean            sips_engine_remove_account (SipsEngine   *self,
                                                SipsAccount  *account,
                                                GError      **error);

G_END_DECLS
