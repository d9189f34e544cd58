/* sips-account.c: a SIP account (its configuration section + its registration)
 *
 * The registration (sips-registration.c) does the SIP side and carries the state; the
 * account decides whether it may register at all. The local account never registers. */
#include "sips-account.h"

#include <glib/gi18n.h>

#include "account/sips-registration.h"
#include "core/sips-error.h"
#include "presence/sips-pager.h"

/* ---- struct ---- */

struct _SipsAccount {
  GObject parent_instance;

  char              *id;
  SipsConfigSection *config;
  gboolean           local;

  SipsRegistration  *registration;  /* NULL for the local account and before the agent */
  SipsPager         *pager;         /* NULL before the agent */
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
sips_account_dispose (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  if (self->registration != NULL)
    {
      /* an un-REGISTER in flight finishes on its own */
      g_clear_pointer (&self->registration, sips_registration_release);
    }
  g_clear_object (&self->pager);
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

  object_class->dispose = sips_account_dispose;
  object_class->finalize = sips_account_finalize;
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

SipsRegistration *
sips_account_get_registration (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->registration;
}

SipsPager *
sips_account_get_pager (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->pager;
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

  if (agent != NULL && self->pager == NULL)
    self->pager = sips_pager_new (self, agent);
  if (self->local || agent == NULL || self->config == NULL)
    return;
  self->registration = sips_registration_new (self->id, self->config, agent);
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
