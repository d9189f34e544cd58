#!/usr/bin/python3
"""chat-echo-bot.py: accepts every chat session and answers each message with its echo,
showing that it is typing first (RFC 3994 is-composing), using only sipsimpled's D-Bus API.

Run it against the daemon that `tools/run` started:

    tools/run
    export DBUS_SESSION_BUS_ADDRESS=...         # the line tools/run printed, if any
    tools/examples/chat-echo-bot.py

then chat with it from another daemon: `sipsimplectl chat sip:bot@127.0.0.1:5060`.
Options: --address ADDR (a D-Bus address instead of the session bus). Needs python3-gi."""

import argparse
import sys

from gi.repository import Gio, GLib

NAME = 'org.sipsimple.Daemon1'
SESSION = 'org.sipsimple.Session1'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--address', help='D-Bus address (default: the session bus)')
    args = p.parse_args()
    if args.address:
        bus = Gio.DBusConnection.new_for_address_sync(
            args.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    else:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION)

    def call(path, method, sig, *values):
        try:
            bus.call_sync(NAME, path, SESSION, method, GLib.Variant(sig, values), None,
                          Gio.DBusCallFlags.NONE, 5000, None)
        except GLib.Error as e:       # the peer may have gone meanwhile
            print('%s %s: %s' % (path, method, e.message), file=sys.stderr)

    def on_signal(bus, sender, path, iface, member, params):
        if member == 'NewIncoming':
            _, has_audio, has_chat = params.unpack()
            if has_chat:
                call(path, 'Accept', '(bb)', False, True)   # chat only
        elif member == 'GotMessage':
            _, content, content_type, headers, message_id = params.unpack()
            if not content_type.startswith('text/'):
                return
            print('%s: %r' % (path, content))
            sys.stdout.flush()
            call(path, 'SendComposingIndication', '(s)', 'active')
            call(path, 'SendMessage', '(sssx)', 'echo: ' + content, content_type, '', 0)

    bus.signal_subscribe(NAME, SESSION, None, None, None, Gio.DBusSignalFlags.NONE, on_signal)
    print('chat echo bot ready')
    sys.stdout.flush()
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
