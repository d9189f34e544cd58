/* test-file-name.c: file names from the wire, hidden temporary files and commits that
 * never overwrite */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msrp/sips-file-name.h"
#include "msrp/sips-file-name-private.h"
#include "sips-test-util.h"

/* What every sanitised name is. */
static void
assert_safe (const char *name)
{
  g_assert_nonnull (name);
  g_assert_cmpuint (strlen (name), >, 0);
  g_assert_cmpuint (strlen (name), <=, SIPS_FILE_NAME_MAX);
  g_assert_true (g_utf8_validate (name, -1, NULL));
  g_assert_null (strchr (name, '/'));
  g_assert_null (strchr (name, '\\'));
  g_assert_cmpint (name[0], !=, '.');
  g_assert_false (g_unichar_isspace (g_utf8_get_char (name)));
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (c < 0x20 || (c >= 0x7f && c <= 0x9f));
      g_assert_false (c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
                      (c >= 0x2066 && c <= 0x2069) || c == 0x061c);
    }
}

static void
test_sanitize (void)
{
  static const struct {
    const char *wire, *safe;
  } cases[] = {
    { "report.pdf", "report.pdf" },
    { "My cool picture.jpg", "My cool picture.jpg" },
    { "r\xc3\xa9sum\xc3\xa9 (v2): *final*?.txt", "r\xc3\xa9sum\xc3\xa9 (v2): *final*?.txt" },
    { "../../etc/passwd", "_.._etc_passwd" },
    { "/etc/passwd", "_etc_passwd" },
    { "a/b", "a_b" },
    { "a\\b", "a_b" },
    { "..\\..\\win.ini", "_.._win.ini" },
    { ".hidden", "hidden" },
    { "...hidden", "hidden" },
    { " . .bashrc ", "bashrc" },
    { "..", "file" },
    { ".", "file" },
    { "", "file" },
    { NULL, "file" },
    { "   ", "file" },
    { "\x01\x02\x1f\x7f", "file" },
    { "a\rb\nc\td\x1b[31m.txt", "abcd[31m.txt" },
    { "nul\x7f" "C1\xc2\x85\xc2\x9b.txt", "nulC1.txt" },
    /* U+202E RIGHT-TO-LEFT OVERRIDE: "exe.png" on screen */
    { "\xe2\x80\xaegnp.exe", "gnp.exe" },
    { "a\xe2\x80\x8e\xe2\x80\x8f\xe2\x81\xa6\xe2\x81\xa9\xd8\x9c\xe2\x80\xa8\xe2\x80\xa9" "b", "ab" },
    /* invalid UTF-8 becomes U+FFFD */
    { "ab\xff" "cd", "ab\xef\xbf\xbd" "cd" },
    { "\xc3(.txt", "\xef\xbf\xbd(.txt" },
    { "\xed\xa0\x80.txt", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.txt" },
    /* non-breaking and ideographic spaces are blanks too */
    { "\xc2\xa0\xe3\x80\x80x.txt\xc2\xa0", "x.txt" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *safe = sips_file_name_sanitize (cases[i].wire);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_cmpstr (safe, ==, cases[i].safe);
      assert_safe (safe);
    }
}

static void
test_sanitize_long (void)
{
  g_autofree char *stem = g_strnfill (296, 'a');
  g_autofree char *ascii = g_strconcat (stem, ".txt", NULL);
  g_autoptr(GString) wide = g_string_new (NULL);
  g_autofree char *no_ext = g_strnfill (300, 'b');
  g_autofree char *long_ext = g_strconcat ("x.", no_ext, NULL);
  g_autofree char *safe = NULL;

  /* 300 bytes: cut to 200, the extension kept */
  safe = sips_file_name_sanitize (ascii);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, SIPS_FILE_NAME_MAX);
  g_assert_true (g_str_has_suffix (safe, "aaa.txt"));
  g_clear_pointer (&safe, g_free);

  /* 2-byte and 3-byte characters: cut at a character boundary */
  for (int i = 0; i < 150; i++)
    g_string_append (wide, "\xc3\xa9");
  safe = sips_file_name_sanitize (wide->str);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, 200);
  g_clear_pointer (&safe, g_free);
  g_string_assign (wide, "");
  for (int i = 0; i < 100; i++)
    g_string_append (wide, "\xe2\x82\xac");
  g_string_append (wide, ".pdf");
  safe = sips_file_name_sanitize (wide->str);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, 3 * 65 + 4);
  g_assert_true (g_str_has_suffix (safe, "\xe2\x82\xac.pdf"));
  g_clear_pointer (&safe, g_free);

  safe = sips_file_name_sanitize (no_ext);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, 200);
  g_clear_pointer (&safe, g_free);
  /* an "extension" too long to be one is cut like the rest */
  safe = sips_file_name_sanitize (long_ext);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, 200);
  g_assert_true (g_str_has_prefix (safe, "x.bbb"));
}

