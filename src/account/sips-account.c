/* sips-account.c: a SIP account (its configuration section + its registration)
 *
 * The registration (sips-registration.c) does the SIP side and carries the state; the
 * account decides whether it may register at all. The local account never registers. */
#include "sips-account.h"

#include <string.h>
#include <glib/gi18n.h>

#include "account/sips-registration.h"
#include "config/sips-config-schema.h"
#include "core/sips-error.h"
#include "presence/sips-pager.h"

/* ---- struct ---- */

struct _SipsAccount {
  GObject parent_instance;

  char              *id;
  SipsConfigSection *config;
  gboolean           local;

  SipsRegistration  *registration;  /* NULL for the local account and before the agent */
  SipsSipAgent      *agent;

  /* subscriptions and publications (PresenceEntry*), removed after their linger time */
  GPtrArray             *presence;
  SipsAccountLingerFunc  linger_func;
  gpointer               linger_data;
  SipsPager         *pager;         /* NULL before the agent */
};

typedef struct {
  SipsAccount *account;
  GObject     *object;     /* a SipsSubscription or SipsPublication */
  guint        linger_id;
} PresenceEntry;

enum {
  SIGNAL_PRESENCE_ADDED,
  SIGNAL_PRESENCE_REMOVED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsAccount, sips_account, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static gboolean
check_can_register (SipsAccount *self, GError **error)
{
  if (self->local)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED,
                           _("The local account never registers"));
      return FALSE;
    }
  if (self->config != NULL && !sips_config_section_get_boolean (self->config, "Enabled"))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The account is disabled"));
      return FALSE;
    }
  return TRUE;
}

/* ---- presence ---- */

static gboolean
presence_is_ended (GObject *object)
{
  if (SIPS_IS_SUBSCRIPTION (object))
    return sips_subscription_is_ended (SIPS_SUBSCRIPTION (object));
  return sips_publication_is_ended (SIPS_PUBLICATION (object));
}

static void
presence_end (GObject *object)
{
  if (SIPS_IS_SUBSCRIPTION (object))
    sips_subscription_end (SIPS_SUBSCRIPTION (object));
  else
    sips_publication_end (SIPS_PUBLICATION (object));
}

static void
end_presence (SipsAccount *self)
{
  g_autoptr(GPtrArray) objects = sips_account_list_presence (self);

  for (guint i = 0; i < objects->len; i++)
    presence_end (objects->pdata[i]);
}

static gboolean
on_presence_linger_over (gpointer user_data)
{
  PresenceEntry *entry = user_data;
  SipsAccount *self = entry->account;
  g_autoptr(GObject) object = g_object_ref (entry->object);

  entry->linger_id = 0;
  g_ptr_array_remove (self->presence, entry);  /* frees entry */
  g_signal_emit (self, signals[SIGNAL_PRESENCE_REMOVED], 0, object);
  return G_SOURCE_REMOVE;
}

static void
on_presence_ended (PresenceEntry *entry)
{
  SipsAccount *self = entry->account;
  guint linger = self->linger_func != NULL ? self->linger_func (self->linger_data) : 0;

  if (entry->linger_id != 0)
    return;
  g_debug ("%s ended, removed in %u s", G_OBJECT_TYPE_NAME (entry->object), linger);
  entry->linger_id = linger == 0 ? g_idle_add (on_presence_linger_over, entry)
                                 : g_timeout_add_seconds (linger, on_presence_linger_over, entry);
}

static void
on_subscription_did_end (SipsSubscription *subscription, gint64 timestamp, const char *originator,
                         gpointer user_data)
{
  on_presence_ended (user_data);
}

static void
on_publication_did_end (SipsPublication *publication, gint64 timestamp, gpointer user_data)
{
  on_presence_ended (user_data);
}

static gboolean
on_orphan_idle (gpointer user_data)
{
  g_object_unref (user_data);
  return G_SOURCE_REMOVE;
}

/* An object whose account went while it was ending on the wire: it goes once ended
 * (after the signal, not inside it). */
static void
on_orphan_did_end (GObject *object)
{
  g_idle_add (on_orphan_idle, object);
}

