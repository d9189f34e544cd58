/* sips-publication.c: an event publication (RFC 3903) on sofia's nua
 *
 * One nua handle per PUBLISH (a handle keeps the To tag of an answer, which a PUBLISH
 * must not carry), all with one Call-ID; the requests are plain nua_method() requests
 * and RFC 3903 is ours: nua's own publish usage reports a 412 on a refresh as final
 * and then loses the answer to the fresh PUBLISH it sends by itself. One request at a
 * time (each needs the SIP-ETag of the one before): initial (the document), refresh
 * (SIP-If-Match, no body) before expiry, modify (SIP-If-Match and the new document),
 * remove (SIP-If-Match, Expires: 0). A 412 to a refresh or modify is answered with a
 * fresh initial PUBLISH; a 2xx without SIP-ETag is a failure (it could never be
 * refreshed, updated or removed); digest challenges are answered once per request with
 * the account's credentials. */
#include "sips-publication.h"

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
  PHASE_PUBLISHING,    /* initial PUBLISH or update in flight */
  PHASE_PUBLISHED,     /* refreshed by refresh_id */
  PHASE_UNPUBLISHING,  /* PUBLISH Expires: 0 in flight or waiting to go */
  PHASE_ENDED,
} Phase;

typedef enum {
  REQUEST_NONE,
  REQUEST_INITIAL,
  REQUEST_REFRESH,
  REQUEST_MODIFY,
  REQUEST_REMOVE,
} Request;

struct _SipsPublication {
  GObject parent_instance;

  SipsPresenceAccount account_sip;
  GObject            *account;  /* weak */
  char               *event;
  char               *content_type;
  char               *body;
  char               *call_id;  /* every PUBLISH of ours has it */
  guint               requested;

  SipsNuaOwner  owner;
  nua_handle_t *nh;
  nua_t        *nua;

  Phase  phase;
  char  *state;
  char  *etag;
  guint  expires;
  guint  auth_attempts;
  guint  fresh_attempts;   /* initial PUBLISHes after a 412, since the last success */

  Request  in_flight;
  gboolean update_pending; /* Update() while a request was in flight */
  guint    refresh_id;
};

enum {
  PROP_0,
  PROP_EVENT,
  PROP_STATE,
  PROP_ETAG,
  PROP_EXPIRES,
  PROP_ACCOUNT,
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

G_DEFINE_FINAL_TYPE (SipsPublication, sips_publication, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static void
set_string (SipsPublication *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_expires (SipsPublication *self, guint expires)
{
  if (self->expires == expires)
    return;
  self->expires = expires;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES]);
}

static void
drop_handle (SipsPublication *self)
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

/* state: "unpublished" or "failed" */
static void
finish (SipsPublication *self, const char *state)
{
  g_autoptr(SipsPublication) keep = g_object_ref (self);

  if (self->phase == PHASE_ENDED)
    return;
  if (self->phase != PHASE_UNPUBLISHING)
    g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
  self->phase = PHASE_ENDED;
  self->in_flight = REQUEST_NONE;
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  drop_handle (self);
  g_signal_handlers_disconnect_by_data (self->account_sip.agent, self);
  set_expires (self, 0);
  set_string (self, &self->etag, "", PROP_ETAG);
  set_string (self, &self->state, state, PROP_STATE);
  g_signal_emit (self, signals[SIGNAL_DID_END], 0, g_get_real_time ());
}

static void
fail (SipsPublication *self, int status, const char *phrase)
{
  g_autoptr(SipsPublication) keep = g_object_ref (self);

  g_debug ("Publication of %s (%s) failed: %d %s", self->account_sip.aor, self->event, status,
           phrase ? phrase : "");
  set_string (self, &self->state, "failed", PROP_STATE);
  g_signal_emit (self, signals[SIGNAL_DID_FAIL], 0, g_get_real_time (),
                 sips_presence_code (status), phrase ? phrase : "");
  finish (self, "failed");
}

static gboolean
authenticate (SipsPublication *self, gconstpointer sip)
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

static void
send_request (SipsPublication *self, Request request)
{
  gboolean with_body = request == REQUEST_INITIAL || request == REQUEST_MODIFY;
  gboolean with_etag = request != REQUEST_INITIAL;
  g_autofree char *expires = g_strdup_printf ("%u", request == REQUEST_REMOVE ? 0 : self->requested);
  g_autofree char *target = g_strconcat ("sip:", self->account_sip.aor, NULL);
  g_autofree char *from = sips_presence_account_from (&self->account_sip);
  g_autofree char *proxy = sips_presence_account_proxy (&self->account_sip);
  nua_t *nua = sips_sip_agent_get_nua (self->account_sip.agent);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  drop_handle (self);
  if (nua == NULL)
    {
      fail (self, 0, _("The SIP stack is not running"));
      return;
    }
  self->nua = nua;
  self->nh = nua_handle (nua, &self->owner,
                         SIPTAG_FROM_STR (from), SIPTAG_TO_STR (from),
                         SIPTAG_CALL_ID_STR (self->call_id),
                         TAG_IF (*proxy != '\0', NUTAG_PROXY (proxy)),
                         TAG_END ());
  self->in_flight = request;
  self->auth_attempts = 0;
  nua_method (self->nh,
              NUTAG_METHOD ("PUBLISH"),
              NUTAG_URL (target),
              SIPTAG_EVENT_STR (self->event),
              SIPTAG_EXPIRES_STR (expires),
              TAG_IF (with_etag, SIPTAG_IF_MATCH_STR (self->etag)),
              TAG_IF (with_body, SIPTAG_CONTENT_TYPE_STR (self->content_type)),
              TAG_IF (with_body, SIPTAG_PAYLOAD_STR (self->body)),
              TAG_END ());
}

static void
send_remove (SipsPublication *self)
{
  if (*self->etag == '\0')
    finish (self, "unpublished");  /* nothing on the server to remove */
  else
    send_request (self, REQUEST_REMOVE);
}

static gboolean
on_refresh (gpointer user_data)
{
  SipsPublication *self = user_data;

  self->refresh_id = 0;
  if (self->phase == PHASE_PUBLISHED && self->in_flight == REQUEST_NONE)
    send_request (self, REQUEST_REFRESH);
  return G_SOURCE_REMOVE;
}

/* Refreshes at three quarters of the granted time (RFC 3903 leaves it to us). */
static void
schedule_refresh (SipsPublication *self, guint expires)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (expires > 0)
    self->refresh_id = g_timeout_add (MAX ((guint64) expires * 750, 500), on_refresh, self);
}

