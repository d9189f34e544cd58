/* test-config-store.c: the configuration file: round trip, atomic replace, modes, errors */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "core/sips-error.h"
#include "config/sips-config-store.h"
#include "config/sips-config-section.h"
#include "config/sips-config-schema.h"
#include "sips-test-util.h"

#define ACCOUNT_GROUP SIPS_GROUP_ACCOUNT_PREFIX "alice@example.com"

typedef struct {
  char *dir;   /* temporary directory, removed afterwards */
  char *path;  /* dir/conf/sipsimpled.conf: conf/ does not exist yet */
} Fixture;


static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("sips-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "conf", "sipsimpled.conf", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sips_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
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



static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_missing_file (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigStore) store = load_store (f->path);
  g_auto(GStrv) groups = g_key_file_get_groups (sips_config_store_get_keyfile (store), NULL);

  g_assert_cmpstr (sips_config_store_get_path (store), ==, f->path);
  g_assert_cmpuint (g_strv_length (groups), ==, 0);
  /* Loading creates nothing */
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  const char *codecs[] = { "PCMU", "opus", NULL };

  {
    g_autoptr(SipsConfigStore) store = load_store (f->path);
    g_autoptr(SipsConfigSection) settings = sips_config_schema_section_new (store, SIPS_GROUP_SETTINGS);
    g_autoptr(SipsConfigSection) rtp = sips_config_schema_section_new (store, SIPS_GROUP_RTP);
    g_autoptr(SipsConfigSection) msrp = sips_config_schema_section_new (store, SIPS_GROUP_MSRP);
    g_autoptr(SipsConfigSection) account = sips_config_schema_section_new (store, ACCOUNT_GROUP);

    sips_test_set_ok (settings, "SipUdpPort", g_variant_new_uint32 (5070));
    sips_test_set_ok (settings, "TlsVerifyServer", g_variant_new_boolean (FALSE));
    sips_test_set_ok (settings, "AudioCodecs", g_variant_new_strv (codecs, -1));
    sips_test_set_ok (settings, "UserAgent", g_variant_new_string ("test agent; with = odd \\ chars"));
    sips_test_set_ok (rtp, "LocalRtpAddress", g_variant_new_string ("::1"));
    sips_test_set_ok (rtp, "UseIce", g_variant_new_boolean (TRUE));
    sips_test_set_ok (msrp, "RelayHost", g_variant_new_string ("relay.example.com"));
    sips_test_set_ok (account, "Password", g_variant_new_string ("pa;ss=word\nwith newline"));
    sips_test_set_ok (account, "RegisterInterval", g_variant_new_uint32 (3600));
  }

  {
    g_autoptr(SipsConfigStore) store = load_store (f->path);
    g_autoptr(SipsConfigSection) settings = sips_config_schema_section_new (store, SIPS_GROUP_SETTINGS);
    g_autoptr(SipsConfigSection) rtp = sips_config_schema_section_new (store, SIPS_GROUP_RTP);
    g_autoptr(SipsConfigSection) msrp = sips_config_schema_section_new (store, SIPS_GROUP_MSRP);
    g_autoptr(SipsConfigSection) account = sips_config_schema_section_new (store, ACCOUNT_GROUP);
    g_autofree char *text = NULL;

    g_assert_cmpuint (sips_config_section_get_uint (settings, "SipUdpPort"), ==, 5070);
    g_assert_cmpuint (sips_config_section_get_uint (settings, "SipTcpPort"), ==, 5060);
    g_assert_false (sips_config_section_get_boolean (settings, "TlsVerifyServer"));
    g_assert_cmpstrv (sips_config_section_get_strv (settings, "AudioCodecs"), codecs);
    g_assert_cmpstr (sips_config_section_get_string (settings, "UserAgent"), ==,
                     "test agent; with = odd \\ chars");
    g_assert_cmpstr (sips_config_section_get_string (rtp, "LocalRtpAddress"), ==, "::1");
    g_assert_true (sips_config_section_get_boolean (rtp, "UseIce"));
    g_assert_cmpstr (sips_config_section_get_string (msrp, "RelayHost"), ==, "relay.example.com");
    g_assert_cmpstr (sips_config_section_get_string (account, "Password"), ==, "pa;ss=word\nwith newline");
    g_assert_cmpuint (sips_config_section_get_uint (account, "RegisterInterval"), ==, 3600);

    /* Human-editable: plain keyfile values, not GVariant text */
    g_assert_true (g_file_get_contents (f->path, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "[Settings]\n"));
    g_assert_nonnull (strstr (text, "SipUdpPort=5070\n"));
    g_assert_nonnull (strstr (text, "TlsVerifyServer=false\n"));
    g_assert_nonnull (strstr (text, "AudioCodecs=PCMU;opus;\n"));
    g_assert_nonnull (strstr (text, "[" ACCOUNT_GROUP "]\n"));
  }
}

