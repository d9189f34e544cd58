/* test-config-section.c: schema keys, validation, signals, set_many, secrets, ringtones */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "core/sips-error.h"
#include "config/sips-config-store.h"
#include "config/sips-config-section.h"
#include "config/sips-config-schema.h"
#include "sips-test-util.h"
#include "config/sips-ringtone-config.h"

#define ACCOUNT_GROUP SIPS_GROUP_ACCOUNT_PREFIX "alice@example.com"

typedef struct {
  char             *dir;
  char             *path;
  char             *wav;       /* a tiny valid WAV */
  char             *not_wav;   /* a readable file that is no WAV */
  SipsConfigStore  *store;
} Fixture;

/* Private helpers */


static void
write_wav (const char *path)
{
  /* 44-byte header, PCM 8 kHz mono 16 bit, 4 samples of silence */
  static const guint8 wav[] = {
    'R', 'I', 'F', 'F', 44, 0, 0, 0, 'W', 'A', 'V', 'E',
    'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
    'd', 'a', 't', 'a', 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  };

  g_assert_true (g_file_set_contents (path, (const char *) wav, sizeof wav, NULL));
}

static SipsConfigStore *
load_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  SipsConfigStore *store = sips_config_store_new (path);

  g_assert_true (sips_config_store_load (store, &error));
  g_assert_no_error (error);
  return store;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("sips-section-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sipsimpled.conf", NULL);
  f->wav = g_build_filename (f->dir, "ring.wav", NULL);
  f->not_wav = g_build_filename (f->dir, "notes.txt", NULL);
  write_wav (f->wav);
  g_assert_true (g_file_set_contents (f->not_wav, "RIFF but not a wave file at all", -1, NULL));
  f->store = load_store (f->path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  sips_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->wav);
  g_free (f->not_wav);
}



