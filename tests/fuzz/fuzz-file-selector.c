/* fuzz-file-selector.c: the RFC 5547 a=file-selector parser and the sanitiser of file
 * names from the wire fed hostile bytes; built for libFuzzer (clang, -Dfuzzing=true)
 * and, through replay.c, by every build over corpus-file-selector/.
 *
 * Input: the attribute value (what follows "a=file-selector:"). Checked: a parsed
 * selector formats and parses back to itself; its hash is canonical; any name
 * (parsed, or the raw input) sanitises to a single safe component; the transfer-id
 * check agrees with the token grammar. A violation traps. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "msrp/sips-file-name.h"
#include "msrp/sips-file-selector.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap (); } while (0)

static void
check_safe_name (const char *wire)
{
  g_autofree char *safe = sips_file_name_sanitize (wire);
  gsize len = strlen (safe);

  CHECK (len > 0 && len <= SIPS_FILE_NAME_MAX);
  CHECK (g_utf8_validate (safe, -1, NULL));
  CHECK (strchr (safe, '/') == NULL && strchr (safe, '\\') == NULL);
  CHECK (safe[0] != '.' && !g_unichar_isspace (g_utf8_get_char (safe)));
  for (const char *p = safe; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      CHECK (c >= 0x20 && !(c >= 0x7f && c <= 0x9f) && !(c >= 0x202a && c <= 0x202e) &&
             !(c >= 0x2066 && c <= 0x2069) && c != 0x200e && c != 0x200f);
    }
  /* a safe name stays as it is */
  {
    g_autofree char *again = sips_file_name_sanitize (safe);

    CHECK (strcmp (again, safe) == 0);
  }
}

static void
check_selector (const SipsFileSelector *sel)
{
  g_autofree char *text = sips_file_selector_format (sel);
  g_autoptr(SipsFileSelector) again = sips_file_selector_parse (text, NULL);

  CHECK (again != NULL && sips_file_selector_equal (sel, again));
  CHECK (sel->size >= -1);
  if (sel->hash != NULL)
    {
      CHECK (strlen (sel->hash) == strlen ("sha-1") + 20 * 3);
      CHECK (g_str_has_prefix (sel->hash, "sha-1:"));
      for (const char *p = sel->hash + 5; *p != '\0'; p += 3)
        CHECK (p[0] == ':' && (g_ascii_isdigit (p[1]) || (p[1] >= 'A' && p[1] <= 'F')) &&
               (g_ascii_isdigit (p[2]) || (p[2] >= 'A' && p[2] <= 'F')));
    }
  if (sel->type != NULL)
    {
      CHECK (g_utf8_validate (sel->type, -1, NULL));
      CHECK (sips_file_selector_type_valid (sel->type));
    }
  if (sel->name != NULL)
    {
      CHECK (sel->name[0] != '\0');
      check_safe_name (sel->name);
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(SipsFileSelector) sel = sips_file_selector_parse (text, NULL);
  gsize len = strlen (text);  /* up to a NUL byte of the input */
  gboolean token = len > 0 && len <= 256;

  if (sel != NULL)
    check_selector (sel);
  check_safe_name (text);
  /* the transfer-id check: printable ASCII without separators */
  for (gsize i = 0; token && i < len; i++)
    token = text[i] > 0x20 && text[i] < 0x7f && strchr ("\"(),/:;<=>?@[\\]", text[i]) == NULL;
  CHECK (sips_file_transfer_id_valid (text) == token);
  return 0;
}
