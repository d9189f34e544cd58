/* sips-ice-agent.c: one audio stream's ICE agent (libnice, RFC 8445 full agent)
 *
 * One NiceAgent stream with two components (1 RTP, 2 RTCP). Host candidates only on the
 * configured address (libnice skips loopback when it picks interfaces itself); STUN and
 * TURN servers given by host name are resolved asynchronously first. libnice's STUN
 * retransmissions are cut short and a timer bounds gathering, so an unreachable server
 * costs only its candidate. The media (nicesrc/nicesink) runs on the agent's sockets.
 * Built as the module libsips-ice.so, loaded on first use by sips-ice-loader.c. */
#include "media/sips-ice-agent.h"
#include "media/sips-ice-module.h"

#include <dlfcn.h>
#include <string.h>
#include <gmodule.h>
#include <glib/gi18n.h>
#include <nice/agent.h>

#include "core/sips-error.h"

#define N_COMPONENTS 2

struct _SipsIceAgent
{
  GObject       parent_instance;

  NiceAgent    *nice;
  guint         stream_id;
  GCancellable *cancellable;
  guint         pending_lookups;  /* server names being resolved */
  gboolean      gather_started;
  gboolean      gathered;
  gboolean      succeeded;        /* "succeeded" emitted since the last restart */
  gboolean      failed;
  gboolean      forced;           /* force_remote() chose the pair */
  GSource      *gather_timeout;

  char         *stun_host;        /* as configured (a name, or an IP) */
  guint         stun_port;
  char         *turn_host;
  guint         turn_port;
  NiceRelayType turn_type;
  char         *turn_username;
  char         *turn_password;
};

G_DEFINE_FINAL_TYPE (SipsIceAgent, sips_ice_agent, G_TYPE_OBJECT)

enum { SIGNAL_GATHERED, SIGNAL_SUCCEEDED, SIGNAL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- gathering ---- */

static void
finish_gathering (SipsIceAgent *self)
{
  if (self->gathered)
    return;
  self->gathered = TRUE;
  if (self->gather_timeout != NULL)
    {
      g_source_destroy (self->gather_timeout);
      g_clear_pointer (&self->gather_timeout, g_source_unref);
    }
  g_signal_emit (self, signals[SIGNAL_GATHERED], 0);
}

static gboolean
on_gather_timeout (gpointer user_data)
{
  SipsIceAgent *self = user_data;

  g_message ("ICE: candidate gathering took longer than %d ms: going on with what we have",
             SIPS_ICE_GATHER_TIMEOUT_MS);
  g_clear_pointer (&self->gather_timeout, g_source_unref);
  finish_gathering (self);
  return G_SOURCE_REMOVE;
}

static void
on_gathering_done (NiceAgent *agent, guint stream_id, gpointer user_data)
{
  SipsIceAgent *self = user_data;

  if (stream_id == self->stream_id)
    finish_gathering (self);
}

static void
start_gathering (SipsIceAgent *self)
{
  if (self->gather_started || self->pending_lookups > 0)
    return;
  self->gather_started = TRUE;
  if (self->turn_host != NULL && g_hostname_is_ip_address (self->turn_host))
    for (guint c = 1; c <= N_COMPONENTS; c++)
      nice_agent_set_relay_info (self->nice, self->stream_id, c, self->turn_host, self->turn_port,
                                 self->turn_username, self->turn_password, self->turn_type);
  if (!nice_agent_gather_candidates (self->nice, self->stream_id))
    {
      g_warning ("ICE: cannot gather candidates");
      finish_gathering (self);
    }
}

typedef struct {
  SipsIceAgent *self;
  gboolean      turn;
} Lookup;

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lookup *lookup = user_data;
  SipsIceAgent *self = lookup->self;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  gboolean turn = lookup->turn;
  char **host = turn ? &self->turn_host : &self->stun_host;
  g_autofree char *name = NULL;

  g_free (lookup);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  name = g_steal_pointer (host);
  if (addresses != NULL)
    *host = g_inet_address_to_string (addresses->data);
  else
    g_message ("ICE: cannot resolve the %s server %s: %s", turn ? "TURN" : "STUN", name,
               error->message);
  g_resolver_free_addresses (addresses);
  if (!turn && self->stun_host != NULL)
    g_object_set (self->nice, "stun-server", self->stun_host, "stun-server-port", self->stun_port,
                  NULL);
  self->pending_lookups--;
  start_gathering (self);
  g_object_unref (self);
}

