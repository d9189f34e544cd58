/* sips-session-proposal.c: the seed's stream proposal methods of a session
 *
 * AddAudio/AddChat propose a stream to the peer (GotStreamProposal("local"), PROPOSING
 * until AcceptedStreamProposal or RejectedStreamProposal); RemoveAudio/RemoveChat stop one
 * and tell the peer (PROPOSING until it answered). A peer's proposal puts the session in
 * PROPOSED, answered by AcceptProposal/RejectProposal. The state and argument checks are
 * here; the re-INVITEs are the SIP side's (sips-session-reinvite.c). */
#include "sips-session.h"
#include "sips-session-private.h"
#include "sips-session-sip.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"

#define ESTABLISHED SIPS_SESSION_STATE_BIT (SIPS_SESSION_STATE_ESTABLISHED)
#define PROPOSED    SIPS_SESSION_STATE_BIT (SIPS_SESSION_STATE_PROPOSED)

/* The stream condition of Add/Remove Audio/Chat is a state rule of the seed. */
static gboolean
check_stream (SipsSession *self, const char *stream, gboolean want_present,
              const char *method, GError **error)
{
  if (sips_session_get_boolean_prop (self, stream) == want_present)
    return TRUE;
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
               want_present ? _("%s is not allowed: the session has no such stream")
                            : _("%s is not allowed: the session already has that stream"),
               method);
  return FALSE;
}

static gboolean
change_streams (SipsSession *self, SipsStreamChange change, const char *method,
                GError **error)
{
  SipsSessionSip *sip = sips_session_get_sip (self);

  if (sip == NULL)
    return sips_session_not_supported (error, method);
  return sips_session_sip_change_streams (sip, change, error);
}

gboolean
sips_session_add_audio (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, ESTABLISHED, "AddAudio", error) ||
      !check_stream (self, "has-audio", FALSE, "AddAudio", error))
    return FALSE;
  return change_streams (self, SIPS_STREAM_ADD_AUDIO, "AddAudio", error);
}

gboolean
sips_session_remove_audio (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, ESTABLISHED, "RemoveAudio", error) ||
      !check_stream (self, "has-audio", TRUE, "RemoveAudio", error))
    return FALSE;
  /* a session keeps at least one stream: end it with Terminate instead */
  if (!sips_session_get_boolean_prop (self, "has-chat"))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("RemoveAudio is not allowed: it is the session's only stream"));
      return FALSE;
    }
  return change_streams (self, SIPS_STREAM_REMOVE_AUDIO, "RemoveAudio", error);
}

gboolean
sips_session_add_chat (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, ESTABLISHED, "AddChat", error) ||
      !check_stream (self, "has-chat", FALSE, "AddChat", error))
    return FALSE;
  return change_streams (self, SIPS_STREAM_ADD_CHAT, "AddChat", error);
}

gboolean
sips_session_remove_chat (SipsSession *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, ESTABLISHED, "RemoveChat", error) ||
      !check_stream (self, "has-chat", TRUE, "RemoveChat", error))
    return FALSE;
  /* a session keeps at least one stream: end it with Terminate instead */
  if (!sips_session_get_boolean_prop (self, "has-audio"))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("RemoveChat is not allowed: it is the session's only stream"));
      return FALSE;
    }
  return change_streams (self, SIPS_STREAM_REMOVE_CHAT, "RemoveChat", error);
}

gboolean
sips_session_accept_proposal (SipsSession *self, GError **error)
{
  SipsSessionSip *sip;

  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, PROPOSED, "AcceptProposal", error))
    return FALSE;
  sip = sips_session_get_sip (self);
  if (sip == NULL)
    return sips_session_not_supported (error, "AcceptProposal");
  return sips_session_sip_accept_proposal (sip, error);
}

gboolean
sips_session_reject_proposal (SipsSession *self, GError **error)
{
  SipsSessionSip *sip;

  g_return_val_if_fail (SIPS_IS_SESSION (self), FALSE);

  if (!sips_session_check_state (self, PROPOSED, "RejectProposal", error))
    return FALSE;
  sip = sips_session_get_sip (self);
  if (sip == NULL)
    return sips_session_not_supported (error, "RejectProposal");
  return sips_session_sip_reject_proposal (sip, error);
}
