/* sips-rtp-ports.h: a session's RTP/RTCP UDP socket pair in the configured port range */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Binds two UDP sockets on address, ports p (even) and p + 1 with min <= p < p + 1 <= max,
 * starting at a random even port of the range so that daemons on one host rarely probe
 * the same ports. The sockets stay open (the media pipeline takes them over).
 * No free pair -> SIPS_ERROR_FAILED. */
gboolean sips_rtp_ports_reserve (const char  *address,
                                 guint        min,
                                 guint        max,
                                 GSocket    **rtp,
                                 GSocket    **rtcp,
                                 guint       *port,
                                 GError     **error);

G_END_DECLS
