/* sips-session-args.c: the argument checks of a session's public methods and the
 * errors they answer with (InvalidArgument, NotSupported) */
#include "sips-session-private.h"

#include <glib/gi18n.h>
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
