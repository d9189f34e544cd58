/* sips-msrp-iscomposing.h: application/im-iscomposing+xml documents (RFC 3994) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIPS_ISCOMPOSING_CONTENT_TYPE "application/im-iscomposing+xml"
/* RFC 3994 §3.2: an active state lasts 120 s unless refreshed. */
#define SIPS_ISCOMPOSING_DEFAULT_REFRESH 120

typedef struct {
  char  *state;         /* "active" or "idle" */
  char  *content_type;  /* of what is being composed, NULL if absent */
  guint  refresh;       /* seconds, 0 = absent */
  gint64 last_active;   /* microseconds since the epoch, 0 = absent */
} SipsIsComposing;

/* The document for state ("active"/"idle"), content_type and refresh (0 = none) may be
 * NULL/0. */
GBytes          *sips_iscomposing_build (const char *state,
                                         const char *content_type,
                                         guint       refresh);
/* NULL with SIPS_ERROR_INVALID_ARGUMENT when it is not an isComposing document with a
 * state of active or idle. Namespace prefixes are accepted. */
SipsIsComposing *sips_iscomposing_parse (const guint8  *data,
                                         gsize          len,
                                         GError       **error);
void             sips_iscomposing_free  (SipsIsComposing *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsIsComposing, sips_iscomposing_free)

G_END_DECLS
