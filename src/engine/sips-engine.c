/* sips-engine.c: the daemon's model: configuration, accounts, sessions, the SIP agent
 * and the MSRP endpoint */
#include "engine/sips-engine.h"

#include <glib/gi18n.h>
#include <string.h>
#include <glib/gstdio.h>
#include "config/sips-config-schema.h"
#include "core/sips-error.h"
#include "msrp/sips-msrp-tls.h"
#include "msrp/sips-msrp-transport.h"
#include "presence/sips-pager.h"

#define NUA_MAGIC_T  void
#define NUA_HMAGIC_T void  /* a SipsNuaOwner, see sips-sip-agent.h */
#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>


enum {
  PROP_0,
  PROP_DEFAULT_ACCOUNT,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_ACCOUNT_ADDED,
  SIGNAL_ACCOUNT_REMOVED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

struct _SipsEngine {
  GObject             parent_instance;

  SipsConfigStore    *store;
  SipsConfigSection  *settings;
  SipsRingtoneConfig *ringtones;
  SipsConfigSection  *rtp;
  SipsConfigSection  *msrp;
  GPtrArray          *accounts;   /* SipsAccount*, account 0 first */
  SipsSessionManager *sessions;
  SipsSipAgent       *agent;
  SipsMsrpTransport  *msrp_transport;  /* NULL until started, or when it cannot run */
  char               *state_dir;
  gboolean            started;
};

G_DEFINE_FINAL_TYPE (SipsEngine, sips_engine, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static char *
account_group (const char *id)
{
  return g_strconcat (SIPS_GROUP_ACCOUNT_PREFIX, id, NULL);
}

/* "sip:alice@example.com" and "alice@example.com" name the same account */
static const char *
strip_scheme (const char *address)
{
  if (g_ascii_strncasecmp (address, "sip:", 4) == 0)
    return address + 4;
  return address;
}

static guint
on_linger_seconds (gpointer user_data)
{
  SipsEngine *self = user_data;

  return sips_config_section_get_uint (self->settings, "TerminatedSessionLinger");
}

static SipsAccount *
account_new (SipsEngine *self, const char *id, const char *group, gboolean local)
{
  g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (self->store, group);
  SipsAccount *account = sips_account_new (id, section, local);

  sips_account_set_sip_agent (account, self->agent);
  sips_account_set_linger_func (account, on_linger_seconds, self);
  return account;
}

/* DefaultAccount must name an account we have; everything else about settings is the
 * SIP agent's business (ports and TLS rebind the transports). */
static gboolean
on_apply_setting (SipsConfigSection *section,
                  const char        *name,
                  GVariant          *value,
                  gpointer           user_data,
                  GError           **error)
{
  SipsEngine *self = user_data;

  if (g_str_equal (name, "DefaultAccount"))
    {
      const char *id = g_variant_get_string (value, NULL);

      if (*id != '\0' && sips_engine_lookup_account (self, id) == NULL)
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND,
                       _("DefaultAccount: there is no account %s"), id);
          return FALSE;
        }
      return TRUE;
    }

  return sips_sip_agent_apply_setting (section, name, value, self->agent, error);
}

static gboolean on_apply_msrp (SipsConfigSection *section, const char *name, GVariant *value,
                               gpointer user_data, GError **error);

static void
on_default_account_changed (SipsConfigSection *section, const char *name, gpointer user_data)
{
  g_object_notify_by_pspec (G_OBJECT (user_data), props[PROP_DEFAULT_ACCOUNT]);
}

/* The account an incoming request is for: the first enabled account whose user part is
 * the Request-URI's, else account 0. */
static SipsAccount *
account_for_request (SipsEngine *self, const sip_t *sip)
{
  const char *user = NULL;

  if (sip != NULL && sip->sip_request != NULL)
    user = sip->sip_request->rq_url->url_user;
  for (guint i = 1; user != NULL && i < self->accounts->len; i++)
    {
      SipsAccount *account = g_ptr_array_index (self->accounts, i);
      const char *id = sips_account_get_id (account);
      const char *at = strrchr (id, '@');

      if (at != NULL && strlen (user) == (gsize) (at - id) && strncmp (id, user, at - id) == 0 &&
          sips_config_section_get_boolean (sips_account_get_config (account), "Enabled"))
        return account;
    }
  return sips_engine_get_local_account (self);
}

/* New incoming INVITEs become sessions, MESSAGEs go to the account's pager; other
 * requests are the agent's (or others') */
