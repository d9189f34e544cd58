/* sips-config-schema.c: the key tables of the configuration objects of the contract */
#include "sips-config-schema.h"

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include "core/sips-error.h"
#include "media/sips-audio-device-check.h"

/* Private helpers */

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
is_dns_name (const char *s)
{
  gsize len = strlen (s);
  gsize label = 0;

  if (len == 0 || len > 253)
    return FALSE;
  if (s[len - 1] == '.')   /* a fully qualified name */
    len--;
  if (len == 0)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '.')
        {
          if (label == 0 || s[i - 1] == '-')
            return FALSE;
          label = 0;
        }
      else if (g_ascii_isalnum (c) || c == '-')
        {
          if (label == 0 && c == '-')
            return FALSE;
          if (++label > 63)
            return FALSE;
        }
      else
        return FALSE;
    }

  return label > 0 && s[len - 1] != '-';
}

static gboolean
is_port_string (const char *s, gsize len)
{
  guint64 port = 0;

  if (len == 0 || len > 5)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      port = port * 10 + (guint64) (s[i] - '0');
    }
  return port >= 1 && port <= 65535;
}

/* "host", "host:port", "[v6]" or "[v6]:port" */
static gboolean
is_hostport (const char *s)
{
  const char *colon;

  if (s[0] == '[')
    {
      const char *end = strchr (s, ']');
      g_autofree char *inner = NULL;

      if (end == NULL)
        return FALSE;
      inner = g_strndup (s + 1, end - s - 1);
      if (strchr (inner, ':') == NULL || !g_hostname_is_ip_address (inner))
        return FALSE;
      if (end[1] == '\0')
        return TRUE;
      return end[1] == ':' && is_port_string (end + 2, strlen (end + 2));
    }

  colon = strchr (s, ':');
  if (colon == NULL)
    return sips_config_is_host (s);
  if (strchr (colon + 1, ':') != NULL)
    return FALSE;  /* a bare IPv6 address with a port is ambiguous: brackets needed */
  {
    g_autofree char *host = g_strndup (s, colon - s);
    return sips_config_is_host (host) && is_port_string (colon + 1, strlen (colon + 1));
  }
}

/* Parses a sip:/sips: URI with sofia; on success fills the lower-case scheme, user,
 * lower-case host (IPv6 with brackets) and port (NULL if absent). */
/* A transport parameter we cannot use would only fail later, on the network. */
static gboolean
has_known_transport (const url_t *url)
{
  char transport[16] = "";

  if (url->url_params == NULL || url_param (url->url_params, "transport", transport, sizeof transport) == 0)
    return TRUE;
  return g_ascii_strcasecmp (transport, "udp") == 0 || g_ascii_strcasecmp (transport, "tcp") == 0 ||
         g_ascii_strcasecmp (transport, "tls") == 0;
}

static gboolean
parse_sip_uri (const char *s, char **scheme, char **user, char **host, char **port)
{
  su_home_t *home;
  url_t *url;
  gboolean ok = FALSE;

  if (s == NULL || *s == '\0' || strpbrk (s, " \t\r\n") != NULL)
    return FALSE;

  home = su_home_new (sizeof (su_home_t));
  if (home == NULL)
    return FALSE;

  url = url_make (home, s);
  if (url != NULL &&
      (url->url_type == url_sip || url->url_type == url_sips) &&
      url->url_host != NULL && url->url_host[0] != '\0' &&
      (url->url_port == NULL || is_port_string (url->url_port, strlen (url->url_port))) &&
      (url->url_user == NULL || url->url_user[0] != '\0') &&
      has_known_transport (url))
    {
      const char *h = url->url_host;

      if (h[0] == '[')
        {
          gsize n = strlen (h);
          g_autofree char *inner = n > 2 && h[n - 1] == ']' ? g_strndup (h + 1, n - 2) : NULL;
          ok = inner != NULL && g_hostname_is_ip_address (inner);
        }
      else
        ok = sips_config_is_host (h);

      if (ok)
        {
          if (scheme)
            *scheme = g_strdup (url->url_type == url_sips ? "sips" : "sip");
          if (user)
            *user = g_strdup (url->url_user);
          if (host)
            *host = g_ascii_strdown (h, -1);
          if (port)
            *port = g_strdup (url->url_port);
        }
    }

  su_home_unref (home);
  return ok;
}

/* Validators */

