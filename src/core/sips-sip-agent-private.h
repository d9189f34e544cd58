/* sips-sip-agent-private.h: the agent's state, shared by sips-sip-agent.c (sofia, the
 * nua and its life) and sips-sip-agent-rebind.c (Settings writes that rebind it) */
#pragma once

#include "core/sips-sip-agent.h"
#include "core/sips-sip-transports.h"

/* nua's magic outlives the agent if a stack ever has to be leaked (shutdown timeout):
 * its events then find agent == NULL and are dropped */
typedef struct {
  SipsSipAgent *agent;
} AgentLink;

#define NUA_MAGIC_T  AgentLink
#define NUA_HMAGIC_T void  /* a SipsNuaOwner, see the header */
#include <sofia-sip/su.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_uniqueid.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/tport_tag.h>

G_BEGIN_DECLS

struct _SipsSipAgent {
  GObject parent_instance;

  SipsConfigSection *settings;
  char *state_dir;

  AgentLink *link;
  su_root_t *root;
  GSource *root_source;
  nua_t *nua;
  SipsTransportSet current;     /* what nua was created with */
  GStrv listening_uris;

  /* a nua being shut down: the old one during a rebind, or the last one */
  nua_t *closing_nua;
  gboolean closing_done;
  /* a rebind whose old nua did not shut down at once: bound when it has */
  gboolean rebind_pending;
  SipsTransportSet pending;
  SipsTransportSet fallback;  /* what was bound before, if pending cannot be */
  gboolean stack_leaked;    /* a nua that never finished shutting down: keep the root */

  GTask *shutdown_task;
  guint shutdown_timeout_id;
  guint shutdown_idle_id;
};

/* sips-sip-agent.c */
gboolean sips_sip_agent_prepare_tls           (SipsSipAgent           *self,
                                               SipsTransportSet       *set,
                                               const char             *certificate_file,
                                               const char             *ca_file,
                                               GError                **error);
/* Binds set (ports already checked); on failure nothing is running. */
gboolean sips_sip_agent_bind_transports       (SipsSipAgent           *self,
                                               const SipsTransportSet *set);
/* Shuts closing_nua down without iterating the main context; FALSE if it still waits. */
gboolean sips_sip_agent_close_nua_now         (SipsSipAgent           *self);
/* force: notify even if the URIs stay the same (a new nua) */
void     sips_sip_agent_update_listening_uris (SipsSipAgent           *self,
                                               gboolean                force);

/* sips-sip-agent-rebind.c: a GSourceFunc, once the old nua of a pending rebind is down */
gboolean sips_sip_agent_on_rebind_idle        (gpointer                user_data);

G_END_DECLS
