/* sips-session-private.h: what the session's other parts (its SIP side, its proposal
 * methods in sips-session-proposal.c) and the session manager may do to a SipsSession
 * beyond its public API, and the argument checks its methods share (sips-session-args.c) */
#pragma once

#include "sips-session.h"
#include "core/sips-sip-agent.h"
#include "config/sips-config-section.h"
#include "config/sips-ringtone-config.h"
#include "msrp/sips-msrp-transport.h"

G_BEGIN_DECLS

typedef struct _SipsSessionSip SipsSessionSip;

#define SIPS_SESSION_STATE_BIT(s) (1u << (s))

/* The state check of the public methods: SIPS_ERROR_INVALID_STATE unless the state is one
 * of allowed (SIPS_SESSION_STATE_BIT()s); method is the contract's method name. */
gboolean sips_session_check_state   (SipsSession *self, guint allowed, const char *method,
                                     GError **error);

/* sips-session-args.c: the argument checks (after the state check) */
/* Always FALSE with SIPS_ERROR_NOT_SUPPORTED "<method> is not supported yet". */
gboolean sips_session_not_supported         (GError **error, const char *method);
/* Always FALSE with SIPS_ERROR_INVALID_ARGUMENT and message. */
gboolean sips_session_invalid_argument      (GError **error, const char *message);
gboolean sips_session_is_sip_uri            (const char *s);
/* "" or a SIP URI */
gboolean sips_session_is_optional_sip_uri   (const char *s);
/* "type/subtype", both RFC 6838 restricted names (parameters after ';' allowed) */
gboolean sips_session_is_content_type       (const char *s);
/* StartRecordingAudio's (path, file_name): FALSE with InvalidArgument unless path is ""
 * or an absolute directory and file_name a printable name that fits NAME_MAX/PATH_MAX. */
gboolean sips_session_check_recording_args  (const char *path, const char *file_name,
                                             GError **error);
/* An account without configuration counts as enabled. */
gboolean sips_session_account_is_enabled    (SipsAccount *account);

/* Property setters by property name ("audio-codec"...); they notify on change only. */
void     sips_session_set_string_prop  (SipsSession *self, const char *name, const char *value);
void     sips_session_set_boolean_prop (SipsSession *self, const char *name, gboolean value);
void     sips_session_set_uint_prop    (SipsSession *self, const char *name, guint value);
gboolean sips_session_get_boolean_prop (SipsSession *self, const char *name);
void     sips_session_set_account      (SipsSession *self, SipsAccount *account);
/* The chat stream's object ("chat-transport", a SipsMsrpChat; NULL = none). */
void     sips_session_set_chat_transport (SipsSession *self, GObject *chat);
/* A terminated session has no streams (HasAudio/HasChat false, recording name ""). */
void     sips_session_release_streams  (SipsSession *self);

/* The SIP environment the manager gives every session it makes; without it the session
 * has no signalling (unit tests) and its SIP methods answer NotSupported. */
void            sips_session_set_sip_env (SipsSession        *self,
                                          SipsSipAgent       *agent,
                                          SipsConfigSection  *settings,
                                          SipsConfigSection  *rtp,
                                          SipsRingtoneConfig *ringtones,   /* NULL = none */
                                          SipsMsrpTransport  *msrp,        /* NULL = no chat */
                                          SipsConfigSection  *msrp_config); /* NULL = no relay */
SipsSessionSip *sips_session_get_sip     (SipsSession *self);

G_END_DECLS
