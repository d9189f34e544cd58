/* sips-registration.c: the REGISTER side of an account on sofia's nua
 *
 * One nua handle per registration attempt. nua sends the REGISTER, answers a stale
 * digest challenge from its credential cache and refreshes the binding before the
 * expiry the registrar granted; we answer a fresh challenge once per request (a second
 * one means the credentials are wrong), retry failures with back-off, and unregister on
 * the same handle so that a REGISTER and its un-REGISTER are never reordered.
 *
 * A handle belongs to the nua it was made on: when the agent recreates its nua (new
 * ports) or shuts it down, we destroy the old handle at "nua-closing" (which sends the
 * un-REGISTER once) and never touch it again; we register anew on the new nua. What starts
 * and restarts a registration from outside (configuration, the agent's nua) is in
 * sips-registration-watch.c. */
#include "sips-registration-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include <sofia-sip/nua_tag.h>

#include "account/sips-registration-sip.h"

/* How long a released registration waits for its un-REGISTER to finish. */
#define RELEASE_TIMEOUT_S 40

enum {
  PROP_0,
  PROP_STATE,
  PROP_REGISTRAR,
  PROP_EXPIRES,
  PROP_CONTACT_URI,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_DID_SUCCEED,
  SIGNAL_DID_FAIL,
  SIGNAL_WILL_END,
  SIGNAL_DID_END,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsRegistration, sips_registration, G_TYPE_OBJECT)

/* ---- private helpers: properties ---- */

static const char *
phase_state (SipsRegistration *self)
{
  switch (self->phase)
    {
    case PHASE_REGISTERING:
      return "registering";
    case PHASE_REGISTERED:
      return "registered";
    case PHASE_UNREGISTERING:
      return self->restarting ? "registering" : "unregistering";
    case PHASE_FAILED:
      return "failed";
    case PHASE_IDLE:
    default:
      return "unregistered";
    }
}

void
sips_registration_set_phase (SipsRegistration *self, Phase phase)
{
  const char *state;

  self->phase = phase;
  state = phase_state (self);
  if (g_strcmp0 (state, self->state) == 0)
    return;
  g_debug ("Registration of %s: %s -> %s", self->aor, self->state, state);
  g_free (self->state);
  self->state = g_strdup (state);
  if (!self->released)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string (SipsRegistration *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  if (!self->released)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_expires (SipsRegistration *self, guint expires)
{
  if (self->expires == expires)
    return;
  self->expires = expires;
  if (!self->released)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES]);
}

/* ---- private helpers: configuration ---- */

gboolean
sips_registration_config_wants (SipsRegistration *self)
{
  return sips_config_section_get_boolean (self->config, "Enabled") &&
         sips_config_section_get_boolean (self->config, "Register");
}

/* OutboundProxy as a URI ("" when unset); host[:port] means sip:host[:port]. */
static char *
outbound_proxy (SipsRegistration *self)
{
  const char *proxy = sips_config_section_get_string (self->config, "OutboundProxy");

  if (*proxy == '\0')
    return g_strdup ("");
  if (g_ascii_strncasecmp (proxy, "sip:", 4) == 0 || g_ascii_strncasecmp (proxy, "sips:", 5) == 0)
    return g_strdup (proxy);
  return g_strconcat ("sip:", proxy, NULL);
}

/* ---- private helpers: timers ---- */

static gboolean
on_retry (gpointer user_data)
{
  SipsRegistration *self = user_data;

  self->retry_id = 0;
  if (self->wanted && self->phase == PHASE_FAILED)
    sips_registration_begin_register (self);
  return G_SOURCE_REMOVE;
}

/* The registrar's binding ran out without a successful refresh. */
static gboolean
on_expiry (gpointer user_data)
{
  SipsRegistration *self = user_data;

  self->expiry_id = 0;
  if (!self->bound)
    return G_SOURCE_REMOVE;
  self->bound = FALSE;
  set_expires (self, 0);
  set_string (self, &self->contact_uri, "", PROP_CONTACT_URI);
  g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time (), TRUE);
  return G_SOURCE_REMOVE;
}

/* ---- private helpers: the handle ---- */

