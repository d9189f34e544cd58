/* test-msrp-file.c: a file sent by SipsMsrpFileSender and received by
 * SipsMsrpFileReceiver over two chat streams in one process (loopback TCP and TLS):
 * contents and hash on arrival, an empty file, and the failures: a hash or size that
 * does not match the offer, the sender stopping in the middle */
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "msrp/sips-file-selector.h"
#include "msrp/sips-msrp-file.h"
#include "test-msrp-util.h"

typedef struct {
  guint64  progress;        /* the latest */
  guint    n_progress;
  gboolean done;
  guint    status;
  char    *reason;
  guint    complete_answer; /* what complete() returns */
  gboolean completed;
} Side;

static void
on_progress (guint64 bytes, gpointer data)
{
  Side *side = data;

  g_assert_cmpuint (bytes, >=, side->progress);
  side->progress = bytes;
  side->n_progress++;
}

static void
on_done (guint status, const char *reason, gpointer data)
{
  Side *side = data;

  g_assert_false (side->done);
  side->done = TRUE;
  side->status = status;
  side->reason = g_strdup (reason);
}

static guint
on_complete (gpointer data)
{
  Side *side = data;

  side->completed = TRUE;
  return side->complete_answer;
}

static const SipsMsrpFileCallbacks callbacks = {
  .progress = on_progress,
  .done = on_done,
  .complete = on_complete,
};

typedef struct {
  TestPair              pair;
  char                 *dir;
  char                 *src;
  char                 *dst;
  GBytes               *data;
  SipsMsrpFileSender   *sender;
  SipsMsrpFileReceiver *receiver;
  Side                  s;
  Side                  r;
} Fixture;

static char *
sha1_of (GBytes *data)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);

  g_checksum_update (sum, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data));
  return sips_file_hash_from_checksum (sum);
}

/* size bytes of random data from a (active) to b, offered with offered_size/hash,
 * received into out (-1 = the file f->dst). */
static void
fixture_start_to (Fixture *f, gboolean tls, gsize size, gint64 offered_size, const char *hash,
                  int out)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bytes = g_malloc (size + 1);
  g_autofree char *own_hash = NULL;
  int in;

  for (gsize i = 0; i < size; i++)
    bytes[i] = (guint8) g_random_int ();
  f->data = g_bytes_new (bytes, size);
  f->dir = g_dir_make_tmp ("test-msrp-file-XXXXXX", &error);
  g_assert_no_error (error);
  f->src = g_build_filename (f->dir, "src", NULL);
  f->dst = g_build_filename (f->dir, "dst", NULL);
  g_assert_true (g_file_set_contents (f->src, (const char *) bytes, (gssize) size, &error));
  f->r.complete_answer = 200;
  own_hash = sha1_of (f->data);

  test_pair_connect (&f->pair, tls);
  in = open (f->src, O_RDONLY | O_CLOEXEC);
  if (out < 0)
    out = open (f->dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (in, >=, 0);
  g_assert_cmpint (out, >=, 0);
  f->receiver = sips_msrp_file_receiver_new (f->pair.b, out, offered_size,
                                             hash != NULL ? hash : own_hash, &callbacks, &f->r);
  f->sender = sips_msrp_file_sender_new (f->pair.a, in, size, "application/octet-stream",
                                         &callbacks, &f->s);
  sips_msrp_file_sender_start (f->sender);
}

static void
fixture_start (Fixture *f, gboolean tls, gsize size, gint64 offered_size, const char *hash)
{
  fixture_start_to (f, tls, size, offered_size, hash, -1);
}

static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->sender, sips_msrp_file_sender_free);
  g_clear_pointer (&f->receiver, sips_msrp_file_receiver_free);
  test_pair_clear (&f->pair);
  sips_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->src);
  g_free (f->dst);
  g_free (f->s.reason);
  g_free (f->r.reason);
  g_bytes_unref (f->data);
}

static void
check_delivered (gboolean tls, gsize size)
{
  Fixture f = { 0 };
  g_autofree char *got = NULL;
  g_autofree char *expected_hash = NULL;
  gsize len = 0;

  fixture_start (&f, tls, size, (gint64) size, NULL);
  WAIT_FOR (f.s.done, WAIT_MS);
  g_assert_cmpuint (f.s.status, ==, 200);
  g_assert_true (f.r.completed);
  g_assert_false (f.r.done);
  g_assert_cmpuint (f.s.progress, ==, size);
  g_assert_cmpuint (f.r.progress, ==, size);
  g_assert_cmpuint (sips_msrp_file_receiver_get_size (f.receiver), ==, size);
  expected_hash = sha1_of (f.data);
  g_assert_cmpstr (sips_msrp_file_receiver_get_hash (f.receiver), ==, expected_hash);
  g_assert_true (g_file_get_contents (f.dst, &got, &len, NULL));
  g_assert_cmpmem (got, len, g_bytes_get_data (f.data, NULL), size);
  fixture_clear (&f);
}

static void
test_tcp_file (void)
{
  check_delivered (FALSE, 3 * 1024 * 1024 + 17);
}

static void
test_tls_file (void)
{
  check_delivered (TRUE, 1024 * 1024);
}

static void
test_empty_file (void)
{
  check_delivered (FALSE, 0);
}

