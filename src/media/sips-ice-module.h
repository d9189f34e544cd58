/* sips-ice-module.h: the ICE agent lives in a loadable module (libsips-ice.so, linking
 * libnice) so that a daemon that never uses ICE does not map libnice and its chain
 * (gupnp-igd, soup, libxml2, ICU, libstdc++: ~3.5 MB of RSS). sips-ice-loader.c opens
 * it on first use and forwards the sips_ice_agent_*() API to this table. */
#pragma once

#include <stdint.h>
#include "media/sips-ice-agent.h"

G_BEGIN_DECLS

#define SIPS_ICE_MODULE_NAME   "libsips-ice.so"
#define SIPS_ICE_MODULE_SYMBOL "sips_ice_module_get"
#define SIPS_ICE_MODULE_ABI    1

typedef struct {
  guint          abi;   /* SIPS_ICE_MODULE_ABI */
  GType        (*get_type)            (void);
  SipsIceAgent *(*new_agent)          (const SipsIceAgentConfig *config, GError **error);
  gboolean     (*get_gathered)        (SipsIceAgent *self);
  char        *(*get_sdp_lines)       (SipsIceAgent *self);
  gboolean     (*get_default)         (SipsIceAgent *self, guint component, char **address,
                                       guint *port);
  void         (*get_credentials)     (SipsIceAgent *self, char **ufrag, char **pwd);
  gint         (*set_remote)          (SipsIceAgent *self, const char *ufrag, const char *pwd,
                                       const char * const *candidates, GError **error);
  gboolean     (*restart)             (SipsIceAgent *self);
  void         (*set_controlling)     (SipsIceAgent *self, gboolean controlling);
  void         (*force_remote)        (SipsIceAgent *self, const char *address, guint rtp_port,
                                       guint rtcp_port);
  gboolean     (*get_selected)        (SipsIceAgent *self, const char **local_type,
                                       const char **remote_type, char **remote_address,
                                       guint *remote_port);
  gboolean     (*get_selected_local)  (SipsIceAgent *self, guint component, char **address,
                                       guint *port);
  gboolean     (*get_controlling)     (SipsIceAgent *self);
  gboolean     (*selected_is_default) (SipsIceAgent *self, const char *remote_address,
                                       guint remote_port);
  char        *(*remote_candidates)   (SipsIceAgent *self);
  GObject     *(*get_nice)            (SipsIceAgent *self);
  guint        (*get_stream_id)       (SipsIceAgent *self);
  /* libnice's own stun_message_length(): see sips-ice-loader.c */
  uint16_t     (*stun_message_length) (const void *msg);
} SipsIceModule;

typedef const SipsIceModule *(*SipsIceModuleGetFunc) (void);

G_END_DECLS
