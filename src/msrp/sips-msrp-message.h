/* sips-msrp-message.h: building MSRP requests and responses for the wire (RFC 4975) */
#pragma once

#include <glib.h>

#include "sips-msrp-grammar.h"

G_BEGIN_DECLS

/* Transaction ids and Message-IDs: 16 random alphanumerics (95 bits). */
#define SIPS_MSRP_IDENT_LENGTH 16

typedef struct _SipsMsrpMessage SipsMsrpMessage;

/* A request; transaction_id NULL = a fresh random one. */
SipsMsrpMessage *sips_msrp_message_new_request    (const char *method,
                                                   const char *transaction_id);
/* A response to the request with that transaction id; comment NULL = the standard
 * reason. RFC 4975 §7.2: to_uri is the first URI of the request's From-Path (the
 * previous hop), from_uri ours (the first of its To-Path). */
SipsMsrpMessage *sips_msrp_message_new_response   (const char *transaction_id,
                                                   guint       status,
                                                   const char *comment,
                                                   const char *to_uri,
                                                   const char *from_uri);
/* A REPORT (RFC 4975 §7.1.2) for the bytes of message_id in range, with Status:
 * 000 status comment (comment NULL = the standard reason). */
SipsMsrpMessage *sips_msrp_message_new_report     (const char * const      *to_path,
                                                   const char * const      *from_path,
                                                   const char              *message_id,
                                                   const SipsMsrpByteRange *range,
                                                   guint                    status,
                                                   const char              *comment);
SipsMsrpMessage *sips_msrp_message_copy           (const SipsMsrpMessage *self);
void             sips_msrp_message_free           (SipsMsrpMessage *self);

const char      *sips_msrp_message_get_transaction_id (const SipsMsrpMessage *self);
void             sips_msrp_message_set_transaction_id (SipsMsrpMessage *self,
                                                       const char      *transaction_id);
gboolean         sips_msrp_message_is_request     (const SipsMsrpMessage *self);

/* To-Path and From-Path come first on the wire, in this order. */
void             sips_msrp_message_set_to_path    (SipsMsrpMessage    *self,
                                                   const char * const *uris);
void             sips_msrp_message_set_from_path  (SipsMsrpMessage    *self,
                                                   const char * const *uris);

/* Replaces the header of that name (case-insensitively) or appends it; value NULL
 * removes it. Names and values must not contain CR or LF. */
void             sips_msrp_message_set_header     (SipsMsrpMessage *self,
                                                   const char      *name,
                                                   const char      *value);
/* Appends one more header of that name. */
void             sips_msrp_message_add_header     (SipsMsrpMessage *self,
                                                   const char      *name,
                                                   const char      *value);
const char      *sips_msrp_message_get_header     (const SipsMsrpMessage *self,
                                                   const char            *name);

void             sips_msrp_message_set_message_id (SipsMsrpMessage *self,
                                                   const char      *message_id);
void             sips_msrp_message_set_byte_range (SipsMsrpMessage         *self,
                                                   const SipsMsrpByteRange *range);
void             sips_msrp_message_set_reports    (SipsMsrpMessage *self,
                                                   SipsMsrpReport   success,
                                                   SipsMsrpReport   failure);

/* The whole message: start line, To-Path, From-Path, the headers in order, and with a
 * content_type the Content-Type, a blank line, the body and CRLF; then the end-line
 * with flag. Should the body contain this transaction's end-line, the transaction id
 * is replaced by a fresh one first (read it afterwards). */
GBytes          *sips_msrp_message_to_bytes       (SipsMsrpMessage *self,
                                                   const char      *content_type,
                                                   const guint8    *body,
                                                   gsize            body_len,
                                                   char             flag);

/* For bodies streamed from elsewhere: the head (up to the blank line after
 * Content-Type, if any), then the body bytes, then the end-line. */
GBytes          *sips_msrp_message_head_to_bytes  (const SipsMsrpMessage *self,
                                                   const char            *content_type);
GBytes          *sips_msrp_message_end_line       (const SipsMsrpMessage *self,
                                                   gboolean               after_body,
                                                   char                   flag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsMsrpMessage, sips_msrp_message_free)

G_END_DECLS
