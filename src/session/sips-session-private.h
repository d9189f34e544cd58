/* sips-session-private.h: what the session's SIP side (sips-session-sip.c) and the
 * session manager may do to a SipsSession beyond its public API */
#pragma once

#include "sips-session.h"
#include "core/sips-sip-agent.h"
#include "config/sips-config-section.h"

G_BEGIN_DECLS

typedef struct _SipsSessionSip SipsSessionSip;

/* Property setters by property name ("audio-codec"...); they notify on change only. */
void     sips_session_set_string_prop  (SipsSession *self, const char *name, const char *value);
void     sips_session_set_boolean_prop (SipsSession *self, const char *name, gboolean value);
void     sips_session_set_uint_prop    (SipsSession *self, const char *name, guint value);
gboolean sips_session_get_boolean_prop (SipsSession *self, const char *name);
void     sips_session_set_account      (SipsSession *self, SipsAccount *account);
/* A terminated session has no streams (HasAudio/HasChat false, recording name ""). */
void     sips_session_release_streams  (SipsSession *self);

/* The SIP environment the manager gives every session it makes; without it the session
 * has no signalling (unit tests) and its SIP methods answer NotSupported. */
void            sips_session_set_sip_env (SipsSession       *self,
                                          SipsSipAgent      *agent,
                                          SipsConfigSection *settings,
                                          SipsConfigSection *rtp);
SipsSessionSip *sips_session_get_sip     (SipsSession *self);

G_END_DECLS
