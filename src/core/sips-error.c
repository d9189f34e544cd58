/* sips-error.c */
#include "sips-error.h"

G_DEFINE_QUARK (sips-error-quark, sips_error)
