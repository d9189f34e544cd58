/* sips-config-section.h: one group of typed, validated, persisted settings.
 *
 * A section is described by a static table of keys. Names are the configuration
 * names of the contract (CamelCase, e.g. "SipUdpPort"); they are also the keyfile
 * keys. Values are GVariants of the key's type. Every successful set is persisted
 * at once (atomic file replace) and announced with the detailed "changed" signal. */
#pragma once

#include <glib-object.h>
#include "sips-config-store.h"

G_BEGIN_DECLS

#define SIPS_TYPE_CONFIG_SECTION (sips_config_section_get_type ())
G_DECLARE_FINAL_TYPE (SipsConfigSection, sips_config_section, SIPS, CONFIG_SECTION, GObject)

typedef enum {
  SIPS_CONFIG_KEY_NONE   = 0,
  SIPS_CONFIG_KEY_SECRET = 1 << 0,  /* write-only: public reads give the type's empty value; never logged */
} SipsConfigKeyFlags;

/* Checks one value (already of the right type). The section argument lets a validator
 * look at other keys (e.g. RtpPortMin <= RtpPortMax). Fails with SIPS_ERROR_INVALID_ARGUMENT. */
typedef gboolean (*SipsConfigValidateFunc) (SipsConfigSection *section,
                                            const char        *name,
                                            GVariant          *value,
                                            GError           **error);

typedef struct {
  const char             *name;           /* "SipUdpPort" */
  const char             *type;           /* GVariant type string: "s", "b", "u", "as" */
  const char             *default_value;  /* GVariant text ("5060", "'opus'", "['a','b']"), or NULL: see default_func */
  SipsConfigKeyFlags      flags;
  SipsConfigValidateFunc  validate;       /* NULL: any value of the type */
} SipsConfigKey;

/* Computes defaults that depend on the machine (LocalRtpAddress, directories). */
typedef GVariant *(*SipsConfigDefaultFunc) (const char *name, gpointer user_data);

/* Called after validation and before the value is committed; may refuse with an error
 * (e.g. SIPS_ERROR_FAILED when a new SIP port is in use), which leaves everything as it was. */
typedef gboolean (*SipsConfigApplyFunc) (SipsConfigSection *section,
                                         const char        *name,
                                         GVariant          *value,
                                         gpointer           user_data,
                                         GError           **error);

/* keys must stay valid for the life of the section (static tables). Values are read
 * from the store's keyfile group; a stored value that is missing, unparsable or invalid
 * falls back to the default (with a warning). */
SipsConfigSection *sips_config_section_new (SipsConfigStore      *store,
                                            const char           *group,
                                            const SipsConfigKey  *keys,
                                            gsize                 n_keys,
                                            SipsConfigDefaultFunc default_func,
                                            gpointer              default_data);

const char          *sips_config_section_get_group (SipsConfigSection *self);
const SipsConfigKey *sips_config_section_get_keys  (SipsConfigSection *self,
                                                    gsize             *n_keys);
const SipsConfigKey *sips_config_section_lookup    (SipsConfigSection *self,
                                                    const char        *name);

void sips_config_section_set_apply_func (SipsConfigSection   *self,
                                         SipsConfigApplyFunc  func,
                                         gpointer             user_data);

/* The value (a new reference). Secret keys return their real value here: this is the
 * engine's view; the public view masks them (see get_public). NULL for an unknown name. */
GVariant *sips_config_section_get        (SipsConfigSection *self, const char *name);
/* What clients may read: like get(), but secret keys give the empty value of their type. */
GVariant *sips_config_section_get_public (SipsConfigSection *self, const char *name);

/* Typed shortcuts for the engine (the key must exist and have that type). */
const char         *sips_config_section_get_string  (SipsConfigSection *self, const char *name);
gboolean            sips_config_section_get_boolean (SipsConfigSection *self, const char *name);
guint32             sips_config_section_get_uint    (SipsConfigSection *self, const char *name);
const char * const *sips_config_section_get_strv    (SipsConfigSection *self, const char *name);

/* Validates (unknown name or wrong type -> SIPS_ERROR_INVALID_ARGUMENT), runs the apply
 * func, commits, saves the store and emits "changed::<name>" if the value changed.
 * On any error nothing changes (memory and file). value may be floating. */
gboolean sips_config_section_set (SipsConfigSection *self,
                                  const char        *name,
                                  GVariant          *value,
                                  GError           **error);

/* All-or-nothing set of several keys from an a{sv}: every value is validated first
 * (validators see the other new values of the same dict, so RtpPortMin and RtpPortMax
 * can move together; apply funcs see the section as it was), then all are committed, the
 * whole group (every key of the table, defaults included) is written and saved once.
 * An empty dict therefore creates the group in the file (AddAccount). */
gboolean sips_config_section_set_many (SipsConfigSection *self,
                                       GVariant          *dict,
                                       GError           **error);

/* Removes the group from the store and saves (RemoveAccount). */
gboolean sips_config_section_delete (SipsConfigSection *self, GError **error);

/* Signal "changed" (detailed by key name): void (*changed) (SipsConfigSection *, const char *name, gpointer) */

G_END_DECLS
