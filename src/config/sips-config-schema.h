/* sips-config-schema.h: the key tables of the configuration objects of the contract */
#pragma once

#include "sips-config-section.h"

G_BEGIN_DECLS

/* Keyfile groups */
#define SIPS_GROUP_SETTINGS  "Settings"
#define SIPS_GROUP_RINGTONES "RingtoneConfiguration"
#define SIPS_GROUP_RTP       "RTPConfiguration"
#define SIPS_GROUP_MSRP      "MSRPConfiguration"
#define SIPS_GROUP_ACCOUNT_PREFIX "Account "   /* "Account alice@example.com" */
#define SIPS_GROUP_LOCAL_ACCOUNT  "LocalAccount" /* account 0 */

/* Settings1 (writable part; Accounts/ConfigurationFile/SipListeningUris are not stored).
 * DefaultAccount is stored as an account id ("" = account 0); src/dbus maps it to a path. */
extern const SipsConfigKey sips_settings_keys[];
extern const gsize         sips_settings_n_keys;
/* RingtoneConfiguration1: DefaultInboundRingtone, OutboundRingtone */
extern const SipsConfigKey sips_ringtone_keys[];
extern const gsize         sips_ringtone_n_keys;
/* RTPConfiguration1 */
extern const SipsConfigKey sips_rtp_keys[];
extern const gsize         sips_rtp_n_keys;
/* MSRPConfiguration1 */
extern const SipsConfigKey sips_msrp_keys[];
extern const gsize         sips_msrp_n_keys;
/* Account1 writable keys (Id is the group name, not a key); Password is SECRET */
extern const SipsConfigKey sips_account_keys[];
extern const gsize         sips_account_n_keys;

/* Machine-dependent defaults (SipsConfigDefaultFunc): LocalRtpAddress (default outbound
 * IPv4 of this host, found with a connected UDP socket, no packet sent; 127.0.0.1 if none),
 * UserAgent ("sipsimpled/VERSION"), RecordingsDirectory ($XDG_DATA_HOME/sipsimpled/recordings),
 * DownloadsDirectory (the XDG download dir, else ~/Downloads). */
GVariant *sips_config_schema_default (const char *name, gpointer user_data);

/* The section of a keyfile group with its table: SIPS_GROUP_SETTINGS, _RINGTONES, _RTP,
 * _MSRP, SIPS_GROUP_LOCAL_ACCOUNT or SIPS_GROUP_ACCOUNT_PREFIX + id. NULL for another group. */
SipsConfigSection *sips_config_schema_section_new (SipsConfigStore *store, const char *group);

/* Shared validators, also used by the engine */
gboolean sips_config_is_ip_address (const char *s);            /* IPv4 or IPv6 literal */
gboolean sips_config_is_host       (const char *s);            /* IP literal or DNS host name */
gboolean sips_config_is_readable_wav (const char *path, GError **error); /* RIFF/WAVE header */
gboolean sips_config_is_sip_address  (const char *s);          /* user@domain (no scheme) */
gboolean sips_config_is_sip_uri      (const char *s);          /* sip:/sips: URI (sofia url parser) */
/* "scheme:user@host:port" with the host lower-cased and parameters/headers dropped,
 * for comparing URIs; NULL if s is not a sip:/sips: URI. */
char    *sips_config_normalize_sip_uri (const char *s);

G_END_DECLS
