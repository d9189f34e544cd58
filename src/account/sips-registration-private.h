/* sips-registration-private.h: what sips-registration.c (the REGISTER side of an
 * account) shares with sips-registration-watch.c (what restarts it: the account's
 * configuration, the agent's nua). */
#pragma once

#include "sips-registration.h"

#define NUA_MAGIC_T  void
#define NUA_HMAGIC_T SipsNuaOwner
#include <sofia-sip/nua.h>

#include "core/sips-log.h"

G_BEGIN_DECLS

typedef enum {
  PHASE_IDLE,           /* no handle */
  PHASE_REGISTERING,    /* a REGISTER is in flight */
  PHASE_REGISTERED,     /* nua refreshes by itself */
  PHASE_UNREGISTERING,  /* an un-REGISTER is in flight (or follows the REGISTER in flight) */
  PHASE_FAILED,         /* no handle; a retry may be scheduled */
} Phase;

struct _SipsRegistration {
  GObject parent_instance;

  char              *aor;      /* user@domain */
  SipsLogContext    *log;      /* SIPS_ACCOUNT=aor on its log lines */
  char              *user;
  char              *domain;
  SipsConfigSection *config;
  SipsSipAgent      *agent;

  SipsNuaOwner  owner;
  nua_handle_t *nh;
  nua_t        *nua;           /* the nua nh belongs to */

  Phase    phase;
  gboolean started;            /* between start() and stop() */
  gboolean wanted;             /* should be registered */
  gboolean restarting;         /* the un-REGISTER is for a re-registration */
  gboolean unregister_sent;    /* PHASE_UNREGISTERING: nua_unregister called */
  gboolean released;           /* the owner is gone: finish the un-REGISTER, then free */
  gboolean bound;              /* a binding exists that has not ended (DidEnd pending) */
  guint    auth_attempts;      /* credentials we gave for the current request */
  guint    backoff;            /* seconds before the next retry */

  guint retry_id;
  guint expiry_id;
  guint release_timeout_id;

  char  *state;
  char  *registrar;
  guint  expires;
  char  *contact_uri;
};

/* sips-registration.c */
void     sips_registration_set_phase         (SipsRegistration *self, Phase phase);
gboolean sips_registration_config_wants      (SipsRegistration *self);
void     sips_registration_begin_register    (SipsRegistration *self);
/* restart: a quiet un-REGISTER that is followed by a new registration. */
void     sips_registration_begin_unregister  (SipsRegistration *self, gboolean restart);
/* The un-REGISTER is over (answered, failed, or its nua is gone). */
void     sips_registration_finish_unregister (SipsRegistration *self, gboolean expired);

/* sips-registration-watch.c: follows the configuration and the agent's nua */
void     sips_registration_watch             (SipsRegistration *self);

G_END_DECLS
