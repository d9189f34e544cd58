/* sips-sip-transports.h: what one nua is bound to (address, ports, TLS material) */
#pragma once

#include <gio/gio.h>
#include "config/sips-config-section.h"

G_BEGIN_DECLS

/* Port 0 = transport off. */
typedef struct {
  char    *address;        /* as configured, "" = all IPv4 addresses */
  guint    udp;
  guint    tcp;
  guint    tls;
  char    *cert_dir;       /* agent.pem + cafile.pem, when tls != 0 */
  gboolean verify_server;
} SipsTransportSet;

void        sips_transport_set_clear     (SipsTransportSet *set);
void        sips_transport_set_copy      (SipsTransportSet *dst, const SipsTransportSet *src);
/* The address to bind ("0.0.0.0" for ""), and the same as a URL host (IPv6 in brackets). */
const char *sips_transport_set_bind_host (const SipsTransportSet *set);
char       *sips_transport_set_url_host  (const SipsTransportSet *set);
/* "sip:H:P;transport=udp", "sip:H:P;transport=tcp", "sips:H:P;transport=tls" for what is on. */
GStrv       sips_transport_set_uris      (const SipsTransportSet *set);

/* Reads the transport keys of the Settings section (SipListenAddress, Sip*Port, Tls*), with
 * name replaced by value when name is set (an apply func sees the value before the commit).
 * certificate_file and ca_file are returned apart: they become set->cert_dir later. */
void        sips_transport_set_read      (SipsConfigSection *settings,
                                          const char        *name,
                                          GVariant          *value,
                                          SipsTransportSet  *set,
                                          char             **certificate_file,
                                          char             **ca_file);

/* Whether (host, socket type, port) can be bound now. */
gboolean    sips_transport_port_is_free  (const char  *host,
                                          GSocketType  type,
                                          guint        port,
                                          GError     **error);

G_END_DECLS
