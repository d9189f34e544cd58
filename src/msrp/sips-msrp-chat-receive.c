/* sips-msrp-chat-receive.c: a chat stream's incoming requests: SEND chunks reassembled,
 * answered and reported, CPIM unwrapped, is-composing; REPORTs for our messages */
#include "sips-msrp-chat-private.h"

#include <string.h>

#include "sips-cpim.h"
#include "sips-msrp-iscomposing.h"
#include "sips-msrp-message.h"
#include "sips-msrp-uri.h"

/* Messages in reassembly at once (their bytes share max_message as well). */
#define MAX_PARTIAL_MESSAGES 16

void
sips_msrp_chat_incoming_free (gpointer data)
{
  ChatIncoming *in = data;

  g_free (in->id);
  g_free (in->content_type);
  g_byte_array_unref (in->data);
  g_free (in);
}

static void
forget_incoming (SipsMsrpChat *self, ChatIncoming *in)
{
  if (self->receiving == in)
    self->receiving = NULL;
  self->incoming_bytes -= in->data->len;
  g_hash_table_remove (self->incoming, in->id);
}

void
sips_msrp_chat_drop_incoming (SipsMsrpChat *self)
{
  self->receiving = NULL;
  self->incoming_bytes = 0;
  g_hash_table_remove_all (self->incoming);
}

/* content_type (parameters ignored) against an accept-types entry: a type, a type with
 * a wildcard subtype, or a lone wildcard. */
static gboolean
type_matches (const char *pattern, const char *content_type)
{
  g_autofree char *type = g_strstrip (g_strndup (content_type, strcspn (content_type, ";")));
  gsize plen = strlen (pattern);

  if (strcmp (pattern, "*") == 0)
    return TRUE;
  if (plen >= 2 && g_str_has_suffix (pattern, "/*"))
    return g_ascii_strncasecmp (type, pattern, plen - 1) == 0;
  return g_ascii_strcasecmp (type, pattern) == 0;
}

static gboolean
we_accept (const char *content_type)
{
  g_auto(GStrv) types = g_strsplit (SIPS_MSRP_CHAT_ACCEPT_TYPES, " ", -1);

  for (char **t = types; *t != NULL; t++)
    if (type_matches (*t, content_type))
      return TRUE;
  return FALSE;
}

guint
sips_msrp_chat_request_begin (SipsMsrpConnection *connection, const char *transaction_id,
                              SipsMsrpMethod method, const SipsMsrpHeaders *headers,
                              gpointer user_data)
{
  SipsMsrpChat *self = user_data;
  const SipsMsrpByteRange *range = &headers->byte_range;
  ChatIncoming *in;
  guint64 start;

  self->receiving = NULL;
  self->receive_status = 0;
  /* a file transfer takes its data and REPORTs; empty SENDs stay the stream's */
  self->handing_over = self->request_handler != NULL &&
                       (method == SIPS_MSRP_METHOD_REPORT || headers->content_type != NULL);
  if (self->handing_over)
    return self->request_handler->request_begin (connection, transaction_id, method, headers,
                                                 self->request_handler_data);
  if (method != SIPS_MSRP_METHOD_SEND || headers->content_type == NULL)
    return 0;  /* a REPORT, or an empty SEND (binding, keep-alive) */

  if (!we_accept (headers->content_type))
    return SIPS_MSRP_STATUS_UNSUPPORTED_MEDIA;
  if (headers->message_id == NULL)
    return SIPS_MSRP_STATUS_BAD_REQUEST;
  if (headers->has_byte_range && range->total != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      (guint64) range->total > self->max_message)
    return SIPS_MSRP_STATUS_STOP_SENDING;

  in = g_hash_table_lookup (self->incoming, headers->message_id);
  if (in == NULL)
    {
      if (g_hash_table_size (self->incoming) >= MAX_PARTIAL_MESSAGES)
        return SIPS_MSRP_STATUS_STOP_SENDING;
      in = g_new0 (ChatIncoming, 1);
      in->id = g_strdup (headers->message_id);
      in->content_type = g_strdup (headers->content_type);
      in->data = g_byte_array_new ();
      g_hash_table_insert (self->incoming, in->id, in);
    }
  /* chunks without a Byte-Range follow on; a gap is filled in later (or never) */
  start = headers->has_byte_range ? (guint64) range->start - 1 : in->data->len;
  if (start > in->data->len)
    {
      guint64 gap = start - in->data->len;

      if (self->incoming_bytes + gap > self->max_message)
        {
          forget_incoming (self, in);
          return SIPS_MSRP_STATUS_STOP_SENDING;
        }
      g_byte_array_set_size (in->data, (guint) start);
      self->incoming_bytes += gap;
    }
  self->receiving = in;
  self->receive_pos = start;
  return 0;
}