/* Forgets a handle whose nua is gone (it died with it) or destroys a live one. */
static void
drop_handle (SipsRegistration *self)
{
  if (self->nh != NULL && self->nua != NULL && self->nua == sips_sip_agent_get_nua (self->agent))
    nua_handle_destroy (self->nh);
  self->nh = NULL;
  self->nua = NULL;
}

static void
end_binding (SipsRegistration *self, gboolean expired)
{
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  set_expires (self, 0);
  set_string (self, &self->contact_uri, "", PROP_CONTACT_URI);
  if (self->bound || !expired)
    {
      self->bound = FALSE;
      if (!self->released)
        g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time (), expired);
    }
}

static void
finish_release (SipsRegistration *self)
{
  g_clear_handle_id (&self->release_timeout_id, g_source_remove);
  drop_handle (self);
  g_object_unref (self);
}

/* The un-REGISTER is over (answered, failed, or its nua is gone). */
void
sips_registration_finish_unregister (SipsRegistration *self, gboolean expired)
{
  drop_handle (self);
  self->unregister_sent = FALSE;
  if (self->released)
    {
      finish_release (self);
      return;
    }
  if (self->restarting)
    {
      self->restarting = FALSE;
      self->bound = FALSE;
      g_clear_handle_id (&self->expiry_id, g_source_remove);
      sips_registration_set_phase (self, PHASE_IDLE);
      if (self->wanted)
        sips_registration_begin_register (self);
      return;
    }
  sips_registration_set_phase (self, PHASE_IDLE);
  end_binding (self, expired);
  if (self->wanted)
    sips_registration_begin_register (self);
}

static void
send_unregister (SipsRegistration *self)
{
  self->unregister_sent = TRUE;
  self->auth_attempts = 0;
  nua_unregister (self->nh, TAG_END ());
}

/* Seconds to wait before the next attempt; advances the back-off. */
static guint
next_retry (SipsRegistration *self, gconstpointer sip)
{
  guint delay = MAX (self->backoff, MIN (sips_registration_sip_retry_after (sip), 86400));

  self->backoff = MIN (self->backoff * 2, SIPS_REGISTRATION_RETRY_MAX);
  return delay;
}

static void
fail (SipsRegistration *self, int status, const char *phrase, gconstpointer sip)
{
  guint retry_after = 0;
  int code = status < 700 ? status : 0;  /* nua's 9xx are internal */

  drop_handle (self);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->wanted)
    {
      retry_after = next_retry (self, sip);
      self->retry_id = g_timeout_add_seconds (retry_after, on_retry, self);
    }
  g_debug ("Registration of %s failed: %d %s; retry in %u s", self->aor, status,
           phrase ? phrase : "", retry_after);
  sips_registration_set_phase (self, PHASE_FAILED);
  g_signal_emit (self, signals[SIGNAL_DID_FAIL], 0, g_get_real_time (), code,
                 phrase ? phrase : "", retry_after);
}

/* Answers a 401/407 once per request. FALSE: wrong credentials (or none). */
static gboolean
authenticate (SipsRegistration *self, gconstpointer sip)
{
  const char *auth_user = sips_config_section_get_string (self->config, "AuthUsername");
  g_autofree char *credentials = NULL;

  if (self->auth_attempts > 0)
    return FALSE;
  credentials = sips_registration_sip_credentials (sip, *auth_user != '\0' ? auth_user : self->user,
                                                   sips_config_section_get_string (self->config,
                                                                                   "Password"));
  if (credentials == NULL)
    return FALSE;
  self->auth_attempts++;
  nua_authenticate (self->nh, NUTAG_AUTH (credentials), TAG_END ());
  memset (credentials, 0, strlen (credentials));
  return TRUE;
}

static void
succeed (SipsRegistration *self, gconstpointer sip)
{
  g_auto(GStrv) contacts = NULL;
  g_autofree char *ours = NULL;
  guint expires;

  sips_registration_sip_read_success (sip, self->user,
                                      sips_sip_agent_get_listening_uris (self->agent),
                                      sips_config_section_get_uint (self->config, "RegisterInterval"),
                                      &contacts, &ours, &expires);
  self->auth_attempts = 0;
  self->backoff = SIPS_REGISTRATION_RETRY_MIN;
  self->bound = TRUE;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  if (expires > 0)
    self->expiry_id = g_timeout_add_seconds (expires, on_expiry, self);

  set_expires (self, expires);
  set_string (self, &self->contact_uri, ours ? ours : "", PROP_CONTACT_URI);
  sips_registration_set_phase (self, PHASE_REGISTERED);
  g_debug ("Registered %s at %s for %u s", self->aor, self->registrar, expires);
  g_signal_emit (self, signals[SIGNAL_DID_SUCCEED], 0, g_get_real_time (),
                 self->contact_uri, contacts, expires, self->registrar);
}

