/* sips-ice-loader.c: the sips_ice_agent_*() API for the rest of the daemon, forwarded to
 * the ICE module (libsips-ice.so) that the first sips_ice_agent_new() opens.
 *
 * Why a module: linking libnice maps it and its chain (gupnp-igd, soup, libxml2, ICU,
 * libstdc++) into every daemon, ~3.5 MB of idle RSS that only ICE sessions need.
 * core/sips-module.c finds it. */
#include "media/sips-ice-agent.h"
#include "media/sips-ice-module.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "core/sips-module.h"

static const SipsIceModule *loaded;
static char *load_error;

static void
load (void)
{
  loaded = sips_module_load (SIPS_ICE_MODULE_NAME, SIPS_ICE_MODULE_SYMBOL, SIPS_ICE_MODULE_ABI,
                             &load_error);
  if (loaded == NULL)
    g_warning ("ICE: cannot load %s: %s", SIPS_ICE_MODULE_NAME, load_error);
}

static const SipsIceModule *
ice_module (GError **error)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      load ();
      g_once_init_leave (&once, 1);
    }
  if (loaded == NULL)
    g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("ICE is not available: %s"), load_error);
  return loaded;
}

/* An agent exists only once the module is loaded. */
static inline const SipsIceModule *
m (void)
{
  g_assert (loaded != NULL);
  return loaded;
}

/* libnice and sofia-sip both export stun_message_length() (different functions); libnice
 * calls its own through the PLT, and once libnice is loaded after sofia-sip the global
 * scope's first definition would win: sofia-sip's. Programs linking this file export this
 * forwarder (-Wl,--export-dynamic-symbol, see src/meson.build), which comes first in the
 * scope and sends libnice's calls back to libnice. sofia-sip's STUN is not used. */
uint16_t stun_message_length (const void *msg);

uint16_t
stun_message_length (const void *msg)
{
  g_return_val_if_fail (loaded != NULL, 0);
  return loaded->stun_message_length (msg);
}

GType
sips_ice_agent_get_type (void)
{
  const SipsIceModule *module = ice_module (NULL);

  return module != NULL ? module->get_type () : G_TYPE_INVALID;
}

SipsIceAgent *
sips_ice_agent_new (const SipsIceAgentConfig *config, GError **error)
{
  const SipsIceModule *module = ice_module (error);

  return module != NULL ? module->new_agent (config, error) : NULL;
}

gboolean
sips_ice_agent_get_gathered (SipsIceAgent *self)
{
  return m ()->get_gathered (self);
}

char *
sips_ice_agent_get_sdp_lines (SipsIceAgent *self)
{
  return m ()->get_sdp_lines (self);
}

gboolean
sips_ice_agent_get_default (SipsIceAgent *self, guint component, char **address, guint *port)
{
  return m ()->get_default (self, component, address, port);
}

void
sips_ice_agent_get_credentials (SipsIceAgent *self, char **ufrag, char **pwd)
{
  m ()->get_credentials (self, ufrag, pwd);
}

gint
sips_ice_agent_set_remote (SipsIceAgent *self, const char *ufrag, const char *pwd,
                           const char * const *candidates, GError **error)
{
  return m ()->set_remote (self, ufrag, pwd, candidates, error);
}

gboolean
sips_ice_agent_restart (SipsIceAgent *self)
{
  return m ()->restart (self);
}

void
sips_ice_agent_set_controlling (SipsIceAgent *self, gboolean controlling)
{
  m ()->set_controlling (self, controlling);
}

void
sips_ice_agent_force_remote (SipsIceAgent *self, const char *address, guint rtp_port,
                             guint rtcp_port)
{
  m ()->force_remote (self, address, rtp_port, rtcp_port);
}

gboolean
sips_ice_agent_get_selected (SipsIceAgent *self, const char **local_type,
                             const char **remote_type, char **remote_address, guint *remote_port)
{
  return m ()->get_selected (self, local_type, remote_type, remote_address, remote_port);
}

gboolean
sips_ice_agent_get_selected_local (SipsIceAgent *self, guint component, char **address,
                                   guint *port)
{
  return m ()->get_selected_local (self, component, address, port);
}

gboolean
sips_ice_agent_get_controlling (SipsIceAgent *self)
{
  return m ()->get_controlling (self);
}

gboolean
sips_ice_agent_selected_is_default (SipsIceAgent *self, const char *remote_address,
                                    guint remote_port)
{
  return m ()->selected_is_default (self, remote_address, remote_port);
}

char *
sips_ice_agent_remote_candidates (SipsIceAgent *self)
{
  return m ()->remote_candidates (self);
}

GObject *
sips_ice_agent_get_nice (SipsIceAgent *self)
{
  return m ()->get_nice (self);
}

guint
sips_ice_agent_get_stream_id (SipsIceAgent *self)
{
  return m ()->get_stream_id (self);
}
