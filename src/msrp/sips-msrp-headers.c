/* sips-msrp-headers.c: the known headers of an MSRP message, interpreted (RFC 4975
 * §8, RFC 4976) */
#include "sips-msrp-headers.h"

#include <string.h>

#include "sips-msrp-uri.h"

/* Known headers seen in this message (duplicates are malformed). */
enum {
  SEEN_TO_PATH        = 1 << 0,
  SEEN_FROM_PATH      = 1 << 1,
  SEEN_USE_PATH       = 1 << 2,
  SEEN_MESSAGE_ID     = 1 << 3,
  SEEN_SUCCESS_REPORT = 1 << 4,
  SEEN_FAILURE_REPORT = 1 << 5,
  SEEN_BYTE_RANGE     = 1 << 6,
  SEEN_STATUS         = 1 << 7,
  SEEN_CONTENT_TYPE   = 1 << 8,
  SEEN_EXPIRES        = 1 << 9,
  SEEN_MIN_EXPIRES    = 1 << 10,
  SEEN_MAX_EXPIRES    = 1 << 11,
};

void
sips_msrp_headers_clear (SipsMsrpHeaders *h)
{
  g_clear_pointer (&h->to_path, g_ptr_array_unref);
  g_clear_pointer (&h->from_path, g_ptr_array_unref);
  g_clear_pointer (&h->use_path, g_ptr_array_unref);
  g_clear_pointer (&h->message_id, g_free);
  g_clear_pointer (&h->content_type, g_free);
  g_clear_pointer (&h->status_comment, g_free);
  g_clear_pointer (&h->www_authenticate, g_free);
  g_clear_pointer (&h->authorization, g_free);
  g_clear_pointer (&h->authentication_info, g_free);
  memset (h, 0, sizeof *h);
  sips_msrp_headers_init (h);
}

void
sips_msrp_headers_init (SipsMsrpHeaders *h)
{
  h->success_report = SIPS_MSRP_REPORT_NO;
  h->failure_report = SIPS_MSRP_REPORT_YES;
  h->byte_range.start = 1;
  h->byte_range.end = SIPS_MSRP_BYTE_RANGE_UNKNOWN;
  h->byte_range.total = SIPS_MSRP_BYTE_RANGE_UNKNOWN;
  h->expires = h->min_expires = h->max_expires = -1;
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-.!%*_+`'~", c) != NULL);
}

/* type "/" subtype *( ";" parameter ), loosely: the higher layer decides on 415. */
static gboolean
is_media_type (const char *value)
{
  const char *p = value;

  while (is_token_char (*p))
    p++;
  if (p == value || *p != '/')
    return FALSE;
  value = ++p;
  while (is_token_char (*p))
    p++;
  return p != value && (*p == '\0' || *p == ';' || *p == ' ' || *p == '\t');
}

static gboolean
parse_path (GPtrArray  **path,
            const char  *value)
{
  *path = sips_msrp_uri_parse_path (value, NULL);
  return *path != NULL;
}

static gboolean
parse_expires (const char *value,
               gint64     *expires)
{
  guint64 v;

  if (!sips_msrp_parse_number (value, strlen (value), &v) || v > G_MAXUINT32)
    return FALSE;
  *expires = (gint64) v;
  return TRUE;
}

gboolean
sips_msrp_headers_take (SipsMsrpHeaders *h,
                        const char      *name,
                        const char      *value)
{
  static const struct {
    const char *name;
    guint       bit;
  } known[] = {
    { "To-Path", SEEN_TO_PATH }, { "From-Path", SEEN_FROM_PATH }, { "Use-Path", SEEN_USE_PATH },
    { "Message-ID", SEEN_MESSAGE_ID }, { "Success-Report", SEEN_SUCCESS_REPORT },
    { "Failure-Report", SEEN_FAILURE_REPORT }, { "Byte-Range", SEEN_BYTE_RANGE },
    { "Status", SEEN_STATUS }, { "Content-Type", SEEN_CONTENT_TYPE },
    { "Expires", SEEN_EXPIRES }, { "Min-Expires", SEEN_MIN_EXPIRES },
    { "Max-Expires", SEEN_MAX_EXPIRES },
  };
  guint bit = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_ascii_strcasecmp (name, known[i].name) == 0)
      bit = known[i].bit;

  if (bit == 0)
    {
      /* RFC 4976 authentication headers: the first of each is kept, raw */
      if (g_ascii_strcasecmp (name, "WWW-Authenticate") == 0 && h->www_authenticate == NULL)
        h->www_authenticate = g_strdup (value);
      else if (g_ascii_strcasecmp (name, "Authorization") == 0 && h->authorization == NULL)
        h->authorization = g_strdup (value);
      else if (g_ascii_strcasecmp (name, "Authentication-Info") == 0 &&
               h->authentication_info == NULL)
        h->authentication_info = g_strdup (value);
      return TRUE;  /* extension headers are the higher layer's business */
    }
  if (h->seen & bit)
    return FALSE;
  h->seen |= bit;

  switch (bit)
    {
    case SEEN_TO_PATH:
      return parse_path (&h->to_path, value);
    case SEEN_FROM_PATH:
      return parse_path (&h->from_path, value);
    case SEEN_USE_PATH:
      return parse_path (&h->use_path, value);
    case SEEN_MESSAGE_ID:
      if (!sips_msrp_is_ident (value, strlen (value)))
        return FALSE;
      h->message_id = g_strdup (value);
      return TRUE;
    case SEEN_SUCCESS_REPORT:
      return sips_msrp_report_parse (value, FALSE, &h->success_report);
    case SEEN_FAILURE_REPORT:
      return sips_msrp_report_parse (value, TRUE, &h->failure_report);
    case SEEN_BYTE_RANGE:
      if (!sips_msrp_byte_range_parse (value, &h->byte_range))
        return FALSE;
      h->has_byte_range = TRUE;
      return TRUE;
    case SEEN_STATUS:
      if (!sips_msrp_status_header_parse (value, &h->status_namespace, &h->status_code,
                                          &h->status_comment))
        return FALSE;
      h->has_status = TRUE;
      return TRUE;
    case SEEN_CONTENT_TYPE:
      if (!is_media_type (value))
        return FALSE;
      h->content_type = g_strdup (value);
      return TRUE;
    case SEEN_EXPIRES:
      return parse_expires (value, &h->expires);
    case SEEN_MIN_EXPIRES:
      return parse_expires (value, &h->min_expires);
    case SEEN_MAX_EXPIRES:
      return parse_expires (value, &h->max_expires);
    default:
      g_assert_not_reached ();
    }
}