static gboolean
validate_port (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  guint32 port = g_variant_get_uint32 (value);

  if (port > 65535)
    return invalid (error, _("%s: %u is not a port (0-65535)"), name, port);
  return TRUE;
}

static gboolean
validate_port_nonzero (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  guint32 port = g_variant_get_uint32 (value);

  if (port < 1 || port > 65535)
    return invalid (error, _("%s: %u is not a port (1-65535)"), name, port);
  return TRUE;
}

static gboolean
validate_rtp_port (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  guint32 port = g_variant_get_uint32 (value);
  gboolean is_min = g_str_equal (name, "RtpPortMin");
  const char *other = is_min ? "RtpPortMax" : "RtpPortMin";
  guint32 other_port;

  if (port < 1024 || port > 65535)
    return invalid (error, _("%s: %u is not an unprivileged port (1024-65535)"), name, port);

  /* At least one even RTP port and its RTCP neighbour must fit in the range. */
  other_port = sips_config_section_get_uint (section, other);
  if (is_min && (guint64) port + 2 > other_port)
    return invalid (error, _("%s: %u must be at least 2 below %s (%u)"), name, port, other, other_port);
  if (!is_min && (guint64) other_port + 2 > port)
    return invalid (error, _("%s: %u must be at least 2 above %s (%u)"), name, port, other, other_port);
  return TRUE;
}

static gboolean
validate_timeout (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  guint32 v = g_variant_get_uint32 (value);

  if (v > 3600)
    return invalid (error, _("%s: %u is out of range (0-3600 seconds)"), name, v);
  return TRUE;
}

static gboolean
validate_turn_transport (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (!g_str_equal (s, "udp") && !g_str_equal (s, "tcp") && !g_str_equal (s, "tls"))
    return invalid (error, _("%s: “%s” is not a transport (udp, tcp or tls)"), name, s);
  return TRUE;
}

static gboolean
validate_linger (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  guint32 v = g_variant_get_uint32 (value);

  if (v > 86400)
    return invalid (error, _("%s: %u is out of range (0-86400 seconds)"), name, v);
  return TRUE;
}

static gboolean
validate_interval (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  guint32 v = g_variant_get_uint32 (value);

  if (v < 60 || v > 86400)
    return invalid (error, _("%s: %u is out of range (60-86400 seconds)"), name, v);
  return TRUE;
}

/* Longest free text for a SIP header: a 1 MiB User-Agent made every request too big to send. */
#define MAX_TEXT_BYTES 512

/* Free text that ends up in SIP headers: no control characters (header injection). */
static gboolean
validate_text (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  gsize len;
  const char *s = g_variant_get_string (value, &len);

  if (len > MAX_TEXT_BYTES)
    return invalid (error, _("%s: longer than %d bytes"), name, MAX_TEXT_BYTES);
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return invalid (error, _("%s: control characters are not allowed"), name);
  return TRUE;
}

/* A password is opaque, but not a place to park megabytes in the configuration file. */
static gboolean
validate_secret (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  gsize len;

  g_variant_get_string (value, &len);
  if (len > 8 * MAX_TEXT_BYTES)
    return invalid (error, _("%s: longer than %d bytes"), name, 8 * MAX_TEXT_BYTES);
  return TRUE;
}

static gboolean
validate_ip_or_empty (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (*s != '\0' && !sips_config_is_ip_address (s))
    return invalid (error, _("%s: “%s” is not an IP address"), name, s);
  return TRUE;
}

static gboolean
validate_ip (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (!sips_config_is_ip_address (s))
    return invalid (error, _("%s: “%s” is not an IP address"), name, s);
  return TRUE;
}

static gboolean
validate_host_or_empty (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (*s != '\0' && !sips_config_is_host (s))
    return invalid (error, _("%s: “%s” is neither an IP address nor a host name"), name, s);
  return TRUE;
}

static gboolean
validate_file_or_empty (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (*s == '\0')
    return TRUE;
  /* relative would depend on the daemon's working directory */
  if (!g_path_is_absolute (s))
    return invalid (error, _("%s: “%s” is not an absolute path"), name, s);
  if (!g_file_test (s, G_FILE_TEST_IS_REGULAR) || access (s, R_OK) != 0)
    return invalid (error, _("%s: “%s” is not a readable file"), name, s);
  return TRUE;
}