/* ---- private helpers: nua events ---- */

static void
on_register_response (SipsRegistration *self, int status, const char *phrase, gconstpointer sip)
{
  if (status < 200)
    return;  /* e.g. 100 "Request Authorized by Cache": nua retries by itself */

  if ((status == 401 || status == 407) && authenticate (self, sip))
    return;

  switch (self->phase)
    {
    case PHASE_REGISTERING:
    case PHASE_REGISTERED:
      if (status < 300)
        succeed (self, sip);
      else
        fail (self, status, phrase, sip);
      break;

    case PHASE_UNREGISTERING:
      /* the REGISTER the un-REGISTER waited for */
      if (self->unregister_sent)
        break;
      if (status < 300)
        {
          self->bound = TRUE;
          send_unregister (self);
        }
      else
        sips_registration_finish_unregister (self, FALSE);
      break;

    case PHASE_IDLE:
    case PHASE_FAILED:
    default:
      break;
    }
}

static void
on_unregister_response (SipsRegistration *self, int status, const char *phrase, gconstpointer sip)
{
  if (status < 200 || self->phase != PHASE_UNREGISTERING)
    return;
  if ((status == 401 || status == 407) && authenticate (self, sip))
    return;
  if (status >= 300)
    g_debug ("Unregistering %s failed: %d %s", self->aor, status, phrase ? phrase : "");
  /* a failed un-REGISTER leaves the binding to run out */
  sips_registration_finish_unregister (self, status >= 300);
}

static void
on_nua_event (gpointer      owner,
              int           event,
              int           status,
              const char   *phrase,
              gpointer      nh,
              gconstpointer sip,
              gconstpointer tags)
{
  SipsRegistration *self = owner;

  if (nh != self->nh)
    return;  /* a handle we already let go */

  switch (event)
    {
    case nua_r_register:
      on_register_response (self, status, phrase, sip);
      break;
    case nua_r_unregister:
      on_unregister_response (self, status, phrase, sip);
      break;
    default:
      break;
    }
}

/* ---- private helpers: registering ---- */

/* Our contact on the registrar's transport, else on any transport we have bound (sofia's
 * own pick is wrong when several transports are bound: see sips_sip_agent_contact_for). */
static char *
registration_contact (SipsRegistration *self, const char *transport)
{
  static const char * const fallbacks[] = { "udp", "tcp", "tls" };
  char *contact = sips_sip_agent_contact_for (self->agent, transport, self->user);

  for (gsize i = 0; contact == NULL && i < G_N_ELEMENTS (fallbacks); i++)
    contact = sips_sip_agent_contact_for (self->agent, fallbacks[i], self->user);
  return contact;
}

void
sips_registration_begin_register (SipsRegistration *self)
{
  nua_t *nua = sips_sip_agent_get_nua (self->agent);
  g_autofree char *proxy = outbound_proxy (self);
  g_autofree char *from =
    sips_registration_sip_name_addr (sips_config_section_get_string (self->config, "DisplayName"),
                                     self->aor);
  g_autofree char *registrar = g_strconcat ("sip:", self->domain, NULL);
  g_autofree char *expires = g_strdup_printf ("%u", sips_config_section_get_uint (self->config,
                                                                                "RegisterInterval"));
  g_autofree char *contact =
    registration_contact (self, sips_registration_sip_transport (*proxy != '\0' ? proxy : registrar));

  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (nua == NULL)
    {
      /* the agent is not running: registering starts when it does (listening-uris) */
      sips_registration_set_phase (self, PHASE_IDLE);
      return;
    }

  set_string (self, &self->registrar, *proxy != '\0' ? proxy : registrar, PROP_REGISTRAR);
  if (self->nh == NULL)
    {
      self->nua = nua;
      self->nh = nua_handle (nua, &self->owner,
                             SIPTAG_FROM_STR (from), SIPTAG_TO_STR (from),
                             TAG_IF (*proxy != '\0', NUTAG_PROXY (proxy)),
                             TAG_END ());
    }
  self->auth_attempts = 0;
  if (self->phase != PHASE_REGISTERED)
    sips_registration_set_phase (self, PHASE_REGISTERING);
  g_debug ("Registering %s at %s", self->aor, self->registrar);
  /* "no-validate": no OPTIONS to ourselves through the registrar after each REGISTER */
  nua_register (self->nh,
                NUTAG_M_USERNAME (self->user),
                TAG_IF (contact != NULL, SIPTAG_CONTACT_STR (contact)),
                NUTAG_REGISTRAR (registrar),
                TAG_IF (*proxy != '\0', NUTAG_PROXY (proxy)),
                NUTAG_OUTBOUND ("natify no-validate"),
                SIPTAG_EXPIRES_STR (expires),
                TAG_END ());
}

