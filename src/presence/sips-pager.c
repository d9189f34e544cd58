/* sips-pager.c: pager-mode instant messages (RFC 3428 SIP MESSAGE) of one account
 *
 * Each outgoing MESSAGE has a nua handle of its own, owned by a PagerOutgoing until
 * its final answer; the Call-ID we give it is the message id. Incoming MESSAGEs come
 * from the engine, routed to the account like INVITEs, and are answered here. */
#include "sips-pager.h"

#include <string.h>
#include <glib/gi18n.h>

#define NUA_MAGIC_T  void
#define NUA_HMAGIC_T SipsNuaOwner
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "account/sips-account.h"
#include "config/sips-config-schema.h"
#include "core/sips-error.h"
#include "msrp/sips-cpim.h"
#include "session/sips-session-headers.h"

enum {
  SIGNAL_DID_DELIVER_MESSAGE,
  SIGNAL_DID_NOT_DELIVER_MESSAGE,
  SIGNAL_GOT_MESSAGE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct {
  SipsNuaOwner  owner;        /* the handle's magic: events come to on_message_event */
  SipsPager    *pager;
  nua_handle_t *nh;
  nua_t        *nua;          /* the nua nh belongs to */
  char         *id;
  gboolean      auth_tried;   /* a second challenge means the credentials are wrong */
} PagerOutgoing;

struct _SipsPager {
  GObject parent_instance;

  SipsAccount  *account;      /* our owner: not referenced */
  SipsSipAgent *agent;
  GHashTable   *outgoing;     /* id -> PagerOutgoing*, MESSAGEs awaiting a final answer */
};

G_DEFINE_FINAL_TYPE (SipsPager, sips_pager, G_TYPE_OBJECT)

/* ---- private helpers: outgoing ---- */

static void
outgoing_free (gpointer data)
{
  PagerOutgoing *out = data;

  /* a handle of a nua that has gone is gone with it */
  if (out->nh != NULL && out->nua != NULL &&
      out->nua == sips_sip_agent_get_nua (out->pager->agent))
    nua_handle_destroy (out->nh);
  g_free (out->id);
  g_free (out);
}

/* The MESSAGE is over: forget it, then say so (handlers may call back into us). */
static void
finish (SipsPager *self, PagerOutgoing *out, int status, const char *phrase)
{
  g_autoptr(SipsPager) hold = g_object_ref (self);
  g_autofree char *id = g_strdup (out->id);
  int code = status < 700 ? status : 0;  /* nua's 9xx are internal */

  g_hash_table_remove (self->outgoing, id);
  g_debug ("MESSAGE %s from %s: %d %s", id, sips_account_get_id (self->account), status,
           phrase != NULL ? phrase : "");
  g_signal_emit (self, signals[status >= 200 && status < 300 ? SIGNAL_DID_DELIVER_MESSAGE
                                                              : SIGNAL_DID_NOT_DELIVER_MESSAGE],
                 0, g_get_real_time (), id, code, phrase != NULL ? phrase : "");
}

static void
on_message_event (gpointer owner, int event, int status, const char *phrase, gpointer nh,
                  gconstpointer sip_, gconstpointer tags)
{
  PagerOutgoing *out = owner;
  SipsPager *self = out->pager;
  const sip_t *sip = sip_;

  if (event != nua_r_message || nh != out->nh || status < 200)
    return;

  if ((status == 401 || status == 407) && sip != NULL && !out->auth_tried)
    {
      g_autofree char *credentials = sips_headers_credentials (self->account, status, sip);

      if (credentials != NULL)
        {
          out->auth_tried = TRUE;
          nua_authenticate (out->nh, NUTAG_AUTH (credentials), TAG_END ());
          memset (credentials, 0, strlen (credentials));
          return;
        }
    }
  finish (self, out, status, phrase);
}

/* The nua goes away (transport rebind, shutdown). Our handles go first: nua_shutdown
 * waits (up to 30 s) for a client transaction still in progress. */
static void
on_nua_closing (SipsSipAgent *agent, gpointer nua, gpointer user_data)
{
  SipsPager *self = user_data;
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->outgoing);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((PagerOutgoing *) value)->nua == nua)
      g_ptr_array_add (gone, g_strdup (((PagerOutgoing *) value)->id));
  /* by id: the signal handlers of one may change the table */
  for (guint i = 0; i < gone->len; i++)
    {
      PagerOutgoing *out = g_hash_table_lookup (self->outgoing, gone->pdata[i]);

      if (out == NULL || out->nua != nua)
        continue;
      nua_handle_destroy (out->nh);
      out->nh = NULL;
      out->nua = NULL;
      finish (self, out, 0, _("The SIP stack was restarted"));
    }
}

