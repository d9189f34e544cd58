#!/usr/bin/python3
"""monitor-to-json.py: every signal of sipsimpled as one JSON object per line on stdout,
for log shippers (jq, Vector, Fluent Bit, journald via systemd-cat...).

    {"time": "2026-12-07T10:15:00.123456+00:00", "path": "/org/sipsimple/Session/3",
     "interface": "org.sipsimple.Session1", "signal": "DidStart", "args": [1765102500123456]}

Run it against the daemon that `tools/run` started:

    tools/run
    export DBUS_SESSION_BUS_ADDRESS=...         # the line tools/run printed, if any
    tools/examples/monitor-to-json.py | jq .

Covers the org.sipsimple interfaces, PropertiesChanged and the ObjectManager's
InterfacesAdded/InterfacesRemoved. Options: --address ADDR. Needs python3-gi."""

import argparse
import base64
import datetime
import json
import sys

from gi.repository import Gio, GLib

NAME = 'org.sipsimple.Daemon1'


def plain(value):
    """GVariant contents (already unpacked) made JSON-able."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, GLib.Variant):
        return plain(value.unpack())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


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

    def on_signal(bus, sender, path, iface, member, params):
        line = {'time': datetime.datetime.now(datetime.timezone.utc).isoformat(),
                'path': path, 'interface': iface, 'signal': member,
                'args': plain(params.unpack())}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + '\n')
        sys.stdout.flush()

    # sender = the daemon's name: GDBus follows its owner, also across restarts
    bus.signal_subscribe(NAME, None, None, None, None, Gio.DBusSignalFlags.NONE, on_signal)
    try:
        GLib.MainLoop().run()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
