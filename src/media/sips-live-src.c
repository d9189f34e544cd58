/* sips-live-src.c: the pad and events of our thread-less live sources */
#include "media/sips-live-src.h"

GstPad *
sips_live_src_add_pad (GstElement *element, GstStaticPadTemplate *tmpl, GstPadQueryFunction query_func)
{
  GstPad *pad = gst_pad_new_from_static_template (tmpl, "src");

  gst_pad_set_query_function (pad, query_func);
  gst_pad_use_fixed_caps (pad);
  gst_element_add_pad (element, pad);
  GST_OBJECT_FLAG_SET (element, GST_ELEMENT_FLAG_SOURCE);
  return pad;
}

gboolean
sips_live_src_query (GstPad *pad, GstObject *parent, GstQuery *query, GstCaps *caps)
{
  switch (GST_QUERY_TYPE (query))
    {
    case GST_QUERY_LATENCY:
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS:
      {
        GstCaps *filter = NULL;
        g_autoptr(GstCaps) result = caps != NULL ? gst_caps_ref (caps) : gst_caps_new_any ();

        gst_query_parse_caps (query, &filter);
        if (filter != NULL)
          {
            GstCaps *both = gst_caps_intersect_full (filter, result, GST_CAPS_INTERSECT_FIRST);

            gst_caps_unref (result);
            result = both;
          }
        gst_query_set_caps_result (query, result);
        return TRUE;
      }
    default:
      return gst_pad_query_default (pad, parent, query);
    }
}

GstStateChangeReturn
sips_live_src_change_state (GstElement *element, GstStateChange transition, GstElementClass *parent_class,
                            gboolean *started, void (*start) (GstElement *element),
                            void (*stop) (GstElement *element))
{
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    *started = FALSE;
  else if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    stop (element);
  ret = parent_class->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING)
    start (element);
  else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    return GST_STATE_CHANGE_NO_PREROLL;  /* live: nothing to preroll */
  return ret;
}

void
sips_live_src_push_stream_start (GstElement *element, GstPad *pad, GstCaps *caps)
{
  g_autofree char *stream_id = gst_pad_create_stream_id (pad, element, NULL);
  GstSegment segment;

  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  if (caps != NULL)
    gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}
