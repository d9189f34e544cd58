/* sips-sdp.c: our audio and chat SDP for soa, and what a negotiated SDP says
 *
 * soa (sofia's offer/answer engine) adds o=/s=/t= and negotiates; we only write the
 * m-lines we own and read the results back with sofia's own SDP parser. soa matches
 * m=message lines by type and protocol name and copies ours with its attributes. */
#include "sips-sdp.h"

#include <string.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#define PT_TELEPHONE_EVENT_8000  101
#define PT_TELEPHONE_EVENT_48000 102

/* Static payload types where RFC 3551 has them; opus is dynamic. */
static const struct {
  const char *name;          /* contract name (Settings1.AudioCodecs) */
  guint       pt;
  const char *rtpmap;
  guint       clock_rate;
  guint       sample_rate;
} codecs[] = {
  { "opus", 96, "opus/48000/2", 48000, 48000 },
  { "G722",  9, "G722/8000",     8000, 16000 },
  { "PCMU",  0, "PCMU/8000",     8000,  8000 },
  { "PCMA",  8, "PCMA/8000",     8000,  8000 },
};

/* ---- private helpers ---- */

static gboolean
is_ipv6 (const char *address)
{
  return strchr (address, ':') != NULL;
}

static gboolean
is_auxiliary (const char *encoding)
{
  return g_ascii_strcasecmp (encoding, "telephone-event") == 0 ||
         g_ascii_strcasecmp (encoding, "CN") == 0;
}

static const char *
connection_address (const sdp_session_t *session, const sdp_media_t *m)
{
  const sdp_connection_t *c = m->m_connections != NULL ? m->m_connections
                                                       : session->sdp_connection;

  return c != NULL ? c->c_address : NULL;
}

/* ---- public API ---- */

char *
sips_sdp_build_audio (const char *address, guint port, const char * const *names,
                      const char *direction)
{
  return sips_sdp_build_audio_full (address, port, names, direction, FALSE, NULL);
}

char *
sips_sdp_build_audio_full (const char *address, guint port, const char * const *names,
                           const char *direction, gboolean secure, const char * const *cryptos)
{
  GString *sdp = g_string_new (NULL);
  GString *pts = g_string_new (NULL);
  GString *maps = g_string_new (NULL);
  const char *ip = is_ipv6 (address) ? "IP6" : "IP4";
  gboolean opus = FALSE;

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
      {
        if (g_ascii_strcasecmp (names[i], codecs[c].name) != 0)
          continue;
        g_string_append_printf (pts, " %u", codecs[c].pt);
        g_string_append_printf (maps, "a=rtpmap:%u %s\r\n", codecs[c].pt, codecs[c].rtpmap);
        opus |= codecs[c].clock_rate == 48000;
      }

  g_string_append_printf (pts, " %u", PT_TELEPHONE_EVENT_8000);
  g_string_append_printf (maps, "a=rtpmap:%u telephone-event/8000\r\na=fmtp:%u 0-15\r\n",
                          PT_TELEPHONE_EVENT_8000, PT_TELEPHONE_EVENT_8000);
  if (opus)
    {
      g_string_append_printf (pts, " %u", PT_TELEPHONE_EVENT_48000);
      g_string_append_printf (maps, "a=rtpmap:%u telephone-event/48000\r\na=fmtp:%u 0-15\r\n",
                              PT_TELEPHONE_EVENT_48000, PT_TELEPHONE_EVENT_48000);
    }

  g_string_append_printf (sdp,
                          "v=0\r\n"
                          "o=- 0 0 IN %s %s\r\n"
                          "s=-\r\n"
                          "c=IN %s %s\r\n"
                          "t=0 0\r\n"
                          "m=audio %u %s%s\r\n"
                          "%s"
                          "a=ptime:20\r\n"
                          "a=rtcp:%u\r\n",
                          ip, address, ip, address, port, secure ? "RTP/SAVP" : "RTP/AVP",
                          pts->str, maps->str, port + 1);
  for (guint i = 0; cryptos != NULL && cryptos[i] != NULL; i++)
    g_string_append_printf (sdp, "a=crypto:%s\r\n", cryptos[i]);
  if (direction != NULL && !g_str_equal (direction, "sendrecv"))
    g_string_append_printf (sdp, "a=%s\r\n", direction);

  g_string_free (pts, TRUE);
  g_string_free (maps, TRUE);
  return g_string_free (sdp, FALSE);
}

const char *
sips_sdp_codec_name (const char *encoding, guint clock_rate, guint *sample_rate)
{
  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
    if (g_ascii_strcasecmp (encoding, codecs[c].name) == 0)
      {
        if (sample_rate != NULL)
          *sample_rate = codecs[c].sample_rate;
        return codecs[c].name;
      }
  if (sample_rate != NULL)
    *sample_rate = clock_rate;
  return encoding;
}

void
sips_sdp_info_clear (SipsSdpInfo *info)
{
  g_clear_pointer (&info->codec, g_free);
  g_clear_pointer (&info->address, g_free);
  memset (info, 0, sizeof *info);
}

