/* sips-msrp-connection-io.c: an MSRP connection's stream: reads fed to the parser, the
 * write queue written out. On pollable streams (sockets, GIO's TLS) both go by bursts
 * of nonblocking calls in one main-loop dispatch; otherwise by GIO's async calls. */
#include "sips-msrp-connection-private.h"

#include <glib/gi18n.h>

/* Takes in what a read returned (n < 0: error set): FALSE once the connection closed. */
static gboolean
consume (SipsMsrpConnection *self, gssize n, GError *error)
{
  g_autoptr(GError) owned = error;

  if (n < 0)
    {
      sips_msrp_connection_close_with_error (self, g_steal_pointer (&owned));
      return FALSE;
    }
  if (n == 0)
    {
      if (!sips_msrp_parser_finish (self->parser, &owned))
        sips_msrp_connection_close_with_error (self, g_steal_pointer (&owned));
      else
        sips_msrp_connection_close_for (self, G_IO_ERROR_CLOSED,
                                        _("The peer closed the MSRP connection"));
      return FALSE;
    }
  if (!sips_msrp_parser_feed (self->parser, self->read_buffer, (gsize) n, &owned))
    {
      g_debug ("MSRP: framing lost: %s", owned->message);
      sips_msrp_connection_close_with_error (self, g_steal_pointer (&owned));
      return FALSE;
    }
  return !self->closed;
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SipsMsrpConnection) self = user_data;
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  self->reading = FALSE;
  if (self->closed)
    {
      g_clear_error (&error);
      return;
    }
  if (consume (self, n, error) && !self->paused)
    sips_msrp_connection_read_next (self);
}

void
sips_msrp_connection_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Pollable streams: read until nothing is left (or a burst's worth), in one dispatch. */
static gboolean
on_readable (GObject *stream, gpointer user_data)
{
  g_autoptr(SipsMsrpConnection) self = g_object_ref (user_data);
  gsize burst = 0;

  g_source_set_ready_time (self->read_source, -1);
  while (!self->closed && !self->paused)
    {
      GError *error = NULL;
      gssize n;

      if (burst >= READ_BURST)
        {
          /* come back at once: what TLS holds decoded may not show on the socket */
          g_source_set_ready_time (self->read_source, 0);
          return G_SOURCE_CONTINUE;
        }
      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream),
                                                    self->read_buffer, READ_SIZE, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (error);
          return G_SOURCE_CONTINUE;
        }
      if (!consume (self, n, error))
        break;
      burst += (gsize) n;
    }
  /* closed (the source is gone already) or paused */
  if (self->read_source != NULL)
    g_clear_pointer (&self->read_source, g_source_unref);
  self->reading = FALSE;
  return G_SOURCE_REMOVE;
}

void
sips_msrp_connection_read_next (SipsMsrpConnection *self)
{
  GInputStream *in = g_io_stream_get_input_stream (self->stream);

  if (G_IS_POLLABLE_INPUT_STREAM (in) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (in)))
    {
      if (self->read_source != NULL)
        return;
      self->reading = TRUE;
      self->read_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (in),
                                                                 NULL);
      g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_readable), self, NULL);
      g_source_set_ready_time (self->read_source, 0);  /* try at once: TLS may hold some */
      g_source_attach (self->read_source, g_main_context_get_thread_default ());
      return;
    }
  self->reading = TRUE;
  g_input_stream_read_async (in, self->read_buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                             self->cancellable, on_read, g_object_ref (self));
}

/* A frame is out. */
static void
written_one (SipsMsrpConnection *self)
{
  self->queued_bytes -= g_bytes_get_size (self->writing);
  g_clear_pointer (&self->writing, g_bytes_unref);
  self->write_offset = 0;
}

static void
on_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SipsMsrpConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);

  self->write_async = FALSE;
  if (self->writing != NULL)
    written_one (self);
  if (self->closed)
    return;
  if (!ok)
    {
      sips_msrp_connection_close_with_error (self, g_steal_pointer (&error));
      return;
    }
  sips_msrp_connection_write_next (self);
  sips_msrp_connection_emit_written (self);
}

/* Pollable streams: write what is queued until the stream is full (or a burst's worth),
 * in one dispatch; "written" once for the frames that went out. */
static gboolean
on_writable (GObject *stream, gpointer user_data)
{
  g_autoptr(SipsMsrpConnection) self = g_object_ref (user_data);
  gboolean out = FALSE;
  gsize burst = 0;

  g_source_set_ready_time (self->write_source, -1);
  while (!self->closed && burst < WRITE_BURST)
    {
      g_autoptr(GError) error = NULL;
      gsize size;
      const guint8 *data;
      gssize n;

      if (self->writing == NULL)
        {
          if (g_queue_is_empty (&self->write_queue))
            break;
          self->writing = g_queue_pop_head (&self->write_queue);
          self->write_offset = 0;
        }
      data = g_bytes_get_data (self->writing, &size);
      n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (stream),
                                                      data + self->write_offset,
                                                      size - self->write_offset, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n < 0)
        {
          sips_msrp_connection_close_with_error (self, g_steal_pointer (&error));
          break;
        }
      burst += (gsize) n;
      self->write_offset += (gsize) n;
      if (self->write_offset == size)
        {
          written_one (self);
          out = TRUE;
        }
    }
  if (out && !self->closed)
    sips_msrp_connection_emit_written (self);  /* may queue more */
  if (self->closed || (self->writing == NULL && g_queue_is_empty (&self->write_queue)))
    {
      if (self->write_source != NULL)
        g_clear_pointer (&self->write_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  if (burst >= WRITE_BURST)
    g_source_set_ready_time (self->write_source, 0);
  return G_SOURCE_CONTINUE;
}

void
sips_msrp_connection_write_next (SipsMsrpConnection *self)
{
  GOutputStream *out = g_io_stream_get_output_stream (self->stream);
  gsize size;
  gconstpointer data;

  if (self->closed || self->write_source != NULL || self->write_async ||
      (self->writing == NULL && g_queue_is_empty (&self->write_queue)))
    return;
  if (G_IS_POLLABLE_OUTPUT_STREAM (out) &&
      g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (out)))
    {
      self->write_source = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (out),
                                                                   NULL);
      g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_writable), self, NULL);
      g_source_attach (self->write_source, g_main_context_get_thread_default ());
      return;
    }
  if (self->writing == NULL)
    {
      self->writing = g_queue_pop_head (&self->write_queue);
      self->write_offset = 0;
    }
  data = g_bytes_get_data (self->writing, &size);
  self->write_async = TRUE;
  g_output_stream_write_all_async (out, (const guint8 *) data + self->write_offset,
                                   size - self->write_offset, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_written, g_object_ref (self));
}