static char *
file_contents (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* Every key of every schema */

typedef struct {
  const char *group;
  const char *name;
  const char *default_value;   /* GVariant text; NULL = computed, checked separately */
  const char *valid;           /* GVariant text; @WAV@, @TXT@, @DIR@ are replaced */
  const char *invalid[6];      /* GVariant texts of the key's type */
} KeyCase;

static const KeyCase key_cases[] = {
  /* Settings */
  { "Settings", "UserAgent", NULL, "'my agent 1.0'", { "'bad\\nagent'" } },
  { "Settings", "SipListenAddress", "''", "'127.0.0.1'", { "'localhost'", "'1.2.3'", "'::1::1'" } },
  { "Settings", "SipUdpPort", "5060", "5070", { "65536", "70000" } },
  { "Settings", "SipTcpPort", "5060", "0", { "65536" } },
  { "Settings", "SipTlsPort", "5061", "65535", { "100000" } },
  { "Settings", "TlsCaFile", "''", "'@TXT@'", { "'@DIR@/missing.pem'", "'@DIR@'" } },
  { "Settings", "TlsCertificateFile", "''", "'@WAV@'", { "'@DIR@/missing.pem'", "'@DIR@'" } },
  { "Settings", "TlsVerifyServer", "true", "false", { NULL } },
  { "Settings", "AudioInputDevice", "''", "'audiotestsrc wave=sine freq=1000 is-live=true'",
    { "'nosuchelement_xyz'", "'audiotestsrc ! ! fakesink'", "'audiotestsrc nosuchproperty=1'",
      "'fakesink'", "'audiotestsrc ! fakesink'" } },  /* a sink, no free output: not a source */
  { "Settings", "AudioOutputDevice", "''", "'fakesink'", { "'nosuchelement_xyz'", "'audiotestsrc'" } },
  { "Settings", "AudioAlertDevice", "''", "'audioconvert ! fakesink sync=false'",
    { "'fakesink ! ! !'", "'audiotestsrc is-live=true'" } },
  { "Settings", "AudioCodecs", "['opus', 'G722', 'PCMU', 'PCMA']", "['PCMA', 'opus']",
    { "@as []", "['speex']", "['opus', 'opus']", "['OPUS']", "['pcmu']" } },
  { "Settings", "RtpPortMin", "50000", "50100", { "1023", "70000", "50499", "50500", "60000" } },
  { "Settings", "RtpPortMax", "50500", "50400", { "49000", "50001", "70000" } },
  { "Settings", "RtpTimeout", "30", "0", { "3601" } },
  { "Settings", "RtpTimeoutEndsSession", "true", "false", { NULL } },
  { "Settings", "AnswerTimeout", "120", "0", { "3601" } },
  { "Settings", "RecordingsDirectory", NULL, "'/tmp/recordings'", { "''", "'relative/dir'" } },
  { "Settings", "DownloadsDirectory", NULL, "'/tmp/downloads'", { "''", "'downloads'" } },
  { "Settings", "TerminatedSessionLinger", "30", "86400", { "86401" } },
  { "Settings", "DefaultAccount", "''", "'bob@example.org'",
    { "'bob'", "'sip:bob@example.org'", "'@example.org'", "'bob@'", "'bo b@example.org'", "'bob@exa mple.org'" } },
  /* RingtoneConfiguration */
  { "RingtoneConfiguration", "DefaultInboundRingtone", "''", "'@WAV@'", { "'@TXT@'", "'@DIR@/missing.wav'", "'@DIR@'" } },
  { "RingtoneConfiguration", "OutboundRingtone", "''", "'@WAV@'", { "'@TXT@'", "'@DIR@/missing.wav'" } },
  /* RTPConfiguration */
  { "RTPConfiguration", "LocalRtpAddress", NULL, "'127.0.0.1'", { "''", "'localhost'", "'300.1.1.1'" } },
  { "RTPConfiguration", "UseSrtp", "false", "true", { NULL } },
  { "RTPConfiguration", "SrtpForced", "false", "true", { NULL } },
  { "RTPConfiguration", "UseIce", "false", "true", { NULL } },
  { "RTPConfiguration", "IceStunAddress", "''", "'stun.example.com'", { "'not a host'", "'-bad.example.com'", "'a..b'" } },
  { "RTPConfiguration", "IceStunPort", "3478", "19302", { "0", "65536" } },
  { "RTPConfiguration", "IceTurnAddress", "''", "'turn.example.org'", { "'bad host'", "'-x'" } },
  { "RTPConfiguration", "IceTurnPort", "3478", "443", { "0", "65536" } },
  { "RTPConfiguration", "IceTurnTransport", "'udp'", "'tls'", { "'sctp'", "''" } },
  { "RTPConfiguration", "IceTurnUsername", "''", "'alice'", { "'a\\r\\nVia: x'" } },
  { "RTPConfiguration", "IceTurnPassword", "''", "'s3cret'", { "'a\\nb'" } },
  /* MSRPConfiguration */
  { "MSRPConfiguration", "LocalIp", "''", "'::1'", { "'host.example.com'" } },
  { "MSRPConfiguration", "LocalPort", "0", "2855", { "65536" } },
  { "MSRPConfiguration", "LocalUseTls", "true", "false", { NULL } },
  { "MSRPConfiguration", "UseRelayIncoming", "true", "false", { NULL } },
  { "MSRPConfiguration", "UseRelayOutgoing", "false", "true", { NULL } },
  { "MSRPConfiguration", "RelayHost", "''", "'192.0.2.7'", { "'relay example'", "'relay_.example.com'" } },
  { "MSRPConfiguration", "RelayPort", "0", "2855", { "65536" } },
  { "MSRPConfiguration", "RelayUseTls", "true", "false", { NULL } },
  /* Account */
  { ACCOUNT_GROUP, "Enabled", "true", "false", { NULL } },
  { ACCOUNT_GROUP, "DisplayName", "''", "'Alice Ä. Example'", { "'Alice\\r\\nVia: evil'" } },
  { ACCOUNT_GROUP, "AuthUsername", "''", "'alice-auth'", { "'alice\\n'" } },
  { ACCOUNT_GROUP, "Password", "''", "'s3cret; with = chars'", { NULL } },
  { ACCOUNT_GROUP, "OutboundProxy", "''", "'sip:proxy.example.com:5060;transport=tcp'",
    { "'http://proxy.example.com'", "'sip:'", "'proxy example.com'", "'proxy.example.com:99999'", "'sip:proxy.example.com:0'" } },
  { ACCOUNT_GROUP, "Register", "true", "false", { NULL } },
  { ACCOUNT_GROUP, "RegisterInterval", "600", "60", { "59", "86401", "0" } },
  { ACCOUNT_GROUP, "PublishInterval", "600", "86400", { "59", "86401" } },
  { ACCOUNT_GROUP, "SubscribeInterval", "600", "3600", { "30", "100000" } },
};

static GVariant *
parse_case_value (Fixture *f, const SipsConfigKey *key, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) s = g_string_new (text);
  GVariant *value;

  g_string_replace (s, "@WAV@", f->wav, 0);
  g_string_replace (s, "@TXT@", f->not_wav, 0);
  g_string_replace (s, "@DIR@", f->dir, 0);
  value = g_variant_parse (G_VARIANT_TYPE (key->type), s->str, NULL, NULL, &error);
  g_assert_no_error (error);
  return value;  /* a full reference already */
}