static gboolean
on_nua_event (SipsSipAgent *agent, int event, int status, const char *phrase,
              gpointer nh, gpointer sip, gpointer tags, gpointer user_data)
{
  SipsEngine *self = user_data;

  if (event == nua_i_message && nh != NULL && status < 200)
    {
      SipsPager *pager = sips_account_get_pager (account_for_request (self, sip));

      if (pager == NULL)
        return FALSE;
      sips_pager_receive (pager, nh, sip);
      return TRUE;
    }
  if (event != nua_i_invite || nh == NULL || status >= 200)
    return FALSE;
  sips_session_manager_take_incoming (self->sessions, nh, sip, account_for_request (self, sip));
  return TRUE;
}

/* Calls on a nua that goes away end (a transport rebind ends the calls in progress). */
static void
on_nua_closing (SipsSipAgent *agent, gpointer nua, gpointer user_data)
{
  SipsEngine *self = user_data;

  sips_session_manager_nua_closing (self->sessions, nua);
}

static void
load_accounts (SipsEngine *self)
{
  GKeyFile *keyfile = sips_config_store_get_keyfile (self->store);
  g_auto(GStrv) groups = g_key_file_get_groups (keyfile, NULL);
  g_autofree char *local_id = g_strdup_printf ("local@%s", g_get_host_name ());

  g_ptr_array_add (self->accounts, account_new (self, local_id, SIPS_GROUP_LOCAL_ACCOUNT, TRUE));

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *id;

      if (!g_str_has_prefix (groups[i], SIPS_GROUP_ACCOUNT_PREFIX))
        continue;
      id = groups[i] + strlen (SIPS_GROUP_ACCOUNT_PREFIX);
      if (!sips_config_is_sip_address (id) || sips_engine_lookup_account (self, id) != NULL)
        {
          g_warning ("Ignoring configuration group [%s]: not a usable account address", groups[i]);
          continue;
        }
      g_ptr_array_add (self->accounts, account_new (self, id, groups[i], FALSE));
    }
}

/* ---- GObject vfuncs ---- */

