/* sips-sip-agent-rebind.c: Settings writes that move the SIP transports
 *
 * Only the written key changes (a transport off since start stays off and is no
 * obstacle); the new ports are probe-bound first, so a refused write changes nothing.
 * An accepted one recreates the nua before the write returns, without iterating the
 * main context (see sips-sip-agent.c): every call of the old nua ends. */
#include "sips-sip-agent-private.h"

#include <glib/gi18n.h>
#include "core/sips-error.h"

static gboolean
is_wildcard (const char *address)
{
  return address == NULL || *address == '\0' || g_str_equal (address, "0.0.0.0") ||
         g_str_equal (address, "::");
}

/* Is (socket type, port) on address served by the running nua? Then it is no conflict.
 * A wildcard on one side overlaps the other address: a probe would hit our own socket. */
static gboolean
is_ours (SipsSipAgent *self, const char *address, GSocketType type, guint port)
{
  if (self->nua == NULL || port == 0)
    return FALSE;
  if (g_strcmp0 (address, self->current.address) != 0 &&
      !is_wildcard (address) && !is_wildcard (self->current.address))
    return FALSE;
  if (type == G_SOCKET_TYPE_DATAGRAM)
    return self->current.udp == port;
  return self->current.tcp == port || self->current.tls == port;
}

/* The transports once name = value is written: the running ones with only what name
 * changes, so that a transport off since start (port busy) stays off and is no obstacle. */
static void
next_transports (SipsSipAgent *self, const char *name, GVariant *value, SipsTransportSet *set,
                 char **certificate_file, char **ca_file)
{
  SipsTransportSet configured = { NULL };

  sips_transport_set_read (self->settings, name, value, &configured, certificate_file, ca_file);
  sips_transport_set_copy (set, &self->current);
  if (g_str_equal (name, "SipListenAddress"))
    {
      g_free (set->address);
      set->address = g_strdup (configured.address);
    }
  else if (g_str_equal (name, "SipUdpPort"))
    set->udp = configured.udp;
  else if (g_str_equal (name, "SipTcpPort"))
    set->tcp = configured.tcp;
  else if (g_str_equal (name, "SipTlsPort"))
    set->tls = configured.tls;
  set->verify_server = configured.verify_server;
  sips_transport_set_clear (&configured);
}

/* Probe-binds every port of set that the running nua does not hold already. */
static gboolean
check_ports (SipsSipAgent *self, const SipsTransportSet *set, GError **error)
{
  const char *host = sips_transport_set_bind_host (set);
  struct { guint port; GSocketType type; } wanted[] = {
    { set->udp, G_SOCKET_TYPE_DATAGRAM },
    { set->tcp, G_SOCKET_TYPE_STREAM },
    { set->tls, G_SOCKET_TYPE_STREAM },
  };

  if (set->tls != 0 && set->tls == set->tcp)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Port %u is in use"), set->tls);
      return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (wanted); i++)
    if (wanted[i].port != 0 && !is_ours (self, set->address, wanted[i].type, wanted[i].port) &&
        !sips_transport_port_is_free (host, wanted[i].type, wanted[i].port, NULL))
      {
        g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Port %u is in use"),
                     wanted[i].port);
        return FALSE;
      }
  return TRUE;
}

/* After the old nua is gone: set, else what was bound before, else outgoing-only.
 * FALSE when set could not be bound. */
static gboolean
bind_after_close (SipsSipAgent *self, const SipsTransportSet *set, const SipsTransportSet *old)
{
  SipsTransportSet bare = { .address = old->address };
  gboolean ok = sips_sip_agent_bind_transports (self, set);

  if (!ok && !sips_sip_agent_bind_transports (self, old))
    {
      g_warning ("SIP transports could not be restored; the agent is outgoing-only");
      if (!sips_sip_agent_bind_transports (self, &bare))
        g_warning ("SIP transports could not be restored; SIP is off");
    }
  sips_sip_agent_update_listening_uris (self, TRUE);  /* a new nua: registrations follow it */
  return ok;
}

/* The old nua of a rebind finally shut down (it waited for the network) */
gboolean
sips_sip_agent_on_rebind_idle (gpointer user_data)
{
  SipsSipAgent *self = user_data;

  self->shutdown_idle_id = 0;
  nua_destroy (self->closing_nua);
  self->closing_nua = NULL;
  self->closing_done = FALSE;
  self->rebind_pending = FALSE;
  if (!bind_after_close (self, &self->pending, &self->fallback))
    g_warning ("Cannot bind the new SIP transports; the previous ones are back");
  sips_transport_set_clear (&self->pending);
  sips_transport_set_clear (&self->fallback);
  return G_SOURCE_REMOVE;
}

gboolean
sips_sip_agent_apply_setting (SipsConfigSection *section,
                              const char        *name,
                              GVariant          *value,
                              gpointer           agent,
                              GError           **error)
{
  SipsSipAgent *self = agent;
  static const char *transport_keys[] = { "SipListenAddress", "SipUdpPort", "SipTcpPort",
                                          "SipTlsPort", "TlsCaFile", "TlsCertificateFile",
                                          "TlsVerifyServer", NULL };
  SipsTransportSet set = { NULL };
  SipsTransportSet old = { NULL };
  g_autofree char *certificate_file = NULL;
  g_autofree char *ca_file = NULL;
  gboolean tls_key;
  gboolean ok = FALSE;

  g_return_val_if_fail (SIPS_IS_SIP_AGENT (self), FALSE);

  if (self->rebind_pending && g_strv_contains (transport_keys, name))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("The SIP transports are being rebound; try again"));
      return FALSE;
    }
  if (self->nua == NULL)
    return TRUE;  /* not running: the value is used at the next start */

  if (g_str_equal (name, "UserAgent"))
    {
      nua_set_params (self->nua, NUTAG_USER_AGENT (g_variant_get_string (value, NULL)),
                      TAG_END ());
      return TRUE;
    }
  if (!g_strv_contains (transport_keys, name))
    return TRUE;

  next_transports (self, name, value, &set, &certificate_file, &ca_file);
  tls_key = g_str_has_prefix (name, "Tls");

  /* The whole new set must be bindable before anything is torn down */
  if (!check_ports (self, &set, error))
    goto out;
  if (set.tls != 0 && (tls_key || self->current.tls == 0))
    {
      if (!sips_sip_agent_prepare_tls (self, &set, certificate_file, ca_file, error))
        goto out;
    }

  if (g_strcmp0 (set.address, self->current.address) == 0 && set.udp == self->current.udp &&
      set.tcp == self->current.tcp && set.tls == self->current.tls &&
      (set.tls == 0 || !tls_key))
    {
      ok = TRUE;  /* nothing to rebind */
      goto out;
    }

  g_debug ("Rebinding the SIP transports for %s", name);
  sips_transport_set_copy (&old, &self->current);
  self->closing_nua = self->nua;
  self->closing_done = FALSE;
  self->nua = NULL;
  if (!sips_sip_agent_close_nua_now (self))
    {
      /* a handle nobody owns still talks to the network: bind when nua lets go */
      self->rebind_pending = TRUE;
      sips_transport_set_copy (&self->pending, &set);
      sips_transport_set_copy (&self->fallback, &old);
      sips_sip_agent_update_listening_uris (self, TRUE);
      ok = TRUE;
      goto out;
    }

  ok = bind_after_close (self, &set, &old);
  if (!ok)
    g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                 _("Cannot bind the SIP transports with the new %s"), name);

out:
  sips_transport_set_clear (&set);
  sips_transport_set_clear (&old);
  return ok;
}