/* restart: a quiet un-REGISTER that is followed by a new registration. */
void
sips_registration_begin_unregister (SipsRegistration *self, gboolean restart)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);

  switch (self->phase)
    {
    case PHASE_IDLE:
      break;

    case PHASE_FAILED:
      sips_registration_set_phase (self, PHASE_IDLE);
      if (restart && self->wanted)
        sips_registration_begin_register (self);
      break;

    case PHASE_REGISTERING:
    case PHASE_REGISTERED:
      {
        gboolean registered = self->phase == PHASE_REGISTERED;

        self->restarting = restart;
        self->unregister_sent = FALSE;
        sips_registration_set_phase (self, PHASE_UNREGISTERING);
        if (!restart && !self->released)
          g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
        /* A REGISTER in flight is answered first and its un-REGISTER follows
         * (on_register_response); nua queues ours behind a refresh in flight. */
        if (registered)
          send_unregister (self);
      }
      break;

    case PHASE_UNREGISTERING:
      if (self->restarting && !restart)
        {
          /* a re-registration became a plain un-REGISTER */
          self->restarting = FALSE;
          sips_registration_set_phase (self, PHASE_UNREGISTERING);
          if (!self->released)
            g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
        }
      break;
    }
}

static gboolean
on_release_timeout (gpointer user_data)
{
  SipsRegistration *self = user_data;

  self->release_timeout_id = 0;
  finish_release (self);
  return G_SOURCE_REMOVE;
}

/* ---- GObject vfuncs ---- */

static void
sips_registration_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsRegistration *self = SIPS_REGISTRATION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;
    case PROP_REGISTRAR:
      g_value_set_string (value, self->registrar);
      break;
    case PROP_EXPIRES:
      g_value_set_uint (value, self->expires);
      break;
    case PROP_CONTACT_URI:
      g_value_set_string (value, self->contact_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_registration_dispose (GObject *object)
{
  SipsRegistration *self = SIPS_REGISTRATION (object);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  g_clear_handle_id (&self->release_timeout_id, g_source_remove);
  if (self->agent != NULL)
    {
      drop_handle (self);
      g_signal_handlers_disconnect_by_data (self->agent, self);
    }
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->agent);
  g_clear_object (&self->config);

  G_OBJECT_CLASS (sips_registration_parent_class)->dispose (object);
}

static void
sips_registration_finalize (GObject *object)
{
  SipsRegistration *self = SIPS_REGISTRATION (object);

  g_free (self->aor);
  g_free (self->user);
  g_free (self->domain);
  g_free (self->state);
  g_free (self->registrar);
  g_free (self->contact_uri);

  G_OBJECT_CLASS (sips_registration_parent_class)->finalize (object);
}

