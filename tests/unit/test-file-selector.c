/* test-file-selector.c: RFC 5547 file-selector, file-date and file-transfer-id values */
#include <gio/gio.h>
#include <string.h>

#include "msrp/sips-file-selector.h"

#define SHA1 "sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E"

static SipsFileSelector *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  SipsFileSelector *sel = sips_file_selector_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sel);
  return sel;
}

/* The examples of RFC 5547 §9 (folded lines joined). */
static void
test_rfc_examples (void)
{
  static const char push_text[] =
    "name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:" SHA1;
  g_autoptr(SipsFileSelector) push = parse_ok (push_text);
  g_autoptr(SipsFileSelector) pull = parse_ok ("type:image/jpeg hash:" SHA1);
  g_autoptr(SipsFileSelector) photo = parse_ok (
    "name:\"My cool photo.jpg\" type:image/jpeg size:1234");
  g_autofree char *text = NULL;

  g_assert_cmpstr (push->name, ==, "My cool picture.jpg");
  g_assert_cmpstr (push->type, ==, "image/jpeg");
  g_assert_cmpint (push->size, ==, 32349);
  g_assert_cmpstr (push->hash, ==, SHA1);
  text = sips_file_selector_format (push);
  g_assert_cmpstr (text, ==, push_text);

  g_assert_null (pull->name);
  g_assert_cmpstr (pull->type, ==, "image/jpeg");
  g_assert_cmpint (pull->size, ==, -1);
  g_assert_cmpstr (pull->hash, ==, SHA1);

  g_assert_cmpstr (photo->name, ==, "My cool photo.jpg");
  g_assert_cmpint (photo->size, ==, 1234);
  g_assert_null (photo->hash);
}

/* Accepted variants: order, blanks, case of the literals, what is skipped. */
static void
test_parse_variants (void)
{
  static const struct {
    const char *text;
    const char *name, *type;
    gint64      size;
    const char *hash;
  } cases[] = {
    { "", NULL, NULL, -1, NULL },
    { "   \t ", NULL, NULL, -1, NULL },
    { "  size:0", NULL, NULL, 0, NULL },
    { "size:9223372036854775807", NULL, NULL, G_MAXINT64, NULL },
    { "size:007", NULL, NULL, 7, NULL },
    { "hash:" SHA1 " size:5 name:\"a b\"  type:text/plain", "a b", "text/plain", 5, SHA1 },
    { "NAME:\"x\" Size:1 TYPE:a/b HASH:SHA-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E",
      "x", "a/b", 1, SHA1 },
    /* lower-case hex is upper-cased */
    { "hash:sha-1:72:24:5f:e8:65:3d:da:f3:71:36:2f:86:d4:71:91:3e:e4:a2:ce:2e", NULL, NULL, -1,
      SHA1 },
    /* unknown algorithms are skipped, sha-1 kept whatever the order */
    { "hash:sha-256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
      NULL, NULL, -1, NULL },
    { "hash:md5:01 hash:" SHA1 " hash:foo:AB", NULL, NULL, -1, SHA1 },
    /* type parameters: quoted (RFC 5547) or tokens, %-escapes decoded */
    { "type:text/plain;charset=\"UTF-8\"", NULL, "text/plain;charset=UTF-8", -1, NULL },
    { "type:text/plain;charset=UTF-8;format=flowed", NULL,
      "text/plain;charset=UTF-8;format=flowed", -1, NULL },
    { "type:application/x-a;name=\"a b%22c\"", NULL, "application/x-a;name=\"a b\\\"c\"", -1,
      NULL },
    /* trailing line end left on by a raw reader */
    { "size:3\r\n", NULL, NULL, 3, NULL },
    /* non-ASCII and odd but allowed bytes in a name are kept as they are */
    { "name:\"r\xc3\xa9sum\xc3\xa9 (final); v2=ok:x.pdf\"", "r\xc3\xa9sum\xc3\xa9 (final); v2=ok:x.pdf",
      NULL, -1, NULL },
    { "name:\"\xff\xfe.bin\"", "\xff\xfe.bin", NULL, -1, NULL },
    { "name:\"../../etc/passwd\"", "../../etc/passwd", NULL, -1, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SipsFileSelector) sel = parse_ok (cases[i].text);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_cmpstr (sel->name, ==, cases[i].name);
      g_assert_cmpstr (sel->type, ==, cases[i].type);
      g_assert_cmpint (sel->size, ==, cases[i].size);
      g_assert_cmpstr (sel->hash, ==, cases[i].hash);
    }
}

