/* sips-cpim.h: Message/CPIM wrapping and unwrapping (RFC 3862)
 *
 *   From: Alice <sip:alice@example.com>        message headers (From, To, cc,
 *   To: <sip:bob@example.com>                  DateTime, Subject, NS, Require,
 *   DateTime: 2024-05-01T10:00:00Z             prefix.Name extension headers)
 *   NS: imdn <urn:ietf:params:imdn>
 *   imdn.Message-ID: 34jk324j
 *
 *   Content-Type: text/plain                   content headers
 *
 *   Hello                                      content
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SipsCpimMessage SipsCpimMessage;

SipsCpimMessage *sips_cpim_message_new             (void);
void             sips_cpim_message_free            (SipsCpimMessage *self);

/* Message headers, kept in order. Names and values must not contain CR or LF. */
void             sips_cpim_message_add_header      (SipsCpimMessage *self,
                                                    const char      *name,
                                                    const char      *value);
/* "NS: prefix <uri>" (RFC 3862 §4.7), e.g. imdn <urn:ietf:params:imdn>. */
void             sips_cpim_message_add_namespace   (SipsCpimMessage *self,
                                                    const char      *prefix,
                                                    const char      *uri);
/* "DateTime:" in RFC 3339 form. */
void             sips_cpim_message_set_datetime    (SipsCpimMessage *self,
                                                    GDateTime       *datetime);
/* Content headers besides Content-Type (Content-ID, Content-Disposition...). */
void             sips_cpim_message_add_content_header (SipsCpimMessage *self,
                                                       const char      *name,
                                                       const char      *value);
/* The inner content; content that is not valid UTF-8 goes base64-encoded with
 * Content-Transfer-Encoding: base64. */
void             sips_cpim_message_set_content     (SipsCpimMessage *self,
                                                    const char      *content_type,
                                                    const guint8    *content,
                                                    gsize            len);

/* The message/cpim body. */
GBytes          *sips_cpim_message_to_bytes        (const SipsCpimMessage *self);

/* Reads a message/cpim body (CRLF or bare LF line ends); NULL with
 * SIPS_ERROR_INVALID_ARGUMENT when it has no header block, a malformed header line
 * or no content part. Content that is base64 on the wire stays encoded (with its
 * Content-Transfer-Encoding); content that is not valid UTF-8 is base64-encoded here
 * and marked the same way, so that the content is always text. */
SipsCpimMessage *sips_cpim_message_parse           (const guint8  *data,
                                                    gsize          len,
                                                    GError       **error);

/* The first header of that name (case-insensitively), message headers then content
 * headers; NULL if none. Content-Type is get_content_type. */
const char      *sips_cpim_message_get_header      (const SipsCpimMessage *self,
                                                    const char            *name);
/* All headers but Content-Type as name -> value for an a{ss}: message headers then
 * content headers; a name with parameters keeps them ("Subject;lang=fr"); repeated
 * names (To, NS...) have their values joined by ", "; standard names in their
 * canonical case (From, To, cc, DateTime, Subject, NS, Require, Content-*). */
GHashTable      *sips_cpim_message_dup_headers     (const SipsCpimMessage *self);
/* DateTime as a GDateTime, NULL if absent or invalid. */
GDateTime       *sips_cpim_message_dup_datetime    (const SipsCpimMessage *self);
const char      *sips_cpim_message_get_content_type (const SipsCpimMessage *self);
/* The content as text (base64 when is_base64); len may be NULL. */
const char      *sips_cpim_message_get_content     (const SipsCpimMessage *self,
                                                    gsize                 *len);
gboolean         sips_cpim_message_is_base64       (const SipsCpimMessage *self);

/* "Display Name <uri>" ("<uri>" without a name), quoting the name when needed. */
char            *sips_cpim_format_address          (const char *display_name,
                                                    const char *uri);

/* Content as text for a signal: itself if valid UTF-8 (is_base64 FALSE), else its
 * base64 encoding (is_base64 TRUE). */
char            *sips_cpim_content_to_text         (const guint8 *content,
                                                    gsize         len,
                                                    gboolean     *is_base64);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsCpimMessage, sips_cpim_message_free)

G_END_DECLS
