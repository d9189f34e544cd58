/* sips-msrp-chat-send.c: a chat stream's outgoing messages: CPIM, chunks, responses,
 * delivery REPORTs, is-composing */
#include "sips-msrp-chat-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "sips-cpim.h"
#include "sips-msrp-chunker.h"
#include "sips-msrp-iscomposing.h"
#include "sips-msrp-uri.h"

#define CPIM_CONTENT_TYPE "message/cpim"
#define ANONYMOUS "<sip:anonymous@anonymous.invalid>"

typedef struct {
  char     *id;
  char     *content_type;  /* of body: message/cpim or the content's */
  GBytes   *body;
  gboolean  reports;       /* FALSE: is-composing, nobody hears of its fate */
} ChatOutgoing;

void
sips_msrp_chat_outgoing_free (gpointer data)
{
  ChatOutgoing *out = data;

  g_free (out->id);
  g_free (out->content_type);
  g_clear_pointer (&out->body, g_bytes_unref);
  g_free (out);
}

static void
emit_not_delivered (SipsMsrpChat *self, const char *id, guint code, const char *reason)
{
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_NOT_DELIVER_MESSAGE], 0,
                 g_get_real_time (), id, (gint) code, reason);
}

void
sips_msrp_chat_set_paths (SipsMsrpChat *self, SipsMsrpMessage *message)
{
  g_autoptr(GStrvBuilder) to = g_strv_builder_new ();
  g_auto(GStrv) to_path = NULL;
  const char *from[] = { sips_msrp_chat_get_own_uri (self), NULL };

  /* RFC 4976 §6: To-Path is our relays (our path but our URI) then the peer's path;
   * From-Path is our URI alone: each relay puts itself before it */
  for (guint i = 0; self->local_path[i] != NULL && self->local_path[i + 1] != NULL; i++)
    g_strv_builder_add (to, self->local_path[i]);
  g_strv_builder_addv (to, (const char **) self->remote_path);
  to_path = g_strv_builder_end (to);
  sips_msrp_message_set_to_path (message, (const char * const *) to_path);
  sips_msrp_message_set_from_path (message, from);
}

/* Relays may not take our usual chunks. */
gsize
sips_msrp_chat_chunk_size (SipsMsrpChat *self)
{
  if (self->relay != NULL || g_strv_length (self->remote_path) > 1)
    return SIPS_MSRP_RELAY_CHUNK_SIZE;
  return 0;
}

/* ---- responses and REPORTs ---- */

static void
on_chunk_response (SipsMsrpConnection *connection, const char *tid, guint status,
                   const char *comment, gpointer user_data)
{
  SipsMsrpChat *self = user_data;
  g_autofree char *key = NULL;
  g_autofree char *id = NULL;
  ChatOutgoing *out;

  if (!g_hash_table_steal_extended (self->chunk_tids, tid, (gpointer *) &key, (gpointer *) &id))
    return;
  out = g_hash_table_lookup (self->outgoing, id);
  if (out == NULL || status == SIPS_MSRP_STATUS_OK)
    return;  /* 200: its success REPORT will tell */

  /* the first failure decides; the chunks still in flight are of no interest now */
  g_hash_table_remove (self->outgoing, id);
  emit_not_delivered (self, id, status, comment);
}

void
sips_msrp_chat_handle_report (SipsMsrpChat *self, const SipsMsrpHeaders *headers)
{
  g_autofree char *id = NULL;
  const char *comment;

  if (headers->message_id == NULL || !headers->has_status ||
      !g_hash_table_contains (self->outgoing, headers->message_id))
    return;
  /* a success REPORT of a part (RFC 4975 §7.1.2 allows one per chunk) waits for the rest */
  if (headers->status_code == SIPS_MSRP_STATUS_OK && headers->has_byte_range &&
      headers->byte_range.end != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      headers->byte_range.total != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      headers->byte_range.end < headers->byte_range.total)
    return;

  id = g_strdup (headers->message_id);
  g_hash_table_remove (self->outgoing, id);
  comment = headers->status_comment != NULL ? headers->status_comment
                                            : sips_msrp_status_reason (headers->status_code);
  if (headers->status_code == SIPS_MSRP_STATUS_OK)
    g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_DID_DELIVER_MESSAGE], 0,
                   g_get_real_time (), id, (gint) headers->status_code, comment);
  else
    emit_not_delivered (self, id, headers->status_code, comment);
}

/* ---- sending ---- */

