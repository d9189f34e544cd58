/* sips-subscription.c: an outgoing event subscription (RFC 6665) on sofia's nua
 *
 * One nua handle per subscription. nua sends the SUBSCRIBE, answers every NOTIFY with
 * 200 (481 to one it has no dialog for), refreshes in-dialog before expiry and
 * re-subscribes after a "deactivated" or "probation" termination (its retry-after); we
 * answer a digest challenge once per request with the account's credentials and turn
 * nua's events into the contract's states and signals.
 *
 * The subscription ends with a NOTIFY carrying "terminated" (after our unsubscribe or
 * the notifier's own), a failed SUBSCRIBE, or its nua going away (rebind, shutdown:
 * nua_shutdown unsubscribes what is left). */
#include "sips-subscription.h"

#include <string.h>
#include <glib/gi18n.h>

#define NUA_MAGIC_T  void
#define NUA_HMAGIC_T SipsNuaOwner
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_header.h>

#include "core/sips-error.h"
#include "presence/sips-presence-sip.h"

typedef enum {
  PHASE_NEW,
  PHASE_SUBSCRIBING,    /* SUBSCRIBE sent, no 2xx or NOTIFY yet */
  PHASE_SUBSCRIBED,     /* nua refreshes by itself */
  PHASE_UNSUBSCRIBING,  /* un-SUBSCRIBE sent, waiting for the final NOTIFY */
  PHASE_ENDED,
} Phase;

struct _SipsSubscription {
  GObject parent_instance;

  SipsPresenceAccount account_sip;
  GObject            *account;    /* weak */
  char               *to_uri;
  char               *event;
  char               *accept;     /* NULL = no Accept header */
  guint               expires;

  SipsNuaOwner  owner;
  nua_handle_t *nh;
  nua_t        *nua;

  Phase    phase;
  char    *state;
  gboolean succeeded;
  guint    auth_attempts;
};

