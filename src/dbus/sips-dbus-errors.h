/* sips-dbus-errors.h: SIPS_ERROR <-> org.sipsimple.Error.* */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIPS_DBUS_ERROR_PREFIX "org.sipsimple.Error."

/* Registers the mapping once (idempotent). */
void     sips_dbus_errors_register (void);

/* Returns error to the caller of invocation: SIPS_ERROR codes under their contract
 * names, anything else as org.sipsimple.Error.Failed. Always returns
 * G_DBUS_METHOD_INVOCATION_HANDLED so handlers can `return sips_dbus_return_error (...)`. */
gboolean sips_dbus_return_error (GDBusMethodInvocation *invocation,
                                 const GError          *error);

G_END_DECLS
