/* sips-msrp-message.c: building MSRP requests and responses for the wire (RFC 4975) */
#include "sips-msrp-message.h"

#include <string.h>

typedef struct {
  char *name;
  char *value;
} Header;

struct _SipsMsrpMessage {
  gboolean  is_request;
  char     *method;
  guint     status;
  char     *comment;
  char     *tid;
  gboolean  tid_generated;
  char     *to_path;
  char     *from_path;
  GArray   *headers;  /* Header */
};

static void
header_clear (gpointer data)
{
  Header *h = data;

  g_free (h->name);
  g_free (h->value);
}

static gboolean
is_clean (const char *s)
{
  return s != NULL && strpbrk (s, "\r\n") == NULL;
}

static SipsMsrpMessage *
message_new (const char *transaction_id)
{
  SipsMsrpMessage *self = g_new0 (SipsMsrpMessage, 1);

  self->headers = g_array_new (FALSE, TRUE, sizeof (Header));
  g_array_set_clear_func (self->headers, header_clear);
  if (transaction_id != NULL)
    self->tid = g_strdup (transaction_id);
  else
    {
      self->tid = sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
      self->tid_generated = TRUE;
    }
  return self;
}

static char *
join_path (const char * const *uris)
{
  return uris != NULL ? g_strjoinv (" ", (char **) uris) : NULL;
}

SipsMsrpMessage *
sips_msrp_message_new_request (const char *method,
                               const char *transaction_id)
{
  SipsMsrpMessage *self;

  g_return_val_if_fail (method != NULL && *method != '\0' && is_clean (method), NULL);
  g_return_val_if_fail (transaction_id == NULL || is_clean (transaction_id), NULL);

  self = message_new (transaction_id);
  self->is_request = TRUE;
  self->method = g_strdup (method);
  return self;
}

SipsMsrpMessage *
sips_msrp_message_new_response (const char *transaction_id,
                                guint       status,
                                const char *comment,
                                const char *to_uri,
                                const char *from_uri)
{
  SipsMsrpMessage *self;

  g_return_val_if_fail (is_clean (transaction_id), NULL);
  g_return_val_if_fail (status >= 200 && status <= 699, NULL);
  g_return_val_if_fail (comment == NULL || is_clean (comment), NULL);

  self = message_new (transaction_id);
  self->status = status;
  self->comment = g_strdup (comment != NULL ? comment : sips_msrp_status_reason (status));
  if (to_uri != NULL)
    self->to_path = g_strdup (to_uri);
  if (from_uri != NULL)
    self->from_path = g_strdup (from_uri);
  return self;
}

SipsMsrpMessage *
sips_msrp_message_new_report (const char * const      *to_path,
                              const char * const      *from_path,
                              const char              *message_id,
                              const SipsMsrpByteRange *range,
                              guint                    status,
                              const char              *comment)
{
  SipsMsrpMessage *self = sips_msrp_message_new_request ("REPORT", NULL);
  g_autofree char *status_value = NULL;

  sips_msrp_message_set_to_path (self, to_path);
  sips_msrp_message_set_from_path (self, from_path);
  sips_msrp_message_set_message_id (self, message_id);
  if (range != NULL)
    sips_msrp_message_set_byte_range (self, range);
  status_value = g_strdup_printf ("000 %03u %s", status,
                                  comment != NULL ? comment : sips_msrp_status_reason (status));
  sips_msrp_message_set_header (self, "Status", status_value);
  return self;
}

SipsMsrpMessage *
sips_msrp_message_copy (const SipsMsrpMessage *self)
{
  SipsMsrpMessage *copy = message_new (self->tid);

  copy->is_request = self->is_request;
  copy->method = g_strdup (self->method);
  copy->status = self->status;
  copy->comment = g_strdup (self->comment);
  copy->tid_generated = self->tid_generated;
  copy->to_path = g_strdup (self->to_path);
  copy->from_path = g_strdup (self->from_path);
  for (guint i = 0; i < self->headers->len; i++)
    {
      const Header *h = &g_array_index (self->headers, Header, i);

      sips_msrp_message_add_header (copy, h->name, h->value);
    }
  return copy;
}

void
sips_msrp_message_free (SipsMsrpMessage *self)
{
  if (self == NULL)
    return;
  g_free (self->method);
  g_free (self->comment);
  g_free (self->tid);
  g_free (self->to_path);
  g_free (self->from_path);
  g_array_unref (self->headers);
  g_free (self);
}

const char *
sips_msrp_message_get_transaction_id (const SipsMsrpMessage *self)
{
  return self->tid;
}

void
sips_msrp_message_set_transaction_id (SipsMsrpMessage *self,
                                      const char      *transaction_id)
{
  g_return_if_fail (transaction_id == NULL || is_clean (transaction_id));

  g_free (self->tid);
  self->tid_generated = transaction_id == NULL;
  self->tid = transaction_id != NULL ? g_strdup (transaction_id)
                                     : sips_msrp_random_ident (SIPS_MSRP_IDENT_LENGTH);
}

gboolean
sips_msrp_message_is_request (const SipsMsrpMessage *self)
{
  return self->is_request;
}

void
sips_msrp_message_set_to_path (SipsMsrpMessage    *self,
                               const char * const *uris)
{
  g_free (self->to_path);
  self->to_path = join_path (uris);
  g_return_if_fail (self->to_path == NULL || is_clean (self->to_path));
}

void
sips_msrp_message_set_from_path (SipsMsrpMessage    *self,
                                 const char * const *uris)
{
  g_free (self->from_path);
  self->from_path = join_path (uris);
  g_return_if_fail (self->from_path == NULL || is_clean (self->from_path));
}

