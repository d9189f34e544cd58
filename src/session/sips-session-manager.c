/* sips-session-manager.c: owns every session; drops orphans, removes terminated ones
 * after the linger time */
#include "sips-session-manager.h"
#include "sips-session-private.h"
#include "sips-session-sip.h"
#include "sips-session-media.h"
#include "sips-file-transfer.h"

#include <glib/gi18n.h>

#include <malloc.h>

/* ---- properties ---- */

enum {
  PROP_0,
  PROP_SESSIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- signals ---- */

enum {
  SIGNAL_SESSION_ADDED,
  SIGNAL_SESSION_REMOVED,
  SIGNAL_FILE_TRANSFER_ADDED,
  SIGNAL_FILE_TRANSFER_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- struct ---- */

typedef struct {
  SipsSessionManager *manager;   /* unowned */
  SipsSession        *session;   /* owned */
  gulong              state_handler;
  guint               linger_id; /* idle removal once TERMINATED with no linger, 0 = none */
  GList              *linger_link; /* in the manager's lingering queue, NULL = none */
  gint64              linger_due;  /* monotonic us */
  gboolean            active;    /* counted in "sessions" */
  gboolean            incoming;  /* INCOMING: waits for an answer */
} Entry;

/* after the last session went: give the freed heap back to the system (a burst of calls
 * leaves most of it free but kept by malloc), again once sofia has dropped the finished
 * transactions (64*T1 = 32 s) */
static const guint trim_delays_s[] = { 1, 10, 35 };

struct _SipsSessionManager {
  GObject parent_instance;

  SipsLingerFunc linger_func;
  gpointer       linger_data;
  GPtrArray     *entries;        /* Entry*, creation order */

  /* the SIP environment given to new sessions (NULL = none) */
  SipsSipAgent      *agent;
  SipsConfigSection *settings;
  SipsConfigSection *rtp;
  SipsRingtoneConfig *ringtones;
  SipsMsrpTransport  *msrp;
  SipsConfigSection  *msrp_config;  /* MSRPConfiguration1: the relay */

  guint trim_id;
  guint trim_step;   /* index in trim_delays_s */

  /* Terminated sessions waiting for their removal, by due time, on ONE timer: a timer per
   * session put thousands of GSources on the main context after a burst of calls, and every
   * main-loop iteration walks them all. */
  GQueue   lingering;     /* Entry* */
  GSource *linger_timer;

  GPtrArray *transfers;  /* TransferEntry*, creation order */

  /* of the entries: every incoming INVITE checks them (overload), no walk of thousands */
  guint n_active;
  guint n_incoming;
};

typedef struct {
  SipsSessionManager *manager;   /* unowned */
  SipsFileTransfer   *transfer;  /* owned */
  guint               linger_id;
} TransferEntry;

G_DEFINE_FINAL_TYPE (SipsSessionManager, sips_session_manager, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static gboolean
state_is_active (SipsSessionState state)
{
  return state != SIPS_SESSION_STATE_NULL && state != SIPS_SESSION_STATE_TERMINATED;
}

static void
entry_free (Entry *entry)
{
  g_clear_handle_id (&entry->linger_id, g_source_remove);
  if (entry->linger_link != NULL)
    {
      SipsSessionManager *self = entry->manager;
      gboolean was_head = entry->linger_link == self->lingering.head;

      g_queue_delete_link (&self->lingering, entry->linger_link);
      entry->linger_link = NULL;
      if (was_head && self->linger_timer != NULL)
        g_source_set_ready_time (self->linger_timer, self->lingering.head != NULL ?
                                 ((Entry *) self->lingering.head->data)->linger_due : -1);
    }
  g_clear_signal_handler (&entry->state_handler, entry->session);
  g_clear_object (&entry->session);
  g_free (entry);
}

static Entry *
find_entry (SipsSessionManager *self, SipsSession *session, guint *index)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->session == session)
        {
          if (index != NULL)
            *index = i;
          return entry;
        }
    }
  return NULL;
}