static void
test_hash_mismatch (void)
{
  Fixture f = { 0 };

  fixture_start (&f, FALSE, 100000, 100000,
                 "sha-1:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
  WAIT_FOR (f.s.done && f.r.done, WAIT_MS);
  g_assert_cmpuint (f.r.status, ==, 400);
  g_assert_nonnull (strstr (f.r.reason, "hash"));
  g_assert_cmpuint (f.s.status, ==, 400);
  g_assert_false (f.r.completed);
  fixture_clear (&f);
}

static void
test_larger_than_offered (void)
{
  Fixture f = { 0 };

  /* the sender's Byte-Range totals are not the offer's */
  fixture_start (&f, FALSE, 200000, 100000, NULL);
  WAIT_FOR (f.s.done && f.r.done, WAIT_MS);
  g_assert_cmpuint (f.r.status, ==, 400);
  g_assert_cmpuint (f.s.status, ==, 400);
  g_assert_false (f.r.completed);
  fixture_clear (&f);
}

static void
test_store_fails (void)
{
  Fixture f = { 0 };

  fixture_start (&f, FALSE, 5000, 5000, NULL);
  f.r.complete_answer = 500;
  WAIT_FOR (f.s.done && f.r.done, WAIT_MS);
  g_assert_true (f.r.completed);
  g_assert_cmpuint (f.s.status, ==, 500);
  g_assert_cmpuint (f.r.status, ==, 500);
  fixture_clear (&f);
}

static void
test_sender_stops_midway (void)
{
  Fixture f = { 0 };

  fixture_start (&f, FALSE, 64 * 1024 * 1024, 64 * 1024 * 1024, NULL);
  WAIT_FOR (f.r.progress > 0, WAIT_MS);
  g_assert_false (f.s.done);
  g_clear_pointer (&f.sender, sips_msrp_file_sender_free);   /* sends the '#' */
  WAIT_FOR (f.r.done, WAIT_MS);
  g_assert_cmpuint (f.r.status, ==, 0);
  g_assert_nonnull (strstr (f.r.reason, "interrupted"));
  g_assert_false (f.r.completed);
  g_assert_cmpuint (f.r.progress, <, 64 * 1024 * 1024);
  fixture_clear (&f);
}

typedef struct {
  int     fd;
  guint64 size;
  guint64 drained;
  gint    go;
} Drain;

/* The slow disk: its own thread (the receiver's last flush waits for it) that reads
 * once told to, or after 3 s (should the main thread be stuck in that flush). */
static gpointer
drain_thread (gpointer data)
{
  Drain *d = data;
  guint8 buffer[65536];

  for (guint i = 0; i < 300 && !g_atomic_int_get (&d->go); i++)
    g_usleep (10 * 1000);

  while (d->drained < d->size)
    {
      ssize_t n = read (d->fd, buffer, sizeof buffer);

      if (n <= 0)
        break;
      d->drained += (guint64) n;
    }
  return NULL;
}

/* A disk slower than the network: what the receiver holds stays bounded (the
 * connection stops reading), the main loop goes on, and it all arrives in the end. */
static void
test_slow_disk (void)
{
  Fixture f = { 0 };
  const gsize size = 48 * 1024 * 1024;
  int fds[2];
  Drain drain = { 0 };
  GThread *thread;

  g_assert_cmpint (pipe (fds), ==, 0);
  drain.fd = fds[0];
  drain.size = size;
  thread = g_thread_new ("drain", drain_thread, &drain);
  fixture_start_to (&f, FALSE, size, (gint64) size, NULL, fds[1]);
  /* nobody reads the pipe: the writing thread blocks once it is full */
  WAIT_FOR (f.r.progress > 0, WAIT_MS);
  test_msrp_spin (500);
  g_assert_false (f.s.done);
  /* 4 MiB waiting for the disk, a pipe's and a read's worth, what the parser had */
  g_assert_cmpuint (f.r.progress, <, 6 * 1024 * 1024);
  g_assert_cmpuint (f.s.progress, <=, f.r.progress);

  g_atomic_int_set (&drain.go, TRUE);
  WAIT_FOR (f.s.done, 4 * WAIT_MS);
  g_thread_join (thread);
  g_assert_cmpuint (f.s.status, ==, 200);   /* the hash matched */
  g_assert_true (f.r.completed);
  g_assert_cmpuint (drain.drained, ==, size);
  fixture_clear (&f);
  close (fds[0]);
  close (fds[1]);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_msrp_certs_init ();

  g_test_add_func ("/msrp/file/tcp", test_tcp_file);
  g_test_add_func ("/msrp/file/tls", test_tls_file);
  g_test_add_func ("/msrp/file/empty", test_empty_file);
  g_test_add_func ("/msrp/file/hash-mismatch", test_hash_mismatch);
  g_test_add_func ("/msrp/file/larger-than-offered", test_larger_than_offered);
  g_test_add_func ("/msrp/file/store-fails", test_store_fails);
  g_test_add_func ("/msrp/file/sender-stops-midway", test_sender_stops_midway);
  g_test_add_func ("/msrp/file/slow-disk", test_slow_disk);

  status = g_test_run ();
  test_msrp_certs_clear ();
  return status;
}
