/* test-audio-device-check.c: device descriptions checked in a child process (the daemon in
 * its hidden --check-audio-device mode) while GStreamer is not initialised here, and in
 * this process once it is, with the same answers. The tests run in order: GStreamer stays
 * out of this process until checker-cannot-run. */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "core/sips-error.h"
#include "media/sips-audio-device-check.h"
#include "sips-test-util.h"

typedef struct {
  const char *description;
  gboolean    is_source;
  const char *problem;  /* NULL: valid */
} DeviceCase;

static const DeviceCase cases[] = {
  { "audiotestsrc wave=sine is-live=true", TRUE, NULL },
  { "audioconvert ! fakesink sync=false", FALSE, NULL },
  { "fakesink", TRUE, "has no free output" },
  { "audiotestsrc", FALSE, "has no free input" },
  { "nosuchelement_xyz", FALSE, "no element \"nosuchelement_xyz\"" },
  { "audiotestsrc nosuchproperty=1", TRUE, "no property \"nosuchproperty\"" },
  { "fakesink ! ! !", FALSE, "Invalid audio device description" },
};

static char *child_messages[G_N_ELEMENTS (cases)];
static char *tmp_dir;
static char *last_warning;

/* g_test_expect_message() does not see structured logs: warnings are kept here */
static GLogWriterOutput
on_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & G_LOG_LEVEL_WARNING)
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal (fields[i].key, "MESSAGE"))
        {
          g_free (last_warning);
          last_warning = g_strdup (fields[i].value);
        }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* A checker that is a shell script */
static char *
script (const char *name, const char *body)
{
  char *path = g_build_filename (tmp_dir, name, NULL);
  g_autofree char *text = g_strconcat ("#!/bin/sh\n", body, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0700), ==, 0);
  return path;
}

static char *
check (const char *description, gboolean is_source, GError **error)
{
  if (sips_audio_device_check_isolated (description, is_source, error))
    return NULL;
  g_assert_nonnull (*error);
  return g_strdup ((*error)->message);
}

static void
test_in_child (void)
{
  const char *daemon = g_getenv ("SIPSIMPLED");

  g_assert_nonnull (daemon);  /* set by meson: the built daemon */
  sips_audio_device_check_set_checker (daemon);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      child_messages[i] = check (cases[i].description, cases[i].is_source, &error);
      if (cases[i].problem == NULL)
        g_assert_no_error (error);
      else
        {
          g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
          g_assert_nonnull (strstr (error->message, cases[i].problem));
        }
    }
  g_assert_false (gst_is_initialized ());
}

/* On the checker's stdin: longer than one argument may be (128 KiB) */
static void
test_long_description (void)
{
  g_autofree char *name = g_strnfill (200000, 'a');
  g_autofree char *valid = g_strconcat ("fakesink name=", name, NULL);
  g_autofree char *invalid = g_strconcat ("nosuchelement_", name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (sips_audio_device_check_isolated (valid, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (sips_audio_device_check_isolated (invalid, FALSE, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, invalid));
  g_assert_false (gst_is_initialized ());
}

static void
test_checker_exit_status (void)
{
  g_autofree char *no_gst = script ("no-gst", "exit 2");
  g_autofree char *invalid = script ("invalid", "echo '  the reason  '; exit 1");
  g_autofree char *crash = script ("crash", "kill -SEGV $$");
  g_autoptr(GError) error = NULL;

  sips_audio_device_check_set_checker (no_gst);
  g_assert_false (sips_audio_device_check_isolated ("fakesink", FALSE, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  sips_audio_device_check_set_checker (invalid);
  g_assert_false (sips_audio_device_check_isolated ("fakesink", FALSE, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "the reason");
  g_clear_error (&error);

  /* an element that crashes the checker is not a device */
  sips_audio_device_check_set_checker (crash);
  g_assert_false (sips_audio_device_check_isolated ("fakesink", FALSE, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "signal 11"));
  g_clear_error (&error);
  g_assert_false (gst_is_initialized ());
}

/* A checker that cannot run: checked in this process, as without a checker. */
static void
test_checker_cannot_run (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "missing", NULL);
  g_autoptr(GError) error = NULL;

  GLogLevelFlags fatal;
  gboolean valid;

  sips_audio_device_check_set_checker (missing);
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);  /* the warning is expected */
  valid = sips_audio_device_check_isolated ("fakesink", FALSE, &error);
  g_log_set_always_fatal (fatal);
  g_assert_no_error (error);
  g_assert_true (valid);
  g_assert_true (g_str_has_prefix (last_warning, "Cannot run "));
  g_assert_nonnull (strstr (last_warning, "to check an audio device"));
  g_assert_true (gst_is_initialized ());
}

static void
test_in_process_same_answers (void)
{
  g_autofree char *no_gst = script ("no-gst-2", "exit 2");

  /* initialised now: no child any more (this one would fail every check) */
  sips_audio_device_check_set_checker (no_gst);
  g_assert_true (gst_is_initialized ());
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *message = check (cases[i].description, cases[i].is_source, &error);

      g_assert_cmpstr (message, ==, child_messages[i]);
      if (cases[i].problem != NULL)
        g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
    }
  sips_audio_device_check_set_checker (NULL);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (on_log, NULL, NULL);
  tmp_dir = g_dir_make_tmp ("sips-device-check-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/audio-device-check/in-child", test_in_child);
  g_test_add_func ("/audio-device-check/long-description", test_long_description);
  g_test_add_func ("/audio-device-check/checker-exit-status", test_checker_exit_status);
  g_test_add_func ("/audio-device-check/checker-cannot-run", test_checker_cannot_run);
  g_test_add_func ("/audio-device-check/in-process-same-answers", test_in_process_same_answers);
  status = g_test_run ();

  sips_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (child_messages[i]);
  g_free (last_warning);
  if (gst_is_initialized ())
    gst_deinit ();
  return status;
}