static void
presence_entry_free (gpointer data)
{
  PresenceEntry *entry = data;

  g_clear_handle_id (&entry->linger_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (entry->object, entry);
  if (!presence_is_ended (entry->object))
    {
      /* keeps it until its un-SUBSCRIBE/un-PUBLISH is over */
      g_signal_connect (entry->object, "did-end", G_CALLBACK (on_orphan_did_end), NULL);
      presence_end (entry->object);
    }
  else
    g_object_unref (entry->object);
  g_free (entry);
}

static void
presence_add (SipsAccount *self, GObject *object)
{
  PresenceEntry *entry = g_new0 (PresenceEntry, 1);

  entry->account = self;
  entry->object = object;  /* takes the reference */
  if (SIPS_IS_SUBSCRIPTION (object))
    g_signal_connect (object, "did-end", G_CALLBACK (on_subscription_did_end), entry);
  else
    g_signal_connect (object, "did-end", G_CALLBACK (on_publication_did_end), entry);
  g_ptr_array_add (self->presence, entry);
  g_signal_emit (self, signals[SIGNAL_PRESENCE_ADDED], 0, object);
}

static gboolean
check_can_use_presence (SipsAccount *self, GError **error)
{
  if (self->config == NULL || !sips_config_section_get_boolean (self->config, "Enabled"))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The account is disabled"));
      return FALSE;
    }
  if (self->agent == NULL || sips_sip_agent_get_nua (self->agent) == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The SIP stack is not running"));
      return FALSE;
    }
  return TRUE;
}

/* What a SUBSCRIBE or PUBLISH may carry: daemons (ours too) refuse SIP messages over
 * 64 KiB (NTATAG_MAXSIZE), and nothing this long is a real event, type or address. */
#define MAX_EVENT_LENGTH         64
#define MAX_CONTENT_TYPE_LENGTH  255
#define MAX_URI_LENGTH           4096