static gboolean
on_trim (gpointer user_data)
{
  SipsSessionManager *self = user_data;

  self->trim_id = 0;
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  g_debug ("no sessions left: heap trimmed");
  if (self->entries->len == 0 && ++self->trim_step < G_N_ELEMENTS (trim_delays_s))
    self->trim_id = g_timeout_add_seconds (trim_delays_s[self->trim_step] -
                                           trim_delays_s[self->trim_step - 1], on_trim, self);
  return G_SOURCE_REMOVE;
}

/* Takes the entry out, then announces it (handlers may look at the list). */
static void
remove_entry (SipsSessionManager *self, Entry *entry)
{
  g_autoptr (SipsSession) session = g_object_ref (entry->session);
  gboolean was_active = entry->active;
  guint index;

  if (find_entry (self, session, &index) == NULL)
    return;
  self->n_active -= entry->active;
  self->n_incoming -= entry->incoming;
  g_ptr_array_remove_index (self->entries, index);   /* frees the entry */

  sips_log_debug (sips_session_get_log_context (session), "session %p removed", (void *) session);
  if (was_active)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSIONS]);
  g_signal_emit (self, signals[SIGNAL_SESSION_REMOVED], 0, session);
  if (self->entries->len == 0)
    {
      self->trim_step = 0;
      g_clear_handle_id (&self->trim_id, g_source_remove);
      self->trim_id = g_timeout_add_seconds (trim_delays_s[0], on_trim, self);
    }
}

static gboolean
on_linger_over (gpointer user_data)
{
  Entry *entry = user_data;

  entry->linger_id = 0;
  remove_entry (entry->manager, entry);
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_timer (gpointer user_data)
{
  SipsSessionManager *self = user_data;
  gint64 now = g_get_monotonic_time ();
  Entry *entry;

  /* one at a time: a removal's handlers may end or remove other sessions */
  while (self->lingering.head != NULL &&
         (entry = self->lingering.head->data)->linger_due <= now)
    {
      g_queue_delete_link (&self->lingering, entry->linger_link);
      entry->linger_link = NULL;
      remove_entry (self, entry);
    }
  g_source_set_ready_time (self->linger_timer, self->lingering.head != NULL ?
                           ((Entry *) self->lingering.head->data)->linger_due : -1);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_linger_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static void
linger_add (SipsSessionManager *self, Entry *entry, guint seconds)
{
  GList *after;

  entry->linger_due = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  /* the linger time is one setting: nearly always the last */
  for (after = self->lingering.tail; after != NULL; after = after->prev)
    if (((Entry *) after->data)->linger_due <= entry->linger_due)
      break;
  if (after != NULL)
    {
      g_queue_insert_after (&self->lingering, after, entry);
      entry->linger_link = after->next;
    }
  else
    {
      g_queue_push_head (&self->lingering, entry);
      entry->linger_link = self->lingering.head;
    }
  if (self->linger_timer == NULL)
    {
      static GSourceFuncs funcs = { .dispatch = on_linger_dispatch };

      /* a source that runs only at its ready time (a timeout source re-arms itself) */
      self->linger_timer = g_source_new (&funcs, sizeof (GSource));
      g_source_set_callback (self->linger_timer, on_linger_timer, self, NULL);
      g_source_attach (self->linger_timer, NULL);
    }
  if (entry->linger_link == self->lingering.head)
    g_source_set_ready_time (self->linger_timer, entry->linger_due);
}

static void
on_session_state (SipsSession *session, GParamSpec *pspec, gpointer user_data)
{
  Entry *entry = user_data;
  SipsSessionManager *self = entry->manager;
  SipsSessionState state = sips_session_get_state (session);
  gboolean active = state_is_active (state);
  gboolean incoming = state == SIPS_SESSION_STATE_INCOMING;

  if (incoming != entry->incoming)
    {
      entry->incoming = incoming;
      self->n_incoming += incoming ? 1 : -1;
    }
  if (active != entry->active)
    {
      entry->active = active;
      self->n_active += active ? 1 : -1;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSIONS]);
    }

  if (state == SIPS_SESSION_STATE_TERMINATED && entry->linger_id == 0 && entry->linger_link == NULL)
    {
      guint linger = self->linger_func != NULL ? self->linger_func (self->linger_data) : 0;

      sips_log_debug (sips_session_get_log_context (session),
                      "session %p terminated, removed in %u s", (void *) session, linger);
      if (linger == 0)
        entry->linger_id = g_idle_add (on_linger_over, entry);
      else
        linger_add (self, entry, linger);
    }
}

