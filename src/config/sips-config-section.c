/* sips-config-section.c: one group of typed, validated, persisted settings */
#include "sips-config-section.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"

/* Signals */

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Struct */

/* A value and, for "as", its string array (pointers into the variant). */
typedef struct {
  GVariant    *value;
  const char **strv;
} Slot;

struct _SipsConfigSection
{
  GObject               parent_instance;

  SipsConfigStore      *store;
  char                 *group;
  const SipsConfigKey  *keys;
  gsize                 n_keys;

  Slot                 *values;    /* n_keys: the committed values */
  GVariant            **defaults;  /* n_keys */
  Slot                 *pending;   /* n_keys, non-NULL only while set_many() validates */

  SipsConfigApplyFunc   apply_func;
  gpointer              apply_data;
};

G_DEFINE_FINAL_TYPE (SipsConfigSection, sips_config_section, G_TYPE_OBJECT)

/* Private helpers */

static void
slot_clear (Slot *slot)
{
  g_clear_pointer (&slot->strv, g_free);
  g_clear_pointer (&slot->value, g_variant_unref);
}

/* Takes a reference on value (sinks a floating one). */
static void
slot_set (Slot *slot, GVariant *value)
{
  g_variant_ref_sink (value);
  slot_clear (slot);
  slot->value = value;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY))
    slot->strv = g_variant_get_strv (value, NULL);
}

static gssize
find_key (SipsConfigSection *self, const char *name)
{
  if (name == NULL)
    return -1;

  for (gsize i = 0; i < self->n_keys; i++)
    if (g_str_equal (self->keys[i].name, name))
      return (gssize) i;

  return -1;
}

/* What readers see: the pending value while set_many() validates, else the committed one. */
static Slot *
current_slot (SipsConfigSection *self, gsize i)
{
  if (self->pending != NULL && self->pending[i].value != NULL)
    return &self->pending[i];
  return &self->values[i];
}

static GVariant *
empty_value (const char *type)
{
  if (g_str_equal (type, "b"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (type, "u"))
    return g_variant_new_uint32 (0);
  if (g_str_equal (type, "as"))
    return g_variant_new_strv (NULL, 0);
  return g_variant_new_string ("");
}

static GVariant *
compute_default (SipsConfigSection    *self,
                 const SipsConfigKey  *key,
                 SipsConfigDefaultFunc default_func,
                 gpointer              default_data)
{
  GVariant *value = NULL;

  if (key->default_value != NULL)
    {
      g_autoptr(GError) error = NULL;

      value = g_variant_parse (G_VARIANT_TYPE (key->type), key->default_value,
                               NULL, NULL, &error);
      if (value == NULL)
        g_critical ("Bad default for %s in [%s]: %s", key->name, self->group, error->message);
    }
  else if (default_func != NULL)
    {
      value = default_func (key->name, default_data);
      if (value != NULL && !g_variant_is_of_type (value, G_VARIANT_TYPE (key->type)))
        {
          g_critical ("Default of %s in [%s] has the wrong type", key->name, self->group);
          g_variant_unref (g_variant_ref_sink (value));
          value = NULL;
        }
    }

  if (value == NULL)
    value = empty_value (key->type);

  /* g_variant_parse gives a full reference already: ref_sink would add a second one */
  return g_variant_take_ref (value);
}

/* Reads a key from the keyfile in its human-editable form; NULL if absent or unparsable. */
static GVariant *
read_keyfile_value (GKeyFile *keyfile, const char *group, const SipsConfigKey *key)
{
  g_autoptr(GError) error = NULL;

  if (!g_key_file_has_key (keyfile, group, key->name, NULL))
    return NULL;

  if (g_str_equal (key->type, "s"))
    {
      g_autofree char *s = g_key_file_get_string (keyfile, group, key->name, &error);
      return s != NULL ? g_variant_new_string (s) : NULL;
    }
  else if (g_str_equal (key->type, "b"))
    {
      gboolean b = g_key_file_get_boolean (keyfile, group, key->name, &error);
      return error == NULL ? g_variant_new_boolean (b) : NULL;
    }
  else if (g_str_equal (key->type, "u"))
    {
      guint64 u = g_key_file_get_uint64 (keyfile, group, key->name, &error);
      return (error == NULL && u <= G_MAXUINT32) ? g_variant_new_uint32 ((guint32) u) : NULL;
    }
  else if (g_str_equal (key->type, "as"))
    {
      g_auto(GStrv) strv = g_key_file_get_string_list (keyfile, group, key->name, NULL, &error);
      if (error != NULL)
        return NULL;
      return g_variant_new_strv ((const char * const *) strv, -1);
    }

  g_critical ("Unsupported configuration type %s", key->type);
  return NULL;
}

static void
write_keyfile_value (GKeyFile *keyfile, const char *group, const SipsConfigKey *key, GVariant *value)
{
  if (g_str_equal (key->type, "s"))
    g_key_file_set_string (keyfile, group, key->name, g_variant_get_string (value, NULL));
  else if (g_str_equal (key->type, "b"))
    g_key_file_set_boolean (keyfile, group, key->name, g_variant_get_boolean (value));
  else if (g_str_equal (key->type, "u"))
    g_key_file_set_uint64 (keyfile, group, key->name, g_variant_get_uint32 (value));
  else if (g_str_equal (key->type, "as"))
    {
      gsize length = 0;
      g_autofree const char **strv = g_variant_get_strv (value, &length);
      g_key_file_set_string_list (keyfile, group, key->name, strv, length);
    }
  else
    g_critical ("Unsupported configuration type %s", key->type);
}

static gboolean
check_value (SipsConfigSection *self, const char *name, GVariant *value, gssize *index, GError **error)
{
  const SipsConfigKey *key;
  gssize i = find_key (self, name);

  if (i < 0)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Unknown setting %s"), name ? name : "(null)");
      return FALSE;
    }
  key = &self->keys[i];

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (key->type)))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a value of type “%s”, got “%s”"),
                   key->name, key->type, g_variant_get_type_string (value));
      return FALSE;
    }

  if (key->validate != NULL && !key->validate (self, key->name, value, error))
    return FALSE;

  *index = i;
  return TRUE;
}