gboolean
sips_sdp_parse (const char *sdp, SipsSdpInfo *info)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sdp_parser_t *parser;
  sdp_session_t *session;
  gboolean audio_seen = FALSE;

  g_return_val_if_fail (info != NULL, FALSE);
  sips_sdp_info_clear (info);
  if (sdp == NULL)
    return FALSE;

  /* mode_0000: the old "c=0.0.0.0" hold reads as not receiving */
  parser = sdp_parse (home, sdp, (issize_t) strlen (sdp), sdp_f_mode_0000);
  session = sdp_session (parser);
  if (session == NULL)
    {
      sdp_parser_free (parser);
      su_home_deinit (home);
      return FALSE;
    }

  for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next)
    {
      gboolean active = m->m_port != 0 && !m->m_rejected;

      if (m->m_type == sdp_media_message && active)
        info->has_chat = TRUE;
      if (m->m_type != sdp_media_audio || audio_seen)
        continue;
      /* the first audio m-line is ours, even when rejected (its index is kept) */
      audio_seen = TRUE;
      info->has_audio = active;
      info->port = (guint) m->m_port;
      info->address = g_strdup (connection_address (session, m));
      info->sends = (m->m_mode & sdp_sendonly) != 0;
      info->receives = (m->m_mode & sdp_recvonly) != 0;
      for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next)
        {
          if (rm->rm_encoding == NULL || is_auxiliary (rm->rm_encoding))
            continue;
          info->codec = g_strdup (sips_sdp_codec_name (rm->rm_encoding, (guint) rm->rm_rate,
                                                       &info->sample_rate));
          break;
        }
    }

  sdp_parser_free (parser);
  su_home_deinit (home);
  return TRUE;
}

void
sips_sdp_audio_clear (SipsSdpAudio *audio)
{
  g_clear_pointer (&audio->address, g_free);
  g_clear_pointer (&audio->codec, g_free);
  g_clear_pointer (&audio->cryptos, g_strfreev);
  memset (audio, 0, sizeof *audio);
  audio->dtmf_8000 = audio->dtmf_48000 = -1;
}

static void
read_audio_media (const sdp_session_t *session, const sdp_media_t *m, SipsSdpAudio *audio)
{
  GPtrArray *cryptos = g_ptr_array_new ();

  audio->present = m->m_port != 0 && !m->m_rejected;
  audio->secure = m->m_proto == sdp_proto_srtp;
  audio->port = (guint) m->m_port;
  audio->address = g_strdup (connection_address (session, m));
  for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next)
    {
      if (rm->rm_encoding == NULL)
        continue;
      if (g_ascii_strcasecmp (rm->rm_encoding, "telephone-event") == 0)
        {
          /* only dynamic payload types are valid for it */
          if (rm->rm_pt >= 96 && rm->rm_rate == 8000 && audio->dtmf_8000 < 0)
            audio->dtmf_8000 = (gint) rm->rm_pt;
          else if (rm->rm_pt >= 96 && rm->rm_rate == 48000 && audio->dtmf_48000 < 0)
            audio->dtmf_48000 = (gint) rm->rm_pt;
          continue;
        }
      if (audio->codec != NULL || is_auxiliary (rm->rm_encoding))
        continue;
      audio->codec = g_strdup (sips_sdp_codec_name (rm->rm_encoding, (guint) rm->rm_rate, NULL));
      audio->payload_type = (guint) rm->rm_pt;
      audio->clock_rate = (guint) rm->rm_rate;
    }
  for (sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    {
      if (a->a_name == NULL || a->a_value == NULL)
        continue;
      if (g_ascii_strcasecmp (a->a_name, "crypto") == 0)
        g_ptr_array_add (cryptos, g_strdup (a->a_value));
      else if (g_ascii_strcasecmp (a->a_name, "rtcp") == 0)
        audio->rtcp_port = (guint) g_ascii_strtoull (a->a_value, NULL, 10) & 0xffff;
      else if (g_ascii_strcasecmp (a->a_name, "ptime") == 0)
        audio->ptime = (guint) MIN (g_ascii_strtoull (a->a_value, NULL, 10), 1000);
    }
  g_ptr_array_add (cryptos, NULL);
  audio->cryptos = (GStrv) g_ptr_array_free (cryptos, FALSE);
}

gboolean
sips_sdp_parse_audio (const char *sdp, SipsSdpAudio *audio)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sdp_parser_t *parser;
  sdp_session_t *session;
  gboolean parsed;

  g_return_val_if_fail (audio != NULL, FALSE);
  sips_sdp_audio_clear (audio);
  audio->cryptos = g_new0 (char *, 1);
  if (sdp == NULL)
    return FALSE;

  parser = sdp_parse (home, sdp, (issize_t) strlen (sdp), sdp_f_mode_0000);
  session = sdp_session (parser);
  parsed = session != NULL;
  if (parsed)
    for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next)
      if (m->m_type == sdp_media_audio)
        {
          g_strfreev (audio->cryptos);
          read_audio_media (session, m, audio);
          break;
        }

  sdp_parser_free (parser);
  su_home_deinit (home);
  return parsed;
}

/* ---- chat (m=message) ---- */

