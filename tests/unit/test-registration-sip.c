/* test-registration-sip.c: what a registration writes into and reads from SIP messages */
#include <string.h>
#include <glib.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "account/sips-registration-sip.h"

/* A parsed message; free with msg_destroy (). */
static msg_t *
parse (const char *text)
{
  g_autofree char *crlf = NULL;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  msg_t *msg;

  crlf = g_strjoinv ("\r\n", lines);
  msg = msg_make (sip_default_mclass (), 0, crlf, (ssize_t) strlen (crlf));
  g_assert_nonnull (msg);
  g_assert_nonnull (sip_object (msg));
  return msg;
}

static void
test_name_addr (void)
{
  g_autofree char *plain = sips_registration_sip_name_addr ("", "alice@example.com");
  g_autofree char *quoted = sips_registration_sip_name_addr ("Alice \"A\" \\o/", "alice@example.com");

  g_assert_cmpstr (plain, ==, "<sip:alice@example.com>");
  g_assert_cmpstr (quoted, ==, "\"Alice \\\"A\\\" \\\\o/\" <sip:alice@example.com>");
}

static void
test_transport (void)
{
  g_assert_cmpstr (sips_registration_sip_transport ("sip:example.com"), ==, "udp");
  g_assert_cmpstr (sips_registration_sip_transport ("sip:1.2.3.4:5;transport=TCP"), ==, "tcp");
  g_assert_cmpstr (sips_registration_sip_transport ("sip:h;transport=tls"), ==, "tls");
  g_assert_cmpstr (sips_registration_sip_transport ("sips:example.com"), ==, "tls");
  g_assert_cmpstr (sips_registration_sip_transport ("sip:h;transport=udp"), ==, "udp");
}

static void
test_credentials (void)
{
  msg_t *www = parse ("SIP/2.0 401 Unauthorized\n"
                      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n"
                      "From: <sip:alice@example.com>;tag=1\n"
                      "To: <sip:alice@example.com>;tag=2\n"
                      "Call-ID: c1\n"
                      "CSeq: 1 REGISTER\n"
                      "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\"\n"
                      "Content-Length: 0\n\n");
  msg_t *proxy = parse ("SIP/2.0 407 Proxy Authentication Required\n"
                        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n"
                        "From: <sip:alice@example.com>;tag=1\n"
                        "To: <sip:alice@example.com>;tag=2\n"
                        "Call-ID: c1\n"
                        "CSeq: 1 REGISTER\n"
                        "Proxy-Authenticate: Digest realm=\"proxy realm\", nonce=\"abc\"\n"
                        "Content-Length: 0\n\n");
  msg_t *none = parse ("SIP/2.0 401 Unauthorized\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\n"
                       "From: <sip:alice@example.com>;tag=1\n"
                       "To: <sip:alice@example.com>;tag=2\n"
                       "Call-ID: c1\n"
                       "CSeq: 1 REGISTER\n"
                       "Content-Length: 0\n\n");
  g_autofree char *c1 = sips_registration_sip_credentials (sip_object (www), "alice", "pw");
  g_autofree char *c2 = sips_registration_sip_credentials (sip_object (proxy), "a1", "s e");

  g_assert_cmpstr (c1, ==, "Digest:\"example.com\":alice:pw");
  g_assert_cmpstr (c2, ==, "Digest:\"proxy realm\":a1:s e");
  g_assert_null (sips_registration_sip_credentials (sip_object (none), "alice", "pw"));
  g_assert_null (sips_registration_sip_credentials (NULL, "alice", "pw"));
  msg_destroy (www);
  msg_destroy (proxy);
  msg_destroy (none);
}

static void
test_read_success (void)
{
  const char *uris[] = { "sip:127.0.0.1:5070;transport=udp", "sip:127.0.0.1:5072;transport=tcp", NULL };
  msg_t *ok = parse ("SIP/2.0 200 OK\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\n"
                     "From: <sip:alice@example.com>;tag=1\n"
                     "To: <sip:alice@example.com>;tag=2\n"
                     "Call-ID: c1\n"
                     "CSeq: 2 REGISTER\n"
                     "Contact: <sip:alice@192.0.2.7:5060>;expires=3000\n"
                     "Contact: <sip:alice@127.0.0.1:5072;transport=tcp>;expires=42\n"
                     "Expires: 77\n"
                     "Content-Length: 0\n\n");
  msg_t *bare = parse ("SIP/2.0 200 OK\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\n"
                       "From: <sip:alice@example.com>;tag=1\n"
                       "To: <sip:alice@example.com>;tag=2\n"
                       "Call-ID: c1\n"
                       "CSeq: 2 REGISTER\n"
                       "Expires: 77\n"
                       "Content-Length: 0\n\n");
  g_auto(GStrv) contacts = NULL;
  g_auto(GStrv) no_contacts = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *not_ours = NULL;
  guint expires = 0;

  sips_registration_sip_read_success (sip_object (ok), "alice", uris, 600, &contacts, &ours, &expires);
  g_assert_cmpuint (g_strv_length (contacts), ==, 2);
  g_assert_cmpstr (contacts[0], ==, "sip:alice@192.0.2.7:5060");
  g_assert_cmpstr (contacts[1], ==, "sip:alice@127.0.0.1:5072;transport=tcp");
  g_assert_cmpstr (ours, ==, "sip:alice@127.0.0.1:5072;transport=tcp");
  g_assert_cmpuint (expires, ==, 42);

  /* no contact of ours: the Expires header, no contact */
  sips_registration_sip_read_success (sip_object (bare), "alice", uris, 600, &no_contacts,
                                      &not_ours, &expires);
  g_assert_cmpuint (g_strv_length (no_contacts), ==, 0);
  g_assert_null (not_ours);
  g_assert_cmpuint (expires, ==, 77);

  g_assert_cmpuint (sips_registration_sip_retry_after (sip_object (ok)), ==, 0);
  msg_destroy (ok);
  msg_destroy (bare);
}

static void
test_retry_after (void)
{
  msg_t *busy = parse ("SIP/2.0 503 Overloaded\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\n"
                       "From: <sip:alice@example.com>;tag=1\n"
                       "To: <sip:alice@example.com>;tag=2\n"
                       "Call-ID: c1\n"
                       "CSeq: 2 REGISTER\n"
                       "Retry-After: 120\n"
                       "Content-Length: 0\n\n");

  g_assert_cmpuint (sips_registration_sip_retry_after (sip_object (busy)), ==, 120);
  g_assert_cmpuint (sips_registration_sip_retry_after (NULL), ==, 0);
  msg_destroy (busy);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/registration-sip/name-addr", test_name_addr);
  g_test_add_func ("/registration-sip/transport", test_transport);
  g_test_add_func ("/registration-sip/credentials", test_credentials);
  g_test_add_func ("/registration-sip/read-success", test_read_success);
  g_test_add_func ("/registration-sip/retry-after", test_retry_after);
  return g_test_run ();
}