static gboolean
apply_value (SipsConfigSection *self, gsize i, GVariant *value, GError **error)
{
  /* Nothing to apply when the value stays the same (e.g. rebinding the same port). */
  if (self->apply_func == NULL || g_variant_equal (self->values[i].value, value))
    return TRUE;

  return self->apply_func (self, self->keys[i].name, value, self->apply_data, error);
}

/* Saves the store; on failure the keyfile is put back as it was in snapshot. */
static gboolean
save_or_restore (SipsConfigSection *self, GBytes *snapshot, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (sips_config_store_save (self->store, &local_error))
    return TRUE;

  sips_config_store_restore (self->store, snapshot);
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, local_error->message);
  return FALSE;
}

static void
load_values (SipsConfigSection *self)
{
  GKeyFile *keyfile = sips_config_store_get_keyfile (self->store);
  g_autofree Slot *loaded = g_new0 (Slot, self->n_keys);

  for (gsize i = 0; i < self->n_keys; i++)
    {
      GVariant *value = read_keyfile_value (keyfile, self->group, &self->keys[i]);

      slot_set (&self->values[i], self->defaults[i]);
      if (value != NULL)
        slot_set (&loaded[i], value);
      else if (g_key_file_has_key (keyfile, self->group, self->keys[i].name, NULL))
        g_warning ("Unparsable value of %s in [%s] ignored, using the default",
                   self->keys[i].name, self->group);
    }

  /* Validate with all stored values in place, so cross checks (RtpPortMin <= RtpPortMax)
   * see the other stored value rather than its default. */
  self->pending = loaded;
  for (gsize i = 0; i < self->n_keys; i++)
    {
      const SipsConfigKey *key = &self->keys[i];
      g_autoptr(GError) error = NULL;

      if (loaded[i].value == NULL)
        continue;

      /* The message would quote the value: log only which key was refused. */
      if (key->validate != NULL && !key->validate (self, key->name, loaded[i].value, &error))
        g_warning ("Invalid value of %s in [%s] ignored, using the default", key->name, self->group);
      else
        slot_set (&self->values[i], loaded[i].value);
    }
  self->pending = NULL;

  for (gsize i = 0; i < self->n_keys; i++)
    slot_clear (&loaded[i]);
}

/* GObject vfuncs */

static void
sips_config_section_finalize (GObject *object)
{
  SipsConfigSection *self = SIPS_CONFIG_SECTION (object);

  for (gsize i = 0; i < self->n_keys; i++)
    {
      slot_clear (&self->values[i]);
      g_clear_pointer (&self->defaults[i], g_variant_unref);
    }
  g_free (self->values);
  g_free (self->defaults);
  g_free (self->group);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sips_config_section_parent_class)->finalize (object);
}