static void
sips_engine_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsEngine *self = SIPS_ENGINE (object);

  switch (prop_id)
    {
    case PROP_DEFAULT_ACCOUNT:
      g_value_set_object (value, sips_engine_get_default_account (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_engine_dispose (GObject *object)
{
  SipsEngine *self = SIPS_ENGINE (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->agent != NULL)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_object (&self->sessions);
  if (self->msrp_transport != NULL)
    sips_msrp_transport_stop (self->msrp_transport);
  g_clear_object (&self->msrp_transport);
  g_clear_pointer (&self->state_dir, g_free);
  g_clear_object (&self->agent);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_object (&self->ringtones);
  g_clear_object (&self->rtp);
  g_clear_object (&self->msrp);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sips_engine_parent_class)->dispose (object);
}

static void
sips_engine_class_init (SipsEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sips_engine_get_property;
  object_class->dispose = sips_engine_dispose;

  props[PROP_DEFAULT_ACCOUNT] =
    g_param_spec_object ("default-account", NULL, NULL, SIPS_TYPE_ACCOUNT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_ACCOUNT_ADDED] =
    g_signal_new ("account-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SIPS_TYPE_ACCOUNT);
  signals[SIGNAL_ACCOUNT_REMOVED] =
    g_signal_new ("account-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SIPS_TYPE_ACCOUNT);
}

static void
sips_engine_init (SipsEngine *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
}

/* ---- public API ---- */

SipsEngine *
sips_engine_new (const char *config_path, const char *state_dir, GError **error)
{
  g_autoptr(SipsEngine) self = g_object_new (SIPS_TYPE_ENGINE, NULL);
  g_autoptr(GError) load_error = NULL;

  self->store = sips_config_store_new (config_path);
  if (!sips_config_store_load (self->store, &load_error))
    {
      /* Keep the unreadable file for its owner and start from the defaults: a daemon
       * that refuses to start helps nobody, one that overwrites the file loses data. */
      g_autofree char *aside = g_strdup_printf ("%s.unreadable-%" G_GINT64_FORMAT, config_path,
                                                g_get_real_time () / G_USEC_PER_SEC);

      if (g_rename (config_path, aside) != 0)
        {
          g_propagate_error (error, g_steal_pointer (&load_error));
          return NULL;
        }
      g_warning ("%s; it is kept as %s and the defaults are used", load_error->message, aside);
    }

  self->settings = sips_config_schema_section_new (self->store, SIPS_GROUP_SETTINGS);
  self->ringtones = sips_ringtone_config_new (self->store);
  self->rtp = sips_config_schema_section_new (self->store, SIPS_GROUP_RTP);
  self->msrp = sips_config_schema_section_new (self->store, SIPS_GROUP_MSRP);
  self->agent = sips_sip_agent_new (self->settings, state_dir);
  self->state_dir = g_strdup (state_dir);
  load_accounts (self);

  sips_config_section_set_apply_func (self->settings, on_apply_setting, self);
  sips_config_section_set_apply_func (self->msrp, on_apply_msrp, self);
  g_signal_connect (self->settings, "changed::DefaultAccount",
                    G_CALLBACK (on_default_account_changed), self);

  self->sessions = sips_session_manager_new (on_linger_seconds, self);
  sips_session_manager_set_sip_env (self->sessions, self->agent, self->settings, self->rtp,
                                    self->ringtones);
  g_signal_connect (self->agent, "nua-event", G_CALLBACK (on_nua_event), self);
  g_signal_connect (self->agent, "nua-closing", G_CALLBACK (on_nua_closing), self);

  return g_steal_pointer (&self);
}

/* MSRPConfiguration1.LocalIp "" = the address RTP uses when one is set, else the SIP
 * listen address, else all addresses (the transport puts the default route's in paths). */
static char *
msrp_local_ip (SipsEngine *self, const char *ip)
{
  GKeyFile *keyfile = sips_config_store_get_keyfile (self->store);

  if (*ip != '\0')
    return g_strdup (ip);
  if (g_key_file_has_key (keyfile, SIPS_GROUP_RTP, "LocalRtpAddress", NULL))
    return g_strdup (sips_config_section_get_string (self->rtp, "LocalRtpAddress"));
  return g_strdup (sips_config_section_get_string (self->settings, "SipListenAddress"));
}

/* The MSRP endpoint of new chat streams (on_apply_msrp() follows changes). Without it
 * the daemon still runs; chat streams then fail. */
static void
start_msrp (SipsEngine *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (self->state_dir != NULL ? self->state_dir : ".",
                                           "msrp", NULL);
  g_autofree char *local_ip =
    msrp_local_ip (self, sips_config_section_get_string (self->msrp, "LocalIp"));
  gboolean use_tls = sips_config_section_get_boolean (self->msrp, "LocalUseTls");
  g_autoptr(SipsMsrpTransport) transport = NULL;

  transport = sips_msrp_transport_new (local_ip,
                                       (guint16) sips_config_section_get_uint (self->msrp, "LocalPort"),
                                       FALSE, NULL);
  /* the certificate (and with it a TLS library) only when MSRP first needs it */
  sips_msrp_transport_set_certificate_dir (transport, dir, use_tls);
  if (!sips_msrp_transport_start (transport, &error))
    {
      g_warning ("MSRP is off (chat streams fail): %s", error->message);
      return;
    }
  g_debug ("MSRP on %s:%u%s", sips_msrp_transport_get_host (transport),
           sips_msrp_transport_get_port (transport), use_tls ? " (TLS)" : "");
  self->msrp_transport = g_steal_pointer (&transport);
  sips_session_manager_set_msrp_transport (self->sessions, self->msrp_transport, self->msrp);
}

/* A started endpoint with other's TLS setting and certificate, NULL when it cannot
 * listen there. */
static SipsMsrpTransport *
msrp_transport_like (SipsMsrpTransport *other, const char *ip, guint port, GError **error)
{
  const char *dir = sips_msrp_transport_get_certificate_dir (other);
  g_autoptr(SipsMsrpTransport) transport =
    sips_msrp_transport_new (ip, (guint16) port, sips_msrp_transport_get_use_tls (other),
                             dir != NULL ? NULL : sips_msrp_transport_get_certificate (other));

  if (dir != NULL)
    sips_msrp_transport_set_certificate_dir (transport, dir,
                                             sips_msrp_transport_get_use_tls (other));

  if (!sips_msrp_transport_start (transport, error))
    return NULL;
  return g_steal_pointer (&transport);
}

/* Whether only the engine and the session manager hold the endpoint (no session,
 * stream or connection uses it). */
static gboolean
msrp_transport_is_unused (SipsEngine *self)
{
  return g_atomic_int_get (&G_OBJECT (self->msrp_transport)->ref_count) == 2 &&
         sips_msrp_transport_get_n_connections (self->msrp_transport) == 0;
}

/* MSRPConfiguration1 changes apply to streams made after them: LocalUseTls switches
 * the endpoint's default, a new LocalIp or LocalPort gets a new endpoint (bound before
 * the change is accepted, so an unusable address changes nothing). Streams made
 * before keep the endpoint they hold, which closes when the last of them ends. */
static gboolean
on_apply_msrp (SipsConfigSection *section,
               const char        *name,
               GVariant          *value,
               gpointer           user_data,
               GError           **error)
{
  SipsEngine *self = user_data;
  g_autofree char *old_ip = NULL;
  g_autofree char *new_ip = NULL;
  guint old_port, new_port;
  g_autoptr(SipsMsrpTransport) transport = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->msrp_transport == NULL)
    return TRUE;  /* not running: start_msrp() reads the settings */

  if (g_str_equal (name, "LocalUseTls"))
    {
      if (!sips_msrp_transport_set_use_tls (self->msrp_transport, g_variant_get_boolean (value)))
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                       _("MSRP over TLS is not available: there is no certificate"));
          return FALSE;
        }
      return TRUE;
    }
  if (!g_str_equal (name, "LocalIp") && !g_str_equal (name, "LocalPort"))
    return TRUE;

  old_ip = msrp_local_ip (self, sips_config_section_get_string (self->msrp, "LocalIp"));
  old_port = sips_config_section_get_uint (self->msrp, "LocalPort");
  new_ip = g_str_equal (name, "LocalIp") ? msrp_local_ip (self, g_variant_get_string (value, NULL))
                                         : g_strdup (old_ip);
  new_port = g_str_equal (name, "LocalPort") ? g_variant_get_uint32 (value) : old_port;
  if (g_str_equal (old_ip, new_ip) && old_port == new_port)
    return TRUE;

  transport = msrp_transport_like (self->msrp_transport, new_ip, new_port, &local_error);
  if (transport == NULL && msrp_transport_is_unused (self))
    {
      /* the old endpoint may hold the address (0.0.0.0:P vs 127.0.0.1:P): free it
       * for the new one, or take it back as it was */
      g_autoptr(SipsMsrpTransport) old = g_object_ref (self->msrp_transport);
      g_autoptr(GError) again = NULL;
      g_autofree char *old_host = g_strdup (old_ip);

      sips_msrp_transport_stop (old);
      transport = msrp_transport_like (old, new_ip, new_port, NULL);
      if (transport == NULL)
        {
          g_clear_object (&self->msrp_transport);
          self->msrp_transport = msrp_transport_like (old, old_host,
                                                      sips_msrp_transport_get_port (old), &again);
          if (self->msrp_transport == NULL)
            g_warning ("MSRP is off (chat streams fail): %s", again->message);
          sips_session_manager_set_msrp_transport (self->sessions, self->msrp_transport,
                                                   self->msrp);
        }
    }
  if (transport == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("MSRP cannot use %s: %s"), name,
                   local_error->message);
      return FALSE;
    }
  g_message ("MSRP now on %s:%u for new streams", sips_msrp_transport_get_host (transport),
             sips_msrp_transport_get_port (transport));
  /* the old endpoint lives on in the streams that hold it */
  g_set_object (&self->msrp_transport, transport);
  sips_session_manager_set_msrp_transport (self->sessions, self->msrp_transport, self->msrp);
  return TRUE;
}

