/* sips-registration-watch.c: what a registration listens to
 *
 * The account's configuration (Enabled/Register start or end it; credentials, proxy,
 * interval or display name re-register) and the agent's nua (a new one needs a new
 * registration; the old handle died with the old one). */
#include "sips-registration-private.h"

static void
on_config_changed (SipsConfigSection *config, const char *name, gpointer user_data)
{
  SipsRegistration *self = user_data;

  if (!self->started)
    return;

  if (g_str_equal (name, "Enabled") || g_str_equal (name, "Register"))
    {
      gboolean wanted = sips_registration_config_wants (self);

      if (wanted == self->wanted)
        return;
      self->wanted = wanted;
      if (wanted)
        {
          if (self->phase == PHASE_IDLE || self->phase == PHASE_FAILED)
            {
              self->backoff = SIPS_REGISTRATION_RETRY_MIN;
              sips_registration_begin_register (self);
            }
        }
      else
        sips_registration_begin_unregister (self, FALSE);
      return;
    }

  if (g_str_equal (name, "Password") || g_str_equal (name, "AuthUsername") ||
      g_str_equal (name, "OutboundProxy") || g_str_equal (name, "RegisterInterval") ||
      g_str_equal (name, "DisplayName"))
    {
      if (!self->wanted)
        return;
      self->backoff = SIPS_REGISTRATION_RETRY_MIN;
      if (self->phase == PHASE_IDLE)
        sips_registration_begin_register (self);
      else
        sips_registration_begin_unregister (self, TRUE);
    }
}

/* The agent (re)created or shut down its nua: our handle went with the old one. */
static void
on_listening_uris (GObject *agent, GParamSpec *pspec, gpointer user_data)
{
  SipsRegistration *self = user_data;
  nua_t *nua = sips_sip_agent_get_nua (self->agent);

  if (self->nh != NULL && self->nua == nua)
    return;  /* same nua */
  self->nh = NULL;
  self->nua = NULL;

  switch (self->phase)
    {
    case PHASE_UNREGISTERING:
      /* nua_shutdown unregistered the binding */
      sips_registration_finish_unregister (self, FALSE);
      break;
    case PHASE_REGISTERING:
    case PHASE_REGISTERED:
      sips_registration_set_phase (self, PHASE_IDLE);
      if (self->wanted && !self->released)
        sips_registration_begin_register (self);
      break;
    case PHASE_IDLE:
      if (self->wanted && self->started && nua != NULL)
        sips_registration_begin_register (self);
      break;
    case PHASE_FAILED:
    default:
      break;
    }
}

/* The agent is about to shut its nua down (rebind, exit): destroying our handle now
 * un-registers once and lets that shutdown finish at once (see sips-sip-agent.c). */
static void
on_nua_closing (SipsSipAgent *agent, gpointer nua, gpointer user_data)
{
  SipsRegistration *self = user_data;

  if (self->nh == NULL || self->nua != nua)
    return;
  nua_handle_destroy (self->nh);
  self->nh = NULL;
  self->nua = NULL;
}

void
sips_registration_watch (SipsRegistration *self)
{
  g_signal_connect (self->config, "changed", G_CALLBACK (on_config_changed), self);
  g_signal_connect (self->agent, "notify::listening-uris", G_CALLBACK (on_listening_uris), self);
  g_signal_connect (self->agent, "nua-closing", G_CALLBACK (on_nua_closing), self);
}