static void
test_hand_edited (Fixture *f, gconstpointer data)
{
  g_autofree char *conf_dir = g_path_get_dirname (f->path);
  const char *text =
    "# my configuration\n"
    "[Settings]\n"
    "SipUdpPort=5090\n"
    "SipTcpPort=99999\n"             /* invalid: default */
    "SipTlsPort=abc\n"               /* unparsable: default */
    "RtpPortMin=60000\n"             /* valid together with RtpPortMax */
    "RtpPortMax=61000\n"
    "AudioCodecs=G722;PCMA\n"
    "SomethingElse=kept\n";

  g_assert_cmpint (g_mkdir_with_parents (conf_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));

  {
    g_autoptr(SipsConfigStore) store = load_store (f->path);
    g_autoptr(SipsConfigSection) settings = sips_config_schema_section_new (store, SIPS_GROUP_SETTINGS);
    const char *codecs[] = { "G722", "PCMA", NULL };
    g_autofree char *saved = NULL;

    g_assert_cmpuint (sips_config_section_get_uint (settings, "SipUdpPort"), ==, 5090);
    g_assert_cmpuint (sips_config_section_get_uint (settings, "SipTcpPort"), ==, 5060);
    g_assert_cmpuint (sips_config_section_get_uint (settings, "SipTlsPort"), ==, 5061);
    g_assert_cmpuint (sips_config_section_get_uint (settings, "RtpPortMin"), ==, 60000);
    g_assert_cmpuint (sips_config_section_get_uint (settings, "RtpPortMax"), ==, 61000);
    g_assert_cmpstrv (sips_config_section_get_strv (settings, "AudioCodecs"), codecs);

    /* Unknown keys and comments survive a save */
    sips_test_set_ok (settings, "SipUdpPort", g_variant_new_uint32 (5091));
    g_assert_true (g_file_get_contents (f->path, &saved, NULL, NULL));
    g_assert_nonnull (strstr (saved, "SomethingElse=kept\n"));
    g_assert_nonnull (strstr (saved, "# my configuration\n"));
    g_assert_nonnull (strstr (saved, "SipUdpPort=5091\n"));
  }
}

static void
test_atomic_replace (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigStore) store = load_store (f->path);
  g_autoptr(SipsConfigSection) settings = sips_config_schema_section_new (store, SIPS_GROUP_SETTINGS);
  g_autofree char *conf_dir = g_path_get_dirname (f->path);
  GStatBuf before, after;
  g_autofree char *text = NULL;

  sips_test_set_ok (settings, "SipUdpPort", g_variant_new_uint32 (5070));
  g_assert_cmpint (g_stat (f->path, &before), ==, 0);

  /* Hold the old file open: an in-place rewrite would reuse its inode */
  {
    g_autoptr(GMappedFile) old = g_mapped_file_new (f->path, FALSE, NULL);

    g_assert_nonnull (old);
    sips_test_set_ok (settings, "SipUdpPort", g_variant_new_uint32 (5071));
    g_assert_cmpint (g_stat (f->path, &after), ==, 0);
    g_assert_cmpuint (before.st_ino, !=, after.st_ino);
    /* The old content is intact for whoever was reading it */
    g_assert_nonnull (g_strstr_len (g_mapped_file_get_contents (old),
                                    g_mapped_file_get_length (old), "SipUdpPort=5070"));
  }

  g_assert_true (g_file_get_contents (f->path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "SipUdpPort=5071\n"));

  /* No temporary file left behind */
  g_assert_cmpuint (count_entries (conf_dir), ==, 1);
}