static void
send_now (SipsMsrpChat *self, ChatOutgoing *out)
{
  g_autoptr(SipsMsrpMessage) send = sips_msrp_message_new_request ("SEND", NULL);
  g_autoptr(SipsMsrpChunker) chunker = NULL;
  GBytes *frame;
  char *tid = NULL;

  sips_msrp_chat_set_paths (self, send);
  sips_msrp_message_set_message_id (send, out->id);
  if (out->reports)
    sips_msrp_message_set_reports (send, SIPS_MSRP_REPORT_YES, SIPS_MSRP_REPORT_YES);
  else
    sips_msrp_message_set_reports (send, SIPS_MSRP_REPORT_NO, SIPS_MSRP_REPORT_NO);

  chunker = sips_msrp_chunker_new (send, out->content_type, out->body, sips_msrp_chat_chunk_size (self));
  while ((frame = sips_msrp_chunker_next (chunker, &tid, NULL)) != NULL)
    {
      if (out->reports)
        {
          g_hash_table_replace (self->chunk_tids, g_strdup (tid), g_strdup (out->id));
          sips_msrp_connection_send_request (self->connection, frame, tid,
                                             self->response_timeout, on_chunk_response, self);
        }
      else
        sips_msrp_connection_send (self->connection, frame);
      g_bytes_unref (frame);
      g_clear_pointer (&tid, g_free);
    }
  if (out->reports)
    {
      /* only its fate is awaited now: a peer that never reports costs little */
      g_clear_pointer (&out->body, g_bytes_unref);
      g_hash_table_replace (self->outgoing, out->id, out);
    }
  else
    sips_msrp_chat_outgoing_free (out);
}

void
sips_msrp_chat_flush_waiting (SipsMsrpChat *self)
{
  ChatOutgoing *out;

  while (self->state == SIPS_MSRP_CHAT_STATE_STARTED && self->connection != NULL &&
         (out = g_queue_pop_head (&self->waiting)) != NULL)
    send_now (self, out);
}

void
sips_msrp_chat_drop_outgoing (SipsMsrpChat *self)
{
  ChatOutgoing *out;

  g_hash_table_remove_all (self->outgoing);
  g_hash_table_remove_all (self->chunk_tids);
  while ((out = g_queue_pop_head (&self->waiting)) != NULL)
    {
      if (out->reports)
        emit_not_delivered (self, out->id, 0, _("The chat ended before the message was sent"));
      sips_msrp_chat_outgoing_free (out);
    }
}

static gboolean
peer_accepts (SipsMsrpChat *self, const char *type)
{
  if (self->remote_accept_types == NULL)
    return TRUE;
  for (char **t = self->remote_accept_types; *t != NULL; t++)
    if (strcmp (*t, "*") == 0 || g_ascii_strcasecmp (*t, type) == 0)
      return TRUE;
  return FALSE;
}

static GDateTime *
datetime_from_us (gint64 timestamp)
{
  g_autoptr(GDateTime) seconds = NULL;

  if (timestamp == 0)
    return g_date_time_new_now_utc ();
  seconds = g_date_time_new_from_unix_utc (timestamp / G_USEC_PER_SEC);
  return seconds != NULL ? g_date_time_add (seconds, timestamp % G_USEC_PER_SEC) : NULL;
}

/* The body as it goes out: CPIM-wrapped unless the peer does not take CPIM. */
static GBytes *
make_body (SipsMsrpChat *self, const guint8 *content, gsize len, const char *content_type,
           const char *to_uri, gint64 timestamp, const char * const *extra_headers,
           char **body_type, GError **error)
{
  g_autoptr(SipsCpimMessage) cpim = NULL;
  g_autoptr(GDateTime) datetime = NULL;
  g_autofree char *to = NULL;

  if (!peer_accepts (self, CPIM_CONTENT_TYPE))
    {
      *body_type = g_strdup (content_type);
      return g_bytes_new (content, len);
    }
  datetime = datetime_from_us (timestamp);
  if (datetime == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid timestamp"));
      return NULL;
    }
  if (to_uri != NULL && to_uri[0] != '\0')
    to = sips_cpim_format_address (NULL, to_uri);
  for (gsize i = 0; extra_headers != NULL && extra_headers[i] != NULL; i += 2)
    if (extra_headers[i + 1] == NULL || strpbrk (extra_headers[i], ":\r\n") != NULL ||
        strpbrk (extra_headers[i + 1], "\r\n") != NULL)
      {
        g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                     _("Invalid CPIM header %s"), extra_headers[i]);
        return NULL;
      }

  cpim = sips_cpim_message_new ();
  sips_cpim_message_add_header (cpim, "From", self->local_identity != NULL
                                                ? self->local_identity : ANONYMOUS);
  sips_cpim_message_add_header (cpim, "To", to != NULL ? to
                                            : self->remote_identity != NULL
                                              ? self->remote_identity : ANONYMOUS);
  sips_cpim_message_set_datetime (cpim, datetime);
  for (gsize i = 0; extra_headers != NULL && extra_headers[i] != NULL; i += 2)
    sips_cpim_message_add_header (cpim, extra_headers[i], extra_headers[i + 1]);
  sips_cpim_message_set_content (cpim, content_type, content, len);
  *body_type = g_strdup (CPIM_CONTENT_TYPE);
  return sips_cpim_message_to_bytes (cpim);
}

