/* sd-notify.c: systemd's readiness protocol without libsystemd
 *
 * One datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@' for the
 * abstract namespace), as sd_notify(3) sends it. Linking libsystemd for this alone mapped
 * it and its libraries (gcrypt, gpg-error, lz4, zstd, lzma: ~1 MB of RSS) into the
 * daemon. */
#include "sd-notify.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

gboolean
sips_sd_notify (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  size_t len;
  gboolean ok;
  int fd;

  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return FALSE;
  len = strlen (path);
  if (len < 2 || len > sizeof addr.sun_path)
    return FALSE;
  memcpy (addr.sun_path, path, len);
  if (addr.sun_path[0] == '@')
    addr.sun_path[0] = '\0';
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  ok = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (const struct sockaddr *) &addr,
               (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len)) >= 0;
  close (fd);
  return ok;
}
