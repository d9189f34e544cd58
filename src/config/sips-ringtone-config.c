/* sips-ringtone-config.c: RingtoneConfiguration: default ringtones + ringtone per SIP URI */
#include "sips-ringtone-config.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "sips-config-schema.h"

#define SIPURIS_KEY "Sipuris"

/* Struct */

typedef struct {
  char *uri;   /* normalised (sips_config_normalize_sip_uri) */
  char *path;
} Entry;

struct _SipsRingtoneConfig
{
  GObject            parent_instance;

  SipsConfigStore   *store;
  SipsConfigSection *section;
  GPtrArray         *entries;  /* of Entry, in the order they were added */
};

G_DEFINE_FINAL_TYPE (SipsRingtoneConfig, sips_ringtone_config, G_TYPE_OBJECT)

/* Private helpers */

static Entry *
entry_new (const char *uri, const char *path)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->uri = g_strdup (uri);
  entry->path = g_strdup (path);
  return entry;
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->uri);
  g_free (entry->path);
  g_free (entry);
}

static gssize
find_entry (SipsRingtoneConfig *self, const char *normalized)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (g_str_equal (entry->uri, normalized))
        return i;
    }
  return -1;
}

static char *
normalize_or_error (const char *sipuri, GError **error)
{
  char *normalized = sips_config_normalize_sip_uri (sipuri);

  if (normalized == NULL)
    g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                 _("“%s” is not a SIP URI"), sipuri ? sipuri : "");
  return normalized;
}

static void
load_entries (SipsRingtoneConfig *self)
{
  GKeyFile *keyfile = sips_config_store_get_keyfile (self->store);
  g_auto(GStrv) list = NULL;
  gsize length = 0;

  list = g_key_file_get_string_list (keyfile, SIPS_GROUP_RINGTONES, SIPURIS_KEY, &length, NULL);
  if (list == NULL)
    return;

  if (length % 2 != 0)
    g_warning ("[%s] %s has an odd number of items; the last one is ignored",
               SIPS_GROUP_RINGTONES, SIPURIS_KEY);

  for (gsize i = 0; i + 1 < length; i += 2)
    {
      g_autofree char *normalized = sips_config_normalize_sip_uri (list[i]);

      /* The file may be missing for now: only the URI is checked here. */
      if (normalized == NULL)
        {
          g_warning ("[%s] %s: ignoring an entry that is not a SIP URI",
                     SIPS_GROUP_RINGTONES, SIPURIS_KEY);
          continue;
        }
      if (find_entry (self, normalized) >= 0)
        continue;
      g_ptr_array_add (self->entries, entry_new (normalized, list[i + 1]));
    }
}

/* Writes the map into the keyfile and saves; on failure the keyfile is restored. */
static gboolean
save_entries (SipsRingtoneConfig *self, GError **error)
{
  GKeyFile *keyfile = sips_config_store_get_keyfile (self->store);
  g_autoptr(GBytes) snapshot = sips_config_store_snapshot (self->store);
  g_autoptr(GError) local_error = NULL;

  if (self->entries->len == 0)
    g_key_file_remove_key (keyfile, SIPS_GROUP_RINGTONES, SIPURIS_KEY, NULL);
  else
    {
      g_autoptr(GPtrArray) list = g_ptr_array_new ();

      for (guint i = 0; i < self->entries->len; i++)
        {
          Entry *entry = g_ptr_array_index (self->entries, i);

          g_ptr_array_add (list, entry->uri);
          g_ptr_array_add (list, entry->path);
        }
      g_key_file_set_string_list (keyfile, SIPS_GROUP_RINGTONES, SIPURIS_KEY,
                                  (const char * const *) list->pdata, list->len);
    }

  if (sips_config_store_save (self->store, &local_error))
    return TRUE;

  sips_config_store_restore (self->store, snapshot);
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, local_error->message);
  return FALSE;
}

/* GObject vfuncs */

