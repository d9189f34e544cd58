/* sips-sip-agent.h: sofia-sip on the GLib main loop; the nua agent and its transports */
#pragma once

#include <gio/gio.h>
#include "config/sips-config-section.h"

G_BEGIN_DECLS

#define SIPS_TYPE_SIP_AGENT (sips_sip_agent_get_type ())
G_DECLARE_FINAL_TYPE (SipsSipAgent, sips_sip_agent, SIPS, SIP_AGENT, GObject)

/* Property "listening-uris" (GStrv, read-only, notified): what is actually bound, e.g.
 * "sip:127.0.0.1:5060;transport=udp", "sip:127.0.0.1:5060;transport=tcp",
 * "sips:127.0.0.1:5061;transport=tls". */

/* settings: the Settings section (SipListenAddress, SipUdpPort, SipTcpPort, SipTlsPort,
 * TlsCaFile, TlsCertificateFile, TlsVerifyServer, UserAgent are read from it).
 * state_dir: private directory for generated TLS material (created 0700). */
SipsSipAgent *sips_sip_agent_new   (SipsConfigSection *settings,
                                    const char        *state_dir);

/* Attaches sofia's root to the default GLib main context and creates the nua agent with
 * every configured transport whose port is free; a busy port is a warning and that
 * transport stays off. Fails only if sofia itself cannot start. */
gboolean      sips_sip_agent_start (SipsSipAgent *self, GError **error);

const char * const *sips_sip_agent_get_listening_uris (SipsSipAgent *self);

/* The apply func for the Settings section (see sips_config_section_set_apply_func):
 * for SipListenAddress/SipUdpPort/SipTcpPort/SipTlsPort/TLS files it rebinds the
 * transports with the new value before it returns, without iterating the main context.
 * Only the written key changes: a transport off since start (port busy) stays off. A
 * port in use -> SIPS_ERROR_FAILED and nothing changes. An accepted change recreates
 * the nua ("nua-closing": every call ends). Other keys pass. */
gboolean      sips_sip_agent_apply_setting (SipsConfigSection *section,
                                            const char        *name,
                                            GVariant          *value,
                                            gpointer           agent,
                                            GError           **error);

/* Orderly nua shutdown (nua_shutdown, wait for nua_r_shutdown, nua_destroy, root
 * destroyed). The callback runs on the main loop when done (or after a 5 s safety timeout). */
void          sips_sip_agent_shutdown_async  (SipsSipAgent        *self,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean      sips_sip_agent_shutdown_finish (SipsSipAgent  *self,
                                              GAsyncResult  *result,
                                              GError       **error);

/* Handles the engine creates (nua_handle) or takes over (nua_handle_bind) carry a
 * SipsNuaOwner as their magic: every event on such a handle goes straight to its owner.
 * Events on handles without an owner (new incoming requests) are the "nua-event" signal:
 *   gboolean (*nua_event) (SipsSipAgent *, int event, int status, const char *phrase,
 *                          gpointer nh, gpointer sip, gpointer tags)  -- TRUE = taken.
 * An owner that goes away first unbinds (nua_handle_bind (nh, NULL)) or destroys its handle.
 * sip and tags are a sip_t const * and a tagi_t const * (opaque here).
 * "nua-closing" (gpointer nua): that nua is about to shut down (rebind, shutdown): owners
 * destroy their handles now (nua sends CANCEL/BYE/un-REGISTER once) so that the shutdown
 * has nothing to wait for; a handle left behind delays a rebind until nua gives up on it
 * (at most 30 s, SIP off meanwhile). Its events are no longer delivered. */
typedef void (*SipsNuaEventFunc) (gpointer      owner,
                                  int           event,
                                  int           status,
                                  const char   *phrase,
                                  gpointer      nh,
                                  gconstpointer sip,
                                  gconstpointer tags);
typedef struct {
  SipsNuaEventFunc func;
  gpointer         owner;
} SipsNuaOwner;

/* Our Contact for a request or dialog that goes out over transport ("udp", "tcp", "tls";
 * NULL = "udp"), with user as its user part (NULL or "" = none), e.g.
 * "<sip:alice@127.0.0.1:5062;transport=tcp>", "<sips:alice@127.0.0.1:5061;transport=tls>".
 * Every request and dialog of ours names it (SIPTAG_CONTACT_STR): sofia's own pick is wrong
 * once transports listen on different ports (its nua_registration_from_via() keeps one
 * loopback transport only and gives unpaired ones the first one's ;transport=), and nua
 * has no parameter to correct it. NULL when that transport is off or bound to a wildcard
 * address: then sofia's pick is all there is. Free with g_free(). */
char         *sips_sip_agent_contact_for (SipsSipAgent *self,
                                          const char   *transport,
                                          const char   *user);

/* The nua agent (NULL before start/after shutdown), for the session code. Opaque here so
 * that headers need not include sofia. */
gpointer      sips_sip_agent_get_nua (SipsSipAgent *self);

G_END_DECLS