/* type/subtype[;parameters] as sofia reads it; no CR or LF */
static gboolean
is_content_type (const char *s)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sip_content_type_t *c;
  gboolean ok;

  if (strpbrk (s, "\r\n") != NULL)
    return FALSE;
  c = sip_content_type_make (home, s);
  ok = c != NULL && c->c_type != NULL && c->c_subtype != NULL && *c->c_subtype != '\0' &&
       strchr (c->c_subtype, '/') == NULL;
  su_home_deinit (home);
  return ok;
}

static gboolean
check_send (SipsPager *self, const char *to_uri, const char *content,
            const char *content_type, const char *proxy, GError **error)
{
  SipsConfigSection *config = sips_account_get_config (self->account);
  const char *transport;

  /* it goes into To: as <URI> */
  if (!sips_config_is_sip_uri (to_uri) || strpbrk (to_uri, "<>\"") != NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a SIP URI"), to_uri);
      return FALSE;
    }
  if (*content == '\0')
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("The message is empty"));
      return FALSE;
    }
  if (!is_content_type (content_type))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a content type such as text/plain"), content_type);
      return FALSE;
    }
  transport = sips_headers_transport_of_target (to_uri, proxy);
  if (strlen (content) > SIPS_PAGER_UDP_BODY_LIMIT && g_str_equal (transport, "udp"))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The message is longer than %u bytes: it can only go over TCP or TLS "
                     "(RFC 3428), and the route is UDP"), SIPS_PAGER_UDP_BODY_LIMIT);
      return FALSE;
    }
  if (config != NULL && !sips_config_section_get_boolean (config, "Enabled"))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("The account is disabled"));
      return FALSE;
    }
  if (sips_sip_agent_get_nua (self->agent) == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("The SIP stack is not running"));
      return FALSE;
    }
  return TRUE;
}

/* ---- private helpers: incoming ---- */

static gboolean
is_type (const char *type, const char *wanted)
{
  return type != NULL && g_ascii_strcasecmp (type, wanted) == 0;
}