enum {
  PROP_0,
  PROP_TO_URI,
  PROP_EVENT,
  PROP_STATE,
  PROP_ACCOUNT,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_DID_SUCCEED,
  SIGNAL_DID_FAIL,
  SIGNAL_WILL_END,
  SIGNAL_DID_END,
  SIGNAL_GOT_NOTIFY,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsSubscription, sips_subscription, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static void
set_state (SipsSubscription *self, const char *state)
{
  if (g_strcmp0 (self->state, state) == 0)
    return;
  g_debug ("Subscription to %s (%s): %s -> %s", self->to_uri, self->event, self->state, state);
  g_free (self->state);
  self->state = g_strdup (state);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Forgets a handle whose nua is gone (it died with it) or destroys a live one. */
static void
drop_handle (SipsSubscription *self)
{
  if (self->nh != NULL && self->nua != NULL &&
      self->nua == sips_sip_agent_get_nua (self->account_sip.agent))
    {
      nua_handle_bind (self->nh, NULL);
      nua_handle_destroy (self->nh);
    }
  self->nh = NULL;
  self->nua = NULL;
}

static void
finish (SipsSubscription *self, const char *originator)
{
  g_autoptr(SipsSubscription) keep = g_object_ref (self);

  if (self->phase == PHASE_ENDED)
    return;
  if (self->phase != PHASE_UNSUBSCRIBING)
    g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
  self->phase = PHASE_ENDED;
  drop_handle (self);
  g_signal_handlers_disconnect_by_data (self->account_sip.agent, self);
  set_state (self, "terminated");
  g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time (), originator);
}

static void
fail (SipsSubscription *self, int status, const char *phrase)
{
  g_autoptr(SipsSubscription) keep = g_object_ref (self);

  g_debug ("Subscription to %s (%s) failed: %d %s", self->to_uri, self->event, status,
           phrase ? phrase : "");
  g_signal_emit (self, signals[SIGNAL_DID_FAIL], 0, g_get_real_time (),
                 sips_presence_code (status), phrase ? phrase : "");
  finish (self, "local");
}

/* Answers a 401/407 once per request. FALSE: wrong credentials (or none). */
static gboolean
authenticate (SipsSubscription *self, gconstpointer sip)
{
  g_autofree char *credentials = NULL;

  if (self->auth_attempts > 0)
    return FALSE;
  credentials = sips_presence_account_credentials (&self->account_sip, sip);
  if (credentials == NULL)
    return FALSE;
  self->auth_attempts++;
  nua_authenticate (self->nh, NUTAG_AUTH (credentials), TAG_END ());
  memset (credentials, 0, strlen (credentials));
  return TRUE;
}

static int
substate_of (gconstpointer tags, int fallback)
{
  int substate = fallback;

  if (tags != NULL)
    tl_gets ((tagi_t const *) tags, NUTAG_SUBSTATE_REF (substate), TAG_END ());
  return substate;
}

static void
send_unsubscribe (SipsSubscription *self)
{
  self->phase = PHASE_UNSUBSCRIBING;
  self->auth_attempts = 0;
  g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
  nua_unsubscribe (self->nh, TAG_END ());
}

/* ---- nua events ---- */

static void
on_subscribe_response (SipsSubscription *self, int status, const char *phrase,
                       const sip_t *sip, gconstpointer tags)
{
  int substate = substate_of (tags, nua_substate_embryonic);

  if (status < 200)
    return;  /* e.g. 100 "Request Authorized by Cache": nua retries by itself */
  if ((status == 401 || status == 407) && authenticate (self, sip))
    return;
  self->auth_attempts = 0;

  if (self->phase == PHASE_UNSUBSCRIBING)
    return;  /* the SUBSCRIBE the un-SUBSCRIBE follows */
  if (status >= 300)
    {
      fail (self, status, phrase);
      return;
    }
  if (self->phase == PHASE_SUBSCRIBING)
    self->phase = PHASE_SUBSCRIBED;
  if (substate == nua_substate_active)
    set_state (self, "active");
  if (!self->succeeded)
    {
      self->succeeded = TRUE;
      g_signal_emit (self, signals[SIGNAL_DID_SUCCEED], 0, g_get_real_time ());
    }
  if (substate == nua_substate_terminated)
    finish (self, "remote");
}

static void
on_unsubscribe_response (SipsSubscription *self, int status, const sip_t *sip, gconstpointer tags)
{
  if (status < 200)
    return;
  if ((status == 401 || status == 407) && authenticate (self, sip))
    return;
  /* a 2xx is followed by the final NOTIFY (nua gives up on it after 32 s) */
  if (status >= 300 || substate_of (tags, nua_substate_embryonic) == nua_substate_terminated)
    finish (self, "local");
}

static void
on_notify (SipsSubscription *self, int status, const sip_t *sip, gconstpointer tags)
{
  int substate = substate_of (tags, nua_substate_terminated);
  const char *content_type = "";
  g_autofree char *body = NULL;
  g_autofree char *subscription_state = NULL;
  su_home_t home[1] = { SU_HOME_INIT (home) };

  if (sip != NULL)
    {
      if (sip->sip_content_type != NULL && sip->sip_content_type->c_type != NULL &&
          sip->sip_payload != NULL && sip->sip_payload->pl_len > 0)
        content_type = sip->sip_content_type->c_type;
      if (sip->sip_payload != NULL && sip->sip_payload->pl_data != NULL)
        body = g_utf8_make_valid (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
      if (sip->sip_subscription_state != NULL)
        subscription_state = g_strdup (sip_header_as_string (home, (const sip_header_t *) sip->sip_subscription_state));
      g_signal_emit (self, signals[SIGNAL_GOT_NOTIFY], 0, g_get_real_time (),
                     content_type, body != NULL ? body : "",
                     subscription_state != NULL ? subscription_state : "");
    }
  su_home_deinit (home);
  if (self->phase == PHASE_ENDED)
    return;

  switch (substate)
    {
    case nua_substate_active:
    case nua_substate_extended:
      set_state (self, "active");
      break;
    case nua_substate_pending:
      set_state (self, "pending");
      break;
    case nua_substate_embryonic:
      /* deactivated/probation: nua subscribes again after the retry-after */
      set_state (self, "pending");
      break;
    case nua_substate_terminated:
    default:
      if (sip == NULL && self->phase != PHASE_UNSUBSCRIBING)
        fail (self, status, _("The subscription timed out"));
      else
        finish (self, self->phase == PHASE_UNSUBSCRIBING ? "local" : "remote");
      return;
    }
  if (self->phase == PHASE_SUBSCRIBING)
    self->phase = PHASE_SUBSCRIBED;
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
  SipsSubscription *self = owner;
  g_autoptr(SipsSubscription) keep = NULL;

  if (nh != self->nh || self->phase == PHASE_ENDED)
    return;  /* a handle we already let go */

  keep = g_object_ref (self);
  switch (event)
    {
    case nua_r_subscribe:
      on_subscribe_response (self, status, phrase, sip, tags);
      break;
    case nua_r_unsubscribe:
      on_unsubscribe_response (self, status, sip, tags);
      break;
    case nua_i_notify:
      on_notify (self, status, sip, tags);
      break;
    default:
      break;
    }
}

/* The nua our handle belongs to shuts down (rebind, daemon stop): the handle dies with
 * it; nua_shutdown unsubscribes what is still subscribed. */
static void
on_nua_closing (SipsSipAgent *agent, gpointer nua, gpointer user_data)
{
  SipsSubscription *self = user_data;

  if (nua != self->nua)
    return;
  self->nh = NULL;
  self->nua = NULL;
  finish (self, "local");
}

/* ---- GObject vfuncs ---- */

static void
sips_subscription_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsSubscription *self = SIPS_SUBSCRIPTION (object);

  switch (prop_id)
    {
    case PROP_TO_URI:
      g_value_set_string (value, self->to_uri);
      break;
    case PROP_EVENT:
      g_value_set_string (value, self->event);
      break;
    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_subscription_dispose (GObject *object)
{
  SipsSubscription *self = SIPS_SUBSCRIPTION (object);

  if (self->account_sip.agent != NULL)
    {
      drop_handle (self);
      g_signal_handlers_disconnect_by_data (self->account_sip.agent, self);
    }
  if (self->account != NULL)
    g_object_remove_weak_pointer (self->account, (gpointer *) &self->account);
  self->account = NULL;
  sips_presence_account_clear (&self->account_sip);

  G_OBJECT_CLASS (sips_subscription_parent_class)->dispose (object);
}

static void
sips_subscription_finalize (GObject *object)
{
  SipsSubscription *self = SIPS_SUBSCRIPTION (object);

  g_free (self->to_uri);
  g_free (self->event);
  g_free (self->accept);
  g_free (self->state);

  G_OBJECT_CLASS (sips_subscription_parent_class)->finalize (object);
}

static void
sips_subscription_class_init (SipsSubscriptionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = sips_subscription_get_property;
  object_class->dispose = sips_subscription_dispose;
  object_class->finalize = sips_subscription_finalize;

  properties[PROP_TO_URI] = g_param_spec_string ("to-uri", NULL, NULL, "", flags);
  properties[PROP_EVENT] = g_param_spec_string ("event", NULL, NULL, "", flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "pending", flags);
  properties[PROP_ACCOUNT] = g_param_spec_object ("account", NULL, NULL, G_TYPE_OBJECT, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DID_SUCCEED] =
    g_signal_new ("did-succeed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_DID_FAIL] =
    g_signal_new ("did-fail", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_WILL_END] =
    g_signal_new ("will-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_DID_END] =
    g_signal_new ("did-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
  signals[SIGNAL_GOT_NOTIFY] =
    g_signal_new ("got-notify", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
sips_subscription_init (SipsSubscription *self)
{
  self->state = g_strdup ("pending");
  self->owner.func = on_nua_event;
  self->owner.owner = self;
}

/* ---- public API ---- */

const char *
sips_subscription_default_accept (const char *event)
{
  static const struct { const char *event, *accept; } defaults[] = {
    { "presence",        "application/pidf+xml" },
    { "presence.winfo",  "application/watcherinfo+xml" },
    { "message-summary", "application/simple-message-summary" },
    { "dialog",          "application/dialog-info+xml" },
    { "reg",             "application/reginfo+xml" },
    { "xcap-diff",       "application/xcap-diff+xml" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (defaults); i++)
    if (g_ascii_strcasecmp (event, defaults[i].event) == 0)
      return defaults[i].accept;
  return NULL;
}

SipsSubscription *
sips_subscription_new (SipsSipAgent *agent, SipsConfigSection *config, const char *aor,
                       GObject *account, const char *to_uri, const char *event,
                       const char * const *accept, guint expires)
{
  SipsSubscription *self;

  g_return_val_if_fail (SIPS_IS_SIP_AGENT (agent), NULL);
  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (config), NULL);
  g_return_val_if_fail (aor != NULL && to_uri != NULL && event != NULL && *event != '\0', NULL);

  self = g_object_new (SIPS_TYPE_SUBSCRIPTION, NULL);
  sips_presence_account_init (&self->account_sip, agent, config, aor);
  self->account = account;
  if (account != NULL)
    g_object_add_weak_pointer (account, (gpointer *) &self->account);
  self->to_uri = g_strdup (to_uri);
  self->event = g_strdup (event);
  if (accept != NULL && accept[0] != NULL)
    self->accept = g_strjoinv (", ", (char **) accept);
  else
    self->accept = g_strdup (sips_subscription_default_accept (event));
  self->expires = expires;
  g_signal_connect (agent, "nua-closing", G_CALLBACK (on_nua_closing), self);
  return self;
}

void
sips_subscription_start (SipsSubscription *self)
{
  nua_t *nua;
  g_autofree char *from = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *expires = NULL;

  g_return_if_fail (SIPS_IS_SUBSCRIPTION (self));
  g_return_if_fail (self->phase == PHASE_NEW);

  nua = sips_sip_agent_get_nua (self->account_sip.agent);
  if (nua == NULL)
    {
      fail (self, 0, _("The SIP stack is not running"));
      return;
    }
  from = sips_presence_account_from (&self->account_sip);
  proxy = sips_presence_account_proxy (&self->account_sip);
  contact = sips_presence_account_contact (&self->account_sip, self->to_uri);
  expires = g_strdup_printf ("%u", self->expires);

  self->nua = nua;
  self->nh = nua_handle (nua, &self->owner,
                         SIPTAG_FROM_STR (from), SIPTAG_TO_STR (self->to_uri),
                         TAG_IF (*proxy != '\0', NUTAG_PROXY (proxy)),
                         TAG_END ());
  self->phase = PHASE_SUBSCRIBING;
  g_debug ("Subscribing to %s (%s) for %s s", self->to_uri, self->event, expires);
  nua_subscribe (self->nh,
                 NUTAG_URL (self->to_uri),
                 SIPTAG_EVENT_STR (self->event),
                 TAG_IF (self->accept != NULL, SIPTAG_ACCEPT_STR (self->accept)),
                 SIPTAG_EXPIRES_STR (expires),
                 TAG_IF (contact != NULL, SIPTAG_CONTACT_STR (contact)),
                 TAG_END ());
}

gboolean
sips_subscription_unsubscribe (SipsSubscription *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SUBSCRIPTION (self), FALSE);

  if (self->phase == PHASE_ENDED || self->phase == PHASE_UNSUBSCRIBING)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   self->phase == PHASE_ENDED ? _("The subscription is terminated")
                                              : _("The subscription is ending"));
      return FALSE;
    }
  sips_subscription_end (self);
  return TRUE;
}

void
sips_subscription_end (SipsSubscription *self)
{
  g_return_if_fail (SIPS_IS_SUBSCRIPTION (self));

  switch (self->phase)
    {
    case PHASE_NEW:
      finish (self, "local");
      break;
    case PHASE_SUBSCRIBING:
    case PHASE_SUBSCRIBED:
      send_unsubscribe (self);
      break;
    case PHASE_UNSUBSCRIBING:
    case PHASE_ENDED:
    default:
      break;
    }
}

gboolean
sips_subscription_is_ended (SipsSubscription *self)
{
  g_return_val_if_fail (SIPS_IS_SUBSCRIPTION (self), TRUE);
  return self->phase == PHASE_ENDED;
}

const char *
sips_subscription_get_state (SipsSubscription *self)
{
  g_return_val_if_fail (SIPS_IS_SUBSCRIPTION (self), NULL);
  return self->state;
}