static void
check_computed_default (SipsConfigSection *section, const char *name)
{
  const char *value = sips_config_section_get_string (section, name);

  if (g_str_equal (name, "UserAgent"))
    g_assert_cmpstr (value, ==, "sipsimpled/" PACKAGE_VERSION);
  else if (g_str_equal (name, "LocalRtpAddress"))
    g_assert_true (sips_config_is_ip_address (value));
  else if (g_str_equal (name, "RecordingsDirectory"))
    {
      g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "sipsimpled", "recordings", NULL);
      g_assert_cmpstr (value, ==, expected);
    }
  else if (g_str_equal (name, "DownloadsDirectory"))
    g_assert_true (g_path_is_absolute (value));
  else
    g_assert_not_reached ();
}

static void
test_every_key (Fixture *f, gconstpointer data)
{
  const char *groups[] = { SIPS_GROUP_SETTINGS, SIPS_GROUP_RINGTONES, SIPS_GROUP_RTP,
                           SIPS_GROUP_MSRP, ACCOUNT_GROUP };
  gsize n_checked = 0;

  for (gsize g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (f->store, groups[g]);
      const SipsConfigKey *keys;
      gsize n_keys;

      keys = sips_config_section_get_keys (section, &n_keys);
      g_assert_cmpstr (sips_config_section_get_group (section), ==, groups[g]);

      for (gsize k = 0; k < n_keys; k++)
        {
          const SipsConfigKey *key = &keys[k];
          const KeyCase *c = NULL;
          g_autoptr(GVariant) valid = NULL;
          g_autoptr(GVariant) current = NULL;
          g_autoptr(GError) error = NULL;

          for (gsize i = 0; i < G_N_ELEMENTS (key_cases); i++)
            if (g_str_equal (key_cases[i].group, groups[g]) && g_str_equal (key_cases[i].name, key->name))
              c = &key_cases[i];
          g_test_message ("[%s] %s", groups[g], key->name);
          g_assert_nonnull (c);  /* every key of the schema has a test case */
          g_assert_true (sips_config_section_lookup (section, key->name) == key);
          n_checked++;

          /* default */
          current = sips_config_section_get (section, key->name);
          g_assert_cmpstr (g_variant_get_type_string (current), ==, key->type);
          if (c->default_value != NULL)
            {
              g_autoptr(GVariant) expected = parse_case_value (f, key, c->default_value);
              g_assert_true (g_variant_equal (current, expected));
            }
          else
            check_computed_default (section, key->name);
          g_clear_pointer (&current, g_variant_unref);

          /* a valid value */
          valid = parse_case_value (f, key, c->valid);
          sips_test_set_ok (section, key->name, valid);
          current = sips_config_section_get (section, key->name);
          g_assert_true (g_variant_equal (current, valid));
          g_clear_pointer (&current, g_variant_unref);

          /* invalid values are refused and change nothing */
          for (gsize i = 0; i < G_N_ELEMENTS (c->invalid) && c->invalid[i] != NULL; i++)
            {
              g_autoptr(GVariant) bad = parse_case_value (f, key, c->invalid[i]);

              g_test_message ("  refusing %s", c->invalid[i]);
              g_assert_false (sips_config_section_set (section, key->name, bad, &error));
              g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
              g_assert_nonnull (strstr (error->message, key->name));  /* says which setting */
              g_clear_error (&error);
              current = sips_config_section_get (section, key->name);
              g_assert_true (g_variant_equal (current, valid));
              g_clear_pointer (&current, g_variant_unref);
            }

          /* a value of the wrong type is refused */
          {
            GVariant *wrong = g_str_equal (key->type, "s") ? g_variant_new_uint32 (1) : g_variant_new_string ("x");

            g_assert_false (sips_config_section_set (section, key->name, wrong, &error));
            g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
            g_clear_error (&error);
          }
        }

      /* Everything set above was persisted: a fresh store reads it back */
      {
        g_autoptr(SipsConfigStore) store2 = load_store (f->path);
        g_autoptr(SipsConfigSection) section2 = sips_config_schema_section_new (store2, groups[g]);

        for (gsize k = 0; k < n_keys; k++)
          {
            g_autoptr(GVariant) a = sips_config_section_get (section, keys[k].name);
            g_autoptr(GVariant) b = sips_config_section_get (section2, keys[k].name);

            g_assert_true (g_variant_equal (a, b));
          }
      }
    }

  g_assert_cmpuint (n_checked, ==, G_N_ELEMENTS (key_cases));
}

