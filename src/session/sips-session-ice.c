/* sips-session-ice.c: a session's ICE for its audio stream (RFC 8839, RFC 8445)
 *
 * The offerer (UseIce on) makes an agent before its INVITE and is controlling; the
 * answerer makes one only for an offer with ICE (and UseIce on) and is controlled. Our
 * offer or answer waits for the candidates (at most SIPS_ICE_GATHER_TIMEOUT_MS). Our m-line
 * then carries the default candidate (relay over srflx over host) in c=/m=/a=rtcp and the
 * a=ice-ufrag, a=ice-pwd, a=candidate attributes, at media level. With an agent the media
 * always runs on the agent's sockets: a peer that answered without ICE, or checks that
 * failed, get a forced pair to the peer's c=/m= (plain RTP from our default candidate). */
#include "sips-session-ice.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#include "core/sips-error.h"
#include "media/sips-ice-agent.h"
#include "sips-sdp.h"

struct _SipsSessionIce {
  SipsSessionSip     *sip;
  SipsIceAgent       *agent;
  SipsSessionIceReady ready;         /* waiting for our candidates */
  gboolean            peer_known;    /* a remote SDP was read */
  gboolean            peer_ice;      /* ... and it had ICE */
  gboolean            active;        /* a pair is selected (not forced) */
  gboolean            updated;       /* our updated offer went for this selection */
  char               *remote_ufrag;
  char               *remote_pwd;
  char               *remote_address;  /* the peer's c=/m=/a=rtcp, for a forced pair */
  guint               remote_port;
  guint               remote_rtcp_port;
};

/* What one SDP's first audio m-line says about ICE. */
typedef struct {
  gboolean present;        /* any ICE attribute */
  char    *ufrag;          /* media level, else session level */
  char    *pwd;
  GStrv    candidates;     /* a=candidate values */
  gboolean remote_candidates;
} IceAttributes;

static void
ice_attributes_clear (IceAttributes *ice)
{
  g_free (ice->ufrag);
  g_free (ice->pwd);
  g_strfreev (ice->candidates);
  memset (ice, 0, sizeof *ice);
}

static void
read_attributes (sdp_attribute_t *list, IceAttributes *ice, GPtrArray *candidates)
{
  for (sdp_attribute_t *a = list; a != NULL; a = a->a_next)
    {
      if (a->a_name == NULL)
        continue;
      if (g_ascii_strcasecmp (a->a_name, "ice-ufrag") == 0 && a->a_value != NULL)
        {
          g_free (ice->ufrag);
          ice->ufrag = g_strdup (a->a_value);
          ice->present = TRUE;
        }
      else if (g_ascii_strcasecmp (a->a_name, "ice-pwd") == 0 && a->a_value != NULL)
        {
          g_free (ice->pwd);
          ice->pwd = g_strdup (a->a_value);
          ice->present = TRUE;
        }
      else if (g_ascii_strcasecmp (a->a_name, "candidate") == 0 && candidates != NULL)
        {
          g_ptr_array_add (candidates, g_strdup (a->a_value != NULL ? a->a_value : ""));
          ice->present = TRUE;
        }
      else if (g_ascii_strcasecmp (a->a_name, "remote-candidates") == 0)
        ice->remote_candidates = TRUE;
    }
}

static gboolean
parse_ice (const char *sdp, IceAttributes *ice)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sdp_parser_t *parser;
  sdp_session_t *session;
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);

  memset (ice, 0, sizeof *ice);
  if (sdp == NULL)
    return FALSE;
  parser = sdp_parse (home, sdp, (issize_t) strlen (sdp), 0);
  session = sdp_session (parser);
  if (session != NULL)
    {
      /* session-level credentials apply to every m-line without its own */
      read_attributes (session->sdp_attributes, ice, NULL);
      for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next)
        if (m->m_type == sdp_media_audio)
          {
            read_attributes (m->m_attributes, ice, candidates);
            break;
          }
    }
  sdp_parser_free (parser);
  su_home_deinit (home);
  g_ptr_array_add (candidates, NULL);
  ice->candidates = (GStrv) g_ptr_array_steal (candidates, NULL);
  return session != NULL;
}