static gboolean
validate_wav_or_empty (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);
  g_autoptr(GError) local_error = NULL;

  if (*s == '\0')
    return TRUE;
  if (!sips_config_is_readable_wav (s, &local_error))
    return invalid (error, "%s: %s", name, local_error->message);
  return TRUE;
}

static gboolean
validate_absolute_path (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (!g_path_is_absolute (s))
    return invalid (error, _("%s: “%s” is not an absolute path"), name, s);
  return TRUE;
}

static gboolean
validate_sip_address_or_empty (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);

  if (*s != '\0' && !sips_config_is_sip_address (s))
    return invalid (error, _("%s: “%s” is not a SIP address (user@domain)"), name, s);
  return TRUE;
}

static gboolean
validate_outbound_proxy (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);
  g_autofree char *uri = NULL;

  if (*s == '\0')
    return TRUE;

  /* host[:port] is taken as sip:host[:port] */
  if (g_ascii_strncasecmp (s, "sip:", 4) != 0 && g_ascii_strncasecmp (s, "sips:", 5) != 0)
    {
      if (!is_hostport (s))
        return invalid (error, _("%s: “%s” is neither a SIP URI nor host[:port]"), name, s);
      uri = g_strconcat ("sip:", s, NULL);
    }
  else
    uri = g_strdup (s);

  if (!sips_config_is_sip_uri (uri))
    return invalid (error, _("%s: “%s” is neither a SIP URI nor host[:port]"), name, s);
  return TRUE;
}

/* An Audio*Device: "" (the platform default) or a bin description that makes a device of
 * the right direction: AudioInputDevice a source, AudioOutputDevice/AudioAlertDevice sinks.
 * Checked in a child process while the daemon has no GStreamer loaded (see
 * media/sips-audio-device-check.c). */
static gboolean
validate_audio_device (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  const char *s = g_variant_get_string (value, NULL);
  gboolean is_source = g_str_equal (name, "AudioInputDevice");
  g_autoptr(GError) device_error = NULL;

  if (*s == '\0')
    return TRUE;

  if (sips_audio_device_check_isolated (s, is_source, &device_error))
    return TRUE;
  if (g_error_matches (device_error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED))
    return invalid (error, _("%s: GStreamer is not available to check “%s”"), name, s);
  return invalid (error, _("%s: “%s” is not a valid GStreamer %s: %s"), name, s,
                  is_source ? _("audio source") : _("audio sink"), device_error->message);
}

static const char * const known_codecs[] = { "opus", "G722", "PCMU", "PCMA", NULL };

static gboolean
validate_codecs (SipsConfigSection *section, const char *name, GVariant *value, GError **error)
{
  g_autofree const char **codecs = g_variant_get_strv (value, NULL);

  if (codecs[0] == NULL)
    return invalid (error, _("%s: at least one codec is needed"), name);

  for (gsize i = 0; codecs[i] != NULL; i++)
    {
      if (!g_strv_contains (known_codecs, codecs[i]))
        return invalid (error, _("%s: unknown codec “%s” (known: opus, G722, PCMU, PCMA)"),
                        name, codecs[i]);
      for (gsize j = 0; j < i; j++)
        if (g_str_equal (codecs[i], codecs[j]))
          return invalid (error, _("%s: codec “%s” is listed twice"), name, codecs[i]);
    }
  return TRUE;
}

/* Tables */

const SipsConfigKey sips_settings_keys[] = {
  { "UserAgent",               "s",  NULL,      0, validate_text },
  { "SipListenAddress",        "s",  "''",      0, validate_ip_or_empty },
  { "SipUdpPort",              "u",  "5060",    0, validate_port },
  { "SipTcpPort",              "u",  "5060",    0, validate_port },
  { "SipTlsPort",              "u",  "5061",    0, validate_port },
  { "TlsCaFile",               "s",  "''",      0, validate_file_or_empty },
  { "TlsCertificateFile",      "s",  "''",      0, validate_file_or_empty },
  { "TlsVerifyServer",         "b",  "true",    0, NULL },
  { "AudioInputDevice",        "s",  "''",      0, validate_audio_device },
  { "AudioOutputDevice",       "s",  "''",      0, validate_audio_device },
  { "AudioAlertDevice",        "s",  "''",      0, validate_audio_device },
  { "AudioCodecs",             "as", "['opus', 'G722', 'PCMU', 'PCMA']", 0, validate_codecs },
  { "RtpPortMin",              "u",  "50000",   0, validate_rtp_port },
  { "RtpPortMax",              "u",  "50500",   0, validate_rtp_port },
  { "RtpTimeout",              "u",  "30",      0, validate_timeout },
  { "RtpTimeoutEndsSession",   "b",  "true",    0, NULL },
  { "AnswerTimeout",           "u",  "120",     0, validate_timeout },
  { "RecordingsDirectory",     "s",  NULL,      0, validate_absolute_path },
  { "DownloadsDirectory",      "s",  NULL,      0, validate_absolute_path },
  { "TerminatedSessionLinger", "u",  "30",      0, validate_linger },
  { "DefaultAccount",          "s",  "''",      0, validate_sip_address_or_empty },
};
const gsize sips_settings_n_keys = G_N_ELEMENTS (sips_settings_keys);