static ChatOutgoing *
make_outgoing (SipsMsrpChat *self, const guint8 *content, gsize len, const char *content_type,
               const char *to_uri, gint64 timestamp, const char * const *extra_headers,
               gboolean reports, GError **error)
{
  g_autofree char *body_type = NULL;
  g_autoptr(GBytes) body = NULL;
  ChatOutgoing *out;

  if (content_type == NULL || content_type[0] == '\0')
    content_type = "text/plain";
  if (strpbrk (content_type, "\r\n") != NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid content type"));
      return NULL;
    }
  body = make_body (self, content, len, content_type, to_uri, timestamp, extra_headers,
                    &body_type, error);
  if (body == NULL)
    return NULL;
  if (g_bytes_get_size (body) == 0 || g_bytes_get_size (body) > SIPS_MSRP_CHAT_MAX_MESSAGE)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("A message must have between 1 byte and %d MiB"),
                   SIPS_MSRP_CHAT_MAX_MESSAGE / (1024 * 1024));
      return NULL;
    }
  out = g_new0 (ChatOutgoing, 1);
  out->id = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
  out->content_type = g_steal_pointer (&body_type);
  out->body = g_steal_pointer (&body);
  out->reports = reports;
  return out;
}

/* Now, or behind what waits for the connection: messages and indications keep their order. */
static void
send_in_order (SipsMsrpChat *self, ChatOutgoing *out)
{
  if (self->state == SIPS_MSRP_CHAT_STATE_STARTED && self->connection != NULL &&
      g_queue_is_empty (&self->waiting))
    send_now (self, out);
  else
    g_queue_push_tail (&self->waiting, out);
}

char *
sips_msrp_chat_send_message (SipsMsrpChat *self, const guint8 *content, gsize len,
                             const char *content_type, const char *to_uri, gint64 timestamp,
                             const char * const *extra_headers, GError **error)
{
  ChatOutgoing *out;
  char *id;

  g_return_val_if_fail (SIPS_IS_MSRP_CHAT (self), NULL);
  g_return_val_if_fail (content != NULL || len == 0, NULL);

  if (self->state == SIPS_MSRP_CHAT_STATE_NEW || self->state >= SIPS_MSRP_CHAT_STATE_ENDING)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("The chat stream is not active"));
      return NULL;
    }
  out = make_outgoing (self, content, len, content_type, to_uri, timestamp, extra_headers,
                       TRUE, error);
  if (out == NULL)
    return NULL;
  id = g_strdup (out->id);
  send_in_order (self, out);
  return id;
}

gboolean
sips_msrp_chat_send_composing_indication (SipsMsrpChat *self, const char *state, guint refresh,
                                          GError **error)
{
  g_autoptr(GBytes) document = NULL;
  ChatOutgoing *out;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (SIPS_IS_MSRP_CHAT (self), FALSE);

  if (g_strcmp0 (state, "active") != 0 && g_strcmp0 (state, "idle") != 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The composing state is active or idle, not %s"), state);
      return FALSE;
    }
  if (self->state != SIPS_MSRP_CHAT_STATE_STARTED && self->state != SIPS_MSRP_CHAT_STATE_CONNECTING)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                   _("The chat stream is not active"));
      return FALSE;
    }
  document = sips_iscomposing_build (state, "text/plain", refresh);
  data = g_bytes_get_data (document, &len);
  out = make_outgoing (self, data, len, SIPS_ISCOMPOSING_CONTENT_TYPE, NULL, 0, NULL, FALSE,
                       error);
  if (out == NULL)
    return FALSE;
  send_in_order (self, out);
  return TRUE;
}