/* A candidate line good enough to try (RFC 8839 5.1): the agent checks it again. */
static gboolean
candidate_plausible (const char *value)
{
  g_auto(GStrv) f = g_strsplit (value, " ", -1);
  guint64 component, priority, port;
  g_autoptr(GInetAddress) address = NULL;

  if (g_strv_length (f) < 8 || !g_str_equal (f[6], "typ"))
    return FALSE;
  if (!g_ascii_string_to_unsigned (f[1], 10, 1, 256, &component, NULL) ||
      !g_ascii_string_to_unsigned (f[3], 10, 1, G_MAXUINT32, &priority, NULL) ||
      !g_ascii_string_to_unsigned (f[5], 10, 1, 65535, &port, NULL) ||
      g_ascii_strcasecmp (f[2], "udp") != 0 ||
      (address = g_inet_address_new_from_string (f[4])) == NULL)
    return FALSE;
  return g_str_equal (f[7], "host") || g_str_equal (f[7], "srflx") || g_str_equal (f[7], "prflx") ||
         g_str_equal (f[7], "relay");
}

static SipsSession *
session_of (SipsSessionIce *self)
{
  return self->sip->session;
}

/* ---- agent events ---- */

static void
publish_local (SipsSessionIce *self)
{
  g_autofree char *address = NULL;
  guint port = 0;

  if (self->agent != NULL && sips_ice_agent_get_default (self->agent, 1, &address, &port))
    {
      sips_session_set_string_prop (session_of (self), "audio-local-rtp-address", address);
      sips_session_set_uint_prop (session_of (self), "audio-local-rtp-port", port);
    }
}

static void
on_gathered (SipsIceAgent *agent, gpointer user_data)
{
  SipsSessionIce *self = user_data;
  SipsSessionIceReady ready = self->ready;

  publish_local (self);
  self->ready = NULL;
  if (ready != NULL)
    ready (self->sip);
}

static void
on_succeeded (SipsIceAgent *agent, const char *local_type, const char *remote_type, gpointer user_data)
{
  SipsSessionIce *self = user_data;
  SipsSession *session = session_of (self);
  g_autofree char *local = NULL;
  guint local_port = 0;

  self->active = TRUE;
  g_object_freeze_notify (G_OBJECT (session));
  /* our RTP endpoint is now the selected local candidate, no longer the default one */
  if (sips_ice_agent_get_selected_local (agent, 1, &local, &local_port))
    {
      sips_session_set_string_prop (session, "audio-local-rtp-address", local);
      sips_session_set_uint_prop (session, "audio-local-rtp-port", local_port);
    }
  sips_session_set_boolean_prop (session, "audio-ice-active", TRUE);
  sips_session_set_string_prop (session, "audio-ice-local-candidate-type", local_type);
  sips_session_set_string_prop (session, "audio-ice-remote-candidate-type", remote_type);
  sips_session_ice_publish_received (self);
  g_object_thaw_notify (G_OBJECT (session));
  g_signal_emit_by_name (session, "ice-negotiation-did-succeed", g_get_real_time (), local_type, remote_type);

  /* RFC 8839 4.4.1.2: the controlling side re-offers when the selected pair is not what
   * c=/m= said, so that middleboxes see the real path */
  if (self->remote_address != NULL && !self->updated && sips_ice_agent_get_controlling (agent) &&
      !sips_ice_agent_selected_is_default (agent, self->remote_address, self->remote_port))
    {
      self->updated = TRUE;
      g_message ("Session %p: ICE selected other candidates than the default ones: updated offer",
                 (void *) session);
      if (!sips_session_reinvite_refresh_offer (self->sip))
        g_message ("Session %p: no updated offer (a re-INVITE is in progress)", (void *) session);
    }
}

static void
force_to_sdp (SipsSessionIce *self)
{
  if (self->remote_address == NULL || self->remote_port == 0)
    return;
  g_debug ("session %p: plain RTP to %s:%u", (void *) session_of (self), self->remote_address,
           self->remote_port);
  sips_ice_agent_force_remote (self->agent, self->remote_address, self->remote_port,
                               self->remote_rtcp_port > 0 ? self->remote_rtcp_port : self->remote_port + 1);
}

