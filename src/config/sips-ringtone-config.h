/* sips-ringtone-config.h: RingtoneConfiguration: default ringtones + ringtone per SIP URI */
#pragma once

#include "sips-config-section.h"

G_BEGIN_DECLS

#define SIPS_TYPE_RINGTONE_CONFIG (sips_ringtone_config_get_type ())
G_DECLARE_FINAL_TYPE (SipsRingtoneConfig, sips_ringtone_config, SIPS, RINGTONE_CONFIG, GObject)

/* The per-URI map is persisted in the section's group under the key "Sipuris"
 * (a string list of uri, path, uri, path ...), next to the section's own keys. */
SipsRingtoneConfig *sips_ringtone_config_new         (SipsConfigStore    *store);
SipsConfigSection  *sips_ringtone_config_get_section (SipsRingtoneConfig *self);

/* sipuri must be a SIP URI (InvalidArgument), ringtone a readable WAV (InvalidArgument). */
gboolean    sips_ringtone_config_add_ringtone_for_sipuri (SipsRingtoneConfig *self,
                                                          const char         *sipuri,
                                                          const char         *ringtone,
                                                          GError            **error);
/* NotFound if not registered */
gboolean    sips_ringtone_config_remove_sipuri (SipsRingtoneConfig *self,
                                                const char         *sipuri,
                                                GError            **error);
/* The URI's ringtone or DefaultInboundRingtone ("" = none). InvalidArgument for a bad URI. */
char       *sips_ringtone_config_get_ringtone_for_sipuri (SipsRingtoneConfig *self,
                                                          const char         *sipuri,
                                                          GError            **error);

G_END_DECLS