static void
test_unknown_key (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (f->store, SIPS_GROUP_RTP);
  g_autoptr(GError) error = NULL;

  g_assert_null (sips_config_section_get (section, "NoSuchKey"));
  g_assert_null (sips_config_section_lookup (section, "NoSuchKey"));
  g_assert_false (sips_config_section_set (section, "NoSuchKey", g_variant_new_string ("x"), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
}

static void
on_changed (SipsConfigSection *section, const char *name, gpointer user_data)
{
  GPtrArray *names = user_data;

  g_ptr_array_add (names, g_strdup (name));
}

static void
test_changed_signal (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (f->store, SIPS_GROUP_SETTINGS);
  g_autoptr(GPtrArray) detailed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  g_signal_connect (section, "changed::SipUdpPort", G_CALLBACK (on_changed), detailed);
  g_signal_connect (section, "changed", G_CALLBACK (on_changed), all);

  sips_test_set_ok (section, "SipUdpPort", g_variant_new_uint32 (5070));
  g_assert_cmpuint (detailed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (detailed, 0), ==, "SipUdpPort");

  /* Same value: no signal */
  sips_test_set_ok (section, "SipUdpPort", g_variant_new_uint32 (5070));
  g_assert_cmpuint (detailed->len, ==, 1);
  g_assert_cmpuint (all->len, ==, 1);

  /* Another key: only the undetailed handler */
  sips_test_set_ok (section, "SipTcpPort", g_variant_new_uint32 (5071));
  g_assert_cmpuint (detailed->len, ==, 1);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (all, 1), ==, "SipTcpPort");

  /* Refused: no signal */
  g_assert_false (sips_config_section_set (section, "SipUdpPort", g_variant_new_uint32 (70000), &error));
  g_assert_cmpuint (all->len, ==, 2);
}

static void
test_set_many (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (f->store, SIPS_GROUP_SETTINGS);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GVariantBuilder b;

  sips_test_set_ok (section, "SipUdpPort", g_variant_new_uint32 (5070));
  before = file_contents (f->path);
  g_signal_connect (section, "changed", G_CALLBACK (on_changed), all);

  /* One bad value: nothing changes */
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "SipUdpPort", g_variant_new_uint32 (5080));
  g_variant_builder_add (&b, "{sv}", "SipTcpPort", g_variant_new_uint32 (70000));
  g_assert_false (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipUdpPort"), ==, 5070);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipTcpPort"), ==, 5060);

  /* An unknown name or a wrong type: nothing changes */
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "SipUdpPort", g_variant_new_uint32 (5080));
  g_variant_builder_add (&b, "{sv}", "Bogus", g_variant_new_uint32 (1));
  g_assert_false (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "SipUdpPort", g_variant_new_uint32 (5080));
  g_variant_builder_add (&b, "{sv}", "SipTcpPort", g_variant_new_int32 (5081));
  g_assert_false (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (sips_config_section_set_many (section, g_variant_new_uint32 (1), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_cmpuint (sips_config_section_get_uint (section, "SipUdpPort"), ==, 5070);
  g_assert_cmpuint (all->len, ==, 0);
  after = file_contents (f->path);
  g_assert_cmpstr (before, ==, after);

  /* All valid: all applied, one signal per changed key */
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "SipUdpPort", g_variant_new_uint32 (5080));
  g_variant_builder_add (&b, "{sv}", "SipTcpPort", g_variant_new_uint32 (5081));
  g_variant_builder_add (&b, "{sv}", "SipTlsPort", g_variant_new_uint32 (5061));  /* unchanged */
  g_assert_true (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipUdpPort"), ==, 5080);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipTcpPort"), ==, 5081);
  g_assert_cmpuint (all->len, ==, 2);

  /* The whole group is written, defaults included */
  g_free (after);
  after = file_contents (f->path);
  g_assert_nonnull (strstr (after, "SipUdpPort=5080\n"));
  g_assert_nonnull (strstr (after, "SipTlsPort=5061\n"));
  g_assert_nonnull (strstr (after, "RtpTimeout=30\n"));
}

