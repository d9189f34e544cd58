/* sipsimplectl-presence.c: subscribe (print every NOTIFY body until interrupted, then
 * unsubscribe) and publish (a PIDF status, or any document from a file).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sipsimplectl.h"

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#define SUBSCRIPTION_IFACE IFACE_PREFIX "Subscription1"
#define PUBLICATION_IFACE  IFACE_PREFIX "Publication1"
/* how long an interrupted subscribe waits for its final NOTIFY */
#define UNSUBSCRIBE_WAIT_MS 10000
#define PUBLISH_WAIT_MS     30000

/* ------------------------------------------------------------ subscribe */

typedef struct {
  GMainLoop *loop;
  char *path;            /* the subscription, once Subscribe answered */
  GPtrArray *early;      /* signals before that (a GVariant "(ssv)" each: path member params) */
  gboolean unsubscribing;
  int interrupts;
  int status;
  guint timeout_id;
} Subscribe;

static void
subscribe_handle (Subscribe *sub, const char *member, GVariant *params)
{
  if (strcmp (member, "GotNotify") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(xsss)")))
    {
      const char *body;
      gsize len;

      g_variant_get (params, "(x&s&s&s)", NULL, NULL, &body, NULL);
      len = strlen (body);
      g_print ("%s%s", body, len == 0 || body[len - 1] != '\n' ? "\n" : "");
      fflush (stdout);
    }
  else if (strcmp (member, "DidFail") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(xis)")))
    {
      gint32 code;
      const char *reason;

      g_variant_get (params, "(xi&s)", NULL, &code, &reason);
      sub->status = fail (_("the subscription failed: %d %s"), code, reason);
    }
  else if (strcmp (member, "DidEnd") == 0)
    {
      if (!sub->unsubscribing && sub->status == EXIT_OK)
        g_printerr (_("The subscription was ended by the notifier\n"));
      g_main_loop_quit (sub->loop);
    }
}

static void
on_subscription_signal (const DaemonSignal *sig, gpointer user_data)
{
  Subscribe *sub = user_data;

  if (sub->path == NULL)
    g_ptr_array_add (sub->early, g_variant_ref_sink (g_variant_new ("(ssv)", sig->path, sig->member,
                                                                    sig->params)));
  else if (strcmp (sig->path, sub->path) == 0)
    subscribe_handle (sub, sig->member, sig->params);
}

static void
on_daemon_gone (const DaemonSignal *sig, gpointer user_data)
{
  Subscribe *sub = user_data;
  const char *name, *old_owner, *new_owner;

  g_variant_get (sig->params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (*new_owner != '\0')
    return;
  sub->status = fail (_("the daemon left the bus"));
  g_main_loop_quit (sub->loop);
}

static gboolean
on_unsubscribe_timeout (gpointer user_data)
{
  Subscribe *sub = user_data;

  sub->timeout_id = 0;
  g_main_loop_quit (sub->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_subscribe_interrupt (gpointer user_data)
{
  Subscribe *sub = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (sub->interrupts++ > 0 || sub->path == NULL)
    {
      g_main_loop_quit (sub->loop);
      return G_SOURCE_CONTINUE;
    }
  sub->unsubscribing = TRUE;
  reply = call_daemon (sub->path, SUBSCRIPTION_IFACE, "Unsubscribe", NULL, NULL, &error);
  if (reply == NULL)
    g_main_loop_quit (sub->loop);  /* already over */
  else
    sub->timeout_id = g_timeout_add (UNSUBSCRIBE_WAIT_MS, on_unsubscribe_timeout, sub);
  return G_SOURCE_CONTINUE;
}

int
cmd_subscribe (int argc, char **argv)
{
  g_auto(GStrv) opt_accept = NULL;
  int opt_expires = 0;
  const GOptionEntry entries[] = {
    { "accept", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_accept, N_("Accept TYPE (repeatable; default: the event's usual type)"), N_("TYPE") },
    { "expires", 0, 0, G_OPTION_ARG_INT, &opt_expires, N_("Ask for SECONDS (default: the account's SubscribeInterval)"), N_("SECONDS") },
    { NULL }
  };
  const char *synopsis = "subscribe [ACCOUNT] URI EVENT [--accept=TYPE] [--expires=SECONDS]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *account = NULL;
  g_autofree char *owner = NULL;
  GDBusConnection *bus;
  Subscribe sub = { 0 };
  guint signal_id, owner_id, sigint_id, sigterm_id;
  const char *empty[] = { NULL };
  int status;

  if (!parse_options ("subscribe [ACCOUNT] URI EVENT", entries, &argc, &argv) ||
      argc < 3 || argc > 4 || opt_expires < 0)
    return usage (synopsis);
  if ((status = connect_daemon (&bus, &owner)) != EXIT_OK)
    return status;
  account = argc == 4 ? resolve_account (argv[1], &error) : default_account (&error);
  if (account == NULL)
    return fail_error (error);

  sub.loop = g_main_loop_new (NULL, FALSE);
  sub.early = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  /* before the call: nothing can slip by */
  signal_id = follow_signals (bus, owner, SUBSCRIPTION_IFACE, NULL, NULL, NULL,
                              on_subscription_signal, &sub);
  owner_id = follow_daemon_owner (bus, on_daemon_gone, &sub);
  reply = call_daemon (account, ACCOUNT_IFACE, "Subscribe",
                       g_variant_new ("(ss^asu)", argv[argc - 2], argv[argc - 1],
                                      opt_accept != NULL ? opt_accept : (char **) empty,
                                      (guint32) opt_expires),
                       G_VARIANT_TYPE ("(o)"), &error);
  if (reply == NULL)
    sub.status = fail_error (error);
  else
    {
      g_variant_get (reply, "(o)", &sub.path);
      sigint_id = g_unix_signal_add (SIGINT, on_subscribe_interrupt, &sub);
      sigterm_id = g_unix_signal_add (SIGTERM, on_subscribe_interrupt, &sub);
      for (guint i = 0; i < sub.early->len; i++)
        {
          const char *path, *member;
          g_autoptr(GVariant) params = NULL;

          g_variant_get (sub.early->pdata[i], "(&s&sv)", &path, &member, &params);
          if (strcmp (path, sub.path) == 0)
            subscribe_handle (&sub, member, params);
        }
      g_main_loop_run (sub.loop);
      g_source_remove (sigint_id);
      g_source_remove (sigterm_id);
    }
  g_dbus_connection_signal_unsubscribe (bus, signal_id);
  g_dbus_connection_signal_unsubscribe (bus, owner_id);
  g_clear_handle_id (&sub.timeout_id, g_source_remove);
  g_ptr_array_unref (sub.early);
  g_main_loop_unref (sub.loop);
  g_free (sub.path);
  return sub.status;
}

/* ------------------------------------------------------------ publish */

static char *
xml_escape (const char *text)
{
  return g_markup_escape_text (text, -1);
}

/* A PIDF document (RFC 3863) with one tuple. */
static char *
build_pidf (const char *entity, const char *status, const char *note)
{
  g_autofree char *entity_xml = xml_escape (entity);
  g_autofree char *note_xml = note != NULL ? xml_escape (note) : NULL;

  return g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"%s\">\n"
                          "  <tuple id=\"sipsimplectl\">\n"
                          "    <status><basic>%s</basic></status>\n"
                          "%s%s%s"
                          "  </tuple>\n"
                          "</presence>\n",
                          entity_xml, status,
                          note_xml != NULL ? "    <note>" : "", note_xml != NULL ? note_xml : "",
                          note_xml != NULL ? "</note>\n" : "");
}

/* The account's live publication of event, or NULL. */
static char *
find_publication (const char *account, const char *event, GError **error)
{
  g_autoptr(GVariant) objects = get_managed_objects (error);
  g_autoptr(GPtrArray) publications = NULL;

  if (objects == NULL)
    return NULL;
  publications = objects_with_iface (objects, PUBLICATION_IFACE);
  for (guint i = 0; i < publications->len; i++)
    {
      g_autoptr(GVariant) props = lookup_object_props (objects, publications->pdata[i], PUBLICATION_IFACE);
      g_autoptr(GVariant) owner = props ? g_variant_lookup_value (props, "Account", G_VARIANT_TYPE_OBJECT_PATH) : NULL;
      g_autofree char *state = lookup_string (props, "State");
      g_autofree char *pub_event = lookup_string (props, "Event");

      if (owner != NULL && strcmp (g_variant_get_string (owner, NULL), account) == 0 &&
          g_strcmp0 (pub_event, event) == 0 &&
          (g_strcmp0 (state, "published") == 0 || g_strcmp0 (state, "publishing") == 0))
        return g_strdup (publications->pdata[i]);
    }
  return NULL;
}

typedef struct {
  SignalWait wait;
  char *path;            /* the publication (NULL until Publish answers) */
  GHashTable *outcomes;  /* path -> "+expires" or "-code reason" (the last one) */
  GHashTable *ended;     /* paths that sent DidEnd */
} Publish;

static void
on_publication_signal (const DaemonSignal *sig, gpointer user_data)
{
  Publish *pub = user_data;

  if (strcmp (sig->member, "DidSucceed") == 0 && g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(xu)")))
    {
      guint32 expires;

      g_variant_get (sig->params, "(xu)", NULL, &expires);
      g_hash_table_replace (pub->outcomes, g_strdup (sig->path), g_strdup_printf ("+%u", expires));
    }
  else if (strcmp (sig->member, "DidFail") == 0 && g_variant_is_of_type (sig->params, G_VARIANT_TYPE ("(xis)")))
    {
      gint32 code;
      const char *reason;

      g_variant_get (sig->params, "(xi&s)", NULL, &code, &reason);
      g_hash_table_replace (pub->outcomes, g_strdup (sig->path), g_strdup_printf ("-%d %s", code, reason));
    }
  else if (strcmp (sig->member, "DidEnd") == 0)
    g_hash_table_add (pub->ended, g_strdup (sig->path));
  else
    return;
  if (pub->path != NULL && strcmp (sig->path, pub->path) == 0)
    g_main_loop_quit (pub->wait.loop);
}

static char *
account_id (const char *account, GError **error)
{
  g_autoptr(GVariant) reply = call_daemon (account, PROPS_IFACE, "Get",
                                           g_variant_new ("(ss)", ACCOUNT_IFACE, "Id"),
                                           G_VARIANT_TYPE ("(v)"), error);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

int
cmd_publish (int argc, char **argv)
{
  g_autofree char *opt_status = NULL;
  g_autofree char *opt_note = NULL;
  g_autofree char *opt_file = NULL;
  g_autofree char *opt_type = NULL;
  gboolean opt_end = FALSE;
  int opt_expires = 0;
  const GOptionEntry entries[] = {
    { "status", 0, 0, G_OPTION_ARG_STRING, &opt_status, N_("Publish a PIDF document with this basic status"), N_("open|closed") },
    { "note", 0, 0, G_OPTION_ARG_STRING, &opt_note, N_("Add a note to the PIDF document"), N_("TEXT") },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &opt_file, N_("Publish the document in FILE"), N_("FILE") },
    { "type", 0, 0, G_OPTION_ARG_STRING, &opt_type, N_("The content type of FILE"), N_("TYPE") },
    { "expires", 0, 0, G_OPTION_ARG_INT, &opt_expires, N_("Ask for SECONDS (default: the account's PublishInterval)"), N_("SECONDS") },
    { "end", 0, 0, G_OPTION_ARG_NONE, &opt_end, N_("Remove the account's publication of EVENT (default presence)"), NULL },
    { NULL }
  };
  const char *synopsis = "publish [ACCOUNT] --status=open|closed [--note=TEXT] | "
                         "--file=FILE --type=TYPE EVENT | --end [EVENT]";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *account = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *body = NULL;
  g_autofree char *existing = NULL;
  const char *event = "presence", *content_type = "application/pidf+xml";
  GDBusConnection *bus;
  Publish pub = { { 0 } };
  int positional, status;

  if (!parse_options ("publish [ACCOUNT] [EVENT]", entries, &argc, &argv) || opt_expires < 0)
    return usage (synopsis);
  /* the words left: [ACCOUNT] and, with --file or --end, [EVENT] */
  positional = argc - 1;
  if ((opt_status != NULL) + (opt_file != NULL) + (opt_end != FALSE) != 1 ||
      (opt_status != NULL && positional > 1) ||
      (opt_file != NULL && (opt_type == NULL || positional < 1 || positional > 2)) ||
      (opt_end && positional > 2) ||
      (opt_note != NULL && opt_status == NULL) || (opt_type != NULL && opt_file == NULL))
    return usage (synopsis);
  if (opt_status != NULL && strcmp (opt_status, "open") != 0 && strcmp (opt_status, "closed") != 0)
    return fail (_("--status must be open or closed"));
  if (opt_note != NULL && !g_utf8_validate (opt_note, -1, NULL))
    return fail (_("the note must be UTF-8"));
  if ((status = connect_daemon (&bus, &owner)) != EXIT_OK)
    return status;

  /* --end's one word is an ACCOUNT when it names one (event names have no '@' or '/') */
  if (opt_file != NULL || (opt_end && positional == 2) ||
      (opt_end && positional == 1 && strpbrk (argv[1], "@/") == NULL &&
       !g_str_has_prefix (argv[1], "account")))
    {
      event = argv[argc - 1];
      positional--;
    }
  account = positional == 1 ? resolve_account (argv[1], &error) : default_account (&error);
  if (account == NULL)
    return fail_error (error);

  if (opt_file != NULL)
    {
      gsize len;

      if (!g_file_get_contents (opt_file, &body, &len, &error))
        return fail ("%s", error->message);
      if (!g_utf8_validate (body, len, NULL) || strlen (body) != len)
        return fail (_("%s is not UTF-8 text"), opt_file);
      content_type = opt_type;
    }
  else if (opt_status != NULL)
    {
      g_autofree char *id = account_id (account, &error);
      g_autofree char *entity = NULL;

      if (id == NULL)
        return fail_error (error);
      entity = g_strconcat ("sip:", id, NULL);
      body = build_pidf (entity, opt_status, opt_note);
    }

  existing = find_publication (account, event, &error);
  if (existing == NULL && error != NULL)
    return fail_error (error);
  if (opt_end && existing == NULL)
    return fail (_("the account has no publication of %s"), event);

  /* followed before the call: nothing can slip by */
  pub.path = g_strdup (existing);
  pub.outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pub.ended = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pub.wait.bus = bus;
  pub.wait.loop = g_main_loop_new (NULL, FALSE);
  pub.wait.signal_id = follow_signals (bus, owner, PUBLICATION_IFACE, NULL, existing, NULL,
                                       on_publication_signal, &pub);

  if (opt_end)
    reply = call_daemon (existing, PUBLICATION_IFACE, "End", NULL, NULL, &error);
  else if (existing != NULL)  /* a new document in place of the current one */
    reply = call_daemon (existing, PUBLICATION_IFACE, "Update",
                         g_variant_new ("(ss)", content_type, body), NULL, &error);
  else
    {
      reply = call_daemon (account, ACCOUNT_IFACE, "Publish",
                           g_variant_new ("(sssu)", event, content_type, body, (guint32) opt_expires),
                           G_VARIANT_TYPE ("(o)"), &error);
      if (reply != NULL)
        g_variant_get (reply, "(o)", &pub.path);
    }
  if (reply == NULL)
    status = fail_error (error);
  else
    {
      int wait_ms = timeout_ms () > 0 ? timeout_ms () : PUBLISH_WAIT_MS;
      const char *outcome;

      /* an Update's or End's own outcome only: forget the earlier ones */
      if (existing != NULL)
        g_hash_table_remove (pub.outcomes, existing);
      if (!g_hash_table_contains (pub.outcomes, pub.path) && !g_hash_table_contains (pub.ended, pub.path))
        signal_wait_run (&pub.wait, wait_ms);
      if (opt_end && !g_hash_table_contains (pub.ended, pub.path))
        signal_wait_run (&pub.wait, wait_ms);
      outcome = g_hash_table_lookup (pub.outcomes, pub.path);
      if (opt_end)
        status = g_hash_table_contains (pub.ended, pub.path)
                 ? EXIT_OK : fail (_("the publication did not end within %d s"), wait_ms / 1000);
      else if (outcome != NULL && outcome[0] == '+')
        {
          g_print ("%s\n", pub.path);
          g_print (_("published for %s s\n"), outcome + 1);
          status = EXIT_OK;
        }
      else if (outcome != NULL)
        status = fail (_("not published: %s"), outcome + 1);
      else if (g_hash_table_contains (pub.ended, pub.path))
        status = fail (_("the publication ended"));
      else
        status = fail (_("no answer to PUBLISH within %d s"), wait_ms / 1000);
    }
  g_hash_table_unref (pub.outcomes);
  g_hash_table_unref (pub.ended);
  signal_wait_clear (&pub.wait);
  g_free (pub.path);
  return status;
}
