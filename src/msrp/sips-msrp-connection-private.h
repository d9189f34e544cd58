/* sips-msrp-connection-private.h: the connection's insides, shared by
 * sips-msrp-connection.c (transactions, parser callbacks, closing, API) and
 * sips-msrp-connection-io.c (reading and writing the stream) */
#pragma once

#include "sips-msrp-connection.h"
#include "sips-msrp-parser.h"

G_BEGIN_DECLS

#define READ_SIZE   (64 * 1024)
/* Bytes read or written in one main-loop dispatch at most: TLS hands over one 16 KiB
 * record per call, and a dispatch per record (GIO's async calls) costs more than the
 * record; the bound keeps the loop turning for the other connections. */
#define READ_BURST  (512 * 1024)
#define WRITE_BURST (512 * 1024)

typedef struct {
  const SipsMsrpSessionHandler *handler;
  gpointer                      data;
} Binding;

typedef struct {
  SipsMsrpConnection  *connection;  /* not a reference: the table is the connection's */
  char                *tid;
  SipsMsrpResponseFunc func;
  gpointer             data;
  guint                timeout_id;
} Transaction;

/* The message being parsed. */
typedef struct {
  gboolean       is_request;
  char          *tid;
  SipsMsrpMethod method;
  guint          status;       /* a response's status */
  char          *comment;
  guint          refusal;      /* our answer when no session takes it */
  char          *session_id;   /* the session it went to, NULL = none */
} Current;

struct _SipsMsrpConnection {
  GObject parent_instance;

  GIOStream            *stream;
  gboolean              outgoing;
  char                 *key;
  GCancellable         *cancellable;
  SipsMsrpParser       *parser;
  guint8               *read_buffer;
  GHashTable           *sessions;      /* session id -> Binding */
  GHashTable           *transactions;  /* transaction id -> Transaction */
  GQueue                write_queue;   /* GBytes */
  GBytes               *writing;
  gsize                 write_offset;  /* of writing, already out */
  gsize                 queued_bytes;
  GSource              *read_source;   /* pollable streams: readable, NULL = not waiting */
  GSource              *write_source;  /* pollable streams: writable, NULL = nothing to write */
  gboolean              write_async;   /* a write_all_async is in flight */
  SipsMsrpSessionLookup lookup;
  gpointer              lookup_data;
  guint                 idle_timeout;
  guint                 idle_id;
  gboolean              started;
  gboolean              closed;
  gboolean              paused;        /* no next read (a slow consumer) */
  gboolean              reading;       /* a read is in flight */
  Current               cur;
  const SipsMsrpHeaders *response_headers;  /* while a response is handed over */
};

void sips_msrp_connection_read_next         (SipsMsrpConnection *self);
void sips_msrp_connection_write_next        (SipsMsrpConnection *self);
void sips_msrp_connection_clear_source      (GSource           **source);
/* Takes error. Pending requests fail (408), then the sessions hear of it, then "closed". */
void sips_msrp_connection_close_with_error  (SipsMsrpConnection *self,
                                             GError             *error);
void sips_msrp_connection_emit_written      (SipsMsrpConnection *self);

static inline void
sips_msrp_connection_close_for (SipsMsrpConnection *self, GIOErrorEnum code, const char *message)
{
  sips_msrp_connection_close_with_error (self, g_error_new_literal (G_IO_ERROR, code, message));
}

G_END_DECLS