void
sips_msrp_message_add_header (SipsMsrpMessage *self,
                              const char      *name,
                              const char      *value)
{
  Header h;

  g_return_if_fail (is_clean (name) && *name != '\0' && strchr (name, ':') == NULL);
  g_return_if_fail (is_clean (value));

  h.name = g_strdup (name);
  h.value = g_strdup (value);
  g_array_append_val (self->headers, h);
}

void
sips_msrp_message_set_header (SipsMsrpMessage *self,
                              const char      *name,
                              const char      *value)
{
  g_return_if_fail (name != NULL);

  for (guint i = 0; i < self->headers->len; i++)
    {
      Header *h = &g_array_index (self->headers, Header, i);

      if (g_ascii_strcasecmp (h->name, name) != 0)
        continue;
      if (value == NULL)
        {
          g_array_remove_index (self->headers, i);
          return;
        }
      g_return_if_fail (is_clean (value));
      g_free (h->value);
      h->value = g_strdup (value);
      return;
    }
  if (value != NULL)
    sips_msrp_message_add_header (self, name, value);
}

const char *
sips_msrp_message_get_header (const SipsMsrpMessage *self,
                              const char            *name)
{
  if (g_ascii_strcasecmp (name, "To-Path") == 0)
    return self->to_path;
  if (g_ascii_strcasecmp (name, "From-Path") == 0)
    return self->from_path;
  for (guint i = 0; i < self->headers->len; i++)
    {
      const Header *h = &g_array_index (self->headers, Header, i);

      if (g_ascii_strcasecmp (h->name, name) == 0)
        return h->value;
    }
  return NULL;
}

void
sips_msrp_message_set_message_id (SipsMsrpMessage *self,
                                  const char      *message_id)
{
  sips_msrp_message_set_header (self, "Message-ID", message_id);
}

void
sips_msrp_message_set_byte_range (SipsMsrpMessage         *self,
                                  const SipsMsrpByteRange *range)
{
  g_autofree char *value = range != NULL ? sips_msrp_byte_range_to_string (range) : NULL;

  sips_msrp_message_set_header (self, "Byte-Range", value);
}

void
sips_msrp_message_set_reports (SipsMsrpMessage *self,
                               SipsMsrpReport   success,
                               SipsMsrpReport   failure)
{
  g_return_if_fail (success != SIPS_MSRP_REPORT_PARTIAL);

  sips_msrp_message_set_header (self, "Success-Report", sips_msrp_report_to_string (success));
  sips_msrp_message_set_header (self, "Failure-Report", sips_msrp_report_to_string (failure));
}

static GString *
build_head (const SipsMsrpMessage *self,
            const char            *content_type,
            gsize                  reserve)
{
  GString *s = g_string_sized_new (256 + reserve);

  if (self->is_request)
    g_string_append_printf (s, "MSRP %s %s\r\n", self->tid, self->method);
  else if (self->comment != NULL && *self->comment != '\0')
    g_string_append_printf (s, "MSRP %s %03u %s\r\n", self->tid, self->status, self->comment);
  else
    g_string_append_printf (s, "MSRP %s %03u\r\n", self->tid, self->status);
  if (self->to_path != NULL)
    g_string_append_printf (s, "To-Path: %s\r\n", self->to_path);
  if (self->from_path != NULL)
    g_string_append_printf (s, "From-Path: %s\r\n", self->from_path);
  for (guint i = 0; i < self->headers->len; i++)
    {
      const Header *h = &g_array_index (self->headers, Header, i);

      g_string_append_printf (s, "%s: %s\r\n", h->name, h->value);
    }
  if (content_type != NULL)
    g_string_append_printf (s, "Content-Type: %s\r\n\r\n", content_type);
  return s;
}

GBytes *
sips_msrp_message_head_to_bytes (const SipsMsrpMessage *self,
                                 const char            *content_type)
{
  GString *s;

  g_return_val_if_fail (content_type == NULL || is_clean (content_type), NULL);

  s = build_head (self, content_type, 0);
  return g_string_free_to_bytes (s);
}

GBytes *
sips_msrp_message_end_line (const SipsMsrpMessage *self,
                            gboolean               after_body,
                            char                   flag)
{
  g_return_val_if_fail (flag == '$' || flag == '+' || flag == '#', NULL);

  char *line = g_strdup_printf ("%s-------%s%c\r\n", after_body ? "\r\n" : "", self->tid, flag);

  return g_bytes_new_take (line, strlen (line));
}

/* Would the body end the message early? */
static gboolean
body_contains_end_line (const char   *tid,
                        const guint8 *body,
                        gsize         body_len)
{
  g_autofree char *needle = g_strconcat ("-------", tid, NULL);

  return body_len > 0 && memmem (body, body_len, needle, strlen (needle)) != NULL;
}

GBytes *
sips_msrp_message_to_bytes (SipsMsrpMessage *self,
                            const char      *content_type,
                            const guint8    *body,
                            gsize            body_len,
                            char             flag)
{
  GString *s;

  g_return_val_if_fail (flag == '$' || flag == '+' || flag == '#', NULL);
  g_return_val_if_fail (content_type == NULL || is_clean (content_type), NULL);
  g_return_val_if_fail (body != NULL || body_len == 0, NULL);

  /* RFC 4975 §6: the sender must pick a transaction id absent from the body */
  while (content_type != NULL && body_contains_end_line (self->tid, body, body_len))
    sips_msrp_message_set_transaction_id (self, NULL);

  s = build_head (self, content_type, body_len + 64);
  if (content_type != NULL)
    {
      g_string_append_len (s, (const char *) body, (gssize) body_len);
      g_string_append (s, "\r\n");
    }
  g_string_append_printf (s, "-------%s%c\r\n", self->tid, flag);
  return g_string_free_to_bytes (s);
}