static void
resolve (SipsIceAgent *self, const char *host, gboolean turn)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  Lookup *lookup = g_new0 (Lookup, 1);

  lookup->self = g_object_ref (self);
  lookup->turn = turn;
  self->pending_lookups++;
  g_resolver_lookup_by_name_async (resolver, host, self->cancellable, on_resolved, lookup);
}

/* media before the pipeline runs (or while it is rebuilt): nobody plays it */
static void
on_early_data (NiceAgent *agent, guint stream_id, guint component, guint len, gchar *data,
               gpointer user_data)
{
}

/* ---- checks ---- */

static void
on_component_state (NiceAgent *agent, guint stream_id, guint component, guint state,
                    gpointer user_data)
{
  SipsIceAgent *self = user_data;
  const char *local_type, *remote_type;

  if (stream_id != self->stream_id || component != 1 || self->forced)
    return;
  g_debug ("ICE: RTP component %s", nice_component_state_to_string (state));
  if (state == NICE_COMPONENT_STATE_READY && !self->succeeded &&
      sips_ice_agent_get_selected (self, &local_type, &remote_type, NULL, NULL))
    {
      self->succeeded = TRUE;
      self->failed = FALSE;
      g_message ("ICE: selected pair %s -> %s", local_type, remote_type);
      g_signal_emit (self, signals[SIGNAL_SUCCEEDED], 0, local_type, remote_type);
    }
  else if (state == NICE_COMPONENT_STATE_FAILED && !self->failed && !self->succeeded)
    {
      self->failed = TRUE;
      g_message ("ICE: connectivity checks failed");
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, _("ICE connectivity checks found no working candidate pair"));
    }
}

/* ---- GObject ---- */

static void
sips_ice_agent_dispose (GObject *object)
{
  SipsIceAgent *self = SIPS_ICE_AGENT (object);

  g_cancellable_cancel (self->cancellable);
  if (self->gather_timeout != NULL)
    {
      g_source_destroy (self->gather_timeout);
      g_clear_pointer (&self->gather_timeout, g_source_unref);
    }
  if (self->nice != NULL)
    {
      /* a stopping pipeline's nicesrc/nicesink may still use the stream: it goes (and its
       * sockets close) with the agent's last reference */
      g_signal_handlers_disconnect_by_data (self->nice, self);
      g_clear_object (&self->nice);
    }
  G_OBJECT_CLASS (sips_ice_agent_parent_class)->dispose (object);
}

static void
sips_ice_agent_finalize (GObject *object)
{
  SipsIceAgent *self = SIPS_ICE_AGENT (object);

  g_clear_object (&self->cancellable);
  g_free (self->stun_host);
  g_free (self->turn_host);
  g_free (self->turn_username);
  if (self->turn_password != NULL)
    memset (self->turn_password, 0, strlen (self->turn_password));
  g_free (self->turn_password);
  G_OBJECT_CLASS (sips_ice_agent_parent_class)->finalize (object);
}

