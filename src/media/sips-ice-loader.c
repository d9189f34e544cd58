/* sips-ice-loader.c: the sips_ice_agent_*() API for the rest of the daemon, forwarded to
 * the ICE module (libsips-ice.so) that the first sips_ice_agent_new() opens.
 *
 * Why a module: linking libnice maps it and its chain (gupnp-igd, soup, libxml2, ICU,
 * libstdc++) into every daemon, ~3.5 MB of idle RSS that only ICE sessions need.
 *
 * Where: $SIPSIMPLED_MODULE_DIR if set; else the build tree's module when this program
 * runs from the build tree (tests, tools/run); else the installed one. */
#include "media/sips-ice-agent.h"
#include "media/sips-ice-module.h"

#include <glib/gi18n.h>
#include <gmodule.h>

#include "core/sips-error.h"

static const SipsIceModule *loaded;
static char *load_error;

static char *
module_dir (void)
{
  const char *dir = g_getenv ("SIPSIMPLED_MODULE_DIR");
  g_autofree char *exe = NULL;

  if (dir != NULL && *dir != '\0')
    return g_strdup (dir);
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL && g_str_has_prefix (exe, SIPS_BUILD_ROOT "/"))
    return g_strdup (SIPS_MODULE_BUILD_DIR);
  return g_strdup (SIPS_MODULE_DIR);
}

static void
load (void)
{
  g_autofree char *dir = module_dir ();
  g_autofree char *path = g_build_filename (dir, SIPS_ICE_MODULE_NAME, NULL);
  GModule *gmodule = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  SipsIceModuleGetFunc get = NULL;
  const SipsIceModule *module = NULL;

  if (gmodule == NULL)
    {
      load_error = g_strdup (g_module_error ());
      g_warning ("ICE: cannot load %s: %s", path, load_error);
      return;
    }
  if (g_module_symbol (gmodule, SIPS_ICE_MODULE_SYMBOL, (gpointer *) &get) && get != NULL)
    module = get ();
  if (module == NULL || module->abi != SIPS_ICE_MODULE_ABI)
    {
      load_error = g_strdup_printf ("%s: not a usable ICE module", path);
      g_warning ("ICE: %s", load_error);
      g_module_close (gmodule);
      return;
    }
  /* Its GType cannot be unregistered: the module stays for the life of the process. */
  g_module_make_resident (gmodule);
  g_debug ("ICE: loaded %s", path);
  loaded = module;
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
