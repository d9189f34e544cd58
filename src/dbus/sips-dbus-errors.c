/* sips-dbus-errors.c: SIPS_ERROR <-> org.sipsimple.Error.* */
#include "sips-dbus-errors.h"

#include "core/sips-error.h"

static const GDBusErrorEntry error_entries[] = {
  { SIPS_ERROR_INVALID_STATE,     SIPS_DBUS_ERROR_PREFIX "InvalidState" },
  { SIPS_ERROR_INVALID_ARGUMENT,  SIPS_DBUS_ERROR_PREFIX "InvalidArgument" },
  { SIPS_ERROR_NOT_FOUND,         SIPS_DBUS_ERROR_PREFIX "NotFound" },
  { SIPS_ERROR_NOT_SUPPORTED,     SIPS_DBUS_ERROR_PREFIX "NotSupported" },
  { SIPS_ERROR_PERMISSION_DENIED, SIPS_DBUS_ERROR_PREFIX "PermissionDenied" },
  { SIPS_ERROR_FAILED,            SIPS_DBUS_ERROR_PREFIX "Failed" },
};

void
sips_dbus_errors_register (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (error_entries); i++)
        g_dbus_error_register_error (SIPS_ERROR, error_entries[i].error_code,
                                     error_entries[i].dbus_error_name);
      g_once_init_leave (&registered, 1);
    }
}

gboolean
sips_dbus_return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  if (error->domain == SIPS_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_dbus_error (invocation, SIPS_DBUS_ERROR_PREFIX "Failed",
                                                error->message);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