static void
sips_config_section_class_init (SipsConfigSectionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sips_config_section_finalize;

  /**
   * SipsConfigSection::changed:
   * @name: the key that changed (also the signal detail)
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sips_config_section_init (SipsConfigSection *self)
{
}

/* Public API */

SipsConfigSection *
sips_config_section_new (SipsConfigStore      *store,
                         const char           *group,
                         const SipsConfigKey  *keys,
                         gsize                 n_keys,
                         SipsConfigDefaultFunc default_func,
                         gpointer              default_data)
{
  SipsConfigSection *self;

  g_return_val_if_fail (SIPS_IS_CONFIG_STORE (store), NULL);
  g_return_val_if_fail (group != NULL && *group != '\0', NULL);
  g_return_val_if_fail (keys != NULL || n_keys == 0, NULL);

  self = g_object_new (SIPS_TYPE_CONFIG_SECTION, NULL);
  self->store = g_object_ref (store);
  self->group = g_strdup (group);
  self->keys = keys;
  self->n_keys = n_keys;
  self->values = g_new0 (Slot, n_keys);
  self->defaults = g_new0 (GVariant *, n_keys);

  for (gsize i = 0; i < n_keys; i++)
    self->defaults[i] = compute_default (self, &keys[i], default_func, default_data);

  load_values (self);
  return self;
}

const char *
sips_config_section_get_group (SipsConfigSection *self)
{
  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);
  return self->group;
}

const SipsConfigKey *
sips_config_section_get_keys (SipsConfigSection *self, gsize *n_keys)
{
  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);
  if (n_keys != NULL)
    *n_keys = self->n_keys;
  return self->keys;
}

const SipsConfigKey *
sips_config_section_lookup (SipsConfigSection *self, const char *name)
{
  gssize i;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);

  i = find_key (self, name);
  return i >= 0 ? &self->keys[i] : NULL;
}

void
sips_config_section_set_apply_func (SipsConfigSection   *self,
                                    SipsConfigApplyFunc  func,
                                    gpointer             user_data)
{
  g_return_if_fail (SIPS_IS_CONFIG_SECTION (self));
  self->apply_func = func;
  self->apply_data = user_data;
}

GVariant *
sips_config_section_get (SipsConfigSection *self, const char *name)
{
  gssize i;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);

  i = find_key (self, name);
  if (i < 0)
    return NULL;
  return g_variant_ref (current_slot (self, i)->value);
}

GVariant *
sips_config_section_get_public (SipsConfigSection *self, const char *name)
{
  gssize i;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);

  i = find_key (self, name);
  if (i < 0)
    return NULL;
  if (self->keys[i].flags & SIPS_CONFIG_KEY_SECRET)
    return g_variant_ref_sink (empty_value (self->keys[i].type));
  return g_variant_ref (current_slot (self, i)->value);
}

static Slot *
typed_slot (SipsConfigSection *self, const char *name, const char *type)
{
  gssize i = find_key (self, name);

  if (i < 0 || !g_str_equal (self->keys[i].type, type))
    {
      g_critical ("No configuration key %s of type %s in [%s]", name, type, self->group);
      return NULL;
    }
  return current_slot (self, i);
}

const char *
sips_config_section_get_string (SipsConfigSection *self, const char *name)
{
  Slot *slot;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);
  slot = typed_slot (self, name, "s");
  return slot ? g_variant_get_string (slot->value, NULL) : NULL;
}

gboolean
sips_config_section_get_boolean (SipsConfigSection *self, const char *name)
{
  Slot *slot;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), FALSE);
  slot = typed_slot (self, name, "b");
  return slot ? g_variant_get_boolean (slot->value) : FALSE;
}

guint32
sips_config_section_get_uint (SipsConfigSection *self, const char *name)
{
  Slot *slot;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), 0);
  slot = typed_slot (self, name, "u");
  return slot ? g_variant_get_uint32 (slot->value) : 0;
}

const char * const *
sips_config_section_get_strv (SipsConfigSection *self, const char *name)
{
  Slot *slot;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), NULL);
  slot = typed_slot (self, name, "as");
  return slot ? (const char * const *) slot->strv : NULL;
}

gboolean
sips_config_section_set (SipsConfigSection *self,
                         const char        *name,
                         GVariant          *value,
                         GError           **error)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GBytes) snapshot = NULL;
  gboolean changed;
  gssize i;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  owned = g_variant_ref_sink (value);

  if (!check_value (self, name, owned, &i, error))
    return FALSE;
  if (!apply_value (self, i, owned, error))
    return FALSE;

  changed = !g_variant_equal (self->values[i].value, owned);

  snapshot = sips_config_store_snapshot (self->store);
  write_keyfile_value (sips_config_store_get_keyfile (self->store), self->group,
                       &self->keys[i], owned);
  if (!save_or_restore (self, snapshot, error))
    return FALSE;

  /* Committed only once on disk, so a failed save leaves memory as it was. */
  slot_set (&self->values[i], owned);
  g_debug ("[%s] %s set%s", self->group, self->keys[i].name, changed ? "" : " (unchanged)");

  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], g_quark_from_string (self->keys[i].name),
                   self->keys[i].name);
  return TRUE;
}