void
sips_msrp_chat_request_body (SipsMsrpConnection *connection, const guint8 *data, gsize len,
                             gpointer user_data)
{
  SipsMsrpChat *self = user_data;
  ChatIncoming *in = self->receiving;
  guint64 end, grow;

  if (self->handing_over)
    {
      self->request_handler->request_body (connection, data, len, self->request_handler_data);
      return;
    }
  if (in == NULL || self->receive_status != 0)
    return;
  end = self->receive_pos + len;
  grow = end > in->data->len ? end - in->data->len : 0;
  if (self->incoming_bytes + grow > self->max_message)
    {
      self->receive_status = SIPS_MSRP_STATUS_STOP_SENDING;
      return;
    }
  if (grow > 0)
    {
      g_byte_array_set_size (in->data, (guint) end);
      self->incoming_bytes += grow;
    }
  memcpy (in->data->data + self->receive_pos, data, len);
  self->receive_pos = end;
}

void
sips_msrp_chat_send_report (SipsMsrpChat *self, SipsMsrpConnection *connection,
                            const SipsMsrpHeaders *headers, guint64 size, guint status)
{
  g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SipsMsrpMessage) report = NULL;
  g_autoptr(GBytes) frame = NULL;
  SipsMsrpByteRange range = { 1, (gint64) size, (gint64) size };
  const char *from[] = { sips_msrp_chat_get_own_uri (self), NULL };

  /* RFC 4975 §7.1.2: to the SEND's From-Path, from us */
  for (guint i = 0; headers->from_path != NULL && i < headers->from_path->len; i++)
    g_ptr_array_add (to, sips_msrp_uri_to_string (g_ptr_array_index (headers->from_path, i)));
  g_ptr_array_add (to, NULL);
  report = sips_msrp_message_new_report ((const char * const *) to->pdata,
                                         from, headers->message_id, &range, status, NULL);
  frame = sips_msrp_message_to_bytes (report, NULL, NULL, 0, SIPS_MSRP_FLAG_COMPLETE);
  sips_msrp_connection_send (connection, frame);
}

static GVariant *
headers_variant (GHashTable *headers)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  if (headers != NULL)
    {
      g_hash_table_iter_init (&iter, headers);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_variant_builder_add (&builder, "{ss}", key, value);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
emit_composing (SipsMsrpChat *self, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsIsComposing) doc = sips_iscomposing_parse (data, len, &error);
  guint refresh;

  if (doc == NULL)
    {
      g_debug ("MSRP chat %s: %s", self->session_id, error->message);
      return;
    }
  /* RFC 3994 §4: an active state without refresh lasts 120 s */
  if (strcmp (doc->state, "active") == 0)
    refresh = doc->refresh != 0 ? doc->refresh : SIPS_ISCOMPOSING_DEFAULT_REFRESH;
  else
    refresh = 0;
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_GOT_COMPOSING_INDICATION], 0,
                 g_get_real_time (), doc->state, refresh);
}