static void
sips_ringtone_config_finalize (GObject *object)
{
  SipsRingtoneConfig *self = SIPS_RINGTONE_CONFIG (object);

  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_object (&self->section);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sips_ringtone_config_parent_class)->finalize (object);
}

static void
sips_ringtone_config_class_init (SipsRingtoneConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sips_ringtone_config_finalize;
}

static void
sips_ringtone_config_init (SipsRingtoneConfig *self)
{
  self->entries = g_ptr_array_new_with_free_func (entry_free);
}

/* Public API */

SipsRingtoneConfig *
sips_ringtone_config_new (SipsConfigStore *store)
{
  SipsRingtoneConfig *self;

  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (store), NULL);

  self = g_object_new (SIPS_TYPE_RINGTONE_CONFIG, NULL);
  self->store = g_object_ref (store);
  self->section = sips_config_schema_section_new (store, SIPS_GROUP_RINGTONES);
  load_entries (self);
  return self;
}

SipsConfigSection *
sips_ringtone_config_get_section (SipsRingtoneConfig *self)
{
  g_return_val_if_fail (SIPS_IS_RINGTONE_CONFIG (self), NULL);
  return self->section;
}

gboolean
sips_ringtone_config_add_ringtone_for_sipuri (SipsRingtoneConfig *self,
                                              const char         *sipuri,
                                              const char         *ringtone,
                                              GError            **error)
{
  g_autofree char *normalized = NULL;
  g_autofree char *old_path = NULL;
  gssize i;

  g_return_val_if_fail (SIPS_IS_RINGTONE_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normalized = normalize_or_error (sipuri, error);
  if (normalized == NULL)
    return FALSE;
  if (!sips_config_is_readable_wav (ringtone, error))
    return FALSE;

  i = find_entry (self, normalized);
  if (i >= 0)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      old_path = g_steal_pointer (&entry->path);
      entry->path = g_strdup (ringtone);
    }
  else
    g_ptr_array_add (self->entries, entry_new (normalized, ringtone));

  if (!save_entries (self, error))
    {
      if (i >= 0)
        {
          Entry *entry = g_ptr_array_index (self->entries, i);

          g_free (entry->path);
          entry->path = g_steal_pointer (&old_path);
        }
      else
        g_ptr_array_remove_index (self->entries, self->entries->len - 1);
      return FALSE;
    }

  g_debug ("Ringtone set for a SIP URI (%u in all)", self->entries->len);
  return TRUE;
}

gboolean
sips_ringtone_config_remove_sipuri (SipsRingtoneConfig *self,
                                    const char         *sipuri,
                                    GError            **error)
{
  g_autofree char *normalized = NULL;
  Entry *removed;
  gssize i;

  g_return_val_if_fail (SIPS_IS_RINGTONE_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normalized = normalize_or_error (sipuri, error);
  if (normalized == NULL)
    return FALSE;

  i = find_entry (self, normalized);
  if (i < 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND,
                   _("No ringtone is set for %s"), sipuri);
      return FALSE;
    }

  removed = g_ptr_array_steal_index (self->entries, i);
  if (!save_entries (self, error))
    {
      g_ptr_array_insert (self->entries, i, removed);
      return FALSE;
    }

  entry_free (removed);
  return TRUE;
}

char *
sips_ringtone_config_get_ringtone_for_sipuri (SipsRingtoneConfig *self,
                                              const char         *sipuri,
                                              GError            **error)
{
  g_autofree char *normalized = NULL;
  gssize i;

  g_return_val_if_fail (SIPS_IS_RINGTONE_CONFIG (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  normalized = normalize_or_error (sipuri, error);
  if (normalized == NULL)
    return NULL;

  i = find_entry (self, normalized);
  if (i >= 0)
    return g_strdup (((Entry *) g_ptr_array_index (self->entries, i))->path);

  return g_strdup (sips_config_section_get_string (self->section, "DefaultInboundRingtone"));
}
