/* sips-error.h: the engine's error domain (mapped to org.sipsimple.Error.* by src/dbus) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIPS_ERROR (sips_error_quark ())

typedef enum {
  SIPS_ERROR_INVALID_STATE,     /* method not allowed in the current state */
  SIPS_ERROR_INVALID_ARGUMENT,  /* bad URI, value, digit, path... */
  SIPS_ERROR_NOT_FOUND,
  SIPS_ERROR_NOT_SUPPORTED,     /* capability not built yet */
  SIPS_ERROR_PERMISSION_DENIED,
  SIPS_ERROR_FAILED,            /* the message says why */
} SipsError;

GQuark sips_error_quark (void);

G_END_DECLS