static void
test_modes (Fixture *f, gconstpointer data)
{
  g_autoptr(SipsConfigStore) store = load_store (f->path);
  g_autoptr(SipsConfigSection) account = sips_config_schema_section_new (store, ACCOUNT_GROUP);
  g_autofree char *conf_dir = g_path_get_dirname (f->path);
  GStatBuf st;

  sips_test_set_ok (account, "Password", g_variant_new_string ("secret"));

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (g_stat (conf_dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);

  /* An existing file with looser permissions is tightened by the next save */
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  sips_test_set_ok (account, "Password", g_variant_new_string ("other"));
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  g_autofree char *conf_dir = g_path_get_dirname (f->path);
  g_autoptr(SipsConfigStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  g_assert_cmpint (g_mkdir_with_parents (conf_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, "[Settings]\nSipUdpPort=5070\nthis is not a keyfile line\n", -1, NULL));

  store = sips_config_store_new (f->path);
  g_assert_false (sips_config_store_load (store, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, f->path));

  groups = g_key_file_get_groups (sips_config_store_get_keyfile (store), NULL);
  g_assert_cmpuint (g_strv_length (groups), ==, 0);
}

static void
test_failed_save (Fixture *f, gconstpointer data)
{
  /* The parent of the configuration file is a regular file: mkdir and save fail,
   * even for root. */
  g_autofree char *blocker = g_build_filename (f->dir, "blocker", NULL);
  g_autofree char *path = g_build_filename (blocker, "sipsimpled.conf", NULL);
  g_autoptr(SipsConfigStore) store = load_store (path);
  g_autoptr(SipsConfigSection) settings = sips_config_schema_section_new (store, SIPS_GROUP_SETTINGS);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_true (g_file_set_contents (blocker, "not a directory", -1, NULL));
  before = g_key_file_to_data (sips_config_store_get_keyfile (store), NULL, NULL);

  g_assert_false (sips_config_section_set (settings, "SipUdpPort", g_variant_new_uint32 (5070), &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpuint (sips_config_section_get_uint (settings, "SipUdpPort"), ==, 5060);

  after = g_key_file_to_data (sips_config_store_get_keyfile (store), NULL, NULL);
  g_assert_cmpstr (before, ==, after);

  g_assert_false (sips_config_store_save (store, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_FAILED);
}

static void
test_default_path (void)
{
  g_autofree char *user = sips_config_store_default_path (FALSE);
  g_autofree char *system = sips_config_store_default_path (TRUE);
  g_autofree char *expected = g_build_filename (g_get_user_config_dir (), "sipsimpled", "sipsimpled.conf", NULL);

  g_assert_cmpstr (user, ==, expected);
  g_assert_cmpstr (system, ==, "/var/lib/sipsimpled/sipsimpled.conf");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* Invalid stored values are reported with g_warning(): expected in test_hand_edited */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/config-store/missing-file", test_missing_file);
  ADD ("/config-store/round-trip", test_round_trip);
  ADD ("/config-store/hand-edited", test_hand_edited);
  ADD ("/config-store/atomic-replace", test_atomic_replace);
  ADD ("/config-store/modes", test_modes);
  ADD ("/config-store/corrupt", test_corrupt);
  ADD ("/config-store/failed-save", test_failed_save);
#undef ADD
  g_test_add_func ("/config-store/default-path", test_default_path);

  return g_test_run ();
}
