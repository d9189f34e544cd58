/* test-msrp-cpim.c: Message/CPIM (RFC 3862) wrapping and unwrapping */
#include <glib.h>
#include <string.h>

#include "core/sips-error.h"
#include "msrp/sips-cpim.h"

/* RFC 3862 §6 */
static const char rfc3862_example[] =
  "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
  "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"
  "DateTime: 2000-12-13T13:40:00-08:00\r\n"
  "Subject: the weather will be fine today\r\n"
  "Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
  "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
  "Require: MyFeatures.VitalMessageOption\r\n"
  "MyFeatures.VitalMessageOption: Confirmation-requested\r\n"
  "MyFeatures.WackyMessageOption: Use-silly-font\r\n"
  "\r\n"
  "Content-type: text/xml; charset=utf-8\r\n"
  "Content-ID: <1234567890@foo.com>\r\n"
  "\r\n"
  "<body>\r\n"
  "Here is the text of my message.\r\n"
  "</body>\r\n";

static void
test_rfc3862_example (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsCpimMessage) msg = sips_cpim_message_parse ((const guint8 *) rfc3862_example,
                                                            strlen (rfc3862_example), &error);
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GDateTime) dt = NULL;
  gsize len;
  const char *content;

  g_assert_no_error (error);
  g_assert_cmpstr (sips_cpim_message_get_header (msg, "from"), ==,
                   "MR SANDERS <im:piglet@100akerwood.com>");
  g_assert_cmpstr (sips_cpim_message_get_header (msg, "Subject"), ==,
                   "the weather will be fine today");
  g_assert_cmpstr (sips_cpim_message_get_content_type (msg), ==, "text/xml; charset=utf-8");
  content = sips_cpim_message_get_content (msg, &len);
  g_assert_cmpstr (content, ==, "<body>\r\nHere is the text of my message.\r\n</body>\r\n");
  g_assert_cmpuint (len, ==, strlen (content));
  g_assert_false (sips_cpim_message_is_base64 (msg));

  headers = sips_cpim_message_dup_headers (msg);
  g_assert_cmpstr (g_hash_table_lookup (headers, "To"), ==,
                   "Depressed Donkey <im:eeyore@100akerwood.com>");
  g_assert_cmpstr (g_hash_table_lookup (headers, "Subject;lang=fr"), ==,
                   "beau temps prevu pour aujourd'hui");
  g_assert_cmpstr (g_hash_table_lookup (headers, "NS"), ==,
                   "MyFeatures <mid:MessageFeatures@id.foo.com>");
  g_assert_cmpstr (g_hash_table_lookup (headers, "MyFeatures.WackyMessageOption"), ==,
                   "Use-silly-font");
  g_assert_cmpstr (g_hash_table_lookup (headers, "Content-ID"), ==, "<1234567890@foo.com>");
  g_assert_null (g_hash_table_lookup (headers, "Content-Type"));
  g_assert_null (g_hash_table_lookup (headers, "Content-type"));
  g_assert_cmpuint (g_hash_table_size (headers), ==, 10);

  dt = sips_cpim_message_dup_datetime (msg);
  g_assert_nonnull (dt);
  g_assert_cmpint (g_date_time_to_unix (dt), ==, 976743600);  /* 2000-12-13T21:40:00Z */
}

