/* sips-sip-agent.c: sofia-sip on the GLib main loop; the nua agent and its transports
 *
 * sofia runs single-threaded on the default GMainContext (su_root_threading off), so
 * nua_create() binds synchronously and its result can be checked at once.
 *
 * Transports: nua_create() accepts two bind URLs (NUTAG_URL and NUTAG_SIPS_URL; each may
 * be any sip:/sips: URL with a ;transport=). UDP and TCP on one port fit in one URL
 * ("sip:H:P" binds both; a ";transport=udp,tcp" list crashes Debian's sofia 1.12.11);
 * otherwise each needs its own URL, and UDP + TCP + TLS on three different ports need a
 * third, which sofia only adds through
 * nua_stack_init_transport() (exported, used by nua itself on network changes; safe
 * here because the stack runs in our thread). Transports cannot be changed on a running
 * nua (nua_set_params ignores NUTAG_URL), so a change recreates the nua.
 *
 * With every transport off the agent still exists (outgoing-only): it binds UDP and TCP
 * on an ephemeral port of the listen address, which is not reported as listening.
 *
 * A rebind never iterates the GLib main context (no D-Bus or SIP callback may run inside
 * a Settings write): the owners of the old nua's handles destroy them ("nua-closing"),
 * so nua_shutdown has nothing to wait for, and the su_msg queue that carries the
 * shutdown request and its answer is drained directly (su_base_port_getmsgs), which runs
 * sofia's messages only. Sofia 1.12.11 cannot rebind transports in place (the nta agent
 * of a nua is not reachable, a primary tport cannot be removed), so every call ends. */
#include "sips-sip-agent-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "core/sips-tls-cert.h"

/* Exported by libsofia-sip-ua but not in its public headers (see above). */
extern int nua_stack_init_transport (nua_t *nua, tagi_t const *tags);
/* Ditto: runs the messages queued on a port, what su_glib's GSource dispatch does first */
extern int su_base_port_getmsgs (su_port_t *port);

#define SHUTDOWN_TIMEOUT_MS        5000
/* rounds of queued sofia messages a synchronous nua shutdown may take */
#define CLOSE_MAX_ROUNDS           32
/* The methods we take (nua's default list; MESSAGE: pager mode) */
#define SIPS_SIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, MESSAGE, SUBSCRIBE, NOTIFY, REFER, UPDATE"
/* Hostile stream peers: a message larger than a UDP datagram could carry is refused
 * (413, connection closed; sofia's default is 2 MB), and one that stays incomplete
 * this long is dropped (default: never). */
#define SIPS_SIP_MAX_MESSAGE      65535
#define SIPS_SIP_RECV_TIMEOUT_MS  10000

/* ---- properties ---- */

