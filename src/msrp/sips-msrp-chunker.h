/* sips-msrp-chunker.h: one MSRP message as a series of SEND chunks (RFC 4975 §5.1) */
#pragma once

#include <glib.h>

#include "sips-msrp-message.h"

G_BEGIN_DECLS

/* The chunk size we send (RFC 4975 lets us pick; 64 KiB keeps others' traffic flowing). */
#define SIPS_MSRP_CHUNK_SIZE (64 * 1024)

typedef struct _SipsMsrpChunker SipsMsrpChunker;

/* Chunks of body of at most chunk_size bytes (0 = SIPS_MSRP_CHUNK_SIZE): each is a copy
 * of request (a SEND with its paths, Message-ID and reports set) with a fresh
 * transaction id and Byte-Range start-end/total, ended by '+' but the last by '$'.
 * An empty body is one SEND with Byte-Range 1-0/0 and no Content-Type (RFC 4975 §7.1). */
SipsMsrpChunker *sips_msrp_chunker_new             (const SipsMsrpMessage *request,
                                                    const char            *content_type,
                                                    GBytes                *body,
                                                    gsize                  chunk_size);
void             sips_msrp_chunker_free            (SipsMsrpChunker *self);

/* The next chunk on the wire, NULL when all were given. transaction_id (to match its
 * response; free it) and range may be NULL. */
GBytes          *sips_msrp_chunker_next            (SipsMsrpChunker   *self,
                                                    char             **transaction_id,
                                                    SipsMsrpByteRange *range);
/* An empty chunk ending with '#': the rest of the message is abandoned (RFC 4975
 * §5.1, after a 413); NULL if the message was complete. */
GBytes          *sips_msrp_chunker_interrupt       (SipsMsrpChunker  *self,
                                                    char            **transaction_id);
gboolean         sips_msrp_chunker_is_done         (SipsMsrpChunker *self);
guint            sips_msrp_chunker_get_n_chunks    (SipsMsrpChunker *self);
/* Body bytes given out so far. */
gsize            sips_msrp_chunker_get_offset      (SipsMsrpChunker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsMsrpChunker, sips_msrp_chunker_free)

G_END_DECLS