gboolean
sips_engine_start (SipsEngine *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_ENGINE (self), FALSE);

  if (!sips_sip_agent_start (self->agent, error))
    return FALSE;
  if (self->msrp_transport == NULL)
    start_msrp (self);
  self->started = TRUE;
  for (guint i = 0; i < self->accounts->len; i++)
    sips_account_start (self->accounts->pdata[i]);
  return TRUE;
}

static gboolean
on_media_stopped (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_agent_shutdown (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  SipsEngine *self = g_task_get_source_object (task);

  /* the sessions are over: their chat streams too */
  if (self->msrp_transport != NULL)
    sips_msrp_transport_stop (self->msrp_transport);
  if (!sips_sip_agent_shutdown_finish (SIPS_SIP_AGENT (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    /* the sessions are over: their recordings get final headers before we exit */
    sips_session_manager_when_media_stopped (self->sessions, on_media_stopped,
                                             g_steal_pointer (&task));
}

void
sips_engine_shutdown_async (SipsEngine *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  sips_session_manager_terminate_all (self->sessions);
  for (guint i = 0; i < self->accounts->len; i++)
    sips_account_stop (self->accounts->pdata[i]);
  sips_sip_agent_shutdown_async (self->agent, on_agent_shutdown, task);
}

gboolean
sips_engine_shutdown_finish (SipsEngine *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

SipsConfigStore *
sips_engine_get_store (SipsEngine *self)
{
  return self->store;
}

SipsConfigSection *
sips_engine_get_settings (SipsEngine *self)
{
  return self->settings;
}

SipsRingtoneConfig *
sips_engine_get_ringtone_config (SipsEngine *self)
{
  return self->ringtones;
}

SipsConfigSection *
sips_engine_get_rtp_config (SipsEngine *self)
{
  return self->rtp;
}

SipsConfigSection *
sips_engine_get_msrp_config (SipsEngine *self)
{
  return self->msrp;
}

SipsSessionManager *
sips_engine_get_session_manager (SipsEngine *self)
{
  return self->sessions;
}

SipsSipAgent *
sips_engine_get_sip_agent (SipsEngine *self)
{
  return self->agent;
}

GPtrArray *
sips_engine_get_accounts (SipsEngine *self)
{
  return self->accounts;
}

SipsAccount *
sips_engine_get_local_account (SipsEngine *self)
{
  return g_ptr_array_index (self->accounts, 0);
}

SipsAccount *
sips_engine_lookup_account (SipsEngine *self, const char *id)
{
  id = strip_scheme (id);
  for (guint i = 0; i < self->accounts->len; i++)
    {
      SipsAccount *account = g_ptr_array_index (self->accounts, i);

      if (g_ascii_strcasecmp (sips_account_get_id (account), id) == 0)
        return account;
    }
  return NULL;
}

SipsAccount *
sips_engine_get_default_account (SipsEngine *self)
{
  const char *id = sips_config_section_get_string (self->settings, "DefaultAccount");
  SipsAccount *account = *id != '\0' ? sips_engine_lookup_account (self, id) : NULL;

  return account != NULL ? account : sips_engine_get_local_account (self);
}

SipsAccount *
sips_engine_add_account (SipsEngine *self, const char *address, GVariant *properties, GError **error)
{
  g_autoptr(GVariant) props = NULL;
  g_autofree char *group = NULL;
  g_autoptr(SipsAccount) account = NULL;
  const char *id;

  g_return_val_if_fail (SIPS_IS_ENGINE (self), NULL);

  id = strip_scheme (address);
  if (!sips_config_is_sip_address (id))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a SIP address of the form user@domain"), address);
      return NULL;
    }
  if (sips_engine_lookup_account (self, id) != NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("There is already an account %s"), id);
      return NULL;
    }

  props = properties != NULL ? g_variant_ref_sink (properties)
                             : g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
  group = account_group (id);
  account = account_new (self, id, group, FALSE);
  /* Validates everything first, then writes the whole group once: nothing half-made. */
  if (!sips_config_section_set_many (sips_account_get_config (account), props, error))
    return NULL;

  g_ptr_array_add (self->accounts, g_object_ref (account));
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, account);
  if (self->started)
    sips_account_start (account);
  return account;
}

gboolean
sips_engine_remove_account (SipsEngine *self, SipsAccount *account, GError **error)
{
  g_autoptr(SipsAccount) hold = NULL;
  guint index;

  g_return_val_if_fail (SIPS_IS_ENGINE (self), FALSE);

  if (account == NULL || !g_ptr_array_find (self->accounts, account, &index))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND, _("No such account"));
      return FALSE;
    }
  if (sips_account_is_local (account))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_PERMISSION_DENIED,
                   _("The local account cannot be removed"));
      return FALSE;
    }

  /* Unregistering is best effort: removal must not depend on the registrar. */
  sips_account_stop (account);

  if (!sips_config_section_delete (sips_account_get_config (account), error))
    return FALSE;

  if (g_ascii_strcasecmp (sips_config_section_get_string (self->settings, "DefaultAccount"),
                          sips_account_get_id (account)) == 0)
    {
      g_autoptr(GError) local_error = NULL;

      if (!sips_config_section_set (self->settings, "DefaultAccount", g_variant_new_string (""), &local_error))
        g_warning ("Could not reset DefaultAccount: %s", local_error->message);
    }

  hold = g_object_ref (account);
  g_ptr_array_remove_index (self->accounts, index);
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_REMOVED], 0, hold);
  return TRUE;
}
