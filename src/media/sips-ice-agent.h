/* sips-ice-agent.h: ICE (RFC 8445, full agent) for one audio stream: a libnice NiceAgent
 * with one stream of two components (1 RTP, 2 RTCP) on the creating thread's main context.
 * Knows nothing of SIP: the session reads and writes SDP attribute values through it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  const char *local_address;    /* host candidates only here (a loopback address works) */
  guint       port_min;         /* host candidate ports; 0 = any */
  guint       port_max;
  const char *stun_address;     /* IP or host name; NULL/"" = no server-reflexive candidate */
  guint       stun_port;
  const char *turn_address;     /* NULL/"" = no relayed candidate */
  guint       turn_port;
  const char *turn_transport;   /* "udp", "tcp", "tls" */
  const char *turn_username;
  const char *turn_password;    /* never logged */
  gboolean    controlling;      /* the offerer */
} SipsIceAgentConfig;

#define SIPS_TYPE_ICE_AGENT (sips_ice_agent_get_type ())
G_DECLARE_FINAL_TYPE (SipsIceAgent, sips_ice_agent, SIPS, ICE_AGENT, GObject)

/* Signals (main context):
 *   "gathered" (): the local candidates are complete (also after at most
 *     SIPS_ICE_GATHER_TIMEOUT_MS: an unreachable STUN/TURN server costs its candidate only);
 *   "succeeded" (const char *local_type, const char *remote_type): the RTP component has
 *     a selected pair (again after a restart);
 *   "failed" (const char *reason): the checks found no pair; the caller may force_remote(). */
#define SIPS_ICE_GATHER_TIMEOUT_MS 3000

/* Starts gathering at once (host names of the servers are resolved asynchronously). */
SipsIceAgent *sips_ice_agent_new (const SipsIceAgentConfig *config, GError **error);

gboolean    sips_ice_agent_get_gathered (SipsIceAgent *self);
/* The a=ice-ufrag, a=ice-pwd and a=candidate lines (CRLF-terminated) of our candidates. */
char       *sips_ice_agent_get_sdp_lines (SipsIceAgent *self);
/* The default candidate (relay over srflx over host) of component 1 or 2; FALSE = none. */
gboolean    sips_ice_agent_get_default (SipsIceAgent *self, guint component, char **address,
                                        guint *port);
void        sips_ice_agent_get_credentials (SipsIceAgent *self, char **ufrag, char **pwd);

/* The peer's ICE: credentials and its a=candidate values ("foundation component ...", the
 * attribute's value). Malformed lines are skipped one by one (logged); returns how many
 * were usable, -1 with error when the whole is unusable (no credentials). */
gint        sips_ice_agent_set_remote (SipsIceAgent *self, const char *ufrag, const char *pwd,
                                       const char * const *candidates, GError **error);
/* New local credentials and candidates (an ICE restart); gathering again. */
gboolean    sips_ice_agent_restart (SipsIceAgent *self);
void        sips_ice_agent_set_controlling (SipsIceAgent *self, gboolean controlling);
/* No ICE on the other side or the checks failed: send to (and accept from) these. */
void        sips_ice_agent_force_remote (SipsIceAgent *self, const char *address, guint rtp_port,
                                         guint rtcp_port);

/* The selected pair of the RTP component: TRUE with its types and the remote address. */
gboolean    sips_ice_agent_get_selected (SipsIceAgent *self, const char **local_type,
                                         const char **remote_type, char **remote_address,
                                         guint *remote_port);
/* The local candidate of component 1 or 2's selected pair; FALSE = none. */
gboolean    sips_ice_agent_get_selected_local (SipsIceAgent *self, guint component, char **address,
                                               guint *port);
gboolean    sips_ice_agent_get_controlling (SipsIceAgent *self);
/* Whether the selected pair is our default candidate and the peer's (RFC 8839 4.4.1.2). */
gboolean    sips_ice_agent_selected_is_default (SipsIceAgent *self, const char *remote_address,
                                                guint remote_port);
/* "a=remote-candidates" value for the updated offer (component 1 and 2), NULL = none. */
char       *sips_ice_agent_remote_candidates (SipsIceAgent *self);

/* For nicesrc/nicesink (properties "agent", "stream", "component" 1 and 2). */
GObject    *sips_ice_agent_get_nice      (SipsIceAgent *self);
guint       sips_ice_agent_get_stream_id (SipsIceAgent *self);

G_END_DECLS