enum {
  PROP_0,
  PROP_LISTENING_URIS,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---- signals ---- */

enum {
  SIGNAL_NUA_EVENT,
  SIGNAL_NUA_CLOSING,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsSipAgent, sips_sip_agent, G_TYPE_OBJECT)

static gboolean on_shutdown_idle (gpointer user_data);

/* ---- private helpers: sofia logs ---- */

static GMutex log_mutex;
static GString *log_line;

/* The message trace (TPORT_LOG) shows SDP: SRTP keys (a=crypto ... inline:KEY) are
 * secrets, masked in place (same length: the rest of the line stays as it was). */
static void
mask_crypto_keys (char *line)
{
  char *p = line;

  if (strstr (line, "crypto:") == NULL)
    return;
  while ((p = strstr (p, "inline:")) != NULL)
    for (p += strlen ("inline:"); *p != '\0' && *p != '|' && !g_ascii_isspace (*p); p++)
      *p = '*';
}

/* sofia logs in fragments: forward whole lines only */
static void
on_sofia_log (void *stream, char const *fmt, va_list ap)
{
  char *nl;

  g_mutex_lock (&log_mutex);
  if (log_line == NULL)
    log_line = g_string_new (NULL);
  g_string_append_vprintf (log_line, fmt, ap);
  while ((nl = strchr (log_line->str, '\n')) != NULL)
    {
      *nl = '\0';
      mask_crypto_keys (log_line->str);
      if (log_line->str[0] != '\0')
        g_debug ("sofia: %s", log_line->str);
      g_string_erase (log_line, 0, nl - log_line->str + 1);
    }
  g_mutex_unlock (&log_mutex);
}

/* ---- private helpers: transports ---- */

/* Prepares the certificate directory for set->tls: a configured certificate is copied
 * to its own directory so that it never overwrites the generated one. */
gboolean
sips_sip_agent_prepare_tls (SipsSipAgent *self, SipsTransportSet *set, const char *certificate_file,
             const char *ca_file, GError **error)
{
  g_autofree char *dir = g_build_filename (self->state_dir,
                                           certificate_file[0] != '\0' ? "tls-custom" : "tls",
                                           NULL);

  g_clear_pointer (&set->cert_dir, g_free);
  if (!sips_tls_cert_prepare_dir (dir, certificate_file, ca_file, error))
    return FALSE;
  set->cert_dir = g_steal_pointer (&dir);
  return TRUE;
}

/* ---- private helpers: nua ---- */

static void
on_nua_event (nua_event_t   event,
              int           status,
              char const   *phrase,
              nua_t        *nua,
              AgentLink    *link,
              nua_handle_t *nh,
              void         *hmagic,
              sip_t const  *sip,
              tagi_t        tags[])
{
  SipsSipAgent *self = link != NULL ? link->agent : NULL;
  gboolean handled = FALSE;

  if (event == nua_r_shutdown)
    {
      g_debug ("nua shutdown: %d %s", status, phrase);
      if (self != NULL && nua == self->closing_nua && status >= 200)
        {
          self->closing_done = TRUE;
          /* nua must not be destroyed from inside its own callback */
          if (self->shutdown_task != NULL && self->shutdown_idle_id == 0)
            self->shutdown_idle_id = g_idle_add (on_shutdown_idle, self);
          else if (self->rebind_pending && self->shutdown_idle_id == 0)
            self->shutdown_idle_id = g_idle_add (sips_sip_agent_on_rebind_idle, self);
        }
      return;
    }

  /* a late event of a nua that is being replaced or shut down */
  if (self == NULL || nua != self->nua)
    return;

  g_debug ("nua event %s: %d %s", nua_event_name (event), status, phrase ? phrase : "");
  if (hmagic != NULL)
    {
      SipsNuaOwner *owner = hmagic;

      owner->func (owner->owner, event, status, phrase, nh, sip, tags);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_NUA_EVENT], 0, (int) event, status, phrase,
                 (gpointer) nh, (gpointer) sip, (gpointer) tags, &handled);
  if (handled || nh == NULL || !nua_event_is_incoming_request (event))
    return;

  /* An incoming request nobody took: answer it if nua has not, and drop the handle */
  if (status < 200)
    {
      if (event == nua_i_invite)
        nua_respond (nh, SIP_480_TEMPORARILY_UNAVAILABLE, NUTAG_WITH_THIS (nua), TAG_END ());
      else
        nua_respond (nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS (nua), TAG_END ());
    }
  if (nh != nua_default (nua))
    nua_handle_destroy (nh);
}

/* SO_RCVBUF of the UDP transport (the kernel caps it at net.core.rmem_max). */
#define UDP_RECEIVE_BUFFER (2 * 1024 * 1024)

