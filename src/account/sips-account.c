/* sips-account.c: a SIP account (its configuration section + its registration)
 *
 * The registration (sips-registration.c) does the SIP side; the account shows its state
 * under the contract's names and re-emits its signals. The local account never registers. */
#include "sips-account.h"

#include <glib/gi18n.h>

#include "account/sips-registration.h"
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

  SipsRegistration  *registration;  /* NULL for the local account and before the agent */
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

/* The registration's property of the same meaning changed: so did ours. */
static void
on_registration_notify (GObject *registration, GParamSpec *pspec, gpointer user_data)
{
  SipsAccount *self = user_data;
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "state"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTRATION_STATE]);
  else if (g_str_equal (name, "registrar"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTRAR]);
  else if (g_str_equal (name, "expires"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES]);
  else if (g_str_equal (name, "contact-uri"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT_URI]);
}

static void
on_did_succeed (SipsRegistration *registration, gint64 timestamp, const char *contact_uri,
                GStrv contact_uri_list, guint expires, const char *registrar, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_DID_SUCCEED], 0, timestamp, contact_uri,
                 contact_uri_list, expires, registrar);
}

static void
on_did_fail (SipsRegistration *registration, gint64 timestamp, gint code, const char *reason,
             guint retry_after, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_DID_FAIL], 0, timestamp, code, reason, retry_after);
}

static void
on_will_end (SipsRegistration *registration, gint64 timestamp, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_WILL_END], 0, timestamp);
}

static void
on_did_end (SipsRegistration *registration, gint64 timestamp, gboolean expired, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_DID_END], 0, timestamp, expired);
}

/* ---- GObject vfuncs ---- */

static void
sips_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_REGISTRATION_STATE:
      g_value_set_string (value, sips_account_get_registration_state (self));
      break;
    case PROP_REGISTRAR:
      g_value_set_string (value, self->registration ? sips_registration_get_registrar (self->registration) : "");
      break;
    case PROP_EXPIRES:
      g_value_set_uint (value, self->registration ? sips_registration_get_expires (self->registration) : 0);
      break;
    case PROP_CONTACT_URI:
      g_value_set_string (value, self->registration ? sips_registration_get_contact_uri (self->registration) : "");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_account_dispose (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  if (self->registration != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->registration, self);
      /* an un-REGISTER in flight finishes on its own */
      g_clear_pointer (&self->registration, sips_registration_release);
    }
  g_clear_object (&self->config);

  G_OBJECT_CLASS (sips_account_parent_class)->dispose (object);
}

static void
sips_account_finalize (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  g_free (self->id);

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
  return self->registration ? sips_registration_get_state (self->registration) : "unregistered";
}

gboolean
sips_account_register (SipsAccount *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);

  if (!check_can_register (self, error))
    return FALSE;
  if (self->registration == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The SIP stack is not running"));
      return FALSE;
    }
  sips_registration_register (self->registration);
  return TRUE;
}

gboolean
sips_account_unregister (SipsAccount *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);

  if (!check_can_register (self, error))
    return FALSE;
  if (self->registration != NULL)
    sips_registration_unregister (self->registration);
  return TRUE;
}

void
sips_account_set_sip_agent (SipsAccount *self, SipsSipAgent *agent)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));
  g_return_if_fail (agent == NULL || SIPS_IS_SIP_AGENT (agent));
  g_return_if_fail (self->registration == NULL);

  if (self->local || agent == NULL || self->config == NULL)
    return;
  self->registration = sips_registration_new (self->id, self->config, agent);
  g_signal_connect (self->registration, "notify", G_CALLBACK (on_registration_notify), self);
  g_signal_connect (self->registration, "did-succeed", G_CALLBACK (on_did_succeed), self);
  g_signal_connect (self->registration, "did-fail", G_CALLBACK (on_did_fail), self);
  g_signal_connect (self->registration, "will-end", G_CALLBACK (on_will_end), self);
  g_signal_connect (self->registration, "did-end", G_CALLBACK (on_did_end), self);
}

void
sips_account_start (SipsAccount *self)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));

  if (self->registration != NULL)
    sips_registration_start (self->registration);
}

void
sips_account_stop (SipsAccount *self)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));

  if (self->registration != NULL)
    sips_registration_stop (self->registration);
}