/* After an answer: what waited for it. */
static void
send_next (SipsPublication *self)
{
  if (self->phase == PHASE_UNPUBLISHING)
    send_remove (self);
  else if (self->update_pending)
    {
      self->update_pending = FALSE;
      self->phase = PHASE_PUBLISHING;
      send_request (self, *self->etag != '\0' ? REQUEST_MODIFY : REQUEST_INITIAL);
    }
}

/* ---- nua events ---- */

static void
on_publish_response (SipsPublication *self, int status, const char *phrase, const sip_t *sip)
{
  Request request = self->in_flight;
  guint expires;

  if (status < 200 || request == REQUEST_NONE)
    return;
  if ((status == 401 || status == 407) && authenticate (self, sip))
    return;
  self->auth_attempts = 0;
  self->in_flight = REQUEST_NONE;
  drop_handle (self);

  if (request == REQUEST_REMOVE)
    {
      if (status >= 300)
        g_debug ("Unpublishing %s (%s) failed: %d %s", self->account_sip.aor, self->event,
                 status, phrase ? phrase : "");
      /* a failed un-PUBLISH leaves the server's copy to run out */
      finish (self, "unpublished");
      return;
    }
  if (status == 412 && request != REQUEST_INITIAL && self->fresh_attempts == 0 &&
      self->phase != PHASE_UNPUBLISHING)
    {
      /* the server forgot our ETag (RFC 3903 6.6): publish afresh, the whole document */
      g_debug ("Publication of %s (%s): 412, publishing afresh", self->account_sip.aor, self->event);
      self->fresh_attempts++;
      set_string (self, &self->etag, "", PROP_ETAG);
      send_request (self, REQUEST_INITIAL);
      return;
    }
  if (status >= 300 && self->phase == PHASE_UNPUBLISHING)
    {
      /* End() was waiting for this request: nothing left to remove */
      finish (self, "unpublished");
      return;
    }
  if (status >= 300)
    {
      fail (self, status, phrase);
      return;
    }
  if (sip == NULL || sip->sip_etag == NULL || sip->sip_etag->g_string == NULL ||
      *sip->sip_etag->g_string == '\0')
    {
      fail (self, 0, _("The answer to PUBLISH has no SIP-ETag"));
      return;
    }

  expires = sip->sip_expires != NULL ? (guint) sip->sip_expires->ex_delta : self->requested;
  self->fresh_attempts = 0;
  set_string (self, &self->etag, sip->sip_etag->g_string, PROP_ETAG);
  set_expires (self, expires);
  if (self->phase == PHASE_UNPUBLISHING)
    {
      send_remove (self);
      return;
    }
  self->phase = PHASE_PUBLISHED;
  schedule_refresh (self, expires);
  set_string (self, &self->state, "published", PROP_STATE);
  g_debug ("Published %s (%s) for %u s, ETag %s", self->account_sip.aor, self->event, expires,
           self->etag);
  g_signal_emit (self, signals[SIGNAL_DID_SUCCEED], 0, g_get_real_time (), expires);
  if (self->phase == PHASE_PUBLISHED)
    send_next (self);
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
  SipsPublication *self = owner;
  g_autoptr(SipsPublication) keep = NULL;

  if (nh != self->nh || self->phase == PHASE_ENDED)
    return;
  keep = g_object_ref (self);
  switch (event)
    {
    case nua_r_method:
      on_publish_response (self, status, phrase, sip);
      break;
    default:
      break;
    }
}

