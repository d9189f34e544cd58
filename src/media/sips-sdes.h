/* sips-sdes.h: SDES-SRTP keys (RFC 4568 a=crypto): generate, parse, choose, map to srtpenc/srtpdec */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint  tag;
  char  *suite;  /* "AES_CM_128_HMAC_SHA1_80", ... */
  char  *key;    /* base64 of key||salt (the inline: value); secret: never log it */
} SipsSdesCrypto;

void            sips_sdes_crypto_free (SipsSdesCrypto *crypto);  /* wipes the key */
SipsSdesCrypto *sips_sdes_crypto_copy (const SipsSdesCrypto *crypto);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsSdesCrypto, sips_sdes_crypto_free)

/* Supported suites in our preference order (AES_CM_128_HMAC_SHA1_80, _32, AES_256_CM_...),
 * NULL-terminated. */
const char * const *sips_sdes_suites (void);

/* A fresh key (getrandom) for a supported suite; unsupported suite -> INVALID_ARGUMENT,
 * no randomness -> FAILED. */
SipsSdesCrypto *sips_sdes_crypto_new_random (guint tag, const char *suite, GError **error);

/* Our offer: one crypto per supported suite, tags 1.., preference order. Array of
 * SipsSdesCrypto*, with a free func. */
GPtrArray      *sips_sdes_generate_offer (GError **error);

/* The a=crypto value, "1 AES_CM_128_HMAC_SHA1_80 inline:KEY" (no "a=crypto:"). */
char           *sips_sdes_crypto_to_attribute (const SipsSdesCrypto *crypto);

/* Parses an a=crypto value (with or without "a=crypto:"); lifetimes are accepted, MKIs,
 * several keys or session parameters are not supported (-> NOT_SUPPORTED), malformed
 * lines or keys of the wrong length -> INVALID_ARGUMENT. */
SipsSdesCrypto *sips_sdes_crypto_parse (const char *attribute, GError **error);

/* Answerer: the first of the peer's a=crypto values (offer order) we support is the key we
 * decrypt with (*remote); *local is our answer: a fresh key with the same tag and suite.
 * None usable -> NOT_SUPPORTED (the call fails with 488 if SRTP is forced). */
gboolean        sips_sdes_answer (const char * const *remote_attributes,
                                  SipsSdesCrypto    **remote,
                                  SipsSdesCrypto    **local,
                                  GError            **error);

/* Offerer: the answer's a=crypto picks one of our offered keys (same tag and suite);
 * *remote is the peer's key from the answer. Mismatch -> INVALID_ARGUMENT. */
gboolean        sips_sdes_accept_answer (GPtrArray          *local_offer,
                                         const char         *answer_attribute,
                                         SipsSdesCrypto    **local,
                                         SipsSdesCrypto    **remote,
                                         GError            **error);

/* GStreamer srtpenc/srtpdec values for a suite: cipher/auth enum nicks ("aes-128-icm",
 * "hmac-sha1-80", ...), RTCP auth (always 80-bit, RFC 4568 6.2) and key||salt length. */
gboolean        sips_sdes_suite_params (const char  *suite,
                                        const char **cipher,
                                        const char **auth,
                                        const char **rtcp_auth,
                                        gsize       *key_salt_length);

/* The decoded key||salt (wipe it after use: g_bytes_unref is not enough for secrets, but
 * GStreamer keeps its own copy anyway). NULL if the key does not decode. */
GBytes         *sips_sdes_crypto_get_key (const SipsSdesCrypto *crypto);

G_END_DECLS