/* Every byte value alone and in pairs: always a safe name. */
static void
test_sanitize_all_bytes (void)
{
  for (guint a = 1; a < 256; a++)
    for (guint b = 0; b < 256; b++)
      {
        char wire[4] = { (char) a, (char) b, 'x', '\0' };
        g_autofree char *safe = sips_file_name_sanitize (wire);

        assert_safe (safe);
      }
}

static void
test_numbered (void)
{
  static const struct {
    const char *name;
    guint       n;
    const char *numbered;
  } cases[] = {
    { "name.ext", 0, "name.ext" },
    { "name.ext", 1, "name (1).ext" },
    { "name.ext", 2, "name (2).ext" },
    { "name.ext", 9999, "name (9999).ext" },
    { "README", 1, "README (1)" },
    { "archive.tar.gz", 1, "archive (1).tar.gz" },
    { "archive.TAR.xz", 2, "archive (2).TAR.xz" },
    { "archive.tar.zst", 1, "archive (1).tar.zst" },
    { "my.holiday.photo.jpg", 1, "my.holiday.photo (1).jpg" },
    { "v2.final draft", 1, "v2.final draft (1)" },
    { "x.averyveryverylongext", 1, "x.averyveryverylongext (1)" },
    { "trailing.", 1, "trailing. (1)" },
    { ".bashrc", 1, ".bashrc (1)" },
    { ".tar.gz", 1, ".tar (1).gz" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *numbered = sips_file_name_numbered (cases[i].name, cases[i].n);

      g_assert_cmpstr (numbered, ==, cases[i].numbered);
    }
}

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-file-name-XXXXXX", &error);
  g_assert_no_error (error);
  sips_file_name_set_test_hooks (GPOINTER_TO_INT (data), NULL, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sips_file_name_set_test_hooks (SIPS_FILE_NAME_COMMIT_RENAMEAT2, NULL, NULL);
  sips_test_remove_tree (f->dir);
  g_free (f->dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

static void
assert_contents (const char *path, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

/* A temporary file with contents, ready to commit. */
static char *
make_temp (Fixture *f, const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *tmp_path = NULL;
  int fd = sips_file_name_create_temp (f->dir, &tmp_path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, contents, strlen (contents)), ==, (gssize) strlen (contents));
  close (fd);
  return tmp_path;
}

static void
test_create_temp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *tmp2 = NULL;
  g_autofree char *base = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  char *none = NULL;
  struct stat st;
  int fd, fd2, flags;

  fd = sips_file_name_create_temp (f->dir, &tmp_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  base = g_path_get_basename (tmp_path);
  g_assert_true (g_str_has_prefix (base, ".sipsimpled-"));
  g_assert_true (g_str_has_suffix (base, ".part"));
  g_assert_cmpuint (strlen (base), ==, strlen (".sipsimpled-XXXXXX.part"));
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, 0);
  flags = fcntl (fd, F_GETFD);
  g_assert_true (flags & FD_CLOEXEC);
  g_assert_cmpint ((fcntl (fd, F_GETFL) & O_ACCMODE), ==, O_RDWR);

  /* a second one gets another name */
  fd2 = sips_file_name_create_temp (f->dir, &tmp2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tmp2, !=, tmp_path);
  g_assert_cmpuint (count_entries (f->dir), ==, 2);
  close (fd);
  close (fd2);

  fd = sips_file_name_create_temp (missing, &none, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (none);
}

static void
test_commit_clash (Fixture *f, gconstpointer data)
{
  static const char * const names[] = { "name.ext", "README", "archive.tar.gz" };
  static const char * const second[] = { "name (1).ext", "README (1)", "archive (1).tar.gz" };
  static const char * const third[] = { "name (2).ext", "README (2)", "archive (2).tar.gz" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *existing = g_build_filename (f->dir, names[i], NULL);
      g_autofree char *tmp1 = make_temp (f, "one");
      g_autofree char *tmp2 = make_temp (f, "two");
      g_autofree char *tmp3 = make_temp (f, "three");
      g_autofree char *path1 = NULL, *path2 = NULL, *path3 = NULL;
      g_autofree char *base2 = NULL, *base3 = NULL;

      path1 = sips_file_name_commit (tmp1, f->dir, names[i], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (path1, ==, existing);
      path2 = sips_file_name_commit (tmp2, f->dir, names[i], &error);
      g_assert_no_error (error);
      base2 = g_path_get_basename (path2);
      g_assert_cmpstr (base2, ==, second[i]);
      path3 = sips_file_name_commit (tmp3, f->dir, names[i], &error);
      g_assert_no_error (error);
      base3 = g_path_get_basename (path3);
      g_assert_cmpstr (base3, ==, third[i]);

      /* nothing overwritten, no temporary file left */
      assert_contents (path1, "one");
      assert_contents (path2, "two");
      assert_contents (path3, "three");
      g_assert_false (g_file_test (tmp1, G_FILE_TEST_EXISTS));
      g_assert_false (g_file_test (tmp2, G_FILE_TEST_EXISTS));
      g_assert_false (g_file_test (tmp3, G_FILE_TEST_EXISTS));
    }
  g_assert_cmpuint (count_entries (f->dir), ==, 9);
}

/* A racing writer: each candidate appears right between our choice of the name and the
 * rename (there is no separate check: the rename itself refuses to replace). */
static void
on_commit_race (const char *target, gpointer data)
{
  guint *raced = data;

  if (*raced < 2)
    {
      write_file (target, "theirs");
      (*raced)++;
    }
}

static void
test_commit_race (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = make_temp (f, "ours");
  g_autofree char *first = g_build_filename (f->dir, "photo.jpg", NULL);
  g_autofree char *second = g_build_filename (f->dir, "photo (1).jpg", NULL);
  g_autofree char *path = NULL;
  g_autofree char *base = NULL;
  guint raced = 0;

  sips_file_name_set_test_hooks (GPOINTER_TO_INT (data), on_commit_race, &raced);
  path = sips_file_name_commit (tmp, f->dir, "photo.jpg", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (raced, ==, 2);
  base = g_path_get_basename (path);
  g_assert_cmpstr (base, ==, "photo (2).jpg");
  assert_contents (first, "theirs");
  assert_contents (second, "theirs");
  assert_contents (path, "ours");
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (f->dir), ==, 3);
}

/* A symlink (even a dangling one) at the name is taken: never followed, never replaced. */
static void
test_commit_symlink (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = make_temp (f, "ours");
  g_autofree char *outside = g_build_filename (f->dir, "outside", NULL);
  g_autofree char *link_path = g_build_filename (f->dir, "a.txt", NULL);
  g_autofree char *path = NULL;
  g_autofree char *base = NULL;

  g_assert_cmpint (symlink (outside, link_path), ==, 0);
  path = sips_file_name_commit (tmp, f->dir, "a.txt", &error);
  g_assert_no_error (error);
  base = g_path_get_basename (path);
  g_assert_cmpstr (base, ==, "a (1).txt");
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (link_path, G_FILE_TEST_IS_SYMLINK));
}

static void
test_commit_bad_name (Fixture *f, gconstpointer data)
{
  static const char * const names[] = { "", ".", "..", "a/b", "../x", "/etc/passwd" };
  g_autofree char *tmp = make_temp (f, "ours");

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = sips_file_name_commit (tmp, f->dir, names[i], &error);

      g_assert_null (path);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME);
      g_assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));
    }
  g_assert_cmpuint (count_entries (f->dir), ==, 1);
}