static void
test_set_many_creates_group (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) account = sips_config_schema_section_new (f->store, ACCOUNT_GROUP);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GKeyFile *keyfile = sips_config_store_get_keyfile (f->store);

  g_assert_false (g_key_file_has_group (keyfile, ACCOUNT_GROUP));
  g_assert_true (sips_config_section_set_many (account, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0), &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_has_group (keyfile, ACCOUNT_GROUP));
  text = file_contents (f->path);
  g_assert_nonnull (strstr (text, "[" ACCOUNT_GROUP "]\n"));
  g_assert_nonnull (strstr (text, "RegisterInterval=600\n"));

  /* delete() removes it again, and only it */
  {
    g_autoptr(SipsConfigSection) rtp = sips_config_schema_section_new (f->store, SIPS_GROUP_RTP);
    g_autoptr(SipsConfigStore) store2 = NULL;

    sips_test_set_ok (rtp, "UseIce", g_variant_new_boolean (TRUE));
    g_assert_true (sips_config_section_delete (account, &error));
    g_assert_no_error (error);
    g_assert_false (g_key_file_has_group (keyfile, ACCOUNT_GROUP));

    store2 = load_store (f->path);
    g_assert_false (g_key_file_has_group (sips_config_store_get_keyfile (store2), ACCOUNT_GROUP));
    g_assert_true (g_key_file_has_group (sips_config_store_get_keyfile (store2), SIPS_GROUP_RTP));
  }
}

static void
test_secret (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) account = sips_config_schema_section_new (f->store, ACCOUNT_GROUP);
  g_autoptr(GVariant) pub = NULL;
  g_autoptr(GVariant) real = NULL;
  g_autoptr(GVariant) name = NULL;

  g_assert_true (sips_config_section_lookup (account, "Password")->flags & SIPS_CONFIG_KEY_SECRET);
  sips_test_set_ok (account, "Password", g_variant_new_string ("hunter2"));
  sips_test_set_ok (account, "DisplayName", g_variant_new_string ("Alice"));

  real = sips_config_section_get (account, "Password");
  pub = sips_config_section_get_public (account, "Password");
  name = sips_config_section_get_public (account, "DisplayName");
  g_assert_cmpstr (g_variant_get_string (real, NULL), ==, "hunter2");
  g_assert_cmpstr (g_variant_get_string (pub, NULL), ==, "");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "Alice");
  g_assert_cmpstr (sips_config_section_get_string (account, "Password"), ==, "hunter2");
}

typedef struct {
  guint  calls;
  char  *last_name;
} ApplyState;

static gboolean
on_apply (SipsConfigSection *section, const char *name, GVariant *value, gpointer user_data, GError **error)
{
  ApplyState *state = user_data;

  state->calls++;
  g_free (state->last_name);
  state->last_name = g_strdup (name);
  if (g_str_equal (name, "SipUdpPort") && g_variant_get_uint32 (value) == 5099)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, "port 5099 is in use");
      return FALSE;
    }
  return TRUE;
}

