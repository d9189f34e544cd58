/* test-msrp-uri.c: msrp:// and msrps:// URIs: parsing, formatting, RFC 4975 §6.1 comparison */
#include <glib.h>

#include "core/sips-error.h"
#include "msrp/sips-msrp-uri.h"

static void
test_parse_valid (void)
{
  static const struct {
    const char *text;
    gboolean    secure;
    const char *user, *host;
    guint       port;
    const char *session_id, *transport, *params, *canonical;
  } cases[] = {
    { "msrp://atlanta.example.com:7654/jshA7weztas;tcp", FALSE, NULL, "atlanta.example.com", 7654,
      "jshA7weztas", "tcp", NULL, NULL },
    { "MSRPS://Relay.Example.com;TCP", TRUE, NULL, "Relay.Example.com", 0, NULL, "tcp", NULL,
      "msrps://Relay.Example.com;tcp" },
    { "msrps://alice@intra.example.com;tcp", TRUE, "alice", "intra.example.com", 0, NULL, "tcp",
      NULL, NULL },
    { "msrp://[2001:db8::1]:2855/s+=/x;tcp", FALSE, NULL, "2001:db8::1", 2855, "s+=/x", "tcp",
      NULL, NULL },
    { "msrp://[::1]/abc;tcp", FALSE, NULL, "::1", 0, "abc", "tcp", NULL, NULL },
    { "msrp://h.example.com//x;tcp", FALSE, NULL, "h.example.com", 0, "/x", "tcp", NULL, NULL },
    { "msrp://192.0.2.1:65535/a-b_c.d~e;tcp;foo=bar;baz", FALSE, NULL, "192.0.2.1", 65535,
      "a-b_c.d~e", "tcp", ";foo=bar;baz", NULL },
    { "msrp://ex%41mple.com:1/x;sctp", FALSE, NULL, "ex%41mple.com", 1, "x", "sctp", NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SipsMsrpUri) uri = sips_msrp_uri_parse (cases[i].text, &error);
      g_autofree char *text = NULL;
      g_autoptr(SipsMsrpUri) again = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (uri->secure, ==, cases[i].secure);
      g_assert_cmpstr (uri->user, ==, cases[i].user);
      g_assert_cmpstr (uri->host, ==, cases[i].host);
      g_assert_cmpuint (uri->port, ==, cases[i].port);
      g_assert_cmpstr (uri->session_id, ==, cases[i].session_id);
      g_assert_cmpstr (uri->transport, ==, cases[i].transport);
      g_assert_cmpstr (uri->params, ==, cases[i].params);
      text = sips_msrp_uri_to_string (uri);
      g_assert_cmpstr (text, ==, cases[i].canonical ? cases[i].canonical : cases[i].text);
      again = sips_msrp_uri_parse (text, &error);
      g_assert_no_error (error);
      g_assert_true (sips_msrp_uri_equal (uri, again));
    }
}

