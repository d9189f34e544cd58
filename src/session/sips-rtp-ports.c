/* sips-rtp-ports.c: a session's RTP/RTCP UDP socket pair in the configured port range */
#include "sips-rtp-ports.h"

#include <glib/gi18n.h>
#include "core/sips-error.h"

static GSocket *
bind_udp (GInetAddress *inet, guint port)
{
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (inet),
                                            G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) address = NULL;

  if (socket == NULL)
    return NULL;
  address = g_inet_socket_address_new (inet, (guint16) port);
  /* no SO_REUSEADDR: a shared RTP port would steal the other session's packets */
  if (!g_socket_bind (socket, address, FALSE, NULL))
    return NULL;
  return g_steal_pointer (&socket);
}

gboolean
sips_rtp_ports_reserve (const char *address, guint min, guint max, GSocket **rtp,
                        GSocket **rtcp, guint *port, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  guint first, n_pairs, start;

  g_return_val_if_fail (rtp != NULL && rtcp != NULL && port != NULL, FALSE);

  first = (min + 1) & ~1u;   /* first even port */
  if (inet == NULL || max > 65535 || first + 1 > max)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                   _("No usable RTP address/port range (%s, %u-%u)"), address, min, max);
      return FALSE;
    }
  n_pairs = (max - first + 1) / 2;
  start = g_random_int_range (0, (gint32) n_pairs);

  for (guint i = 0; i < n_pairs; i++)
    {
      guint p = first + 2 * ((start + i) % n_pairs);
      g_autoptr(GSocket) a = bind_udp (inet, p);
      g_autoptr(GSocket) b = NULL;

      if (a == NULL || (b = bind_udp (inet, p + 1)) == NULL)
        continue;
      *rtp = g_steal_pointer (&a);
      *rtcp = g_steal_pointer (&b);
      *port = p;
      return TRUE;
    }

  g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
               _("No free RTP port pair on %s in %u-%u"), address, min, max);
  return FALSE;
}