static void
sips_ice_agent_class_init (SipsIceAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_ice_agent_dispose;
  object_class->finalize = sips_ice_agent_finalize;
  signals[SIGNAL_GATHERED] = g_signal_new ("gathered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SUCCEEDED] = g_signal_new ("succeeded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                            G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sips_ice_agent_init (SipsIceAgent *self)
{
  self->cancellable = g_cancellable_new ();
}

/* ---- public API ---- */

static NiceRelayType
relay_type (const char *transport)
{
  if (g_strcmp0 (transport, "tcp") == 0)
    return NICE_RELAY_TYPE_TURN_TCP;
  if (g_strcmp0 (transport, "tls") == 0)
    return NICE_RELAY_TYPE_TURN_TLS;
  return NICE_RELAY_TYPE_TURN_UDP;
}

SipsIceAgent *
sips_ice_agent_new (const SipsIceAgentConfig *config, GError **error)
{
  g_autoptr(SipsIceAgent) self = g_object_new (SIPS_TYPE_ICE_AGENT, NULL);
  NiceAddress address;

  nice_address_init (&address);
  if (config->local_address == NULL || !nice_address_set_from_string (&address, config->local_address))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid local RTP address “%s”"),
                   config->local_address != NULL ? config->local_address : "");
      return NULL;
    }
  self->nice = nice_agent_new (g_main_context_get_thread_default (), NICE_COMPATIBILITY_RFC5245);
  /* UDP only; STUN/TURN transactions short enough for SIPS_ICE_GATHER_TIMEOUT_MS
   * (200 + 400 + 800 ms) */
  g_object_set (self->nice, "ice-tcp", FALSE, "upnp", FALSE, "controlling-mode", config->controlling,
                "stun-max-retransmissions", 3, "stun-initial-timeout", 200, NULL);
  nice_agent_add_local_address (self->nice, &address);
  self->stream_id = nice_agent_add_stream (self->nice, N_COMPONENTS);
  if (self->stream_id == 0)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot create an ICE stream"));
      return NULL;
    }
  nice_agent_set_stream_name (self->nice, self->stream_id, "audio");
  /* libnice reads its sockets (STUN answers, checks) only where a receiver is attached:
   * here until the pipeline's SipsSocketSrc takes them over with its own */
  for (guint c = 1; c <= N_COMPONENTS; c++)
    nice_agent_attach_recv (self->nice, self->stream_id, c, g_main_context_get_thread_default (),
                            on_early_data, NULL);
  if (config->port_min > 0 && config->port_max >= config->port_min)
    for (guint c = 1; c <= N_COMPONENTS; c++)
      nice_agent_set_port_range (self->nice, self->stream_id, c, config->port_min, config->port_max);
  g_signal_connect (self->nice, "candidate-gathering-done", G_CALLBACK (on_gathering_done), self);
  g_signal_connect (self->nice, "component-state-changed", G_CALLBACK (on_component_state), self);

  if (config->stun_address != NULL && *config->stun_address != '\0')
    {
      self->stun_host = g_strdup (config->stun_address);
      self->stun_port = config->stun_port;
      if (g_hostname_is_ip_address (self->stun_host))
        g_object_set (self->nice, "stun-server", self->stun_host, "stun-server-port", self->stun_port, NULL);
      else
        resolve (self, self->stun_host, FALSE);
    }
  if (config->turn_address != NULL && *config->turn_address != '\0')
    {
      self->turn_host = g_strdup (config->turn_address);
      self->turn_port = config->turn_port;
      self->turn_type = relay_type (config->turn_transport);
      self->turn_username = g_strdup (config->turn_username != NULL ? config->turn_username : "");
      self->turn_password = g_strdup (config->turn_password != NULL ? config->turn_password : "");
      if (!g_hostname_is_ip_address (self->turn_host))
        resolve (self, self->turn_host, TRUE);
    }
  self->gather_timeout = g_timeout_source_new (SIPS_ICE_GATHER_TIMEOUT_MS);
  g_source_set_callback (self->gather_timeout, on_gather_timeout, self, NULL);
  g_source_attach (self->gather_timeout, g_main_context_get_thread_default ());
  start_gathering (self);
  return g_steal_pointer (&self);
}

gboolean
sips_ice_agent_get_gathered (SipsIceAgent *self)
{
  return self->gathered;
}

void
sips_ice_agent_get_credentials (SipsIceAgent *self, char **ufrag, char **pwd)
{
  nice_agent_get_local_credentials (self->nice, self->stream_id, ufrag, pwd);
}

char *
sips_ice_agent_get_sdp_lines (SipsIceAgent *self)
{
  GString *lines = g_string_new (NULL);
  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;

  sips_ice_agent_get_credentials (self, &ufrag, &pwd);
  g_string_append_printf (lines, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd);
  for (guint c = 1; c <= N_COMPONENTS; c++)
    {
      GSList *candidates = nice_agent_get_local_candidates (self->nice, self->stream_id, c);

      for (GSList *l = candidates; l != NULL; l = l->next)
        {
          g_autofree char *line = nice_agent_generate_local_candidate_sdp (self->nice, l->data);

          if (line != NULL)
            g_string_append_printf (lines, "%s\r\n", line);
        }
      g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
    }
  return g_string_free (lines, FALSE);
}

gboolean
sips_ice_agent_get_default (SipsIceAgent *self, guint component, char **address, guint *port)
{
  NiceCandidate *candidate = nice_agent_get_default_local_candidate (self->nice, self->stream_id,
                                                                     component);
  char text[NICE_ADDRESS_STRING_LEN];

  if (candidate == NULL)
    return FALSE;
  nice_address_to_string (&candidate->addr, text);
  *address = g_strdup (text);
  *port = nice_address_get_port (&candidate->addr);
  nice_candidate_free (candidate);
  return TRUE;
}