char *
sips_sdp_build_session (const char *address)
{
  const char *ip = is_ipv6 (address) ? "IP6" : "IP4";

  return g_strdup_printf ("v=0\r\n"
                          "o=- 0 0 IN %s %s\r\n"
                          "s=-\r\n"
                          "c=IN %s %s\r\n"
                          "t=0 0\r\n",
                          ip, address, ip, address);
}

char *
sips_sdp_build_chat (guint port, gboolean secure, const char * const *path,
                     const char *accept_types, const char *accept_wrapped_types,
                     const char *setup, const char *fingerprint)
{
  GString *sdp = g_string_new (NULL);

  g_string_append_printf (sdp, "m=message %u %s *\r\n", port,
                          secure ? "TCP/TLS/MSRP" : "TCP/MSRP");
  if (path != NULL && path[0] != NULL)
    {
      g_autofree char *joined = g_strjoinv (" ", (char **) path);

      g_string_append_printf (sdp, "a=path:%s\r\n", joined);
    }
  if (accept_types != NULL)
    g_string_append_printf (sdp, "a=accept-types:%s\r\n", accept_types);
  if (accept_wrapped_types != NULL)
    g_string_append_printf (sdp, "a=accept-wrapped-types:%s\r\n", accept_wrapped_types);
  if (setup != NULL)
    g_string_append_printf (sdp, "a=setup:%s\r\n", setup);
  if (fingerprint != NULL)
    g_string_append_printf (sdp, "a=fingerprint:%s\r\n", fingerprint);
  return g_string_free (sdp, FALSE);
}

void
sips_sdp_chat_clear (SipsSdpChat *chat)
{
  g_clear_pointer (&chat->path, g_strfreev);
  g_clear_pointer (&chat->accept_types, g_free);
  g_clear_pointer (&chat->setup, g_free);
  g_clear_pointer (&chat->fingerprint, g_free);
  g_clear_pointer (&chat->file_selector, g_free);
  g_clear_pointer (&chat->file_transfer_id, g_free);
  g_clear_pointer (&chat->file_date, g_free);
  memset (chat, 0, sizeof *chat);
}

static void
read_chat_media (const sdp_media_t *m, SipsSdpChat *chat)
{
  chat->present = m->m_port != 0 && !m->m_rejected;
  chat->secure = m->m_proto_name != NULL && g_ascii_strcasecmp (m->m_proto_name, "TCP/TLS/MSRP") == 0;
  chat->sendonly = m->m_mode == sdp_sendonly;
  chat->recvonly = m->m_mode == sdp_recvonly;
  for (sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    {
      if (a->a_name == NULL || a->a_value == NULL)
        continue;
      if (g_ascii_strcasecmp (a->a_name, "path") == 0 && chat->path == NULL)
        {
          g_auto(GStrv) parts = g_strsplit_set (a->a_value, " \t", -1);
          GPtrArray *uris = g_ptr_array_new ();

          for (guint i = 0; parts[i] != NULL; i++)
            if (*parts[i] != '\0')
              g_ptr_array_add (uris, g_strdup (parts[i]));
          g_ptr_array_add (uris, NULL);
          chat->path = (GStrv) g_ptr_array_free (uris, FALSE);
        }
      else if (g_ascii_strcasecmp (a->a_name, "accept-types") == 0 && chat->accept_types == NULL)
        chat->accept_types = g_strstrip (g_strdup (a->a_value));
      else if (g_ascii_strcasecmp (a->a_name, "setup") == 0 && chat->setup == NULL)
        chat->setup = g_strstrip (g_strdup (a->a_value));
      else if (g_ascii_strcasecmp (a->a_name, "fingerprint") == 0 && chat->fingerprint == NULL)
        chat->fingerprint = g_strstrip (g_strdup (a->a_value));
      else if (g_ascii_strcasecmp (a->a_name, "file-selector") == 0 && chat->file_selector == NULL)
        chat->file_selector = g_strstrip (g_strdup (a->a_value));
      else if (g_ascii_strcasecmp (a->a_name, "file-transfer-id") == 0 && chat->file_transfer_id == NULL)
        chat->file_transfer_id = g_strstrip (g_strdup (a->a_value));
      else if (g_ascii_strcasecmp (a->a_name, "file-date") == 0 && chat->file_date == NULL)
        chat->file_date = g_strstrip (g_strdup (a->a_value));
    }
}

gboolean
sips_sdp_parse_chat (const char *sdp, SipsSdpChat *chat)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sdp_parser_t *parser;
  sdp_session_t *session;
  gboolean parsed;

  g_return_val_if_fail (chat != NULL, FALSE);
  sips_sdp_chat_clear (chat);
  if (sdp == NULL)
    return FALSE;

  parser = sdp_parse (home, sdp, (issize_t) strlen (sdp), 0);
  session = sdp_session (parser);
  parsed = session != NULL;
  if (parsed)
    for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next)
      if (m->m_type == sdp_media_message)
        {
          read_chat_media (m, chat);
          break;
        }

  sdp_parser_free (parser);
  su_home_deinit (home);
  return parsed;
}