/* The target directory is gone: an error, the temporary file stays for the caller. */
static void
test_commit_missing_dir (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = make_temp (f, "ours");
  g_autofree char *missing = g_build_filename (f->dir, "gone", NULL);
  g_autofree char *path = sips_file_name_commit (tmp, missing, "x.txt", &error);

  g_assert_null (path);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));
}

/* A hostile name, sanitised, lands inside the directory and nowhere else. */
static void
test_sanitized_commit (Fixture *f, gconstpointer data)
{
  static const char * const wire[] = {
    "../../etc/passwd", "a/b", "a\\b", ".hidden", "..", ".", "", "\xe2\x80\xaegnp.exe",
    "a\r\nb", "\xff\xfe", "/x", "../x",
  };
  g_autofree char *downloads = g_build_filename (f->dir, "downloads", NULL);

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (wire); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *tmp = NULL;
      g_autofree char *safe = sips_file_name_sanitize (wire[i]);
      g_autofree char *path = NULL;
      g_autofree char *dir = NULL;
      int fd = sips_file_name_create_temp (downloads, &tmp, &error);

      g_assert_no_error (error);
      close (fd);
      path = sips_file_name_commit (tmp, downloads, safe, &error);
      g_assert_no_error (error);
      dir = g_path_get_dirname (path);
      g_assert_cmpstr (dir, ==, downloads);
    }
  g_assert_cmpuint (count_entries (downloads), ==, G_N_ELEMENTS (wire));
  /* nothing outside the chosen directory */
  g_assert_cmpuint (count_entries (f->dir), ==, 1);
}

