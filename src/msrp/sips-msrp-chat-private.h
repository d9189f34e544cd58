/* sips-msrp-chat-private.h: what the chat's files share (not for other modules) */
#pragma once

#include "sips-msrp-chat.h"
#include "sips-msrp-connection.h"
#include "sips-msrp-message.h"

G_BEGIN_DECLS

enum {
  CHAT_SIGNAL_DID_INITIALIZE,
  CHAT_SIGNAL_DID_START,
  CHAT_SIGNAL_DID_FAIL,
  CHAT_SIGNAL_WILL_END,
  CHAT_SIGNAL_DID_END,
  CHAT_SIGNAL_GOT_MESSAGE,
  CHAT_SIGNAL_DID_DELIVER_MESSAGE,
  CHAT_SIGNAL_DID_NOT_DELIVER_MESSAGE,
  CHAT_SIGNAL_GOT_COMPOSING_INDICATION,
  CHAT_N_SIGNALS
};

extern guint sips_msrp_chat_signals[CHAT_N_SIGNALS];

/* A message received in chunks. */
typedef struct {
  char       *id;
  char       *content_type;
  GByteArray *data;
} ChatIncoming;

struct _SipsMsrpChat {
  GObject parent_instance;

  SipsMsrpTransport  *transport;
  gboolean            use_tls;
  SipsMsrpChatState   state;
  char               *session_id;
  char              **local_path;
  char              **remote_path;
  char               *remote_fingerprint;
  char              **remote_accept_types;  /* NULL = anything */
  char               *local_identity;       /* CPIM From */
  char               *remote_identity;      /* CPIM To unless given */
  gboolean            registered;
  gboolean            active;
  SipsMsrpConnection *connection;           /* bound to it, once connected */
  SipsMsrpRelay      *relay;                /* ours (RFC 4976), NULL = none */
  GCancellable       *cancellable;

  guint               response_timeout;     /* ms */
  guint               connect_timeout;      /* ms */
  guint               keepalive_interval;   /* s */
  guint64             max_message;
  guint               connect_timeout_id;
  guint               keepalive_id;
  char               *control_tid;          /* the empty SEND in flight, if any */

  /* sending (sips-msrp-chat-send.c) */
  GHashTable         *outgoing;             /* message id -> ChatOutgoing, sent */
  GHashTable         *chunk_tids;           /* transaction id -> message id */
  GQueue              waiting;              /* ChatOutgoing not sent yet */

  /* receiving (sips-msrp-chat-receive.c) */
  GHashTable         *incoming;             /* message id -> ChatIncoming */
  guint64             incoming_bytes;       /* held in incoming, at most max_message */
  ChatIncoming       *receiving;            /* the chunk's message, NULL = none */
  guint64             receive_pos;
  guint               receive_status;       /* 413 once it would not fit */

  /* a file transfer's requests (sips_msrp_chat_set_request_handler) */
  const SipsMsrpSessionHandler *request_handler;
  gpointer            request_handler_data;
  gboolean            handing_over;         /* the current request is the handler's */
};

/* sips-msrp-chat.c */
extern const SipsMsrpSessionHandler sips_msrp_chat_session_handler;
void     sips_msrp_chat_fail              (SipsMsrpChat *self,
                                           const char   *reason);

/* sips-msrp-chat-send.c */
void     sips_msrp_chat_outgoing_free     (gpointer data);
void     sips_msrp_chat_flush_waiting     (SipsMsrpChat *self);
/* The waiting messages are not delivered (code 0); the sent ones are forgotten. */
void     sips_msrp_chat_drop_outgoing     (SipsMsrpChat *self);
void     sips_msrp_chat_handle_report     (SipsMsrpChat          *self,
                                           const SipsMsrpHeaders *headers);
/* The To-Path and From-Path of requests to the peer. */
void     sips_msrp_chat_set_paths         (SipsMsrpChat    *self,
                                           SipsMsrpMessage *message);
/* Our own URI: the last of our path (before it, our relay's Use-Path). */
const char *sips_msrp_chat_get_own_uri    (SipsMsrpChat *self);
/* The chunk size for the peer: relays take small ones; 0 = SIPS_MSRP_CHUNK_SIZE. */
gsize    sips_msrp_chat_chunk_size        (SipsMsrpChat *self);

/* sips-msrp-chat-receive.c */
void     sips_msrp_chat_incoming_free     (gpointer data);
void     sips_msrp_chat_drop_incoming     (SipsMsrpChat *self);
/* A REPORT (RFC 4975 §7.1.2) for the SEND with these headers, bytes 1-size, with status. */
void     sips_msrp_chat_send_report       (SipsMsrpChat          *self,
                                           SipsMsrpConnection    *connection,
                                           const SipsMsrpHeaders *headers,
                                           guint64                size,
                                           guint                  status);
guint    sips_msrp_chat_request_begin     (SipsMsrpConnection    *connection,
                                           const char            *transaction_id,
                                           SipsMsrpMethod         method,
                                           const SipsMsrpHeaders *headers,
                                           gpointer               user_data);
void     sips_msrp_chat_request_body      (SipsMsrpConnection *connection,
                                           const guint8       *data,
                                           gsize               len,
                                           gpointer            user_data);
void     sips_msrp_chat_request_end       (SipsMsrpConnection    *connection,
                                           const char            *transaction_id,
                                           SipsMsrpMethod         method,
                                           const SipsMsrpHeaders *headers,
                                           char                   flag,
                                           guint                  status,
                                           gpointer               user_data);

G_END_DECLS