/* Creates a nua bound to set, or NULL. */
static nua_t *
create_nua (SipsSipAgent *self, const SipsTransportSet *set)
{
  g_autofree char *host = sips_transport_set_url_host (set);
  g_autoptr(GPtrArray) plain = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *tls_url = NULL;
  const char *user_agent = sips_config_section_get_string (self->settings, "UserAgent");
  const char *slot1 = NULL, *slot2 = NULL, *slot3 = NULL;
  const char *t1 = g_getenv ("SIPSIMPLED_SIP_T1_MS");
  tagi_t tags[20];
  guint n = 0;
  nua_t *nua;

  if (set->udp != 0 && set->udp == set->tcp)
    g_ptr_array_add (plain, g_strdup_printf ("sip:%s:%u", host, set->udp));
  else
    {
      if (set->udp != 0)
        g_ptr_array_add (plain, g_strdup_printf ("sip:%s:%u;transport=udp", host, set->udp));
      if (set->tcp != 0)
        g_ptr_array_add (plain, g_strdup_printf ("sip:%s:%u;transport=tcp", host, set->tcp));
    }
  if (set->tls != 0)
    tls_url = g_strdup_printf ("sips:%s:%u;transport=tls", host, set->tls);
  if (plain->len == 0 && tls_url == NULL)
    g_ptr_array_add (plain, g_strdup_printf ("sip:%s:*", host));

  if (plain->len > 0)
    slot1 = plain->pdata[0];
  if (tls_url != NULL)
    slot2 = tls_url;
  else if (plain->len > 1)
    slot2 = plain->pdata[1];
  if (tls_url != NULL && plain->len > 1)
    slot3 = plain->pdata[1];

  g_debug ("Creating nua on %s %s %s", slot1 ? slot1 : "", slot2 ? slot2 : "",
           slot3 ? slot3 : "");

  tags[n++] = (tagi_t) { NUTAG_USER_AGENT (user_agent != NULL ? user_agent : "sipsimpled") };
  tags[n++] = (tagi_t) { NUTAG_AUTOANSWER (0) };
  tags[n++] = (tagi_t) { NUTAG_AUTOALERT (0) };
  tags[n++] = (tagi_t) { NUTAG_AUTOACK (1) };
  tags[n++] = (tagi_t) { NUTAG_MEDIA_ENABLE (1) };
  tags[n++] = (tagi_t) { NUTAG_ENABLEMESSAGE (1) };
  /* room for bursts: a presence change makes the server send one NOTIFY per
   * subscription at once, and a full UDP buffer drops them (T1 retransmissions) */
  tags[n++] = (tagi_t) { TPTAG_UDP_RMEM (UDP_RECEIVE_BUFFER) };
  /* MESSAGE is answered by pager mode once it has reported it (nua would answer 200
   * before anyone has seen it) */
  tags[n++] = (tagi_t) { NUTAG_APPL_METHOD ("MESSAGE") };
  tags[n++] = (tagi_t) { SIPTAG_ALLOW_STR (SIPS_SIP_ALLOW) };
  tags[n++] = (tagi_t) { NTATAG_MAXSIZE (SIPS_SIP_MAX_MESSAGE) };
  tags[n++] = (tagi_t) { TPTAG_TIMEOUT (SIPS_SIP_RECV_TIMEOUT_MS) };
  /* tests only (sipsimpled(8)): a short RFC 3261 T1 makes transactions time out fast */
  if (t1 != NULL && g_ascii_strtoull (t1, NULL, 10) > 0 && g_ascii_strtoull (t1, NULL, 10) <= 500)
    {
      unsigned ms = (unsigned) g_ascii_strtoull (t1, NULL, 10);

      tags[n++] = (tagi_t) { NTATAG_SIP_T1 (ms) };
      tags[n++] = (tagi_t) { NTATAG_SIP_T1X64 (64 * ms) };
    }
  if (slot1 != NULL)
    tags[n++] = (tagi_t) { NUTAG_URL (slot1) };
  if (slot2 != NULL)
    tags[n++] = (tagi_t) { NUTAG_SIPS_URL (slot2) };
  if (set->tls != 0)
    {
      tags[n++] = (tagi_t) { NUTAG_CERTIFICATE_DIR (set->cert_dir) };
      tags[n++] = (tagi_t) { TPTAG_TLS_VERIFY_POLICY (set->verify_server
                                                      ? TPTLS_VERIFY_SUBJECTS_OUT
                                                      : TPTLS_VERIFY_NONE) };
    }
  tags[n++] = (tagi_t) { TAG_END () };
  g_assert (n <= G_N_ELEMENTS (tags));

  nua = nua_create (self->root, on_nua_event, self->link, TAG_NEXT (tags));
  if (nua == NULL)
    return NULL;

  if (slot3 != NULL)
    {
      tagi_t more[] = { { NUTAG_URL (slot3) }, { TAG_END () } };

      if (nua_stack_init_transport (nua, more) < 0)
        {
          g_debug ("Binding %s failed", slot3);
          self->closing_nua = nua;
          self->closing_done = FALSE;
          if (!sips_sip_agent_close_nua_now (self))
            g_warning ("SIP stack did not shut down; leaking it");
          return NULL;
        }
    }
  return nua;
}

/* Shuts closing_nua down without iterating the main context: its handles are gone
 * ("nua-closing"), so only sofia's queued messages (the shutdown request, its answer) need
 * to run. TRUE when it is destroyed; FALSE when something in it still waits for the
 * network: then nua_r_shutdown comes later (nua gives up after 30 s) and the caller
 * finishes from there. */