static void
test_apply_func (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (f->store, SIPS_GROUP_SETTINGS);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  ApplyState state = { 0 };
  GVariantBuilder b;

  sips_config_section_set_apply_func (section, on_apply, &state);
  g_signal_connect (section, "changed", G_CALLBACK (on_changed), all);

  sips_test_set_ok (section, "SipUdpPort", g_variant_new_uint32 (5070));
  g_assert_cmpuint (state.calls, ==, 1);
  g_assert_cmpstr (state.last_name, ==, "SipUdpPort");

  /* The same value needs no applying */
  sips_test_set_ok (section, "SipUdpPort", g_variant_new_uint32 (5070));
  g_assert_cmpuint (state.calls, ==, 1);

  /* An invalid value never reaches the apply func */
  g_assert_false (sips_config_section_set (section, "SipUdpPort", g_variant_new_uint32 (70000), &error));
  g_clear_error (&error);
  g_assert_cmpuint (state.calls, ==, 1);

  before = file_contents (f->path);
  g_assert_false (sips_config_section_set (section, "SipUdpPort", g_variant_new_uint32 (5099), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpuint (state.calls, ==, 2);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipUdpPort"), ==, 5070);

  /* set_many with a refusal: nothing changes */
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "SipTcpPort", g_variant_new_uint32 (5098));
  g_variant_builder_add (&b, "{sv}", "SipUdpPort", g_variant_new_uint32 (5099));
  g_assert_false (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipTcpPort"), ==, 5060);
  g_assert_cmpuint (sips_config_section_get_uint (section, "SipUdpPort"), ==, 5070);

  after = file_contents (f->path);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (all->len, ==, 1);
  g_free (state.last_name);
}

static void
test_rtp_port_range (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigSection) section = sips_config_schema_section_new (f->store, SIPS_GROUP_SETTINGS);
  g_autoptr(GError) error = NULL;
  GVariantBuilder b;

  /* At least 2 apart, checked against the other key's current value */
  sips_test_set_ok (section, "RtpPortMin", g_variant_new_uint32 (50498));
  g_assert_false (sips_config_section_set (section, "RtpPortMax", g_variant_new_uint32 (50499), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (sips_config_section_set (section, "RtpPortMin", g_variant_new_uint32 (50499), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  sips_test_set_ok (section, "RtpPortMax", g_variant_new_uint32 (50500));

  /* Moving the whole range up: one at a time fails, both together work */
  g_assert_false (sips_config_section_set (section, "RtpPortMin", g_variant_new_uint32 (60000), &error));
  g_clear_error (&error);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "RtpPortMin", g_variant_new_uint32 (60000));
  g_variant_builder_add (&b, "{sv}", "RtpPortMax", g_variant_new_uint32 (61000));
  g_assert_true (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sips_config_section_get_uint (section, "RtpPortMin"), ==, 60000);
  g_assert_cmpuint (sips_config_section_get_uint (section, "RtpPortMax"), ==, 61000);

  /* An inverted range in one call is refused */
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "RtpPortMin", g_variant_new_uint32 (40000));
  g_variant_builder_add (&b, "{sv}", "RtpPortMax", g_variant_new_uint32 (30000));
  g_assert_false (sips_config_section_set_many (section, g_variant_builder_end (&b), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (sips_config_section_get_uint (section, "RtpPortMin"), ==, 60000);
  g_assert_cmpuint (sips_config_section_get_uint (section, "RtpPortMax"), ==, 61000);
}

static void
test_unknown_keys_kept (Fixture *f, gconstpointer data)
{
  GKeyFile *keyfile = sips_config_store_get_keyfile (f->store);
  g_autoptr(SipsConfigSection) section = NULL;
  g_autoptr(SipsConfigStore) store2 = NULL;
  g_autofree char *kept = NULL;

  g_key_file_set_string (keyfile, SIPS_GROUP_MSRP, "FutureKey", "future value");
  section = sips_config_schema_section_new (f->store, SIPS_GROUP_MSRP);
  sips_test_set_ok (section, "RelayPort", g_variant_new_uint32 (2856));

  store2 = load_store (f->path);
  kept = g_key_file_get_string (sips_config_store_get_keyfile (store2), SIPS_GROUP_MSRP, "FutureKey", NULL);
  g_assert_cmpstr (kept, ==, "future value");
}

/* Ringtones */

static void
test_ringtones (Fixture *f, gconstpointer data)
{
  g_autofree char *other_wav = g_build_filename (f->dir, "other;ring.wav", NULL);
  g_autoptr(GError) error = NULL;
  char *ringtone;

  write_wav (other_wav);

  {
    g_autoptr(SipsRingtoneConfig) config = sips_ringtone_config_new (f->store);
    SipsConfigSection *section = sips_ringtone_config_get_section (config);

    g_assert_cmpstr (sips_config_section_get_group (section), ==, SIPS_GROUP_RINGTONES);

    /* Nothing set: the default ("" = none) */
    ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sip:bob@example.com", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (ringtone, ==, "");
    g_free (ringtone);

    sips_test_set_ok (section, "DefaultInboundRingtone", g_variant_new_string (f->wav));
    g_assert_true (sips_ringtone_config_add_ringtone_for_sipuri (config, "sip:bob@Example.COM", other_wav, &error));
    g_assert_no_error (error);
    g_assert_true (sips_ringtone_config_add_ringtone_for_sipuri (config, "sips:carol@example.com:5061", f->wav, &error));
    g_assert_no_error (error);

    /* Host compared case-insensitively, URI parameters ignored */
    ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sip:bob@example.com;transport=tcp", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (ringtone, ==, other_wav);
    g_free (ringtone);

    /* Others fall back to DefaultInboundRingtone */
    ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sip:dave@example.com", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (ringtone, ==, f->wav);
    g_free (ringtone);

    /* Errors */
    g_assert_false (sips_ringtone_config_add_ringtone_for_sipuri (config, "not a uri", f->wav, &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (sips_ringtone_config_add_ringtone_for_sipuri (config, "http://example.com/", f->wav, &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (sips_ringtone_config_add_ringtone_for_sipuri (config, "sip:erin@example.com", f->not_wav, &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (sips_ringtone_config_add_ringtone_for_sipuri (config, "sip:erin@example.com", "/nonexistent/x.wav", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (sips_ringtone_config_remove_sipuri (config, "sip:erin@example.com", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_false (sips_ringtone_config_remove_sipuri (config, "garbage", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_null (sips_ringtone_config_get_ringtone_for_sipuri (config, "", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }

  /* Persistence: a new store reads the map back */
  {
    g_autoptr(SipsConfigStore) store2 = load_store (f->path);
    g_autoptr(SipsRingtoneConfig) config = sips_ringtone_config_new (store2);

    ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sip:bob@example.com", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (ringtone, ==, other_wav);
    g_free (ringtone);
    ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sips:carol@EXAMPLE.com:5061", &error);
    g_assert_cmpstr (ringtone, ==, f->wav);
    g_free (ringtone);

    /* Replace, then remove */
    g_assert_true (sips_ringtone_config_add_ringtone_for_sipuri (config, "sip:bob@example.com", f->wav, &error));
    g_assert_true (sips_ringtone_config_remove_sipuri (config, "sips:carol@example.com:5061", &error));
    g_assert_no_error (error);
    g_assert_false (sips_ringtone_config_remove_sipuri (config, "sips:carol@example.com:5061", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  {
    g_autoptr(SipsConfigStore) store3 = load_store (f->path);
    g_autoptr(SipsRingtoneConfig) config = sips_ringtone_config_new (store3);

    ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sip:bob@example.com", &error);
    g_assert_cmpstr (ringtone, ==, f->wav);
    g_free (ringtone);
    /* carol is gone: the default, which is f->wav too, so check the map itself */
    g_assert_false (sips_ringtone_config_remove_sipuri (config, "sips:carol@example.com:5061", &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_true (sips_ringtone_config_remove_sipuri (config, "sip:bob@example.com", &error));
    g_assert_no_error (error);
  }
}

static void
test_ringtones_failed_save (Fixture *f, gconstpointer data)
{
  g_autofree char *blocker = g_build_filename (f->dir, "blocker", NULL);
  g_autofree char *path = g_build_filename (blocker, "sipsimpled.conf", NULL);
  g_autoptr(SipsConfigStore) store = load_store (path);
  g_autoptr(SipsRingtoneConfig) config = sips_ringtone_config_new (store);
  g_autoptr(GError) error = NULL;
  g_autofree char *ringtone = NULL;

  g_assert_true (g_file_set_contents (blocker, "", -1, NULL));
  g_assert_false (sips_ringtone_config_add_ringtone_for_sipuri (config, "sip:bob@example.com", f->wav, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_clear_error (&error);
  ringtone = sips_ringtone_config_get_ringtone_for_sipuri (config, "sip:bob@example.com", &error);
  g_assert_cmpstr (ringtone, ==, "");
  g_assert_false (g_key_file_has_key (sips_config_store_get_keyfile (store), SIPS_GROUP_RINGTONES, "Sipuris", NULL));
}

/* Shared validators */

static void
test_validators (void)
{
  g_assert_true (sips_config_is_ip_address ("127.0.0.1"));
  g_assert_true (sips_config_is_ip_address ("::1"));
  g_assert_true (sips_config_is_ip_address ("2001:db8::7"));
  g_assert_false (sips_config_is_ip_address (""));
  g_assert_false (sips_config_is_ip_address ("example.com"));
  g_assert_false (sips_config_is_ip_address ("1.2.3"));
  g_assert_false (sips_config_is_ip_address ("[::1]"));

  g_assert_true (sips_config_is_host ("example.com"));
  g_assert_true (sips_config_is_host ("a-b.example.com"));
  g_assert_true (sips_config_is_host ("localhost"));
  g_assert_true (sips_config_is_host ("10.0.0.1"));
  g_assert_false (sips_config_is_host (""));
  g_assert_false (sips_config_is_host ("-a.example.com"));
  g_assert_false (sips_config_is_host ("a-.example.com"));
  g_assert_false (sips_config_is_host ("a b"));
  g_assert_false (sips_config_is_host ("a..b"));
  g_assert_false (sips_config_is_host ("host:5060"));

  g_assert_true (sips_config_is_sip_address ("alice@example.com"));
  g_assert_true (sips_config_is_sip_address ("alice@127.0.0.1:5070"));
  g_assert_true (sips_config_is_sip_address ("alice@[::1]:5070"));
  g_assert_true (sips_config_is_sip_address ("+4930123@example.com"));
  g_assert_false (sips_config_is_sip_address ("alice"));
  g_assert_false (sips_config_is_sip_address ("sip:alice@example.com"));
  g_assert_false (sips_config_is_sip_address ("a@b@example.com"));
  g_assert_false (sips_config_is_sip_address ("alice@example.com:0"));
  g_assert_false (sips_config_is_sip_address ("alice@example.com:abc"));

  g_assert_true (sips_config_is_sip_uri ("sip:alice@example.com"));
  g_assert_true (sips_config_is_sip_uri ("sips:alice@example.com:5061;transport=tls"));
  g_assert_true (sips_config_is_sip_uri ("sip:127.0.0.1:5070"));
  g_assert_true (sips_config_is_sip_uri ("sip:anyone@[::1]:5070"));
  g_assert_false (sips_config_is_sip_uri ("alice@example.com"));
  g_assert_false (sips_config_is_sip_uri ("tel:+123"));
  g_assert_false (sips_config_is_sip_uri ("sip:"));
  g_assert_false (sips_config_is_sip_uri ("sip:alice@"));
  g_assert_false (sips_config_is_sip_uri ("sip:alice@exa mple.com"));
  g_assert_false (sips_config_is_sip_uri (""));

  {
    g_autofree char *n1 = sips_config_normalize_sip_uri ("sip:Bob@EXAMPLE.com:5060;transport=udp?subject=x");
    g_autofree char *n2 = sips_config_normalize_sip_uri ("SIP:Bob@example.com:5060");
    g_assert_cmpstr (n1, ==, "sip:Bob@example.com:5060");
    g_assert_cmpstr (n2, ==, n1);
    g_assert_null (sips_config_normalize_sip_uri ("bob"));
  }
}

static void
test_wav_check (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sips_config_is_readable_wav (f->wav, &error));
  g_assert_no_error (error);
  g_assert_false (sips_config_is_readable_wav (f->not_wav, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (sips_config_is_readable_wav (f->dir, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (sips_config_is_readable_wav ("", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/config-section/every-key", test_every_key);
  ADD ("/config-section/unknown-key", test_unknown_key);
  ADD ("/config-section/changed-signal", test_changed_signal);
  ADD ("/config-section/set-many", test_set_many);
  ADD ("/config-section/set-many-creates-group", test_set_many_creates_group);
  ADD ("/config-section/secret", test_secret);
  ADD ("/config-section/apply-func", test_apply_func);
  ADD ("/config-section/rtp-port-range", test_rtp_port_range);
  ADD ("/config-section/unknown-keys-kept", test_unknown_keys_kept);
  ADD ("/config-section/ringtones", test_ringtones);
  ADD ("/config-section/ringtones-failed-save", test_ringtones_failed_save);
  ADD ("/config-section/wav-check", test_wav_check);
#undef ADD
  g_test_add_func ("/config-section/validators", test_validators);

  return g_test_run ();
}