/* An event package name (RFC 6665 token, with template dots), e.g. presence.winfo. */
static gboolean
is_event_name (const char *event)
{
  if (event == NULL || *event == '\0' || strlen (event) > MAX_EVENT_LENGTH)
    return FALSE;
  for (const char *p = event; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-.!%*_+`'~", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* type/subtype, no spaces or line breaks */
static gboolean
is_content_type (const char *type)
{
  const char *slash = type != NULL ? strchr (type, '/') : NULL;

  if (slash == NULL || slash == type || slash[1] == '\0' || strlen (type) > MAX_CONTENT_TYPE_LENGTH)
    return FALSE;
  for (const char *p = type; *p; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == ',')
      return FALSE;
  return TRUE;
}

static void
on_enabled_changed (SipsConfigSection *config, const char *name, gpointer user_data)
{
  SipsAccount *self = user_data;

  if (!sips_config_section_get_boolean (config, "Enabled"))
    end_presence (self);
}

/* ---- GObject vfuncs ---- */

static void
sips_account_dispose (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  if (self->registration != NULL)
    {
      /* an un-REGISTER in flight finishes on its own */
      g_clear_pointer (&self->registration, sips_registration_release);
    }
  /* un-SUBSCRIBEs and un-PUBLISHes in flight finish on their own too */
  g_clear_pointer (&self->presence, g_ptr_array_unref);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->pager);
  g_clear_object (&self->config);
  g_clear_object (&self->agent);

  G_OBJECT_CLASS (sips_account_parent_class)->dispose (object);
}

static void
sips_account_finalize (GObject *object)
{
  SipsAccount *self = SIPS_ACCOUNT (object);

  g_free (self->id);

  G_OBJECT_CLASS (sips_account_parent_class)->finalize (object);
}

static void
sips_account_class_init (SipsAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_account_dispose;
  object_class->finalize = sips_account_finalize;

  signals[SIGNAL_PRESENCE_ADDED] =
    g_signal_new ("presence-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_OBJECT);
  signals[SIGNAL_PRESENCE_REMOVED] =
    g_signal_new ("presence-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_OBJECT);
}

static void
sips_account_init (SipsAccount *self)
{
  self->presence = g_ptr_array_new_with_free_func (presence_entry_free);
}

/* ---- public API ---- */

SipsAccount *
sips_account_new (const char *id, SipsConfigSection *config, gboolean local)
{
  SipsAccount *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (config == NULL || SIPS_IS_CONFIG_SECTION (config), NULL);

  self = g_object_new (SIPS_TYPE_ACCOUNT, NULL);
  self->id = g_strdup (id);
  self->config = config != NULL ? g_object_ref (config) : NULL;
  self->local = !!local;
  if (self->config != NULL)
    g_signal_connect (self->config, "changed::Enabled", G_CALLBACK (on_enabled_changed), self);
  return self;
}

const char *
sips_account_get_id (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->id;
}

gboolean
sips_account_is_local (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);
  return self->local;
}

SipsConfigSection *
sips_account_get_config (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->config;
}

SipsRegistration *
sips_account_get_registration (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->registration;
}

SipsPager *
sips_account_get_pager (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->pager;
}

const char *
sips_account_get_registration_state (SipsAccount *self)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);
  return self->registration ? sips_registration_get_state (self->registration) : "unregistered";
}

gboolean
sips_account_register (SipsAccount *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);

  if (!check_can_register (self, error))
    return FALSE;
  if (self->registration == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The SIP stack is not running"));
      return FALSE;
    }
  sips_registration_register (self->registration);
  return TRUE;
}

gboolean
sips_account_unregister (SipsAccount *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), FALSE);

  if (!check_can_register (self, error))
    return FALSE;
  if (self->registration != NULL)
    sips_registration_unregister (self->registration);
  return TRUE;
}

void
sips_account_set_sip_agent (SipsAccount *self, SipsSipAgent *agent)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));
  g_return_if_fail (agent == NULL || SIPS_IS_SIP_AGENT (agent));
  g_return_if_fail (self->registration == NULL);

  g_set_object (&self->agent, agent);
  if (agent != NULL && self->pager == NULL)
    self->pager = sips_pager_new (self, agent);
  if (self->local || agent == NULL || self->config == NULL)
    return;
  self->registration = sips_registration_new (self->id, self->config, agent);
}

void
sips_account_start (SipsAccount *self)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));

  if (self->registration != NULL)
    sips_registration_start (self->registration);
}

void
sips_account_stop (SipsAccount *self)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));

  end_presence (self);
  if (self->registration != NULL)
    sips_registration_stop (self->registration);
}

void
sips_account_set_linger_func (SipsAccount *self, SipsAccountLingerFunc func, gpointer user_data)
{
  g_return_if_fail (SIPS_IS_ACCOUNT (self));

  self->linger_func = func;
  self->linger_data = user_data;
}

SipsSubscription *
sips_account_subscribe (SipsAccount *self, const char *to_uri, const char *event,
                        const char * const *accept, guint expires, GError **error)
{
  SipsSubscription *subscription;

  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);

  if (to_uri == NULL || strlen (to_uri) > MAX_URI_LENGTH || !sips_config_is_sip_uri (to_uri) ||
      !is_event_name (event))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("Subscribe needs a SIP URI and an event"));
      return NULL;
    }
  for (guint i = 0; accept != NULL && accept[i] != NULL; i++)
    if (!is_content_type (accept[i]))
      {
        g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                     _("Not a content type: %s"), accept[i]);
        return NULL;
      }
  if (!check_can_use_presence (self, error))
    return NULL;
  if (expires == 0)
    expires = sips_config_section_get_uint (self->config, "SubscribeInterval");

  subscription = sips_subscription_new (self->agent, self->config, self->id, G_OBJECT (self),
                                        to_uri, event, accept, expires);
  presence_add (self, G_OBJECT (subscription));
  sips_subscription_start (subscription);
  return subscription;
}

SipsPublication *
sips_account_publish (SipsAccount *self, const char *event, const char *content_type,
                      const char *body, guint expires, GError **error)
{
  SipsPublication *publication;

  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);

  if (!is_event_name (event) || content_type == NULL || !is_content_type (content_type))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("Publish needs an event and a content type"));
      return NULL;
    }
  if (body != NULL && strlen (body) > SIPS_PUBLICATION_MAX_BODY)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The document is longer than %u bytes"), SIPS_PUBLICATION_MAX_BODY);
      return NULL;
    }
  if (!check_can_use_presence (self, error))
    return NULL;
  if (expires == 0)
    expires = sips_config_section_get_uint (self->config, "PublishInterval");

  publication = sips_publication_new (self->agent, self->config, self->id, G_OBJECT (self),
                                      event, content_type, body, expires);
  presence_add (self, G_OBJECT (publication));
  sips_publication_start (publication);
  return publication;
}

GPtrArray *
sips_account_list_presence (SipsAccount *self)
{
  GPtrArray *objects;

  g_return_val_if_fail (SIPS_IS_ACCOUNT (self), NULL);

  objects = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; self->presence != NULL && i < self->presence->len; i++)
    g_ptr_array_add (objects, g_object_ref (((PresenceEntry *) self->presence->pdata[i])->object));
  return objects;
}