static void
test_wrap_unwrap (void)
{
  g_autoptr(SipsCpimMessage) msg = sips_cpim_message_new ();
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (1714557600);
  g_autofree char *from = sips_cpim_format_address ("Alice", "sip:alice@example.com");
  g_autofree char *to = sips_cpim_format_address (NULL, "sip:bob@example.com");
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(SipsCpimMessage) back = NULL;
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GError) error = NULL;
  static const char text[] = "Grüße, Bob!\r\nSecond line";

  sips_cpim_message_add_header (msg, "From", from);
  sips_cpim_message_add_header (msg, "To", to);
  sips_cpim_message_set_datetime (msg, dt);
  sips_cpim_message_add_header (msg, "Subject", "hello");
  sips_cpim_message_add_namespace (msg, "imdn", "urn:ietf:params:imdn");
  sips_cpim_message_add_header (msg, "imdn.Message-ID", "34jk324j");
  sips_cpim_message_set_content (msg, "text/plain;charset=utf-8", (const guint8 *) text,
                                 strlen (text));
  wire = sips_cpim_message_to_bytes (msg);

  g_assert_cmpmem (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire),
                   "From: Alice <sip:alice@example.com>\r\n"
                   "To: <sip:bob@example.com>\r\n"
                   "DateTime: 2024-05-01T10:00:00Z\r\n"
                   "Subject: hello\r\n"
                   "NS: imdn <urn:ietf:params:imdn>\r\n"
                   "imdn.Message-ID: 34jk324j\r\n"
                   "\r\n"
                   "Content-Type: text/plain;charset=utf-8\r\n"
                   "\r\n"
                   "Grüße, Bob!\r\nSecond line", strlen ("From: Alice <sip:alice@example.com>\r\n"
                   "To: <sip:bob@example.com>\r\n"
                   "DateTime: 2024-05-01T10:00:00Z\r\n"
                   "Subject: hello\r\n"
                   "NS: imdn <urn:ietf:params:imdn>\r\n"
                   "imdn.Message-ID: 34jk324j\r\n"
                   "\r\n"
                   "Content-Type: text/plain;charset=utf-8\r\n"
                   "\r\n") + strlen (text));

  back = sips_cpim_message_parse (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sips_cpim_message_get_content (back, NULL), ==, text);
  g_assert_cmpstr (sips_cpim_message_get_content_type (back), ==, "text/plain;charset=utf-8");
  g_assert_false (sips_cpim_message_is_base64 (back));
  headers = sips_cpim_message_dup_headers (back);
  g_assert_cmpstr (g_hash_table_lookup (headers, "From"), ==, "Alice <sip:alice@example.com>");
  g_assert_cmpstr (g_hash_table_lookup (headers, "imdn.Message-ID"), ==, "34jk324j");
  g_assert_null (g_hash_table_lookup (headers, "Content-Transfer-Encoding"));
  {
    g_autoptr(GDateTime) got = sips_cpim_message_dup_datetime (back);

    g_assert_true (g_date_time_equal (got, dt));
  }
}

/* Content that is not UTF-8 travels base64-encoded and stays so when unwrapped. */
static void
test_binary_content (void)
{
  static const guint8 binary[] = { 0xff, 0xfe, 0x00, 'a', 0x80, '\r', '\n', 0xc3 };
  g_autoptr(SipsCpimMessage) msg = sips_cpim_message_new ();
  g_autoptr(SipsCpimMessage) back = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GHashTable) headers = NULL;
  g_autofree char *expected = g_base64_encode (binary, sizeof binary);
  g_autofree guchar *decoded = NULL;
  gsize decoded_len;

  sips_cpim_message_add_header (msg, "From", "<sip:a@example.com>");
  sips_cpim_message_set_content (msg, "application/octet-stream", binary, sizeof binary);
  g_assert_true (sips_cpim_message_is_base64 (msg));
  wire = sips_cpim_message_to_bytes (msg);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire),
                                  "Content-Type: application/octet-stream\r\n"
                                  "Content-Transfer-Encoding: base64\r\n\r\n"));

  back = sips_cpim_message_parse (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), NULL);
  g_assert_nonnull (back);
  g_assert_true (sips_cpim_message_is_base64 (back));
  g_assert_cmpstr (sips_cpim_message_get_content (back, NULL), ==, expected);
  headers = sips_cpim_message_dup_headers (back);
  g_assert_cmpstr (g_hash_table_lookup (headers, "Content-Transfer-Encoding"), ==, "base64");
  decoded = g_base64_decode (sips_cpim_message_get_content (back, NULL), &decoded_len);
  g_assert_cmpmem (decoded, decoded_len, binary, sizeof binary);

  /* a peer's raw binary (no encoding declared) comes out base64-encoded as well */
  {
    GByteArray *raw = g_byte_array_new ();
    g_autoptr(SipsCpimMessage) peer = NULL;
    g_autoptr(GHashTable) peer_headers = NULL;

    const char *head = "From: <sip:x@example.com>\n\nContent-Type: image/png\n\n";

    g_byte_array_append (raw, (const guint8 *) head, (guint) strlen (head));
    g_byte_array_append (raw, binary, sizeof binary);
    peer = sips_cpim_message_parse (raw->data, raw->len, NULL);
    g_assert_nonnull (peer);
    g_assert_cmpstr (sips_cpim_message_get_content_type (peer), ==, "image/png");
    g_assert_cmpstr (sips_cpim_message_get_content (peer, NULL), ==, expected);
    peer_headers = sips_cpim_message_dup_headers (peer);
    g_assert_cmpstr (g_hash_table_lookup (peer_headers, "Content-Transfer-Encoding"), ==, "base64");
    g_byte_array_unref (raw);
  }
}

