/* test-file-hash.c: SHA-1 of a file in a worker thread: known vectors, a 20 MiB file
 * (memory stays bounded, the main loop keeps running), cancel, errors */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "msrp/sips-file-hash.h"
#include "msrp/sips-file-selector.h"
#include "sips-test-util.h"

#define MiB (1024 * 1024)

typedef struct {
  char      *dir;
  GMainLoop *loop;
  char      *hash;
  GError    *error;
  guint      ticks;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-file-hash-XXXXXX", &error);
  g_assert_no_error (error);
  f->loop = g_main_loop_new (NULL, FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sips_test_remove_tree (f->dir);
  g_free (f->dir);
  g_main_loop_unref (f->loop);
  g_free (f->hash);
  g_clear_error (&f->error);
}

static void
on_hashed (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *f = data;

  f->hash = sips_file_hash_finish (result, &f->error);
  g_main_loop_quit (f->loop);
}

static gboolean
on_timeout (gpointer data)
{
  g_error ("hashing took too long");
  return G_SOURCE_REMOVE;
}

static void
hash_file (Fixture *f, const char *path, GCancellable *cancellable)
{
  guint timeout = g_timeout_add_seconds (60, on_timeout, NULL);

  g_clear_pointer (&f->hash, g_free);
  g_clear_error (&f->error);
  sips_file_hash_async (path, cancellable, on_hashed, f);
  g_main_loop_run (f->loop);
  g_source_remove (timeout);
}

static char *
write_file (Fixture *f, const char *name, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, data, (gssize) len, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_vectors (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *name, *contents, *hash;
  } cases[] = {
    { "empty", "", "sha-1:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09" },
    { "abc", "abc", "sha-1:A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D" },
    { "fips", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "sha-1:84:98:3E:44:1C:3B:D2:6E:BA:AE:4A:A1:F9:51:29:E5:E5:46:70:F1" },
  };
  g_autofree char *million = g_strnfill (1000000, 'a');
  g_autofree char *million_path = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_file (f, cases[i].name, cases[i].contents,
                                          strlen (cases[i].contents));

      hash_file (f, path, NULL);
      g_assert_no_error (f->error);
      g_assert_cmpstr (f->hash, ==, cases[i].hash);
    }
  /* one million 'a': one partial 1 MiB block (big_file covers several) */
  million_path = write_file (f, "million", million, 1000000);
  hash_file (f, million_path, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->hash, ==,
                   "sha-1:34:AA:97:3C:D4:C4:DA:A4:F6:1E:EB:2B:DB:AD:27:31:65:34:01:6F");
}

/* 20 MiB + 3 bytes of a pattern, written 1 MiB at a time so the test holds none of it. */
static char *
write_big_file (Fixture *f, char **expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree guint8 *block = g_malloc (MiB);
  char *path = g_build_filename (f->dir, "big.bin", NULL);
  FILE *out = fopen (path, "wb");

  g_assert_nonnull (out);
  for (guint i = 0; i <= 20; i++)
    {
      gsize len = i < 20 ? MiB : 3;

      for (gsize j = 0; j < len; j++)
        block[j] = (guint8) ((i * 131 + j * 7 + (j >> 9)) & 0xff);
      g_assert_cmpuint (fwrite (block, 1, len, out), ==, len);
      g_checksum_update (sha1, block, len);
    }
  g_assert_cmpint (fclose (out), ==, 0);
  *expected = sips_file_hash_from_checksum (sha1);
  return path;
}

static gboolean
on_tick (gpointer data)
{
  ((Fixture *) data)->ticks++;
  return G_SOURCE_CONTINUE;
}

static glong
max_rss_kib (void)
{
  struct rusage usage;

  g_assert_cmpint (getrusage (RUSAGE_SELF, &usage), ==, 0);
  return usage.ru_maxrss;
}

static void
test_big_file (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = NULL;
  g_autofree char *path = write_big_file (f, &expected);
  glong rss_before;
  guint tick;

  /* the main loop keeps turning while the worker reads; memory stays ~ one block */
  rss_before = max_rss_kib ();
  tick = g_timeout_add (1, on_tick, f);
  hash_file (f, path, NULL);
  g_source_remove (tick);
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->hash, ==, expected);
  g_test_message ("%u main-loop ticks while hashing, peak RSS +%ld KiB", f->ticks,
                  max_rss_kib () - rss_before);
  g_assert_cmpuint (f->ticks, >, 0);
  g_assert_cmpint (max_rss_kib () - rss_before, <, 8 * 1024);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = NULL;
  g_autofree char *path = write_big_file (f, &expected);
  g_autoptr(GCancellable) before = g_cancellable_new ();
  g_autoptr(GCancellable) during = g_cancellable_new ();

  /* cancelled before it starts */
  g_cancellable_cancel (before);
  hash_file (f, path, before);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->hash);

  /* cancelled while the worker runs */
  g_clear_pointer (&f->hash, g_free);
  g_clear_error (&f->error);
  sips_file_hash_async (path, during, on_hashed, f);
  g_cancellable_cancel (during);
  g_main_loop_run (f->loop);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->hash);

  /* and an uncancelled run afterwards still works */
  hash_file (f, path, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->hash, ==, expected);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);

  hash_file (f, missing, NULL);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (f->hash);

  hash_file (f, f->dir, NULL);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  g_assert_null (f->hash);
}

/* At exit: a running hash stops at its next block and its thread is done when
 * sips_file_hash_shutdown() returns. */
static void
test_shutdown (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "sparse.bin", NULL);
  g_autofree char *small = write_file (f, "small", "abc", 3);
  int fd;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  /* 4 GiB of holes: seconds of hashing, no disk */
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 4096 * MiB), ==, 0);
  close (fd);

  sips_file_hash_async (path, NULL, on_hashed, f);
  g_assert_cmpuint (sips_file_hash_count_running (), ==, 1);
  sips_file_hash_shutdown ();
  g_assert_cmpuint (sips_file_hash_count_running (), ==, 0);
  g_main_loop_run (f->loop);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->hash);

  /* one started afterwards does not run */
  hash_file (f, small, NULL);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/file-hash/vectors", Fixture, NULL, fixture_setup, test_vectors,
              fixture_teardown);
  g_test_add ("/file-hash/big-file", Fixture, NULL, fixture_setup, test_big_file,
              fixture_teardown);
  g_test_add ("/file-hash/cancel", Fixture, NULL, fixture_setup, test_cancel,
              fixture_teardown);
  g_test_add ("/file-hash/errors", Fixture, NULL, fixture_setup, test_errors,
              fixture_teardown);
  g_test_add ("/file-hash/shutdown", Fixture, NULL, fixture_setup, test_shutdown,
              fixture_teardown);
  return g_test_run ();
}