static void
set_inactive (SipsSessionIce *self)
{
  SipsSession *session = session_of (self);

  self->active = FALSE;
  sips_session_set_boolean_prop (session, "audio-ice-active", FALSE);
  sips_session_set_string_prop (session, "audio-ice-local-candidate-type", "");
  sips_session_set_string_prop (session, "audio-ice-remote-candidate-type", "");
}

static void
on_failed (SipsIceAgent *agent, const char *reason, gpointer user_data)
{
  SipsSessionIce *self = user_data;
  g_autofree char *why = g_strdup (reason);

  /* the session goes on with the SDP addresses */
  set_inactive (self);
  force_to_sdp (self);
  g_signal_emit_by_name (session_of (self), "ice-negotiation-did-fail", g_get_real_time (), why);
}

/* ---- public API ---- */

SipsSessionIce *
sips_session_ice_new (SipsSessionSip *sip)
{
  SipsSessionIce *self = g_new0 (SipsSessionIce, 1);

  self->sip = sip;
  return self;
}

void
sips_session_ice_stop (SipsSessionIce *self)
{
  self->ready = NULL;
  if (self->agent != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->agent, self);
      /* a stopping pipeline may still hold it: it goes with the last reference */
      g_clear_object (&self->agent);
    }
}

void
sips_session_ice_free (SipsSessionIce *self)
{
  if (self == NULL)
    return;
  sips_session_ice_stop (self);
  g_free (self->remote_ufrag);
  g_free (self->remote_pwd);
  g_free (self->remote_address);
  g_free (self);
}

gboolean
sips_session_ice_start (SipsSessionIce *self, gboolean controlling, GError **error)
{
  SipsConfigSection *rtp = self->sip->rtp;
  SipsConfigSection *settings = self->sip->settings;
  SipsIceAgentConfig config = { 0 };

  if (self->agent != NULL || !sips_config_section_get_boolean (rtp, "UseIce"))
    return TRUE;
  config.local_address = self->sip->rtp_address;
  config.port_min = sips_config_section_get_uint (settings, "RtpPortMin");
  config.port_max = sips_config_section_get_uint (settings, "RtpPortMax");
  config.stun_address = sips_config_section_get_string (rtp, "IceStunAddress");
  config.stun_port = sips_config_section_get_uint (rtp, "IceStunPort");
  config.turn_address = sips_config_section_get_string (rtp, "IceTurnAddress");
  config.turn_port = sips_config_section_get_uint (rtp, "IceTurnPort");
  config.turn_transport = sips_config_section_get_string (rtp, "IceTurnTransport");
  config.turn_username = sips_config_section_get_string (rtp, "IceTurnUsername");
  config.turn_password = sips_config_section_get_string (rtp, "IceTurnPassword");
  config.controlling = controlling;
  self->agent = sips_ice_agent_new (&config, error);
  if (self->agent == NULL)
    return FALSE;
  g_signal_connect (self->agent, "gathered", G_CALLBACK (on_gathered), self);
  g_signal_connect (self->agent, "succeeded", G_CALLBACK (on_succeeded), self);
  g_signal_connect (self->agent, "failed", G_CALLBACK (on_failed), self);
  g_debug ("session %p: ICE agent (%s)", (void *) session_of (self),
           controlling ? "controlling" : "controlled");
  return TRUE;
}

void
sips_session_ice_when_gathered (SipsSessionIce *self, SipsSessionIceReady ready)
{
  if (self->agent == NULL || sips_ice_agent_get_gathered (self->agent))
    {
      self->ready = NULL;
      publish_local (self);
      ready (self->sip);
      return;
    }
  self->ready = ready;
}

gboolean
sips_session_ice_abandon (SipsSessionIce *self)
{
  if (self->ready == NULL)
    return FALSE;
  self->ready = NULL;
  return TRUE;
}