/* The handle dies with its nua (an un-PUBLISH on its way still goes out: nua_shutdown
 * waits for it). */
static void
on_nua_closing (SipsSipAgent *agent, gpointer nua, gpointer user_data)
{
  SipsPublication *self = user_data;

  if (nua != self->nua)
    return;
  self->nh = NULL;
  self->nua = NULL;
  finish (self, "unpublished");
}

/* ---- GObject vfuncs ---- */

static void
sips_publication_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsPublication *self = SIPS_PUBLICATION (object);

  switch (prop_id)
    {
    case PROP_EVENT:
      g_value_set_string (value, self->event);
      break;
    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;
    case PROP_ETAG:
      g_value_set_string (value, self->etag);
      break;
    case PROP_EXPIRES:
      g_value_set_uint (value, self->expires);
      break;
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_publication_dispose (GObject *object)
{
  SipsPublication *self = SIPS_PUBLICATION (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->account_sip.agent != NULL)
    {
      drop_handle (self);
      g_signal_handlers_disconnect_by_data (self->account_sip.agent, self);
    }
  if (self->account != NULL)
    g_object_remove_weak_pointer (self->account, (gpointer *) &self->account);
  self->account = NULL;
  sips_presence_account_clear (&self->account_sip);

  G_OBJECT_CLASS (sips_publication_parent_class)->dispose (object);
}

static void
sips_publication_finalize (GObject *object)
{
  SipsPublication *self = SIPS_PUBLICATION (object);

  g_free (self->event);
  g_free (self->content_type);
  g_free (self->body);
  g_free (self->call_id);
  g_free (self->state);
  g_free (self->etag);

  G_OBJECT_CLASS (sips_publication_parent_class)->finalize (object);
}

static void
sips_publication_class_init (SipsPublicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = sips_publication_get_property;
  object_class->dispose = sips_publication_dispose;
  object_class->finalize = sips_publication_finalize;

  properties[PROP_EVENT] = g_param_spec_string ("event", NULL, NULL, "", flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "publishing", flags);
  properties[PROP_ETAG] = g_param_spec_string ("etag", NULL, NULL, "", flags);
  properties[PROP_EXPIRES] = g_param_spec_uint ("expires", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ACCOUNT] = g_param_spec_object ("account", NULL, NULL, G_TYPE_OBJECT, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DID_SUCCEED] =
    g_signal_new ("did-succeed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_UINT);
  signals[SIGNAL_DID_FAIL] =
    g_signal_new ("did-fail", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_WILL_END] =
    g_signal_new ("will-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_DID_END] =
    g_signal_new ("did-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
sips_publication_init (SipsPublication *self)
{
  self->state = g_strdup ("publishing");
  self->etag = g_strdup ("");
  self->owner.func = on_nua_event;
  self->owner.owner = self;
}

/* ---- public API ---- */

SipsPublication *
sips_publication_new (SipsSipAgent *agent, SipsConfigSection *config, const char *aor,
                      GObject *account, const char *event, const char *content_type,
                      const char *body, guint expires)
{
  SipsPublication *self;

  g_return_val_if_fail (SIPS_IS_SIP_AGENT (agent), NULL);
  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (config), NULL);
  g_return_val_if_fail (aor != NULL && event != NULL && content_type != NULL, NULL);

  self = g_object_new (SIPS_TYPE_PUBLICATION, NULL);
  sips_presence_account_init (&self->account_sip, agent, config, aor);
  self->account = account;
  if (account != NULL)
    g_object_add_weak_pointer (account, (gpointer *) &self->account);
  self->event = g_strdup (event);
  self->content_type = g_strdup (content_type);
  self->body = g_strdup (body != NULL ? body : "");
  self->requested = expires;
  self->call_id = g_uuid_string_random ();
  g_signal_connect (agent, "nua-closing", G_CALLBACK (on_nua_closing), self);
  return self;
}

void
sips_publication_start (SipsPublication *self)
{
  g_return_if_fail (SIPS_IS_PUBLICATION (self));
  g_return_if_fail (self->phase == PHASE_NEW);

  if (sips_sip_agent_get_nua (self->account_sip.agent) == NULL)
    {
      fail (self, 0, _("The SIP stack is not running"));
      return;
    }
  self->phase = PHASE_PUBLISHING;
  g_debug ("Publishing %s (%s) for %u s", self->account_sip.aor, self->event, self->requested);
  send_request (self, REQUEST_INITIAL);
}

gboolean
sips_publication_update (SipsPublication *self, const char *content_type, const char *body,
                         GError **error)
{
  g_return_val_if_fail (SIPS_IS_PUBLICATION (self), FALSE);

  if (self->phase == PHASE_ENDED || self->phase == PHASE_UNPUBLISHING)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("The publication is %s"), self->state);
      return FALSE;
    }
  if (content_type == NULL || *content_type == '\0' || strchr (content_type, '/') == NULL ||
      strlen (content_type) > 255 || strpbrk (content_type, " \t\r\n,") != NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("Update needs a content type such as application/pidf+xml"));
      return FALSE;
    }
  if (body != NULL && strlen (body) > SIPS_PUBLICATION_MAX_BODY)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The document is longer than %u bytes"), SIPS_PUBLICATION_MAX_BODY);
      return FALSE;
    }
  g_free (self->content_type);
  self->content_type = g_strdup (content_type);
  g_free (self->body);
  self->body = g_strdup (body != NULL ? body : "");
  if (self->phase == PHASE_NEW)
    return TRUE;  /* goes with the initial PUBLISH */
  self->phase = PHASE_PUBLISHING;
  set_string (self, &self->state, "publishing", PROP_STATE);
  if (self->in_flight != REQUEST_NONE)
    self->update_pending = TRUE;  /* sent with the ETag the answer brings */
  else
    send_request (self, *self->etag != '\0' ? REQUEST_MODIFY : REQUEST_INITIAL);
  return TRUE;
}