/* ---- file transfers: held until their linger time is over ---- */

static void
transfer_entry_free (TransferEntry *entry)
{
  g_clear_handle_id (&entry->linger_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (entry->transfer, entry);
  g_clear_object (&entry->transfer);
  g_free (entry);
}

static gboolean
on_transfer_linger_over (gpointer user_data)
{
  TransferEntry *entry = user_data;
  SipsSessionManager *self = entry->manager;
  g_autoptr(SipsFileTransfer) transfer = g_object_ref (entry->transfer);

  entry->linger_id = 0;
  g_ptr_array_remove (self->transfers, entry);  /* frees the entry */
  g_signal_emit (self, signals[SIGNAL_FILE_TRANSFER_REMOVED], 0, transfer);
  return G_SOURCE_REMOVE;
}

static void
on_transfer_did_end (SipsFileTransfer *transfer, gint64 timestamp, gpointer user_data)
{
  TransferEntry *entry = user_data;
  SipsSessionManager *self = entry->manager;
  guint linger = self->linger_func != NULL ? self->linger_func (self->linger_data) : 0;

  /* a transfer that never placed its call leaves an unused session */
  sips_session_manager_drop_if_null (self, sips_file_transfer_get_session (transfer));
  if (entry->linger_id != 0)
    return;
  if (linger == 0)
    entry->linger_id = g_idle_add (on_transfer_linger_over, entry);
  else
    entry->linger_id = g_timeout_add_seconds (linger, on_transfer_linger_over, entry);
}

static void
add_transfer (SipsSessionManager *self, SipsFileTransfer *transfer)
{
  TransferEntry *entry = g_new0 (TransferEntry, 1);

  entry->manager = self;
  entry->transfer = g_object_ref (transfer);
  g_ptr_array_add (self->transfers, entry);
  g_signal_connect (transfer, "did-end", G_CALLBACK (on_transfer_did_end), entry);
  g_signal_emit (self, signals[SIGNAL_FILE_TRANSFER_ADDED], 0, transfer);
}

/* ---- GObject vfuncs ---- */

static void
sips_session_manager_get_property (GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec)
{
  SipsSessionManager *self = SIPS_SESSION_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SESSIONS:
      g_value_take_boxed (value, sips_session_manager_get_active_sessions (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_session_manager_dispose (GObject *object)
{
  SipsSessionManager *self = SIPS_SESSION_MANAGER (object);

  /* cancels the linger timers and lets the sessions go, without announcing anything */
  if (self->transfers != NULL)
    g_ptr_array_set_size (self->transfers, 0);
  if (self->entries != NULL)
    g_ptr_array_set_size (self->entries, 0);
  if (self->linger_timer != NULL)
    {
      g_source_destroy (self->linger_timer);
      g_clear_pointer (&self->linger_timer, g_source_unref);
    }
  g_clear_handle_id (&self->trim_id, g_source_remove);
  g_clear_object (&self->agent);
  g_clear_object (&self->settings);
  g_clear_object (&self->rtp);
  g_clear_object (&self->ringtones);
  g_clear_object (&self->msrp);
  g_clear_object (&self->msrp_config);

  G_OBJECT_CLASS (sips_session_manager_parent_class)->dispose (object);
}

static void
sips_session_manager_finalize (GObject *object)
{
  SipsSessionManager *self = SIPS_SESSION_MANAGER (object);

  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->transfers, g_ptr_array_unref);

  G_OBJECT_CLASS (sips_session_manager_parent_class)->finalize (object);
}

static void
sips_session_manager_class_init (SipsSessionManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sips_session_manager_get_property;
  object_class->dispose = sips_session_manager_dispose;
  object_class->finalize = sips_session_manager_finalize;

  /* A GPtrArray of SipsSession* (no element free func), as get_active_sessions() */
  properties[PROP_SESSIONS] =
    g_param_spec_boxed ("sessions", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SESSION_ADDED] =
    g_signal_new ("session-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SIPS_TYPE_SESSION);
  signals[SIGNAL_SESSION_REMOVED] =
    g_signal_new ("session-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SIPS_TYPE_SESSION);
  signals[SIGNAL_FILE_TRANSFER_ADDED] =
    g_signal_new ("file-transfer-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SIPS_TYPE_FILE_TRANSFER);
  signals[SIGNAL_FILE_TRANSFER_REMOVED] =
    g_signal_new ("file-transfer-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SIPS_TYPE_FILE_TRANSFER);
}

static void
sips_session_manager_init (SipsSessionManager *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->transfers = g_ptr_array_new_with_free_func ((GDestroyNotify) transfer_entry_free);
}

/* ---- public API ---- */

SipsSessionManager *
sips_session_manager_new (SipsLingerFunc linger_func, gpointer user_data)
{
  SipsSessionManager *self = g_object_new (SIPS_TYPE_SESSION_MANAGER, NULL);

  self->linger_func = linger_func;
  self->linger_data = user_data;
  return self;
}

SipsSession *
sips_session_manager_create_session (SipsSessionManager *self)
{
  Entry *entry;

  g_return_val_if_fail (SIPS_IS_SESSION_MANAGER (self), NULL);

  entry = g_new0 (Entry, 1);
  entry->manager = self;
  entry->session = sips_session_new ();
  if (self->agent != NULL)
    sips_session_set_sip_env (entry->session, self->agent, self->settings, self->rtp,
                              self->ringtones, self->msrp, self->msrp_config);
  entry->state_handler = g_signal_connect (entry->session, "notify::state",
                                           G_CALLBACK (on_session_state), entry);
  g_ptr_array_add (self->entries, entry);

  g_signal_emit (self, signals[SIGNAL_SESSION_ADDED], 0, entry->session);
  return entry->session;
}

GPtrArray *
sips_session_manager_list_sessions (SipsSessionManager *self)
{
  GPtrArray *list;

  g_return_val_if_fail (SIPS_IS_SESSION_MANAGER (self), NULL);

  list = g_ptr_array_sized_new (self->entries->len);
  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (list, ((Entry *) g_ptr_array_index (self->entries, i))->session);
  return list;
}

GPtrArray *
sips_session_manager_get_active_sessions (SipsSessionManager *self)
{
  GPtrArray *list;

  g_return_val_if_fail (SIPS_IS_SESSION_MANAGER (self), NULL);

  list = g_ptr_array_new ();
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->active)
        g_ptr_array_add (list, entry->session);
    }
  return list;
}

void
sips_session_manager_drop_if_null (SipsSessionManager *self, SipsSession *session)
{
  Entry *entry;

  g_return_if_fail (SIPS_IS_SESSION_MANAGER (self));
  g_return_if_fail (SIPS_IS_SESSION (session));

  entry = find_entry (self, session, NULL);
  if (entry == NULL || sips_session_get_state (session) != SIPS_SESSION_STATE_NULL)
    return;
  remove_entry (self, entry);
}

void
sips_session_manager_terminate_all (SipsSessionManager *self)
{
  g_autoptr (GPtrArray) active = NULL;

  g_return_if_fail (SIPS_IS_SESSION_MANAGER (self));

  /* transfers first: their partial files go now, not after the last BYE */
  for (guint i = self->transfers->len; i > 0; i--)
    {
      TransferEntry *entry = g_ptr_array_index (self->transfers, i - 1);

      if (!sips_file_transfer_is_over (entry->transfer))
        sips_file_transfer_abort (entry->transfer, _("The daemon is shutting down"));
    }

  /* a copy holding references: terminating changes the list */
  active = sips_session_manager_get_active_sessions (self);
  g_ptr_array_set_free_func (active, g_object_unref);
  for (guint i = 0; i < active->len; i++)
    g_object_ref (g_ptr_array_index (active, i));

  for (guint i = 0; i < active->len; i++)
    {
      SipsSession *session = g_ptr_array_index (active, i);
      g_autoptr (GError) error = NULL;

      if (!sips_session_terminate (session, &error))
        sips_log_debug (sips_session_get_log_context (session),
                        "session %p not terminated: %s", (void *) session, error->message);
    }
}

void
sips_session_manager_set_sip_env (SipsSessionManager *self, SipsSipAgent *agent,
                                  SipsConfigSection *settings, SipsConfigSection *rtp,
                                  SipsRingtoneConfig *ringtones)
{
  g_return_if_fail (SIPS_IS_SESSION_MANAGER (self));

  g_set_object (&self->agent, agent);
  g_set_object (&self->settings, settings);
  g_set_object (&self->rtp, rtp);
  g_set_object (&self->ringtones, ringtones);
}

void
sips_session_manager_set_msrp_transport (SipsSessionManager *self, SipsMsrpTransport *msrp,
                                         SipsConfigSection *msrp_config)
{
  g_return_if_fail (SIPS_IS_SESSION_MANAGER (self));

  g_set_object (&self->msrp, msrp);
  g_set_object (&self->msrp_config, msrp_config);
}

void
sips_session_manager_when_media_stopped (SipsSessionManager *self, GSourceFunc func,
                                         gpointer data)
{
  g_return_if_fail (SIPS_IS_SESSION_MANAGER (self));
  sips_session_media_when_stopped (func, data);
}

SipsSession *
sips_session_manager_take_incoming (SipsSessionManager *self, gpointer nh, gconstpointer sip,
                                    SipsAccount *account)
{
  SipsSession *session;

  g_return_val_if_fail (SIPS_IS_SESSION_MANAGER (self), NULL);
  g_return_val_if_fail (self->agent != NULL, NULL);

  /* what cannot be taken is refused at once rather than left half set up */
  if (sips_session_sip_refuse_overload (nh, self->n_incoming, self->n_active, self->settings))
    return NULL;
  /* the seed makes no session of a call whose streams it refuses */
  if (sips_session_sip_refuse_incoming (nh, sip, self->rtp))
    return NULL;
  /* announced ("session-added") before its first signal, so that clients see it */
  session = sips_session_manager_create_session (self);
  sips_session_sip_take_incoming (sips_session_get_sip (session), nh, sip, account);
  if (sips_session_sip_is_file_offer (sips_session_get_sip (session)) &&
      sips_session_get_state (session) == SIPS_SESSION_STATE_INCOMING)
    {
      g_autoptr(SipsFileTransfer) transfer = sips_file_transfer_new_incoming (session);

      add_transfer (self, transfer);
    }
  return session;
}

SipsFileTransfer *
sips_session_manager_send_file (SipsSessionManager *self, SipsAccount *account,
                                const char *to_uri, const char *path,
                                const char *content_type, GError **error)
{
  SipsSession *session;
  g_autoptr(SipsFileTransfer) transfer = NULL;

  g_return_val_if_fail (SIPS_IS_SESSION_MANAGER (self), NULL);

  session = sips_session_manager_create_session (self);
  transfer = sips_file_transfer_new_outgoing (session, account, to_uri, path, content_type,
                                              error);
  if (transfer == NULL)
    {
      sips_session_manager_drop_if_null (self, session);
      return NULL;
    }
  add_transfer (self, transfer);
  return transfer;
}

GPtrArray *
sips_session_manager_list_file_transfers (SipsSessionManager *self)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; i < self->transfers->len; i++)
    g_ptr_array_add (list, ((TransferEntry *) g_ptr_array_index (self->transfers, i))->transfer);
  return list;
}

void
sips_session_manager_nua_closing (SipsSessionManager *self, gpointer nua)
{
  g_autoptr(GPtrArray) sessions = NULL;

  g_return_if_fail (SIPS_IS_SESSION_MANAGER (self));

  /* a copy holding references: ending sessions changes the list */
  sessions = sips_session_manager_list_sessions (self);
  g_ptr_array_set_free_func (sessions, g_object_unref);
  for (guint i = 0; i < sessions->len; i++)
    g_object_ref (g_ptr_array_index (sessions, i));

  for (guint i = 0; i < sessions->len; i++)
    {
      SipsSessionSip *sip = sips_session_get_sip (g_ptr_array_index (sessions, i));

      if (sip != NULL)
        sips_session_sip_nua_closing (sip, nua);
    }
}