const SipsConfigKey sips_ringtone_keys[] = {
  { "DefaultInboundRingtone",  "s",  "''",      0, validate_wav_or_empty },
  { "OutboundRingtone",        "s",  "''",      0, validate_wav_or_empty },
};
const gsize sips_ringtone_n_keys = G_N_ELEMENTS (sips_ringtone_keys);

const SipsConfigKey sips_rtp_keys[] = {
  { "LocalRtpAddress",         "s",  NULL,      0, validate_ip },
  { "UseSrtp",                 "b",  "false",   0, NULL },
  { "SrtpForced",              "b",  "false",   0, NULL },
  { "UseIce",                  "b",  "false",   0, NULL },
  { "IceStunAddress",          "s",  "''",      0, validate_host_or_empty },
  { "IceStunPort",             "u",  "3478",    0, validate_port_nonzero },
  { "IceTurnAddress",          "s",  "''",      0, validate_host_or_empty },
  { "IceTurnPort",             "u",  "3478",    0, validate_port_nonzero },
  { "IceTurnTransport",        "s",  "'udp'",   0, validate_turn_transport },
  { "IceTurnUsername",         "s",  "''",      0, validate_text },
  { "IceTurnPassword",         "s",  "''",      SIPS_CONFIG_KEY_SECRET, validate_text },
};
const gsize sips_rtp_n_keys = G_N_ELEMENTS (sips_rtp_keys);

const SipsConfigKey sips_msrp_keys[] = {
  { "LocalIp",                 "s",  "''",      0, validate_ip_or_empty },
  { "LocalPort",               "u",  "0",       0, validate_port },
  { "LocalUseTls",             "b",  "true",    0, NULL },
  { "UseRelayIncoming",        "b",  "true",    0, NULL },
  { "UseRelayOutgoing",        "b",  "false",   0, NULL },
  { "RelayHost",               "s",  "''",      0, validate_host_or_empty },
  { "RelayPort",               "u",  "0",       0, validate_port },
  { "RelayUseTls",             "b",  "true",    0, NULL },
};
const gsize sips_msrp_n_keys = G_N_ELEMENTS (sips_msrp_keys);

const SipsConfigKey sips_account_keys[] = {
  { "Enabled",                 "b",  "true",    0, NULL },
  { "DisplayName",             "s",  "''",      0, validate_text },
  { "AuthUsername",            "s",  "''",      0, validate_text },
  { "Password",                "s",  "''",      SIPS_CONFIG_KEY_SECRET, validate_secret },
  { "OutboundProxy",           "s",  "''",      0, validate_outbound_proxy },
  { "Register",                "b",  "true",    0, NULL },
  { "RegisterInterval",        "u",  "600",     0, validate_interval },
  { "PublishInterval",         "u",  "600",     0, validate_interval },
  { "SubscribeInterval",       "u",  "600",     0, validate_interval },
};
const gsize sips_account_n_keys = G_N_ELEMENTS (sips_account_keys);

/* Defaults */

