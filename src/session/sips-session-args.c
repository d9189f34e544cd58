/* sips-session-args.c: the argument checks of a session's public methods and the
 * errors they answer with (InvalidArgument, NotSupported) */
#include "sips-session-private.h"

#include <glib/gi18n.h>
#include <limits.h>
#include <string.h>

#include "core/sips-error.h"
#include "config/sips-config-schema.h"

gboolean
sips_session_invalid_argument (GError **error, const char *message)
{
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

gboolean
sips_session_is_sip_uri (const char *s)
{
  return s != NULL && sips_config_is_sip_uri (s);
}

/* "" or a SIP URI */
gboolean
sips_session_is_optional_sip_uri (const char *s)
{
  return s != NULL && (*s == '\0' || sips_config_is_sip_uri (s));
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$&-^_.+", c) != NULL);
}

/* "type/subtype", both RFC 6838 restricted names (parameters after ';' allowed) */
gboolean
sips_session_is_content_type (const char *s)
{
  const char *p = s;
  gsize n;

  if (s == NULL)
    return FALSE;
  for (n = 0; is_token_char (*p); p++, n++);
  if (n == 0 || *p != '/')
    return FALSE;
  for (p++, n = 0; is_token_char (*p); p++, n++);
  return n > 0 && (*p == '\0' || *p == ';');
}

/* Characters that have no place in a file name a user reads: C0/C1 controls (CR/LF among
 * them), DEL, and the bidi controls that make a name display other than it is. */
static gboolean
is_unsafe_char (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
         c == 0x061c || c == 0x200e || c == 0x200f ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

static gboolean
is_printable_utf8 (const char *s)
{
  if (!g_utf8_validate (s, -1, NULL))
    return FALSE;
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    if (is_unsafe_char (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
sips_session_check_recording_args (const char *path, const char *file_name, GError **error)
{
  gsize path_len, name_len;

  if (path == NULL || file_name == NULL)
    return sips_session_invalid_argument (error, _("The recording path and file name are needed"));
  path_len = strlen (path);
  name_len = strlen (file_name);
  /* the length checks first: a 1 MiB name is refused without walking it twice */
  if (path_len >= PATH_MAX || name_len > NAME_MAX || path_len + 1 + name_len >= PATH_MAX)
    return sips_session_invalid_argument (error, _("The recording path or file name is too long"));
  if (*path != '\0' && (!g_path_is_absolute (path) || !is_printable_utf8 (path) ||
                         !g_file_test (path, G_FILE_TEST_IS_DIR)))
    return sips_session_invalid_argument (error, _("The recording path must be empty or an existing absolute directory"));
  if (strchr (file_name, '/') != NULL || strcmp (file_name, ".") == 0 ||
      strcmp (file_name, "..") == 0 || !is_printable_utf8 (file_name))
    return sips_session_invalid_argument (error, _("The recording file name must be a plain file name without control characters"));
  return TRUE;
}

gboolean
sips_session_account_is_enabled (SipsAccount *account)
{
  SipsConfigSection *config = sips_account_get_config (account);

  return config == NULL || sips_config_section_get_boolean (config, "Enabled");
}

gboolean
sips_session_not_supported (GError **error, const char *method)
{
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
               _("%s is not supported yet"), method);
  return FALSE;
}