int
main (int argc, char **argv)
{
  static const struct {
    const char            *name;
    SipsFileNameCommitMode mode;
  } modes[] = {
    { "renameat2", SIPS_FILE_NAME_COMMIT_RENAMEAT2 },
    { "link", SIPS_FILE_NAME_COMMIT_LINK },
    { "placeholder", SIPS_FILE_NAME_COMMIT_PLACEHOLDER },
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file-name/sanitize", test_sanitize);
  g_test_add_func ("/file-name/sanitize-long", test_sanitize_long);
  g_test_add_func ("/file-name/sanitize-all-bytes", test_sanitize_all_bytes);
  g_test_add_func ("/file-name/numbered", test_numbered);
  g_test_add ("/file-name/create-temp", Fixture, NULL, fixture_setup, test_create_temp,
              fixture_teardown);
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      gconstpointer mode = GINT_TO_POINTER (modes[i].mode);
      g_autofree char *clash = g_strdup_printf ("/file-name/%s/clash", modes[i].name);
      g_autofree char *race = g_strdup_printf ("/file-name/%s/race", modes[i].name);
      g_autofree char *link = g_strdup_printf ("/file-name/%s/symlink", modes[i].name);
      g_autofree char *bad = g_strdup_printf ("/file-name/%s/bad-name", modes[i].name);
      g_autofree char *missing = g_strdup_printf ("/file-name/%s/missing-dir", modes[i].name);
      g_autofree char *hostile = g_strdup_printf ("/file-name/%s/hostile", modes[i].name);

      g_test_add (clash, Fixture, mode, fixture_setup, test_commit_clash, fixture_teardown);
      g_test_add (race, Fixture, mode, fixture_setup, test_commit_race, fixture_teardown);
      g_test_add (link, Fixture, mode, fixture_setup, test_commit_symlink, fixture_teardown);
      g_test_add (bad, Fixture, mode, fixture_setup, test_commit_bad_name, fixture_teardown);
      g_test_add (missing, Fixture, mode, fixture_setup, test_commit_missing_dir,
                  fixture_teardown);
      g_test_add (hostile, Fixture, mode, fixture_setup, test_sanitized_commit,
                  fixture_teardown);
    }
  return g_test_run ();
}