static void
test_parse_invalid (void)
{
  static const char * const cases[] = {
    "", "msrp:", "msrp://", "http://example.com/x;tcp", "msrp:/example.com/x;tcp",
    "msrp://example.com/x",           /* no transport */
    "msrp://example.com/x;",          /* empty transport */
    "msrp://example.com/x;t-cp",      /* transport is alphanumeric */
    "msrp:///x;tcp",                  /* no host */
    "msrp://example.com:/x;tcp",      /* empty port */
    "msrp://example.com:0/x;tcp",
    "msrp://example.com:65536/x;tcp",
    "msrp://example.com:12a/x;tcp",
    "msrp://example.com:99999999999999999999/x;tcp",
    "msrp://example.com/;tcp",        /* empty session-id */
    "msrp://example.com/x%41;tcp",    /* % is not in session-id */
    "msrp://example.com/x y;tcp",
    "msrp://[2001:db8::1/x;tcp",      /* unterminated literal */
    "msrp://[not:an:address]/x;tcp",
    "msrp://[192.0.2.1]/x;tcp",       /* an IPv4 address is not an IP literal */
    "msrp://[::1]x/x;tcp",
    "msrp://exa mple.com/x;tcp",
    "msrp://exa%4mple.com/x;tcp",     /* short escape */
    "msrp://example.com%/x;tcp",
    "msrp://us er@example.com/x;tcp",
    "msrp://example.com/x;tcp;",      /* empty parameter */
    "msrp://example.com/x;tcp;a=",
    "msrp://example.com/x;tcp;a=b=c",
    "msrp://example.com/x;tcp;a b",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SipsMsrpUri) uri = sips_msrp_uri_parse (cases[i], &error);

      if (uri != NULL)
        g_error ("“%s” should not parse", cases[i]);
      g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_compare (void)
{
  static const struct {
    const char *a, *b;
    gboolean    equal;
  } cases[] = {
    /* scheme, host and transport are case-insensitive; session-id is not */
    { "msrp://Example.COM:1/abc;tcp", "MSRP://example.com:1/abc;TCP", TRUE },
    { "msrp://example.com:1/abc;tcp", "msrp://example.com:1/ABC;tcp", FALSE },
    { "msrp://example.com:1/abc;tcp", "msrps://example.com:1/abc;tcp", FALSE },
    /* userinfo and other parameters do not count */
    { "msrp://alice@example.com:1/abc;tcp", "msrp://bob@example.com:1/abc;tcp;x=y", TRUE },
    /* an explicit port never equals an absent one */
    { "msrp://example.com/abc;tcp", "msrp://example.com:2855/abc;tcp", FALSE },
    { "msrp://example.com:2855/abc;tcp", "msrp://example.com:2856/abc;tcp", FALSE },
    /* a session-id never equals an absent one */
    { "msrp://example.com:1;tcp", "msrp://example.com:1/abc;tcp", FALSE },
    { "msrp://example.com:1;tcp", "msrp://example.com:1;tcp", TRUE },
    /* different transports never match */
    { "msrp://example.com:1/abc;tcp", "msrp://example.com:1/abc;sctp", FALSE },
    /* IP addresses by value, percent-encoded unreserved characters decoded */
    { "msrp://[2001:DB8:0::1]:1/abc;tcp", "msrp://[2001:db8::1]:1/abc;tcp", TRUE },
    { "msrp://[2001:db8::1]:1/abc;tcp", "msrp://[2001:db8::2]:1/abc;tcp", FALSE },
    { "msrp://%65xample.com:1/abc;tcp", "msrp://example.com:1/abc;tcp", TRUE },
    { "msrp://192.0.2.1:1/abc;tcp", "msrp://192.0.2.10:1/abc;tcp", FALSE },
    /* invalid URIs equal nothing */
    { "msrp://example.com:1/abc", "msrp://example.com:1/abc", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (sips_msrp_uri_str_equal (cases[i].a, cases[i].b) != cases[i].equal ||
          sips_msrp_uri_str_equal (cases[i].b, cases[i].a) != cases[i].equal)
        g_error ("“%s” vs “%s”: expected %s", cases[i].a, cases[i].b,
                 cases[i].equal ? "equal" : "different");
    }
}

static void
test_new_and_path (void)
{
  g_autoptr(SipsMsrpUri) uri = sips_msrp_uri_new (TRUE, "2001:db8::7", 40000, "abcDEF123");
  g_autofree char *text = sips_msrp_uri_to_string (uri);
  g_autoptr(SipsMsrpUri) copy = sips_msrp_uri_copy (uri);
  g_autoptr(GPtrArray) path = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (text, ==, "msrps://[2001:db8::7]:40000/abcDEF123;tcp");
  g_assert_true (sips_msrp_uri_equal (uri, copy));

  path = sips_msrp_uri_parse_path ("msrps://relay.example.com:9000/jui787s2f;tcp  "
                                   "msrp://bob.example.com:8888/9di4eae923wzd;tcp", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (path->len, ==, 2);
  g_assert_cmpstr (((SipsMsrpUri *) path->pdata[1])->session_id, ==, "9di4eae923wzd");
  g_assert_null (sips_msrp_uri_parse_path ("msrp://a.example.com/x;tcp junk", NULL));
  g_assert_null (sips_msrp_uri_parse_path ("", NULL));
  g_assert_null (sips_msrp_uri_parse_path ("   ", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/msrp-uri/parse-valid", test_parse_valid);
  g_test_add_func ("/msrp-uri/parse-invalid", test_parse_invalid);
  g_test_add_func ("/msrp-uri/compare", test_compare);
  g_test_add_func ("/msrp-uri/new-and-path", test_new_and_path);
  return g_test_run ();
}
