/* sips-account.c: a SIP account (its configuration section + its registration state)
 *
 * The registration itself comes with the SIP signalling issue; until then Register()
 * and Unregister() check what they can and answer NotSupported. */
#include "sips-account.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"

/* ---- properties ---- */

enum {
  PROP_0,
  PROP_REGISTRATION_STATE,
  PROP_REGISTRAR,
  PROP_EXPIRES,
  PROP_CONTACT_URI,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- signals ---- */

enum {
  SIGNAL_DID_SUCCEED,
  SIGNAL_DID_FAIL,
  SIGNAL_WILL_END,
  SIGNAL_DID_END,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- struct ---- */

struct _SipsAccount {
  GObject parent_instance;

  char              *id;
  SipsConfigSection *config;
  gboolean           local;

  char  *registration_state;
  char  *registrar;
  guint  expires;
  char  *contact_uri;
};

G_DEFINE_FINAL_TYPE (SipsAccount, sips_account, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static gboolean
check_can_register (SipsAccount *self, GError **error)
{
  if (self->local)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED,
                           _("The local account never registers"));
      return FALSE;
    }
  if (self->config != NULL && !sips_config_section_get_boolean (self->config, "Enabled"))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The account is disabled"));
      return FALSE;
    }
  return TRUE;
}

/* ---- GObject vfuncs ---- */

static void
sips_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_REGISTRATION_STATE:
      g_value_set_string (value, self->registration_state);
      break;
    case PROP_REGISTRAR:
      g_value_set_string (value, self->registrar);
      break;
    case PROP_EXPIRES:
      g_value_set_uint (value, self->expires);
      break;
    case PROP_CONTACT_URI:
      g_value_set_string (value, self->contact_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_account_dispose (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  g_clear_object (&self->config);

  G_OBJECT_CLASS (sips_account_parent_class)->dispose (object);
}

static void
sips_account_finalize (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  g_free (self->id);
  g_free (self->registration_state);
  g_free (self->registrar);
  g_free (self->contact_uri);

  G_OBJECT_CLASS (sips_account_parent_class)->finalize (object);
}

static void
sips_account_class_init (SipsAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = sips_account_get_property;
  object_class->dispose = sips_account_dispose;
  object_class->finalize = sips_account_finalize;

  properties[PROP_REGISTRATION_STATE] =
    g_param_spec_string ("registration-state", NULL, NULL, "unregistered", flags);
  properties[PROP_REGISTRAR] = g_param_spec_string ("registrar", NULL, NULL, "", flags);
  properties[PROP_EXPIRES] = g_param_spec_uint ("expires", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_CONTACT_URI] = g_param_spec_string ("contact-uri", NULL, NULL, "", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Registration1 signals; GTypes as gdbus-codegen gives them (src/dbus forwards by name) */
  signals[SIGNAL_DID_SUCCEED] =
    g_signal_new ("did-succeed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 5,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRV, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_DID_FAIL] =
    g_signal_new ("did-fail", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT64, G_TYPE_INT, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_WILL_END] =
    g_signal_new ("will-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_DID_END] =
    g_signal_new ("did-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_BOOLEAN);
}

static void
sips_account_init (SipsAccount *self)
{
  self->registration_state = g_strdup ("unregistered");
  self->registrar = g_strdup ("");
  self->contact_uri = g_strdup ("");
}

/* ---- public API ---- */

SipsAccount *
sips_account_new (const char *id, SipsConfigSection *config, gboolean local)
{
  SipsAccount *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (config == NULL || SIPS_IS_CONFIG_SECTION (config), NULL);

  self = g_object_new (SIPS_TYPE_ACCOUNT, NULL);
  self->id = g_strdup (id);
  self->config = config != NULL ? g_object_ref (config) : NULL;
  self->local = !!local;
  return self;
}

const char *
sips_account_get_id (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->id;
}

gboolean
sips_account_is_local (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);
  return self->local;
}

SipsConfigSection *
sips_account_get_config (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->config;
}

const char *
sips_account_get_registration_state (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->registration_state;
}

gboolean
sips_account_register (SipsAccount *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);

  if (!check_can_register (self, error))
    return FALSE;
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                       _("Registration is not supported yet"));
  return FALSE;
}

gboolean
sips_account_unregister (SipsAccount *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);

  if (!check_can_register (self, error))
    return FALSE;
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                       _("Unregistration is not supported yet"));
  return FALSE;
}

void
sips_account_set_sip_agent (SipsAccount *self, SipsSipAgent *agent)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));
}

void
sips_account_start (SipsAccount *self)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));
}

void
sips_account_stop (SipsAccount *self)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));
}