gint
sips_ice_agent_set_remote (SipsIceAgent *self, const char *ufrag, const char *pwd,
                           const char * const *candidates, GError **error)
{
  GSList *per_component[N_COMPONENTS + 1] = { NULL };
  gint usable = 0;

  if (ufrag == NULL || pwd == NULL || *ufrag == '\0' || *pwd == '\0')
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("The ICE attributes lack a=ice-ufrag or a=ice-pwd"));
      return -1;
    }
  if (!nice_agent_set_remote_credentials (self->nice, self->stream_id, ufrag, pwd))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("The ICE credentials are not usable"));
      return -1;
    }
  for (gsize i = 0; candidates != NULL && candidates[i] != NULL; i++)
    {
      g_autofree char *line = g_strconcat ("a=candidate:", candidates[i], NULL);
      NiceCandidate *candidate = nice_agent_parse_remote_candidate_sdp (self->nice, self->stream_id, line);

      if (candidate == NULL || candidate->component_id < 1 || candidate->component_id > N_COMPONENTS ||
          candidate->transport != NICE_CANDIDATE_TRANSPORT_UDP ||
          nice_address_get_port (&candidate->addr) == 0)
        {
          g_message ("ICE: ignoring the candidate line “%s”", candidates[i]);
          if (candidate != NULL)
            nice_candidate_free (candidate);
          continue;
        }
      per_component[candidate->component_id] = g_slist_append (per_component[candidate->component_id], candidate);
    }
  for (guint c = 1; c <= N_COMPONENTS; c++)
    {
      if (per_component[c] != NULL)
        {
          gint added = nice_agent_set_remote_candidates (self->nice, self->stream_id, c, per_component[c]);

          if (c == 1 && added > 0)
            usable += added;
        }
      g_slist_free_full (per_component[c], (GDestroyNotify) nice_candidate_free);
    }
  return usable;
}

gboolean
sips_ice_agent_restart (SipsIceAgent *self)
{
  self->succeeded = self->failed = self->forced = FALSE;
  return nice_agent_restart_stream (self->nice, self->stream_id);
}

void
sips_ice_agent_set_controlling (SipsIceAgent *self, gboolean controlling)
{
  g_object_set (self->nice, "controlling-mode", controlling, NULL);
}

void
sips_ice_agent_force_remote (SipsIceAgent *self, const char *address, guint rtp_port, guint rtcp_port)
{
  self->forced = TRUE;
  for (guint c = 1; c <= N_COMPONENTS; c++)
    {
      NiceCandidate *candidate = nice_candidate_new (NICE_CANDIDATE_TYPE_HOST);

      candidate->component_id = c;
      candidate->stream_id = self->stream_id;
      candidate->transport = NICE_CANDIDATE_TRANSPORT_UDP;
      if (nice_address_set_from_string (&candidate->addr, address))
        {
          nice_address_set_port (&candidate->addr, c == 1 ? rtp_port : rtcp_port);
          if (!nice_agent_set_selected_remote_candidate (self->nice, self->stream_id, c, candidate))
            g_message ("ICE: cannot send to %s:%u", address, c == 1 ? rtp_port : rtcp_port);
        }
      nice_candidate_free (candidate);
    }
}

gboolean
sips_ice_agent_get_selected (SipsIceAgent *self, const char **local_type, const char **remote_type,
                             char **remote_address, guint *remote_port)
{
  NiceCandidate *local = NULL, *remote = NULL;
  char text[NICE_ADDRESS_STRING_LEN];

  if (!nice_agent_get_selected_pair (self->nice, self->stream_id, 1, &local, &remote))
    return FALSE;
  if (local_type != NULL)
    *local_type = nice_candidate_type_to_string (local->type);
  if (remote_type != NULL)
    *remote_type = nice_candidate_type_to_string (remote->type);
  if (remote_address != NULL)
    {
      nice_address_to_string (&remote->addr, text);
      *remote_address = g_strdup (text);
    }
  if (remote_port != NULL)
    *remote_port = nice_address_get_port (&remote->addr);
  return TRUE;
}