static char *
default_outbound_ipv4 (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) target = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  /* connect() on a UDP socket only picks the route and source address; nothing is sent.
   * 192.0.2.1 is TEST-NET-1 (RFC 5737): it follows the default route. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (socket == NULL)
    return NULL;
  target = g_inet_address_new_from_string ("192.0.2.1");
  remote = g_inet_socket_address_new (target, 9);
  if (!g_socket_connect (socket, remote, NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (socket, NULL);
  if (local == NULL || !G_IS_INET_SOCKET_ADDRESS (local))
    return NULL;

  return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

GVariant *
sips_config_schema_default (const char *name, gpointer user_data)
{
  g_return_val_if_fail (name != NULL, NULL);

  if (g_str_equal (name, "UserAgent"))
    return g_variant_new_string ("sipsimpled/" PACKAGE_VERSION);

  if (g_str_equal (name, "LocalRtpAddress"))
    {
      g_autofree char *address = default_outbound_ipv4 ();

      if (address == NULL || g_str_equal (address, "0.0.0.0"))
        return g_variant_new_string ("127.0.0.1");
      return g_variant_new_string (address);
    }

  if (g_str_equal (name, "RecordingsDirectory"))
    {
      g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "sipsimpled", "recordings", NULL);
      return g_variant_new_string (dir);
    }

  if (g_str_equal (name, "DownloadsDirectory"))
    {
      const char *special = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
      g_autofree char *dir = NULL;

      if (special != NULL && g_path_is_absolute (special))
        dir = g_strdup (special);
      else
        dir = g_build_filename (g_get_home_dir (), "Downloads", NULL);
      return g_variant_new_string (dir);
    }

  return NULL;
}

/* Public validators */

gboolean
sips_config_is_ip_address (const char *s)
{
  g_autoptr(GInetAddress) address = NULL;

  if (s == NULL || *s == '\0')
    return FALSE;
  address = g_inet_address_new_from_string (s);
  return address != NULL;
}

gboolean
sips_config_is_host (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  return sips_config_is_ip_address (s) || is_dns_name (s);
}

gboolean
sips_config_is_readable_wav (const char *path, GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;
  guint8 header[12];
  gsize n_read = 0;

  if (path == NULL || *path == '\0')
    return invalid (error, _("No file name given"));
  /* relative would depend on the daemon's working directory */
  if (!g_path_is_absolute (path))
    return invalid (error, _("“%s” is not an absolute path"), path);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return invalid (error, _("“%s” is not a readable file"), path);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), header, sizeof header, &n_read, NULL, &local_error))
    return invalid (error, _("“%s” is not a readable file: %s"), path, local_error->message);

  if (n_read < sizeof header || memcmp (header, "RIFF", 4) != 0 || memcmp (header + 8, "WAVE", 4) != 0)
    return invalid (error, _("“%s” is not a WAV file"), path);
  return TRUE;
}

gboolean
sips_config_is_sip_address (const char *s)
{
  const char *at;

  if (s == NULL || *s == '\0')
    return FALSE;

  at = strchr (s, '@');
  if (at == NULL || at == s || strchr (at + 1, '@') != NULL)
    return FALSE;

  for (const char *p = s; p < at; p++)
    if (*p == ':' || g_ascii_isspace (*p) || (guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;

  return at[1] != '\0' && is_hostport (at + 1);
}

gboolean
sips_config_is_sip_uri (const char *s)
{
  return parse_sip_uri (s, NULL, NULL, NULL, NULL);
}

char *
sips_config_normalize_sip_uri (const char *s)
{
  g_autofree char *scheme = NULL;
  g_autofree char *user = NULL;
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;

  if (!parse_sip_uri (s, &scheme, &user, &host, &port))
    return NULL;

  return g_strdup_printf ("%s:%s%s%s%s%s", scheme,
                          user ? user : "", user ? "@" : "",
                          host,
                          port ? ":" : "", port ? port : "");
}

SipsConfigSection *
sips_config_schema_section_new (SipsConfigStore *store, const char *group)
{
  static const struct {
    const char          *group;
    const SipsConfigKey *keys;
    const gsize         *n_keys;
  } tables[] = {
    { SIPS_GROUP_SETTINGS,  sips_settings_keys, &sips_settings_n_keys },
    { SIPS_GROUP_RINGTONES, sips_ringtone_keys, &sips_ringtone_n_keys },
    { SIPS_GROUP_RTP,       sips_rtp_keys,      &sips_rtp_n_keys },
    { SIPS_GROUP_MSRP,      sips_msrp_keys,     &sips_msrp_n_keys },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    if (g_str_equal (group, tables[i].group))
      return sips_config_section_new (store, group, tables[i].keys, *tables[i].n_keys,
                                      sips_config_schema_default, NULL);

  if (g_str_equal (group, SIPS_GROUP_LOCAL_ACCOUNT) || g_str_has_prefix (group, SIPS_GROUP_ACCOUNT_PREFIX))
    return sips_config_section_new (store, group, sips_account_keys, sips_account_n_keys,
                                    sips_config_schema_default, NULL);
  return NULL;
}
