/* sd-notify.h: systemd's readiness protocol (sd_notify(3)) without libsystemd */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends state (e.g. "READY=1") to $NOTIFY_SOCKET; FALSE when unset or not reachable. */
gboolean sips_sd_notify (const char *state);

G_END_DECLS