/* %-escapes of names (RFC 5547: %22 for ", %0D, %0A, %25) both ways. */
static void
test_escapes (void)
{
  static const struct {
    const char *wire, *name;
  } cases[] = {
    { "name:\"say %22hi%22.txt\"", "say \"hi\".txt" },
    { "name:\"a%0D%0Ab.txt\"", "a\r\nb.txt" },
    { "name:\"100%25.txt\"", "100%.txt" },
    { "name:\"%01%1F%7F.txt\"", "\x01\x1f\x7f.txt" },
    { "name:\"%E2%80%AEgnp.exe\"", "\xe2\x80\xaegnp.exe" },
  };
  static const struct {
    const char *wire, *name;
  } decode_only[] = {
    { "name:\"%2f%2E%2e%41\"", "/..A" },
    { "name:\"\tx\"", "\tx" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SipsFileSelector) sel = parse_ok (cases[i].wire);
      g_autofree char *text = sips_file_selector_format (sel);

      g_assert_cmpstr (sel->name, ==, cases[i].name);
      /* only ", CR, LF and % are escaped on the way out */
      if (strstr (cases[i].wire, "%01") == NULL && strstr (cases[i].wire, "%E2") == NULL)
        g_assert_cmpstr (text, ==, cases[i].wire);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (decode_only); i++)
    {
      g_autoptr(SipsFileSelector) sel = parse_ok (decode_only[i].wire);

      g_assert_cmpstr (sel->name, ==, decode_only[i].name);
    }

  {
    g_autoptr(SipsFileSelector) sel = sips_file_selector_new ();
    g_autofree char *text = NULL;

    sel->name = g_strdup ("\"%\r\n\x01 x");
    text = sips_file_selector_format (sel);
    g_assert_cmpstr (text, ==, "name:\"%22%25%0D%0A\x01 x\"");
  }
}

static void
test_malformed (void)
{
  static const char * const cases[] = {
    "name", "name:", "name:x", "name:\"\"", "name:\"abc", "name:abc\"", "name:\"a\"b",
    "name:\"a\"name:\"b\"", "name:\"a\" name:\"b\"", "name:\"%\"", "name:\"%4\"",
    "name:\"%4g\"", "name:\"%00\"", "name:\"a%00b\"", "name:\"a\rb\"", "name:\"a\nb\"",
    "name :\"a\"", "name=\"a\"",
    "size:", "size:-1", "size:+1", "size:1a", "size:1.5", "size:9223372036854775808",
    "size:99999999999999999999999", "size:1 size:1", "size:0x10",
    "type:", "type:image", "type:image/", "type:/jpeg", "type:image/jpeg;", "type:a/b;c",
    "type:a/b;c=", "type:a/b;=d", "type:a/b;c=\"\"", "type:a/b;c=\"d", "type:a/b;c=\"%00\"",
    "type:a/b;c=\"%0D%0A\"", "type:a/b;c=\"\xff\"", "type:a/b c/d", "type:a b/c", "type:a/b type:c/d",
    "type:a/b;c=d;", "type:a/b ;c=d",
    "hash:", "hash:sha-1", "hash:sha-1:", "hash:sha-1:7", "hash:sha-1:72:", "hash:sha-1:7G",
    "hash:sha-1:72:24", "hash::72",
    "hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E:00",
    "hash:sha-1:7224:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E:",
    "hash:" SHA1 " hash:" SHA1, "hash:foo:XY",
    "foo:bar", "size:1 foo", "size:1,name:\"a\"", "size:1\nname:\"a\"", "size:1\rtype:a/b",
    "file-selector:size:1", ":", "\"", "name:\"a\" size:1 x",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SipsFileSelector) sel = sips_file_selector_parse (cases[i], &error);

      g_autofree char *shown = g_strescape (cases[i], NULL);

      g_test_message ("malformed case: %s", shown);
      g_assert_null (sel);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

/* format -> parse gives the same selector back; a canonical text formats as itself */
static void
test_round_trip (void)
{
  static const struct {
    const char *name, *type;
    gint64      size;
    const char *hash;
  } cases[] = {
    { "plain.txt", "text/plain", 12, SHA1 },
    { NULL, NULL, -1, NULL },
    { "\"quoted\" 100% \r\n.txt", NULL, 0, NULL },
    { "r\xc3\xa9sum\xc3\xa9.pdf", "application/pdf", G_MAXINT64, NULL },
    { "\xff\xfe", "text/plain;charset=UTF-8;x=\"a b\\\"c\\\\\"", -1, SHA1 },
    { "\x01\x7f\t", "multipart/mixed;boundary=\"x;y=z\"", 1, NULL },
  };
  static const char * const canonical[] = {
    "name:\"a.txt\" type:text/plain;charset=\"UTF-8\" size:3 hash:" SHA1,
    "size:0",
    "",
    "type:a/b;c=\"%22%25\"",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SipsFileSelector) sel = sips_file_selector_new ();
      g_autoptr(SipsFileSelector) again = NULL;
      g_autoptr(SipsFileSelector) copy = NULL;
      g_autofree char *text = NULL;
      g_autofree char *shown = NULL;

      sel->name = g_strdup (cases[i].name);
      sel->type = g_strdup (cases[i].type);
      sel->size = cases[i].size;
      sel->hash = g_strdup (cases[i].hash);
      text = sips_file_selector_format (sel);
      shown = g_strescape (text, NULL);
      g_test_message ("round trip: %s", shown);
      again = parse_ok (text);
      g_assert_true (sips_file_selector_equal (sel, again));
      copy = sips_file_selector_copy (again);
      g_assert_true (sips_file_selector_equal (copy, sel));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (canonical); i++)
    {
      g_autoptr(SipsFileSelector) sel = parse_ok (canonical[i]);
      g_autofree char *text = sips_file_selector_format (sel);

      g_assert_cmpstr (text, ==, canonical[i]);
    }
}