gboolean
sips_sip_agent_close_nua_now (SipsSipAgent *self)
{
  su_port_t *port = su_root_task (self->root)->sut_port;

  if (self->closing_nua == NULL)
    return TRUE;
  g_signal_emit (self, signals[SIGNAL_NUA_CLOSING], 0, (gpointer) self->closing_nua);
  nua_shutdown (self->closing_nua);
  for (guint i = 0; i < CLOSE_MAX_ROUNDS && !self->closing_done; i++)
    if (su_base_port_getmsgs (port) <= 0)
      break;
  if (!self->closing_done)
    {
      g_debug ("nua shutdown waits for the network");
      return FALSE;
    }
  g_clear_handle_id (&self->shutdown_idle_id, g_source_remove);
  nua_destroy (self->closing_nua);
  self->closing_nua = NULL;
  self->closing_done = FALSE;
  return TRUE;
}

/* Binds set (ports already checked). On failure nothing is running. */
gboolean
sips_sip_agent_bind_transports (SipsSipAgent *self, const SipsTransportSet *set)
{
  nua_t *nua = create_nua (self, set);

  if (nua == NULL)
    return FALSE;
  self->nua = nua;
  sips_transport_set_copy (&self->current, set);
  return TRUE;
}

/* force: notify even if the URIs stay the same (a new nua: its users must know) */
void
sips_sip_agent_update_listening_uris (SipsSipAgent *self, gboolean force)
{
  g_auto(GStrv) uris = NULL;

  if (self->nua != NULL)
    uris = sips_transport_set_uris (&self->current);
  else
    uris = g_new0 (char *, 1);

  if (!force && self->listening_uris != NULL &&
      g_strv_equal ((const char * const *) uris, (const char * const *) self->listening_uris))
    return;
  g_strfreev (self->listening_uris);
  self->listening_uris = g_steal_pointer (&uris);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING_URIS]);
}

static void
stop_root (SipsSipAgent *self)
{
  if (self->root == NULL || self->stack_leaked)
    return;
  g_source_destroy (self->root_source);
  self->root_source = NULL;
  su_root_destroy (self->root);
  self->root = NULL;
  su_deinit ();
}

/* ---- GObject vfuncs ---- */

static void
sips_sip_agent_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsSipAgent *self = SIPS_SIP_AGENT (object);

  switch (prop_id)
    {
    case PROP_LISTENING_URIS:
      g_value_set_boxed (value, self->listening_uris);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_sip_agent_dispose (GObject *object)
{
  SipsSipAgent *self = SIPS_SIP_AGENT (object);

  /* Normally shutdown_async did all this; a bounded synchronous teardown otherwise */
  if (self->closing_nua != NULL)
    {
      g_warning ("SIP stack did not shut down in time; leaking it");
      self->stack_leaked = TRUE;
      self->closing_nua = NULL;
    }
  if (self->nua != NULL)
    {
      self->closing_nua = self->nua;
      self->closing_done = FALSE;
      self->nua = NULL;
      if (!sips_sip_agent_close_nua_now (self))
        {
          g_warning ("SIP stack did not shut down in time; leaking it");
          self->stack_leaked = TRUE;
        }
    }
  g_clear_handle_id (&self->shutdown_idle_id, g_source_remove);
  stop_root (self);
  self->link->agent = NULL;
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sips_sip_agent_parent_class)->dispose (object);
}

static void
sips_sip_agent_finalize (GObject *object)
{
  SipsSipAgent *self = SIPS_SIP_AGENT (object);

  if (!self->stack_leaked)
    g_free (self->link);
  sips_transport_set_clear (&self->current);
  sips_transport_set_clear (&self->pending);
  sips_transport_set_clear (&self->fallback);
  g_strfreev (self->listening_uris);
  g_free (self->state_dir);

  G_OBJECT_CLASS (sips_sip_agent_parent_class)->finalize (object);
}