gboolean
sips_publication_unpublish (SipsPublication *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_PUBLICATION (self), FALSE);

  if (self->phase == PHASE_ENDED || self->phase == PHASE_UNPUBLISHING)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("The publication is %s"), self->state);
      return FALSE;
    }
  sips_publication_end (self);
  return TRUE;
}

void
sips_publication_end (SipsPublication *self)
{
  g_return_if_fail (SIPS_IS_PUBLICATION (self));

  switch (self->phase)
    {
    case PHASE_NEW:
      finish (self, "unpublished");
      break;
    case PHASE_PUBLISHING:
    case PHASE_PUBLISHED:
      self->phase = PHASE_UNPUBLISHING;
      self->update_pending = FALSE;
      g_clear_handle_id (&self->refresh_id, g_source_remove);
      set_string (self, &self->state, "unpublishing", PROP_STATE);
      g_signal_emit (self, signals[SIGNAL_WILL_END], 0, g_get_real_time ());
      /* a request in flight is answered first: its ETag is the one to remove */
      if (self->in_flight == REQUEST_NONE)
        send_remove (self);
      break;
    case PHASE_UNPUBLISHING:
    case PHASE_ENDED:
    default:
      break;
    }
}

gboolean
sips_publication_is_ended (SipsPublication *self)
{
  g_return_val_if_fail (SIPS_IS_PUBLICATION (self), TRUE);
  return self->phase == PHASE_ENDED;
}

const char *
sips_publication_get_state (SipsPublication *self)
{
  g_return_val_if_fail (SIPS_IS_PUBLICATION (self), NULL);
  return self->state;
}