static GVariant *
headers_variant (GHashTable *headers)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_hash_table_iter_init (&iter, headers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_variant_builder_add (&builder, "{ss}", key, value);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
respond (gpointer nh, int status, const char *phrase, gboolean dispose, nua_t *nua)
{
  if (nua != NULL)
    nua_respond (nh, status, phrase, NUTAG_WITH_THIS (nua), TAG_END ());
  if (dispose && nua != NULL && nh != nua_default (nua))
    nua_handle_destroy (nh);
}

/* ---- GObject vfuncs ---- */

static void
sips_pager_dispose (GObject *object)
{
  SipsPager *self = SIPS_PAGER (object);

  /* MESSAGEs in flight go unreported: their account is going away */
  if (self->outgoing != NULL)
    g_hash_table_remove_all (self->outgoing);
  if (self->agent != NULL)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_object (&self->agent);

  G_OBJECT_CLASS (sips_pager_parent_class)->dispose (object);
}

static void
sips_pager_finalize (GObject *object)
{
  SipsPager *self = SIPS_PAGER (object);

  g_clear_pointer (&self->outgoing, g_hash_table_unref);

  G_OBJECT_CLASS (sips_pager_parent_class)->finalize (object);
}

static void
sips_pager_class_init (SipsPagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_pager_dispose;
  object_class->finalize = sips_pager_finalize;

  signals[SIGNAL_DID_DELIVER_MESSAGE] =
    g_signal_new ("did-deliver-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_DID_NOT_DELIVER_MESSAGE] =
    g_signal_new ("did-not-deliver-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_GOT_MESSAGE] =
    g_signal_new ("got-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 6,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_VARIANT,
                  G_TYPE_STRING);
}

static void
sips_pager_init (SipsPager *self)
{
  self->outgoing = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, outgoing_free);
}

/* ---- public API ---- */

SipsPager *
sips_pager_new (SipsAccount *account, SipsSipAgent *agent)
{
  SipsPager *self;

  g_return_val_if_fail (SIPS_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (SIPS_IS_SIP_AGENT (agent), NULL);

  self = g_object_new (SIPS_TYPE_PAGER, NULL);
  self->account = account;
  self->agent = g_object_ref (agent);
  g_signal_connect (agent, "nua-closing", G_CALLBACK (on_nua_closing), self);
  return self;
}

char *
sips_pager_send (SipsPager *self, const char *to_uri, const char *content,
                 const char *content_type, GError **error)
{
  g_autofree char *proxy = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  PagerOutgoing *out;
  nua_t *nua;

  g_return_val_if_fail (SIPS_IS_PAGER (self), NULL);
  g_return_val_if_fail (to_uri != NULL && content != NULL, NULL);

  if (content_type == NULL || *content_type == '\0')
    content_type = "text/plain";
  proxy = sips_headers_outbound_proxy (self->account);
  if (!check_send (self, to_uri, content, content_type, proxy, error))
    return NULL;

  nua = sips_sip_agent_get_nua (self->agent);
  from = sips_headers_from (self->account);
  /* in brackets: a bare URI's ;transport= would be a To header parameter */
  to = g_strdup_printf ("<%s>", to_uri);
  out = g_new0 (PagerOutgoing, 1);
  out->pager = self;
  out->owner.func = on_message_event;
  out->owner.owner = out;
  out->id = g_uuid_string_random ();
  out->nh = nua_handle (nua, &out->owner,
                        SIPTAG_TO_STR (to),
                        SIPTAG_FROM_STR (from),
                        SIPTAG_CALL_ID_STR (out->id),
                        TAG_END ());
  if (out->nh == NULL)
    {
      g_free (out->id);
      g_free (out);
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot create a SIP request"));
      return NULL;
    }
  out->nua = nua;
  /* nua_handle() drops NUTAG_PROXY (an nta tag): a handle parameter is kept */
  if (*proxy != '\0')
    nua_set_hparams (out->nh, NUTAG_PROXY (URL_STRING_MAKE (proxy)), TAG_END ());
  g_hash_table_insert (self->outgoing, out->id, out);

  nua_message (out->nh,
               SIPTAG_CONTENT_TYPE_STR (content_type),
               SIPTAG_PAYLOAD_STR (content),
               TAG_END ());
  g_debug ("MESSAGE %s from %s to %s (%zu bytes of %s)", out->id,
           sips_account_get_id (self->account), to_uri, strlen (content), content_type);
  return g_strdup (out->id);
}

void
sips_pager_receive (SipsPager *self, gpointer nh, gconstpointer sip_)
{
  const sip_t *sip = sip_;
  nua_t *nua = sips_sip_agent_get_nua (self->agent);
  g_autoptr(SipsPager) hold = g_object_ref (self);
  g_autoptr(SipsCpimMessage) cpim = NULL;
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *from_uri = NULL;
  g_autofree char *text = NULL;
  const char *content_type = "text/plain";
  const char *content;
  const guint8 *data = (const guint8 *) "";
  gsize len = 0;
  gboolean dispose;

  g_return_if_fail (SIPS_IS_PAGER (self));

  /* a new request's handle is ours to drop; a dialog's (an in-dialog MESSAGE) is not */
  dispose = nua_handle_magic (nh) == NULL;
  if (sip == NULL)
    {
      respond (nh, SIP_500_INTERNAL_SERVER_ERROR, dispose, nua);
      return;
    }
  if (sip->sip_payload != NULL && sip->sip_payload->pl_data != NULL)
    {
      data = (const guint8 *) sip->sip_payload->pl_data;
      len = sip->sip_payload->pl_len;
    }
  if (sip->sip_content_type != NULL && sip->sip_content_type->c_type != NULL)
    content_type = sip->sip_content_type->c_type;

  if (is_type (content_type, "message/cpim"))
    {
      g_autoptr(GError) error = NULL;

      cpim = sips_cpim_message_parse (data, len, &error);
      if (cpim == NULL)
        {
          g_message ("Incoming MESSAGE refused: %s", error->message);
          respond (nh, 400, "Malformed CPIM body", dispose, nua);
          return;
        }
      content_type = sips_cpim_message_get_content_type (cpim);
      if (content_type == NULL)
        content_type = "text/plain";
      content = sips_cpim_message_get_content (cpim, NULL);
      headers = sips_cpim_message_dup_headers (cpim);
    }
  else
    {
      gboolean is_base64 = FALSE;

      text = sips_cpim_content_to_text (data, len, &is_base64);
      content = text;
      headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      if (is_base64)
        g_hash_table_insert (headers, g_strdup ("Content-Transfer-Encoding"), g_strdup ("base64"));
    }

  from_uri = sips_headers_url_string (sip->sip_from != NULL ? sip->sip_from->a_url : NULL);
  variant = headers_variant (headers);
  g_debug ("MESSAGE %s for %s from %s (%zu bytes of %s)",
           sip->sip_call_id != NULL ? sip->sip_call_id->i_id : "", sips_account_get_id (self->account),
           from_uri, len, content_type);
  g_signal_emit (self, signals[SIGNAL_GOT_MESSAGE], 0, g_get_real_time (), from_uri,
                 content != NULL ? content : "", content_type, variant,
                 sip->sip_call_id != NULL ? sip->sip_call_id->i_id : "");
  respond (nh, SIP_200_OK, dispose, nua);
}