static void
sips_sip_agent_class_init (SipsSipAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sips_sip_agent_get_property;
  object_class->dispose = sips_sip_agent_dispose;
  object_class->finalize = sips_sip_agent_finalize;

  properties[PROP_LISTENING_URIS] =
    g_param_spec_boxed ("listening-uris", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* gboolean (*nua_event) (SipsSipAgent *, int event, int status, const char *phrase,
   *                        gpointer nua_handle, gpointer sip, gpointer tags, gpointer):
   * every nua event of the current agent (except nua_r_shutdown). Return TRUE when the
   * event is yours; an unhandled incoming request on a handle nobody bound
   * (nua_handle_bind) is answered (INVITE 480, others 501 unless nua did) and its handle
   * destroyed. */
  signals[SIGNAL_NUA_EVENT] =
    g_signal_new ("nua-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_true_handled, NULL, NULL,
                  G_TYPE_BOOLEAN, 6, G_TYPE_INT, G_TYPE_INT, G_TYPE_STRING,
                  G_TYPE_POINTER, G_TYPE_POINTER, G_TYPE_POINTER);

  /* void (*nua_closing) (SipsSipAgent *, gpointer nua, gpointer): nua is about to be
   * shut down (rebind or shutdown); owners destroy their handles now, so that the
   * shutdown need not wait for them. Its events are no longer delivered. */
  signals[SIGNAL_NUA_CLOSING] =
    g_signal_new ("nua-closing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
sips_sip_agent_init (SipsSipAgent *self)
{
  self->listening_uris = g_new0 (char *, 1);
  self->link = g_new0 (AgentLink, 1);
  self->link->agent = self;
}

/* ---- public API ---- */

SipsSipAgent *
sips_sip_agent_new (SipsConfigSection *settings, const char *state_dir)
{
  SipsSipAgent *self;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (settings), NULL);
  g_return_val_if_fail (state_dir != NULL, NULL);

  self = g_object_new (SIPS_TYPE_SIP_AGENT, NULL);
  self->settings = g_object_ref (settings);
  self->state_dir = g_strdup (state_dir);
  return self;
}

gboolean
sips_sip_agent_start (SipsSipAgent *self, GError **error)
{
  SipsTransportSet set = { NULL };
  g_autofree char *certificate_file = NULL;
  g_autofree char *ca_file = NULL;
  const char *host;

  g_return_val_if_fail (SIPS_IS_SIP_AGENT (self), FALSE);
  g_return_val_if_fail (self->root == NULL, FALSE);

  su_init ();
  su_random ();  /* seeds sofia's generator before anything draws from it */
  su_log_redirect (NULL, on_sofia_log, NULL);

  self->root = su_glib_root_create (NULL);
  if (self->root == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot start the SIP stack"));
      su_deinit ();
      return FALSE;
    }
  su_root_threading (self->root, 0);  /* nua in our thread: binding is synchronous */
  self->root_source = su_glib_root_gsource (self->root);
  /* A blocked source has its descriptors taken out of the poll during each dispatch and
   * put back after, and each of these signals the context's wakeup: with sofia's dozen
   * descriptors that was three eventfd writes per dispatch (about 60 per call).
   * Nothing runs the main loop from inside sofia's callbacks, so no recursion happens. */
  g_source_set_can_recurse (self->root_source, TRUE);
  g_source_attach (self->root_source, NULL);

  sips_transport_set_read (self->settings, NULL, NULL, &set, &certificate_file, &ca_file);
  host = sips_transport_set_bind_host (&set);

  /* A busy port is not fatal: that transport stays off */
  if (set.udp != 0 && !sips_transport_port_is_free (host, G_SOCKET_TYPE_DATAGRAM, set.udp, NULL))
    {
      g_warning ("SIP UDP port %u on %s is in use; UDP stays off", set.udp, host);
      set.udp = 0;
    }
  if (set.tcp != 0 && !sips_transport_port_is_free (host, G_SOCKET_TYPE_STREAM, set.tcp, NULL))
    {
      g_warning ("SIP TCP port %u on %s is in use; TCP stays off", set.tcp, host);
      set.tcp = 0;
    }
  if (set.tls != 0 &&
      (set.tls == set.tcp || !sips_transport_port_is_free (host, G_SOCKET_TYPE_STREAM, set.tls, NULL)))
    {
      g_warning ("SIP TLS port %u on %s is in use; TLS stays off", set.tls, host);
      set.tls = 0;
    }
  if (set.tls != 0)
    {
      g_autoptr(GError) local_error = NULL;

      if (!sips_sip_agent_prepare_tls (self, &set, certificate_file, ca_file, &local_error))
        {
          g_warning ("TLS stays off: %s", local_error->message);
          set.tls = 0;
        }
    }

  if (!sips_sip_agent_bind_transports (self, &set))
    {
      SipsTransportSet fallback = { .address = g_strdup (set.address) };

      /* e.g. a port taken between the check and the bind, or broken TLS material */
      g_warning ("SIP transports could not be bound; the agent is outgoing-only");
      if (!sips_sip_agent_bind_transports (self, &fallback))
        {
          sips_transport_set_clear (&fallback);
          sips_transport_set_clear (&set);
          stop_root (self);
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot start the SIP stack"));
          return FALSE;
        }
      sips_transport_set_clear (&fallback);
    }
  sips_transport_set_clear (&set);
  sips_sip_agent_update_listening_uris (self, FALSE);
  return TRUE;
}

const char * const *
sips_sip_agent_get_listening_uris (SipsSipAgent *self)
{
  g_return_val_if_fail (SIPS_IS_SIP_AGENT (self), NULL);

  return (const char * const *) self->listening_uris;
}

char *
sips_sip_agent_contact_for (SipsSipAgent *self, const char *transport, const char *user)
{
  const SipsTransportSet *set;
  g_autofree char *host = NULL;
  g_autofree char *escaped = NULL;
  const char *scheme = "sip";
  guint port;

  g_return_val_if_fail (SIPS_IS_SIP_AGENT (self), NULL);

  if (self->nua == NULL)
    return NULL;
  set = &self->current;
  if (transport == NULL || g_ascii_strcasecmp (transport, "udp") == 0)
    transport = "udp", port = set->udp;
  else if (g_ascii_strcasecmp (transport, "tcp") == 0)
    transport = "tcp", port = set->tcp;
  else if (g_ascii_strcasecmp (transport, "tls") == 0)
    transport = "tls", port = set->tls, scheme = "sips";
  else
    return NULL;
  /* off, or a wildcard that names no address the peer could reach */
  if (port == 0 || set->address == NULL || set->address[0] == '\0' ||
      g_str_equal (set->address, "0.0.0.0") || g_str_equal (set->address, "::"))
    return NULL;

  host = sips_transport_set_url_host (set);
  if (user != NULL && *user != '\0')
    escaped = g_uri_escape_string (user, "-_.!~*'()&=+$,;?/%", FALSE);  /* may come escaped */
  return g_strdup_printf ("<%s:%s%s%s:%u;transport=%s>", scheme,
                          escaped != NULL ? escaped : "", escaped != NULL ? "@" : "",
                          host, port, transport);
}

gpointer
sips_sip_agent_get_nua (SipsSipAgent *self)
{
  g_return_val_if_fail (SIPS_IS_SIP_AGENT (self), NULL);

  return self->nua;
}

static void
finish_shutdown (SipsSipAgent *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_idle_id, g_source_remove);
  if (self->closing_done)
    {
      nua_destroy (self->closing_nua);
      self->closing_done = FALSE;
    }
  else
    {
      g_warning ("SIP stack did not shut down in time; leaking it");
      self->stack_leaked = TRUE;
    }
  self->closing_nua = NULL;
  stop_root (self);
  sips_sip_agent_update_listening_uris (self, FALSE);
  g_task_return_boolean (task, TRUE);
}

/* nua must not be destroyed from inside its own callback: finish from an idle */
static gboolean
on_shutdown_idle (gpointer user_data)
{
  SipsSipAgent *self = user_data;

  self->shutdown_idle_id = 0;
  finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_shutdown_timeout (gpointer user_data)
{
  SipsSipAgent *self = user_data;

  self->shutdown_timeout_id = 0;
  finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

void
sips_sip_agent_shutdown_async (SipsSipAgent        *self,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SIPS_IS_SIP_AGENT (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, sips_sip_agent_shutdown_async);
  if (self->shutdown_task != NULL)
    {
      g_task_return_new_error (task, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                               _("The SIP stack is already shutting down"));
      return;
    }
  if (self->rebind_pending)
    {
      /* the old nua of a rebind is still shutting down: finish with it */
      self->rebind_pending = FALSE;
      self->shutdown_task = g_steal_pointer (&task);
      self->shutdown_timeout_id = g_timeout_add (SHUTDOWN_TIMEOUT_MS, on_shutdown_timeout, self);
      g_clear_handle_id (&self->shutdown_idle_id, g_source_remove);  /* no rebind now */
      if (self->closing_done)
        self->shutdown_idle_id = g_idle_add (on_shutdown_idle, self);
      return;
    }
  if (self->nua == NULL)
    {
      stop_root (self);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* the task keeps self alive until finish_shutdown */
  self->shutdown_task = g_steal_pointer (&task);
  self->closing_nua = self->nua;
  self->closing_done = FALSE;
  self->nua = NULL;
  self->shutdown_timeout_id = g_timeout_add (SHUTDOWN_TIMEOUT_MS, on_shutdown_timeout, self);
  g_signal_emit (self, signals[SIGNAL_NUA_CLOSING], 0, (gpointer) self->closing_nua);
  nua_shutdown (self->closing_nua);
}

gboolean
sips_sip_agent_shutdown_finish (SipsSipAgent *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