static void
test_repeated_and_odd_headers (void)
{
  static const char data[] =
    "To: <sip:a@example.com>\r\n"
    "to: <sip:b@example.com>\r\n"
    "X-Ctl: a\x01" "b\r\n"
    "X-Bad-Utf8: \xc3\x28\r\n"
    "\r\n"
    "Content-Type: text/plain\r\n";   /* no blank line, no content */
  g_autoptr(SipsCpimMessage) msg = sips_cpim_message_parse ((const guint8 *) data,
                                                            sizeof data - 1, NULL);
  g_autoptr(GHashTable) headers = NULL;

  g_assert_nonnull (msg);
  headers = sips_cpim_message_dup_headers (msg);
  g_assert_cmpstr (g_hash_table_lookup (headers, "To"), ==,
                   "<sip:a@example.com>, <sip:b@example.com>");
  g_assert_cmpstr (g_hash_table_lookup (headers, "X-Ctl"), ==, "a?b");
  g_assert_true (g_utf8_validate (g_hash_table_lookup (headers, "X-Bad-Utf8"), -1, NULL));
  g_assert_cmpstr (sips_cpim_message_get_content (msg, NULL), ==, "");
}

static void
test_malformed (void)
{
  static const char * const cases[] = {
    "",                                  /* nothing */
    "From: <sip:a@example.com>\r\n",     /* no blank line after the headers */
    "No colon\r\n\r\nContent-Type: text/plain\r\n\r\nx",
    ": empty name\r\n\r\nContent-Type: text/plain\r\n\r\nx",
    "From: a\r\n\r\nbad content header\r\n\r\nx",
  };
  static const char with_nul[] = "Fr\0m: a\r\n\r\nContent-Type: text/plain\r\n\r\nx";

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SipsCpimMessage) msg = sips_cpim_message_parse ((const guint8 *) cases[i],
                                                                strlen (cases[i]), &error);

      if (msg != NULL)
        g_error ("case %" G_GSIZE_FORMAT " should not parse", i);
      g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    }
  g_assert_null (sips_cpim_message_parse ((const guint8 *) with_nul, sizeof with_nul - 1, NULL));
}

static void
test_helpers (void)
{
  g_autoptr(GDateTime) tz_dt = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (-8 * 3600);
  g_autoptr(SipsCpimMessage) msg = sips_cpim_message_new ();
  g_autofree char *quoted = sips_cpim_format_address ("Alice \"A\" Smith", "sip:a@example.com");
  g_autofree char *plain = sips_cpim_format_address ("MR SANDERS", "im:piglet@100akerwood.com");
  g_autofree char *text = NULL;
  g_autofree char *b64 = NULL;
  gboolean is_base64;

  g_assert_cmpstr (quoted, ==, "\"Alice \\\"A\\\" Smith\" <sip:a@example.com>");
  g_assert_cmpstr (plain, ==, "MR SANDERS <im:piglet@100akerwood.com>");

  tz_dt = g_date_time_new (tz, 2000, 12, 13, 13, 40, 0.25);
  sips_cpim_message_set_datetime (msg, tz_dt);
  g_assert_cmpstr (sips_cpim_message_get_header (msg, "DateTime"), ==,
                   "2000-12-13T13:40:00.250000-08:00");

  text = sips_cpim_content_to_text ((const guint8 *) "héllo", strlen ("héllo"), &is_base64);
  g_assert_false (is_base64);
  g_assert_cmpstr (text, ==, "héllo");
  b64 = sips_cpim_content_to_text ((const guint8 *) "a\0b", 3, &is_base64);
  g_assert_true (is_base64);
  g_assert_cmpstr (b64, ==, "YQBi");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpim/rfc3862-example", test_rfc3862_example);
  g_test_add_func ("/cpim/wrap-unwrap", test_wrap_unwrap);
  g_test_add_func ("/cpim/binary-content", test_binary_content);
  g_test_add_func ("/cpim/repeated-and-odd-headers", test_repeated_and_odd_headers);
  g_test_add_func ("/cpim/malformed", test_malformed);
  g_test_add_func ("/cpim/helpers", test_helpers);
  return g_test_run ();
}