/* "c=IN IP4 a" and the m=audio port: the default candidate's; a=rtcp with its address */
char *
sips_session_ice_user_sdp (SipsSessionIce *self, char *audio_sdp)
{
  g_autofree char *sdp = audio_sdp;
  g_autofree char *address = NULL;
  g_autofree char *rtcp_address = NULL;
  g_autofree char *remote_candidates = NULL;
  guint port = 0, rtcp_port = 0;
  g_auto(GStrv) lines = NULL;
  GString *out;
  gboolean with_ice;

  if (self->agent == NULL)
    return g_steal_pointer (&sdp);
  /* once ICE selected a pair, c=/m= name its local candidate (RFC 8839 4.2.2) */
  if (self->active && sips_ice_agent_get_selected_local (self->agent, 1, &address, &port))
    {
      if (!sips_ice_agent_get_selected_local (self->agent, 2, &rtcp_address, &rtcp_port))
        rtcp_address = NULL;
      remote_candidates = sips_ice_agent_get_controlling (self->agent)
                          ? sips_ice_agent_remote_candidates (self->agent) : NULL;
    }
  else if (!sips_ice_agent_get_default (self->agent, 1, &address, &port))
    return g_steal_pointer (&sdp);
  else if (!sips_ice_agent_get_default (self->agent, 2, &rtcp_address, &rtcp_port))
    rtcp_address = NULL;
  if (rtcp_address == NULL)
    {
      rtcp_address = g_strdup (address);
      rtcp_port = port + 1;
    }
  /* a peer that answered without ICE never sees it again (RFC 8839 3.2.4) */
  with_ice = !self->peer_known || self->peer_ice;
  lines = g_strsplit (sdp, "\r\n", -1);
  out = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *ip = strchr (address, ':') != NULL ? "IP6" : "IP4";

      if (*line == '\0')
        continue;
      if (g_str_has_prefix (line, "c="))
        g_string_append_printf (out, "c=IN %s %s\r\n", ip, address);
      else if (g_str_has_prefix (line, "m=audio ") && !g_str_has_prefix (line, "m=audio 0 "))
        g_string_append_printf (out, "m=audio %u%s\r\n", port, strchr (line + 8, ' '));
      else if (g_str_has_prefix (line, "a=rtcp:"))
        g_string_append_printf (out, "a=rtcp:%u IN %s %s\r\n", rtcp_port,
                                strchr (rtcp_address, ':') != NULL ? "IP6" : "IP4", rtcp_address);
      else
        g_string_append_printf (out, "%s\r\n", line);
    }
  if (with_ice)
    {
      g_autofree char *ice = sips_ice_agent_get_sdp_lines (self->agent);

      g_string_append (out, ice);
      if (remote_candidates != NULL)
        g_string_append_printf (out, "a=remote-candidates:%s\r\n", remote_candidates);
    }
  return g_string_free (out, FALSE);
}