gboolean
sips_config_section_set_many (SipsConfigSection *self,
                              GVariant          *dict,
                              GError           **error)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GBytes) snapshot = NULL;
  g_autofree Slot *pending = NULL;
  g_autofree gboolean *changed = NULL;
  GKeyFile *keyfile;
  GVariantIter iter;
  const char *name;
  GVariant *value;
  gboolean ok = TRUE;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), FALSE);
  g_return_val_if_fail (dict != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  owned = g_variant_ref_sink (dict);
  if (!g_variant_is_of_type (owned, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Expected a dictionary of settings (a{sv}), got “%s”"),
                   g_variant_get_type_string (owned));
      return FALSE;
    }

  pending = g_new0 (Slot, self->n_keys);
  changed = g_new0 (gboolean, self->n_keys);

  /* 1. Collect: unknown names and wrong types are refused before any validator runs. */
  g_variant_iter_init (&iter, owned);
  while (ok && g_variant_iter_next (&iter, "{&sv}", &name, &value))
    {
      gssize i = find_key (self, name);

      if (i < 0)
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Unknown setting %s"), name);
          ok = FALSE;
        }
      else if (!g_variant_is_of_type (value, G_VARIANT_TYPE (self->keys[i].type)))
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                       _("%s: expected a value of type “%s”, got “%s”"),
                       self->keys[i].name, self->keys[i].type, g_variant_get_type_string (value));
          ok = FALSE;
        }
      else
        slot_set (&pending[i], value);  /* a duplicate name: the last one wins */
      g_variant_unref (value);
    }

  /* 2. Validate: validators see the new values of the other keys of the same call,
   * so RtpPortMin and RtpPortMax can be moved together. */
  if (ok)
    {
      self->pending = pending;
      for (gsize i = 0; ok && i < self->n_keys; i++)
        if (pending[i].value != NULL && self->keys[i].validate != NULL)
          ok = self->keys[i].validate (self, self->keys[i].name, pending[i].value, error);
      self->pending = NULL;
    }

  /* 3. Apply (the section is still as it was). */
  for (gsize i = 0; ok && i < self->n_keys; i++)
    if (pending[i].value != NULL)
      ok = apply_value (self, i, pending[i].value, error);

  /* 4. Write the whole group and save once. */
  if (ok)
    {
      snapshot = sips_config_store_snapshot (self->store);
      keyfile = sips_config_store_get_keyfile (self->store);
      for (gsize i = 0; i < self->n_keys; i++)
        write_keyfile_value (keyfile, self->group, &self->keys[i],
                             pending[i].value ? pending[i].value : self->values[i].value);
      ok = save_or_restore (self, snapshot, error);
    }

  /* 5. Commit. */
  if (ok)
    for (gsize i = 0; i < self->n_keys; i++)
      if (pending[i].value != NULL)
        {
          changed[i] = !g_variant_equal (self->values[i].value, pending[i].value);
          slot_set (&self->values[i], pending[i].value);
        }

  for (gsize i = 0; i < self->n_keys; i++)
    slot_clear (&pending[i]);

  if (!ok)
    return FALSE;

  g_debug ("[%s] several settings set", self->group);
  for (gsize i = 0; i < self->n_keys; i++)
    if (changed[i])
      g_signal_emit (self, signals[SIGNAL_CHANGED], g_quark_from_string (self->keys[i].name),
                     self->keys[i].name);
  return TRUE;
}

gboolean
sips_config_section_delete (SipsConfigSection *self, GError **error)
{
  g_autoptr(GBytes) snapshot = NULL;
  GKeyFile *keyfile;

  g_return_val_if_fail (SIPS_IS_CONFIG_SECTION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  keyfile = sips_config_store_get_keyfile (self->store);
  if (!g_key_file_has_group (keyfile, self->group))
    return TRUE;

  snapshot = sips_config_store_snapshot (self->store);
  g_key_file_remove_group (keyfile, self->group, NULL);
  if (!save_or_restore (self, snapshot, error))
    return FALSE;

  g_debug ("[%s] removed", self->group);
  return TRUE;
}
