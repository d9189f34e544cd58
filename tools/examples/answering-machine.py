#!/usr/bin/python3
"""answering-machine.py: a voice mailbox on sipsimpled, using only its D-Bus API.

Answers each incoming call after N seconds, plays a greeting, then records the caller's
message into a WAV named after the caller (e.g. alice-20261207-101500.wav). It hangs up
after M seconds of message or when the caller presses '#'; '1' plays the greeting again.

Run it against the daemon that `tools/run` started (in another terminal):

    tools/run                                   # prints an export line if it made a bus
    export DBUS_SESSION_BUS_ADDRESS=...         # that line, if it printed one
    tools/examples/answering-machine.py --greeting /usr/share/sounds/alsa/Front_Center.wav

then call the daemon (e.g. `sipsimplectl call sip:me@127.0.0.1:5060` from a second one).
Options: --answer-after N (3), --max-length M (60), --dir DIR (./messages), --address ADDR.
Needs python3-gi (Debian)."""

import argparse
import os
import re
import sys
import time

from gi.repository import Gio, GLib

NAME = 'org.sipsimple.Daemon1'
SESSION = 'org.sipsimple.Session1'


class Machine:
    def __init__(self, bus, args):
        self.bus, self.args = bus, args
        self.calls = {}   # session path -> {'recording': bool, 'timer': id}
        # every Session1 signal of the daemon comes to one handler
        bus.signal_subscribe(NAME, SESSION, None, None, None, Gio.DBusSignalFlags.NONE,
                             self.on_signal)

    def call(self, path, method, args=None):
        """A method of the session; errors are printed, not fatal (the caller may be gone)."""
        try:
            self.bus.call_sync(NAME, path, SESSION, method, args, None,
                               Gio.DBusCallFlags.NONE, 5000, None)
        except GLib.Error as e:
            print('%s %s: %s' % (path, method, e.message), file=sys.stderr)

    def prop(self, path, name):
        reply = self.bus.call_sync(NAME, path, 'org.freedesktop.DBus.Properties', 'Get',
                                   GLib.Variant('(ss)', (SESSION, name)), None,
                                   Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    def on_signal(self, bus, sender, path, iface, member, params):
        handler = {'NewIncoming': self.on_new_incoming, 'DidStart': self.on_did_start,
                   'DidStopPlayingAudioFile': self.on_did_stop_playing_audio_file,
                   'DidStartRecordingAudio': self.on_did_start_recording_audio,
                   'DidStopRecordingAudio': self.on_did_stop_recording_audio,
                   'GotDTMF': self.on_got_dtmf, 'DidEnd': self.on_did_end}.get(member)
        if handler is not None:
            handler(path, *params.unpack()[1:])   # the first argument is the timestamp

    def on_new_incoming(self, path, has_audio, has_chat):
        if not has_audio:
            return
        print('%s: incoming call from %s' % (path, self.prop(path, 'RemoteUri')))
        self.calls[path] = {'recording': False, 'timer': 0}
        GLib.timeout_add(int(self.args.answer_after * 1000), self.answer, path)

    def answer(self, path):
        if path in self.calls:
            self.call(path, 'Accept', GLib.Variant('(bb)', (True, False)))
        return GLib.SOURCE_REMOVE

    def play_greeting(self, path):
        self.call(path, 'PlayAudioFile', GLib.Variant('(sb)', (self.args.greeting, False)))

    def on_did_start(self, path):
        if path in self.calls:
            self.play_greeting(path)

    def on_did_stop_playing_audio_file(self, path, file, completed):
        call = self.calls.get(path)
        if call is None or call['recording']:
            return
        # the greeting is over: record the message, for at most max_length seconds
        user = re.sub(r'[^A-Za-z0-9._+-]', '_', self.prop(path, 'RemoteUri').split(':', 1)[-1].split('@')[0]) or 'unknown'
        name = '%s-%s.wav' % (user, time.strftime('%Y%m%d-%H%M%S'))
        self.call(path, 'StartRecordingAudio', GLib.Variant('(ss)', (self.args.dir, name)))
        call['recording'] = True
        call['timer'] = GLib.timeout_add(int(self.args.max_length * 1000), self.hang_up, path)

    def on_did_start_recording_audio(self, path, file_name):
        print('%s: recording the message into %s' % (path, file_name))
        sys.stdout.flush()

    def on_got_dtmf(self, path, digit):
        if path not in self.calls:
            return
        if digit == '#':
            self.hang_up(path)
        elif digit == '1':
            self.play_greeting(path)

    def hang_up(self, path):
        call = self.calls.get(path)
        if call is not None:
            call['timer'] = 0
            self.call(path, 'Terminate')
        return GLib.SOURCE_REMOVE

    def on_did_stop_recording_audio(self, path, file_name):
        print('%s: message saved as %s' % (path, file_name))
        sys.stdout.flush()

    def on_did_end(self, path, originator):
        call = self.calls.pop(path, None)
        if call is not None and call['timer']:
            GLib.source_remove(call['timer'])


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--greeting', required=True, help='sound file played to callers')
    p.add_argument('--dir', default='messages', help='where messages are recorded')
    p.add_argument('--answer-after', type=float, default=3, metavar='N')
    p.add_argument('--max-length', type=float, default=60, metavar='M')
    p.add_argument('--address', help='D-Bus address (default: the session bus)')
    args = p.parse_args()
    args.greeting = os.path.abspath(args.greeting)   # the daemon has its own directory
    args.dir = os.path.abspath(args.dir)
    os.makedirs(args.dir, exist_ok=True)
    if args.address:
        bus = Gio.DBusConnection.new_for_address_sync(
            args.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    else:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    Machine(bus, args)
    print('answering machine ready')
    sys.stdout.flush()
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
