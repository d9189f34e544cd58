/* sips-sip-transports.c: what one nua is bound to (address, ports, TLS material) */
#include "sips-sip-transports.h"

#include <glib/gi18n.h>
#include <string.h>
#include "core/sips-error.h"

void
sips_transport_set_clear (SipsTransportSet *set)
{
  g_clear_pointer (&set->address, g_free);
  g_clear_pointer (&set->cert_dir, g_free);
  set->udp = set->tcp = set->tls = 0;
  set->verify_server = FALSE;
}

void
sips_transport_set_copy (SipsTransportSet *dst, const SipsTransportSet *src)
{
  sips_transport_set_clear (dst);
  dst->address = g_strdup (src->address);
  dst->udp = src->udp;
  dst->tcp = src->tcp;
  dst->tls = src->tls;
  dst->cert_dir = g_strdup (src->cert_dir);
  dst->verify_server = src->verify_server;
}

const char *
sips_transport_set_bind_host (const SipsTransportSet *set)
{
  return (set->address != NULL && set->address[0] != '\0') ? set->address : "0.0.0.0";
}

/* host part of a URL: IPv6 literals in brackets */
char *
sips_transport_set_url_host (const SipsTransportSet *set)
{
  const char *host = sips_transport_set_bind_host (set);

  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]", host) : g_strdup (host);
}

GStrv
sips_transport_set_uris (const SipsTransportSet *set)
{
  GPtrArray *uris = g_ptr_array_new ();
  g_autofree char *host = sips_transport_set_url_host (set);

  if (set->udp != 0)
    g_ptr_array_add (uris, g_strdup_printf ("sip:%s:%u;transport=udp", host, set->udp));
  if (set->tcp != 0)
    g_ptr_array_add (uris, g_strdup_printf ("sip:%s:%u;transport=tcp", host, set->tcp));
  if (set->tls != 0)
    g_ptr_array_add (uris, g_strdup_printf ("sips:%s:%u;transport=tls", host, set->tls));
  g_ptr_array_add (uris, NULL);
  return (GStrv) g_ptr_array_free (uris, FALSE);
}

/* UDP without SO_REUSEADDR (a shared UDP port would steal packets); TCP with it, as sofia binds TCP, so that TIME_WAIT leftovers don't count
 * as busy while a listening socket still does (Linux refuses to share those). */
gboolean
sips_transport_port_is_free (const char *host, GSocketType type, guint port, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;

  if (inet == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Invalid listen address %s"), host);
      return FALSE;
    }
  socket = g_socket_new (g_inet_address_get_family (inet), type,
                         G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  address = g_inet_socket_address_new (inet, (guint16) port);
  return g_socket_bind (socket, address, type == G_SOCKET_TYPE_STREAM, error);
}

void
sips_transport_set_read (SipsConfigSection *settings,
                         const char        *name,
                         GVariant          *value,
                         SipsTransportSet  *set,
                         char             **certificate_file,
                         char             **ca_file)
{
  static const char *keys[] = { "SipListenAddress", "SipUdpPort", "SipTcpPort", "SipTlsPort",
                                "TlsCertificateFile", "TlsCaFile", "TlsVerifyServer" };
  GVariant *values[G_N_ELEMENTS (keys)] = { NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    values[i] = (name != NULL && g_str_equal (name, keys[i]))
      ? g_variant_ref_sink (value)
      : sips_config_section_get (settings, keys[i]);

  sips_transport_set_clear (set);
  set->address = values[0] ? g_variant_dup_string (values[0], NULL) : g_strdup ("");
  set->udp = values[1] ? g_variant_get_uint32 (values[1]) : 0;
  set->tcp = values[2] ? g_variant_get_uint32 (values[2]) : 0;
  set->tls = values[3] ? g_variant_get_uint32 (values[3]) : 0;
  *certificate_file = values[4] ? g_variant_dup_string (values[4], NULL) : g_strdup ("");
  *ca_file = values[5] ? g_variant_dup_string (values[5], NULL) : g_strdup ("");
  set->verify_server = values[6] ? g_variant_get_boolean (values[6]) : TRUE;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_clear_pointer (&values[i], g_variant_unref);
}