static void
deliver (SipsMsrpChat *self, ChatIncoming *in)
{
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(SipsCpimMessage) cpim = NULL;
  g_autofree char *text = NULL;
  const char *content;
  const char *content_type = in->content_type;

  if (type_matches ("message/cpim", in->content_type))
    {
      g_autoptr(GError) error = NULL;

      cpim = sips_cpim_message_parse (in->data->data, in->data->len, &error);
      if (cpim == NULL)
        {
          g_debug ("MSRP chat %s: dropping message %s: %s", self->session_id, in->id,
                   error->message);
          return;
        }
      content_type = sips_cpim_message_get_content_type (cpim);
      if (content_type == NULL)
        content_type = "text/plain";
      if (type_matches (SIPS_ISCOMPOSING_CONTENT_TYPE, content_type))
        {
          gsize len = 0;

          content = sips_cpim_message_get_content (cpim, &len);
          if (!sips_cpim_message_is_base64 (cpim))
            emit_composing (self, (const guint8 *) content, len);
          return;
        }
      content = sips_cpim_message_get_content (cpim, NULL);
      headers = sips_cpim_message_dup_headers (cpim);
    }
  else if (type_matches (SIPS_ISCOMPOSING_CONTENT_TYPE, in->content_type))
    {
      emit_composing (self, in->data->data, in->data->len);
      return;
    }
  else
    {
      gboolean is_base64 = FALSE;

      text = sips_cpim_content_to_text (in->data->data, in->data->len, &is_base64);
      content = text;
      headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      if (is_base64)
        g_hash_table_insert (headers, g_strdup ("Content-Transfer-Encoding"), g_strdup ("base64"));
    }

  variant = headers_variant (headers);
  g_signal_emit (self, sips_msrp_chat_signals[CHAT_SIGNAL_GOT_MESSAGE], 0, g_get_real_time (),
                 content, content_type, variant, in->id);
}

void
sips_msrp_chat_request_end (SipsMsrpConnection *connection, const char *transaction_id,
                            SipsMsrpMethod method, const SipsMsrpHeaders *headers, char flag,
                            guint status, gpointer user_data)
{
  SipsMsrpChat *self = user_data;
  ChatIncoming *in = self->receiving;

  self->receiving = NULL;
  if (self->handing_over)
    {
      self->handing_over = FALSE;
      self->request_handler->request_end (connection, transaction_id, method, headers, flag,
                                          status, self->request_handler_data);
      return;
    }
  if (method == SIPS_MSRP_METHOD_REPORT)
    {
      if (status == 0)
        sips_msrp_chat_handle_report (self, headers);
      return;
    }

  if (status != 0 || self->receive_status != 0)
    {
      /* the connection answered parser problems; ours (413) are for us to answer */
      if (status == 0)
        sips_msrp_connection_answer (connection, transaction_id, method, headers,
                                     self->receive_status, NULL);
      self->receive_status = 0;
      if (in != NULL)
        forget_incoming (self, in);
      return;
    }

  g_object_ref (self);
  sips_msrp_connection_answer (connection, transaction_id, method, headers,
                               SIPS_MSRP_STATUS_OK, NULL);
  if (in != NULL && flag == SIPS_MSRP_FLAG_INTERRUPTED)
    forget_incoming (self, in);
  else if (in != NULL && flag == SIPS_MSRP_FLAG_COMPLETE)
    {
      /* out of the table before anyone hears of it: a handler may end the chat */
      g_hash_table_steal (self->incoming, in->id);
      self->incoming_bytes -= in->data->len;
      if (headers->success_report == SIPS_MSRP_REPORT_YES)
        sips_msrp_chat_send_report (self, connection, headers, in->data->len, SIPS_MSRP_STATUS_OK);
      /* CONNECTING too: the passive peer may send before its 200 to our empty SEND */
      if (self->state == SIPS_MSRP_CHAT_STATE_STARTED ||
          self->state == SIPS_MSRP_CHAT_STATE_CONNECTING)
        deliver (self, in);
      sips_msrp_chat_incoming_free (in);
    }
  self->receive_status = 0;
  g_object_unref (self);
}
