/* sips-msrp-chunker.c: one MSRP message as a series of SEND chunks (RFC 4975 §5.1) */
#include "sips-msrp-chunker.h"

struct _SipsMsrpChunker {
  SipsMsrpMessage *request;
  char            *content_type;
  GBytes          *body;
  gsize            chunk_size;
  gsize            offset;
  gboolean         done;
};

SipsMsrpChunker *
sips_msrp_chunker_new (const SipsMsrpMessage *request,
                       const char            *content_type,
                       GBytes                *body,
                       gsize                  chunk_size)
{
  SipsMsrpChunker *self;

  g_return_val_if_fail (request != NULL && sips_msrp_message_is_request (request), NULL);
  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (content_type != NULL || g_bytes_get_size (body) == 0, NULL);

  self = g_new0 (SipsMsrpChunker, 1);
  self->request = sips_msrp_message_copy (request);
  self->content_type = g_strdup (content_type);
  self->body = g_bytes_ref (body);
  self->chunk_size = chunk_size != 0 ? chunk_size : SIPS_MSRP_CHUNK_SIZE;
  return self;
}

void
sips_msrp_chunker_free (SipsMsrpChunker *self)
{
  if (self == NULL)
    return;
  sips_msrp_message_free (self->request);
  g_free (self->content_type);
  g_bytes_unref (self->body);
  g_free (self);
}

GBytes *
sips_msrp_chunker_next (SipsMsrpChunker   *self,
                        char             **transaction_id,
                        SipsMsrpByteRange *range)
{
  gsize total, len;
  const guint8 *data = g_bytes_get_data (self->body, &total);
  SipsMsrpByteRange r;
  GBytes *chunk;
  gboolean last;

  if (self->done)
    return NULL;

  len = MIN (self->chunk_size, total - self->offset);
  last = self->offset + len == total;
  r.start = (gint64) self->offset + 1;
  r.end = (gint64) (self->offset + len);
  r.total = (gint64) total;

  sips_msrp_message_set_transaction_id (self->request, NULL);
  sips_msrp_message_set_byte_range (self->request, &r);
  if (total == 0)
    chunk = sips_msrp_message_to_bytes (self->request, NULL, NULL, 0, SIPS_MSRP_FLAG_COMPLETE);
  else
    chunk = sips_msrp_message_to_bytes (self->request, self->content_type, data + self->offset,
                                        len, last ? SIPS_MSRP_FLAG_COMPLETE
                                                  : SIPS_MSRP_FLAG_CONTINUED);
  self->offset += len;
  self->done = last;

  if (transaction_id != NULL)
    *transaction_id = g_strdup (sips_msrp_message_get_transaction_id (self->request));
  if (range != NULL)
    *range = r;
  return chunk;
}

GBytes *
sips_msrp_chunker_interrupt (SipsMsrpChunker  *self,
                             char            **transaction_id)
{
  gsize total = g_bytes_get_size (self->body);
  SipsMsrpByteRange r;
  GBytes *chunk;

  if (self->done)
    return NULL;

  /* an empty range at the current offset: nothing more of this message follows */
  r.start = (gint64) self->offset + 1;
  r.end = (gint64) self->offset;
  r.total = (gint64) total;
  sips_msrp_message_set_transaction_id (self->request, NULL);
  sips_msrp_message_set_byte_range (self->request, &r);
  chunk = sips_msrp_message_to_bytes (self->request, self->content_type,
                                      (const guint8 *) "", 0, SIPS_MSRP_FLAG_INTERRUPTED);
  self->done = TRUE;
  if (transaction_id != NULL)
    *transaction_id = g_strdup (sips_msrp_message_get_transaction_id (self->request));
  return chunk;
}

gboolean
sips_msrp_chunker_is_done (SipsMsrpChunker *self)
{
  return self->done;
}

guint
sips_msrp_chunker_get_n_chunks (SipsMsrpChunker *self)
{
  gsize total = g_bytes_get_size (self->body);

  return total == 0 ? 1 : (guint) ((total + self->chunk_size - 1) / self->chunk_size);
}

gsize
sips_msrp_chunker_get_offset (SipsMsrpChunker *self)
{
  return self->offset;
}