/* Content types from a user or a guess, with blanks, go out in RFC 5547 form. */
static void
test_format_type (void)
{
  g_autoptr(SipsFileSelector) sel = sips_file_selector_new ();
  g_autofree char *text = NULL;

  sel->type = g_strdup ("text/plain; charset=utf-8 ;format = \"flowed\"");
  text = sips_file_selector_format (sel);
  g_assert_cmpstr (text, ==, "type:text/plain;charset=\"utf-8\";format=\"flowed\"");

  g_assert_true (sips_file_selector_type_valid ("application/octet-stream"));
  g_assert_true (sips_file_selector_type_valid ("text/plain; charset=utf-8"));
  g_assert_false (sips_file_selector_type_valid (NULL));
  g_assert_false (sips_file_selector_type_valid (""));
  g_assert_false (sips_file_selector_type_valid ("text"));
  g_assert_false (sips_file_selector_type_valid ("text/plain;"));
  g_assert_false (sips_file_selector_type_valid ("text/plain\r\nX: y"));
  g_assert_false (sips_file_selector_type_valid ("a/b;c=\"d\r\n\""));

  /* an invalid type is left out rather than put on the wire */
  g_free (sel->type);
  sel->type = g_strdup ("not a type");
  sel->size = 1;
  g_clear_pointer (&text, g_free);
  text = sips_file_selector_format (sel);
  g_assert_cmpstr (text, ==, "size:1");
}

static void
test_file_date (void)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (3 * 3600);
  g_autoptr(GDateTime) dt = g_date_time_new (tz, 2006, 5, 15, 15, 1, 31);
  g_autoptr(GDateTime) dt2 = g_date_time_new_utc (1999, 12, 31, 23, 59, 59.9);
  g_autofree char *text = sips_file_date_format (dt);
  g_autofree char *text2 = sips_file_date_format (dt2);

  g_assert_cmpstr (text, ==, "modification:\"Mon, 15 May 2006 12:01:31 +0000\"");
  g_assert_cmpstr (text2, ==, "modification:\"Fri, 31 Dec 1999 23:59:59 +0000\"");
}

static void
test_transfer_id (void)
{
  static const char * const valid[] = {
    "vBnG916bdberum2fFEABR1FR3ExZMUrd", "a", "!#$%&'*+-.^_`{|}~09AZaz",
  };
  static const char * const invalid[] = {
    "", "a b", "a\"b", "a(b", "a)b", "a,b", "a/b", "a:b", "a;b", "a<b", "a=b", "a>b", "a?b",
    "a@b", "a[b", "a\\b", "a]b", "a\rb", "a\nb", "a\tb", "\xc3\xa9", "a\x7f",
  };
  g_autofree char *long_ok = g_strnfill (256, 'x');
  g_autofree char *too_long = g_strnfill (257, 'x');

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (sips_file_transfer_id_valid (valid[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (sips_file_transfer_id_valid (invalid[i]));
  g_assert_false (sips_file_transfer_id_valid (NULL));
  g_assert_true (sips_file_transfer_id_valid (long_ok));
  g_assert_false (sips_file_transfer_id_valid (too_long));
}

static void
test_hash_from_checksum (void)
{
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr(GChecksum) sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *empty = sips_file_hash_from_checksum (sha1);
  g_autofree char *abc = NULL;
  g_autofree char *more = NULL;

  g_assert_cmpstr (empty, ==,
                   "sha-1:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09");
  /* the checksum stays open for more data */
  g_checksum_update (sha1, (const guchar *) "abc", 3);
  abc = sips_file_hash_from_checksum (sha1);
  g_assert_cmpstr (abc, ==,
                   "sha-1:A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D");
  g_checksum_update (sha1, (const guchar *) "dbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", -1);
  more = sips_file_hash_from_checksum (sha1);
  g_assert_cmpstr (more, ==,
                   "sha-1:84:98:3E:44:1C:3B:D2:6E:BA:AE:4A:A1:F9:51:29:E5:E5:46:70:F1");
  g_assert_null (sips_file_hash_from_checksum (md5));
  g_assert_null (sips_file_hash_from_checksum (sha256));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file-selector/rfc-examples", test_rfc_examples);
  g_test_add_func ("/file-selector/parse-variants", test_parse_variants);
  g_test_add_func ("/file-selector/escapes", test_escapes);
  g_test_add_func ("/file-selector/malformed", test_malformed);
  g_test_add_func ("/file-selector/round-trip", test_round_trip);
  g_test_add_func ("/file-selector/format-type", test_format_type);
  g_test_add_func ("/file-selector/file-date", test_file_date);
  g_test_add_func ("/file-selector/transfer-id", test_transfer_id);
  g_test_add_func ("/file-selector/hash-from-checksum", test_hash_from_checksum);
  return g_test_run ();
}
