/* sips-session-offer-check.c: offers no call can be made of, though sofia's SDP parser
 * lets them through (what it cannot parse nua answers itself with 400 Bad Session
 * Description): the initial INVITE's and a re-INVITE's are answered 488 with a Warning
 * that says why. */
#include "sips-session-sip-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/sips-error.h"
#include "sips-sdp.h"

/* A c= address we could send to: an IP literal or a host name. */
static gboolean
address_usable (const char *address)
{
  gboolean letter = FALSE;

  if (address == NULL || *address == '\0')
    return FALSE;
  if (g_hostname_is_ip_address (address))
    return TRUE;
  for (const char *p = address; *p != '\0'; p++)
    {
      if (g_ascii_isalpha (*p))
        letter = TRUE;
      else if (!g_ascii_isdigit (*p) && *p != '-' && *p != '.')
        return FALSE;
    }
  return letter;  /* "999.1.1.1.1" is neither */
}

/* Offers that sofia's SDP parser lets through but no call can be made of (nua itself
 * answers an SDP it cannot parse with 400 Bad Session Description). An initial offer
 * needs a stream; a re-INVITE's may disable them all (port 0) but not drop the m-lines
 * (RFC 3264 8). */
gboolean
sips_session_offer_usable (const char *body, gboolean initial, GError **error)
{
  SipsSdpInfo info = { 0 };
  SipsSdpAudio audio = { 0 };
  gboolean ok = TRUE;
  gboolean parsed, no_stream;

  if (body == NULL)
    return TRUE;  /* no offer: ours goes in the 200 */
  parsed = sips_sdp_parse (body, &info);
  if (initial)
    no_stream = parsed && !info.has_audio && !info.has_chat;
  else
    no_stream = !g_str_has_prefix (body, "m=") && strstr (body, "\nm=") == NULL;
  if (no_stream)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The offer has no audio or chat stream"));
      ok = FALSE;
    }
  else if (sips_sdp_parse_audio (body, &audio) && audio.present)
    {
      if (audio.port > 65535 || audio.rtcp_port > 65535)
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                       _("The offer's audio port is out of range"));
          ok = FALSE;
        }
      else if (!address_usable (audio.address))
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                       _("The offer's audio connection address is missing or malformed"));
          ok = FALSE;
        }
    }
  /* (a re-INVITE's chat is a stream proposal: the application sees it, and accepting a
   * bad path fails it with 488 then) */
  if (ok && initial && info.has_chat)
    {
      SipsSdpChat chat = { 0 };

      /* RFC 4975: a=path is a list of msrp: or msrps: URIs */
      if (sips_sdp_parse_chat (body, &chat) && chat.present)
        {
          gboolean path_ok = chat.path != NULL && chat.path[0] != NULL;

          for (guint i = 0; path_ok && chat.path[i] != NULL; i++)
            path_ok = g_ascii_strncasecmp (chat.path[i], "msrp://", 7) == 0 ||
                      g_ascii_strncasecmp (chat.path[i], "msrps://", 8) == 0;
          if (!path_ok)
            {
              g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("The offer's chat stream has no valid MSRP path"));
              ok = FALSE;
            }
        }
      sips_sdp_chat_clear (&chat);
    }
  sips_sdp_info_clear (&info);
  sips_sdp_audio_clear (&audio);
  return ok;
}

/* Warning: 399 sipsimpled "reason" (RFC 3261 20.43), so the caller learns why */
char *
sips_session_offer_warning (const char *reason)
{
  GString *warning = g_string_new ("399 sipsimpled \"");

  for (const char *p = reason; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (warning, '\\');
      if ((guchar) *p >= 0x20)
        g_string_append_c (warning, *p);
    }
  g_string_append_c (warning, '"');
  return g_string_free (warning, FALSE);
}