gboolean
sips_ice_agent_get_selected_local (SipsIceAgent *self, guint component, char **address, guint *port)
{
  NiceCandidate *local = NULL, *remote = NULL;
  char text[NICE_ADDRESS_STRING_LEN];

  if (!nice_agent_get_selected_pair (self->nice, self->stream_id, component, &local, &remote))
    return FALSE;
  /* a relayed candidate sends from its base but is reached at its relayed address */
  nice_address_to_string (&local->addr, text);
  *address = g_strdup (text);
  *port = nice_address_get_port (&local->addr);
  return TRUE;
}

gboolean
sips_ice_agent_get_controlling (SipsIceAgent *self)
{
  gboolean controlling = FALSE;

  g_object_get (self->nice, "controlling-mode", &controlling, NULL);
  return controlling;
}

gboolean
sips_ice_agent_selected_is_default (SipsIceAgent *self, const char *remote_address, guint remote_port)
{
  NiceCandidate *local = NULL, *remote = NULL;
  g_autofree char *address = NULL;
  guint port = 0;
  char text[NICE_ADDRESS_STRING_LEN];

  if (!nice_agent_get_selected_pair (self->nice, self->stream_id, 1, &local, &remote) ||
      !sips_ice_agent_get_default (self, 1, &address, &port))
    return TRUE;
  if (nice_address_get_port (&local->addr) != port)
    return FALSE;
  nice_address_to_string (&local->addr, text);
  if (g_strcmp0 (text, address) != 0)
    return FALSE;
  nice_address_to_string (&remote->addr, text);
  return g_strcmp0 (text, remote_address) == 0 && nice_address_get_port (&remote->addr) == remote_port;
}

char *
sips_ice_agent_remote_candidates (SipsIceAgent *self)
{
  GString *value = g_string_new (NULL);

  for (guint c = 1; c <= N_COMPONENTS; c++)
    {
      NiceCandidate *local = NULL, *remote = NULL;
      char text[NICE_ADDRESS_STRING_LEN];

      if (!nice_agent_get_selected_pair (self->nice, self->stream_id, c, &local, &remote))
        continue;
      nice_address_to_string (&remote->addr, text);
      g_string_append_printf (value, "%s%u %s %u", value->len > 0 ? " " : "", c, text,
                              nice_address_get_port (&remote->addr));
    }
  if (value->len == 0)
    {
      g_string_free (value, TRUE);
      return NULL;
    }
  return g_string_free (value, FALSE);
}

GObject *
sips_ice_agent_get_nice (SipsIceAgent *self)
{
  return G_OBJECT (self->nice);
}

guint
sips_ice_agent_get_stream_id (SipsIceAgent *self)
{
  return self->stream_id;
}

/* ---- the module's entry point (sips-ice-module.h) ---- */

static SipsIceModule module = {
  .abi = SIPS_ICE_MODULE_ABI,
  .get_type = sips_ice_agent_get_type,
  .new_agent = sips_ice_agent_new,
  .get_gathered = sips_ice_agent_get_gathered,
  .get_sdp_lines = sips_ice_agent_get_sdp_lines,
  .get_default = sips_ice_agent_get_default,
  .get_credentials = sips_ice_agent_get_credentials,
  .set_remote = sips_ice_agent_set_remote,
  .restart = sips_ice_agent_restart,
  .set_controlling = sips_ice_agent_set_controlling,
  .force_remote = sips_ice_agent_force_remote,
  .get_selected = sips_ice_agent_get_selected,
  .get_selected_local = sips_ice_agent_get_selected_local,
  .get_controlling = sips_ice_agent_get_controlling,
  .selected_is_default = sips_ice_agent_selected_is_default,
  .remote_candidates = sips_ice_agent_remote_candidates,
  .get_nice = sips_ice_agent_get_nice,
  .get_stream_id = sips_ice_agent_get_stream_id,
};

G_MODULE_EXPORT const SipsIceModule *sips_ice_module_get (void);

const SipsIceModule *
sips_ice_module_get (void)
{
  /* Looked up in libnice itself: a plain reference would bind to the first definition in
   * the global scope (the loader's forwarder, or sofia-sip's unrelated function). */
  if (module.stun_message_length == NULL)
    {
      Dl_info info;
      void *nice = NULL;

      if (dladdr ((void *) nice_agent_new, &info) != 0 && info.dli_fname != NULL)
        nice = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
      if (nice != NULL)
        module.stun_message_length = (uint16_t (*) (const void *)) dlsym (nice, "stun_message_length");
      if (module.stun_message_length == NULL)
        return NULL;
      /* libnice stays loaded with the module: the handle's reference is never dropped. */
    }
  return &module;
}