void
sips_session_ice_remote_sdp (SipsSessionIce *self, const char *sdp, gboolean offer)
{
  IceAttributes ice = { 0 };
  SipsSdpAudio audio = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean restart;
  gint usable;

  if (self->agent == NULL || !parse_ice (sdp, &ice) || !sips_sdp_parse_audio (sdp, &audio) ||
      !audio.present)
    {
      ice_attributes_clear (&ice);
      sips_sdp_audio_clear (&audio);
      return;
    }
  if (audio.address != NULL && strcmp (audio.address, "0.0.0.0") != 0)
    {
      g_free (self->remote_address);
      self->remote_address = g_strdup (audio.address);
      self->remote_port = audio.port;
      self->remote_rtcp_port = audio.rtcp_port;
    }
  sips_sdp_audio_clear (&audio);

  if (!ice.present)
    {
      /* no ICE on the other side: plain RTP from our default candidate */
      if (!self->peer_known || self->peer_ice)
        g_message ("Session %p: the peer does not do ICE: plain RTP", (void *) session_of (self));
      self->peer_known = TRUE;
      self->peer_ice = FALSE;
      set_inactive (self);
      force_to_sdp (self);
      ice_attributes_clear (&ice);
      return;
    }
  restart = self->remote_ufrag != NULL &&
            (g_strcmp0 (self->remote_ufrag, ice.ufrag) != 0 || g_strcmp0 (self->remote_pwd, ice.pwd) != 0);
  if (self->peer_ice && !restart)
    {
      ice_attributes_clear (&ice);
      return;  /* the same ICE session: a re-INVITE keeps it */
    }
  if (restart)
    {
      g_message ("Session %p: ICE restart by the peer", (void *) session_of (self));
      if (offer)
        sips_ice_agent_restart (self->agent);
      set_inactive (self);
      self->updated = FALSE;
    }
  self->peer_known = TRUE;
  self->peer_ice = TRUE;
  g_free (self->remote_ufrag);
  g_free (self->remote_pwd);
  self->remote_ufrag = g_strdup (ice.ufrag);
  self->remote_pwd = g_strdup (ice.pwd);
  sips_session_set_boolean_prop (session_of (self), "audio-ice-active", TRUE);
  usable = sips_ice_agent_set_remote (self->agent, ice.ufrag, ice.pwd,
                                      (const char * const *) ice.candidates, &error);
  if (usable <= 0)
    {
      g_autofree char *why = g_strdup (error != NULL ? error->message : _("The peer offered no usable ICE candidate"));

      g_message ("Session %p: %s", (void *) session_of (self), why);
      set_inactive (self);
      force_to_sdp (self);
      g_signal_emit_by_name (session_of (self), "ice-negotiation-did-fail", g_get_real_time (), why);
    }
  ice_attributes_clear (&ice);
}

gboolean
sips_session_ice_offer_has_ice (const char *offer)
{
  IceAttributes ice = { 0 };
  gboolean present = parse_ice (offer, &ice) && ice.present;

  ice_attributes_clear (&ice);
  return present;
}

gboolean
sips_session_ice_offer_acceptable (const char *offer, SipsConfigSection *rtp, GError **error)
{
  IceAttributes ice = { 0 };
  guint good = 0;
  gboolean ok = TRUE;

  if (!sips_config_section_get_boolean (rtp, "UseIce") || !parse_ice (offer, &ice) || !ice.present)
    {
      ice_attributes_clear (&ice);
      return TRUE;
    }
  for (guint i = 0; ice.candidates[i] != NULL; i++)
    if (candidate_plausible (ice.candidates[i]))
      good++;
  if (ice.ufrag == NULL || ice.pwd == NULL || *ice.ufrag == '\0' || *ice.pwd == '\0')
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                           _("The offer's ICE attributes lack a=ice-ufrag or a=ice-pwd"));
      ok = FALSE;
    }
  else if (good == 0)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                           _("The offer's ICE attributes carry no usable candidate"));
      ok = FALSE;
    }
  ice_attributes_clear (&ice);
  return ok;
}

GObject *
sips_session_ice_media (SipsSessionIce *self, guint *stream_id)
{
  if (self->agent == NULL)
    return NULL;
  *stream_id = sips_ice_agent_get_stream_id (self->agent);
  return sips_ice_agent_get_nice (self->agent);
}

void
sips_session_ice_publish_received (SipsSessionIce *self)
{
  SipsSession *session = session_of (self);
  g_autofree char *address = NULL;
  guint port = 0;

  /* a forced pair (no ICE, or failed checks): once audio came, it came from there */
  if (self->agent == NULL ||
      (!self->active && !sips_session_get_boolean_prop (session, "audio-was-received")) ||
      !sips_ice_agent_get_selected (self->agent, NULL, NULL, &address, &port))
    return;
  sips_session_set_string_prop (session, "audio-remote-rtp-address-received", address);
  sips_session_set_uint_prop (session, "audio-remote-rtp-port-received", port);
}

gboolean
sips_session_ice_prepare_answer (SipsSessionIce *self, const char *offer, GError **error)
{
  if (offer != NULL && !sips_session_ice_offer_has_ice (offer))
    return TRUE;
  if (!sips_session_ice_start (self, offer == NULL, error))
    return FALSE;
  if (offer != NULL)
    sips_session_ice_remote_sdp (self, offer, TRUE);
  return TRUE;
}
