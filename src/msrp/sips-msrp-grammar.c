/* sips-msrp-grammar.c: RFC 4975 tokens shared by the MSRP parser and writer */
#include "sips-msrp-grammar.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define MAX_NUMBER_DIGITS 18

static const struct {
  SipsMsrpMethod method;
  const char    *name;
} methods[] = {
  { SIPS_MSRP_METHOD_SEND,   "SEND" },
  { SIPS_MSRP_METHOD_REPORT, "REPORT" },
  { SIPS_MSRP_METHOD_AUTH,   "AUTH" },
};

static const struct {
  guint       code;
  const char *reason;
} reasons[] = {
  { 200, "OK" },
  { 400, "Bad Request" },
  { 401, "Unauthorized" },
  { 403, "Forbidden" },
  { 408, "Request Timeout" },
  { 413, "Stop Sending Message" },
  { 415, "Unsupported Media Type" },
  { 423, "Interval Out-of-Bounds" },
  { 481, "No Such Session" },
  { 501, "Unknown Method" },
  { 506, "Session Already Bound" },
};

const char *
sips_msrp_method_to_string (SipsMsrpMethod method)
{
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    if (methods[i].method == method)
      return methods[i].name;
  return NULL;
}

SipsMsrpMethod
sips_msrp_method_from_string (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    if (g_strcmp0 (methods[i].name, name) == 0)
      return methods[i].method;
  return SIPS_MSRP_METHOD_UNKNOWN;
}

const char *
sips_msrp_status_reason (guint code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (reasons[i].code == code)
      return reasons[i].reason;
  return "Unknown";
}

gboolean
sips_msrp_is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '=';
}

gboolean
sips_msrp_is_ident (const char *text,
                    gsize       len)
{
  if (text == NULL || len < 4 || len > 32 || !g_ascii_isalnum (text[0]))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!sips_msrp_is_ident_char (text[i]))
      return FALSE;
  return TRUE;
}

char *
sips_msrp_random_ident (guint n_chars)
{
  static const char alphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char *ident = g_malloc (n_chars + 1);
  guint filled = 0;

  /* Rejection sampling keeps the 62 symbols uniform (248 = 4 * 62). */
  while (filled < n_chars)
    {
      guint8 random[64];
      gssize got = getrandom (random, sizeof random, 0);

      if (got <= 0)
        {
          if (got < 0 && errno == EINTR)
            continue;
          /* No kernel entropy source: fall back to GLib's generator. */
          for (gsize i = 0; i < sizeof random; i++)
            random[i] = (guint8) g_random_int_range (0, 256);
          got = sizeof random;
        }
      for (gssize i = 0; i < got && filled < n_chars; i++)
        if (random[i] < 248)
          ident[filled++] = alphabet[random[i] % 62];
    }
  ident[n_chars] = '\0';
  return ident;
}

gboolean
sips_msrp_parse_number (const char *text,
                        gsize       len,
                        guint64    *value)
{
  guint64 v = 0;

  if (len == 0 || len > MAX_NUMBER_DIGITS)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      v = v * 10 + (guint64) (text[i] - '0');
    }
  *value = v;
  return TRUE;
}

/* A number or '*' between p and end. */
static gboolean
parse_number_or_star (const char *p,
                      const char *end,
                      gint64     *value)
{
  guint64 v;

  if (end - p == 1 && *p == '*')
    {
      *value = SIPS_MSRP_BYTE_RANGE_UNKNOWN;
      return TRUE;
    }
  if (!sips_msrp_parse_number (p, (gsize) (end - p), &v))
    return FALSE;
  *value = (gint64) v;
  return TRUE;
}

gboolean
sips_msrp_byte_range_parse (const char        *value,
                            SipsMsrpByteRange *range)
{
  const char *dash, *slash, *end;
  guint64 start;
  SipsMsrpByteRange r;

  g_return_val_if_fail (value != NULL && range != NULL, FALSE);

  end = value + strlen (value);
  dash = strchr (value, '-');
  slash = strchr (value, '/');
  if (dash == NULL || slash == NULL || slash < dash)
    return FALSE;
  if (!sips_msrp_parse_number (value, (gsize) (dash - value), &start) ||
      !parse_number_or_star (dash + 1, slash, &r.end) ||
      !parse_number_or_star (slash + 1, end, &r.total))
    return FALSE;
  r.start = (gint64) start;

  /* 1-based; an empty range is start-(start-1); nothing may lie beyond the total. */
  if (r.start < 1)
    return FALSE;
  if (r.end != SIPS_MSRP_BYTE_RANGE_UNKNOWN && r.end < r.start - 1)
    return FALSE;
  if (r.total != SIPS_MSRP_BYTE_RANGE_UNKNOWN &&
      (r.start > r.total + 1 ||
       (r.end != SIPS_MSRP_BYTE_RANGE_UNKNOWN && r.end > r.total)))
    return FALSE;

  *range = r;
  return TRUE;
}

char *
sips_msrp_byte_range_to_string (const SipsMsrpByteRange *range)
{
  char end[24] = "*", total[24] = "*";

  if (range->end != SIPS_MSRP_BYTE_RANGE_UNKNOWN)
    g_snprintf (end, sizeof end, "%" G_GINT64_FORMAT, range->end);
  if (range->total != SIPS_MSRP_BYTE_RANGE_UNKNOWN)
    g_snprintf (total, sizeof total, "%" G_GINT64_FORMAT, range->total);
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%s/%s", range->start, end, total);
}

gboolean
sips_msrp_status_header_parse (const char *value,
                               guint      *ns,
                               guint      *code,
                               char      **comment)
{
  guint64 n, c;
  gsize len;

  g_return_val_if_fail (value != NULL, FALSE);

  /* "000 200" at least: three digits, SP, three digits, then nothing or SP comment. */
  len = strlen (value);
  if (len < 7 || value[3] != ' ' || (len > 7 && value[7] != ' '))
    return FALSE;
  if (!sips_msrp_parse_number (value, 3, &n) || !sips_msrp_parse_number (value + 4, 3, &c))
    return FALSE;
  if (c < 100 || c > 699)
    return FALSE;
  if (ns != NULL)
    *ns = (guint) n;
  if (code != NULL)
    *code = (guint) c;
  if (comment != NULL)
    *comment = len > 8 ? g_strdup (value + 8) : NULL;
  return TRUE;
}

gboolean
sips_msrp_report_parse (const char     *value,
                        gboolean        allow_partial,
                        SipsMsrpReport *report)
{
  SipsMsrpReport r;

  /* ABNF literals are case-insensitive. */
  if (g_ascii_strcasecmp (value, "yes") == 0)
    r = SIPS_MSRP_REPORT_YES;
  else if (g_ascii_strcasecmp (value, "no") == 0)
    r = SIPS_MSRP_REPORT_NO;
  else if (allow_partial && g_ascii_strcasecmp (value, "partial") == 0)
    r = SIPS_MSRP_REPORT_PARTIAL;
  else
    return FALSE;
  *report = r;
  return TRUE;
}

const char *
sips_msrp_report_to_string (SipsMsrpReport report)
{
  switch (report)
    {
    case SIPS_MSRP_REPORT_YES:
      return "yes";
    case SIPS_MSRP_REPORT_PARTIAL:
      return "partial";
    case SIPS_MSRP_REPORT_NO:
    default:
      return "no";
    }
}