static void
sips_registration_class_init (SipsRegistrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = sips_registration_get_property;
  object_class->dispose = sips_registration_dispose;
  object_class->finalize = sips_registration_finalize;

  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "unregistered", flags);
  properties[PROP_REGISTRAR] = g_param_spec_string ("registrar", NULL, NULL, "", flags);
  properties[PROP_EXPIRES] = g_param_spec_uint ("expires", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_CONTACT_URI] = g_param_spec_string ("contact-uri", NULL, NULL, "", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DID_SUCCEED] =
    g_signal_new ("did-succeed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 5,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRV, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_DID_FAIL] =
    g_signal_new ("did-fail", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT64, G_TYPE_INT, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_WILL_END] =
    g_signal_new ("will-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_DID_END] =
    g_signal_new ("did-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_BOOLEAN);
}

static void
sips_registration_init (SipsRegistration *self)
{
  self->state = g_strdup ("unregistered");
  self->registrar = g_strdup ("");
  self->contact_uri = g_strdup ("");
  self->backoff = SIPS_REGISTRATION_RETRY_MIN;
  self->owner.func = on_nua_event;
  self->owner.owner = self;
}

/* ---- public API ---- */

SipsRegistration *
sips_registration_new (const char *aor, SipsConfigSection *config, SipsSipAgent *agent)
{
  SipsRegistration *self;
  const char *at;

  g_return_val_if_fail (aor != NULL && strchr (aor, '@') != NULL, NULL);
  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (config), NULL);
  g_return_val_if_fail (SIPS_IS_SIP_AGENT (agent), NULL);

  self = g_object_new (SIPS_TYPE_REGISTRATION, NULL);
  at = strchr (aor, '@');
  self->aor = g_strdup (aor);
  self->user = g_strndup (aor, at - aor);
  self->domain = g_strdup (at + 1);
  self->config = g_object_ref (config);
  self->agent = g_object_ref (agent);
  sips_registration_watch (self);
  return self;
}

void
sips_registration_start (SipsRegistration *self)
{
  g_return_if_fail (SIPS_IS_REGISTRATION (self));

  self->started = TRUE;
  self->wanted = sips_registration_config_wants (self);
  if (self->wanted && (self->phase == PHASE_IDLE || self->phase == PHASE_FAILED))
    sips_registration_begin_register (self);
}

void
sips_registration_stop (SipsRegistration *self)
{
  g_return_if_fail (SIPS_IS_REGISTRATION (self));

  self->started = FALSE;
  self->wanted = FALSE;
  sips_registration_begin_unregister (self, FALSE);
}

void
sips_registration_register (SipsRegistration *self)
{
  g_return_if_fail (SIPS_IS_REGISTRATION (self));

  self->wanted = TRUE;
  switch (self->phase)
    {
    case PHASE_IDLE:
    case PHASE_FAILED:
      self->backoff = SIPS_REGISTRATION_RETRY_MIN;
      sips_registration_begin_register (self);
      break;
    case PHASE_REGISTERED:
      sips_registration_begin_register (self);  /* a refresh now */
      break;
    case PHASE_REGISTERING:
    case PHASE_UNREGISTERING:  /* registers again once the un-REGISTER is done */
    default:
      break;
    }
}

void
sips_registration_unregister (SipsRegistration *self)
{
  g_return_if_fail (SIPS_IS_REGISTRATION (self));

  self->wanted = FALSE;
  sips_registration_begin_unregister (self, FALSE);
}

void
sips_registration_release (SipsRegistration *self)
{
  g_return_if_fail (SIPS_IS_REGISTRATION (self));

  g_signal_handlers_disconnect_by_data (self->config, self);
  self->released = TRUE;
  self->started = FALSE;
  self->wanted = FALSE;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  if (self->phase == PHASE_UNREGISTERING && self->nh != NULL &&
      self->nua == sips_sip_agent_get_nua (self->agent))
    {
      /* keeps the caller's reference until finish_release() */
      self->release_timeout_id = g_timeout_add_seconds (RELEASE_TIMEOUT_S, on_release_timeout, self);
      return;
    }
  drop_handle (self);
  g_object_unref (self);
}

const char *
sips_registration_get_state (SipsRegistration *self)
{
  g_return_val_if_fail (SIPS_IS_REGISTRATION (self), NULL);
  return self->state;
}

const char *
sips_registration_get_registrar (SipsRegistration *self)
{
  g_return_val_if_fail (SIPS_IS_REGISTRATION (self), NULL);
  return self->registrar;
}

guint
sips_registration_get_expires (SipsRegistration *self)
{
  g_return_val_if_fail (SIPS_IS_REGISTRATION (self), 0);
  return self->expires;
}

const char *
sips_registration_get_contact_uri (SipsRegistration *self)
{
  g_return_val_if_fail (SIPS_IS_REGISTRATION (self), NULL);
  return self->contact_uri;
}
