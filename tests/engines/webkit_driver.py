#!/usr/bin/python3
# A WebKitGTK browser the engine tests remote-control: a 390×844 GTK window with one WebView
# (Safari's engine), the media stream on, camera permission granted (GRADCAP_DENY_CAMERA=1:
# refused), and the script in the file named by INIT_JS injected at document start in every
# frame. It reads one JSON command a line
# on stdin and answers one JSON line on stdout, with the command's "id":
#   {"id": 1, "cmd": "load", "url": "http://127.0.0.1:…/"}      -> {"id": 1}
#   {"id": 2, "cmd": "eval", "js": "document.title"}             -> {"id": 2, "value": <JSON>}
#   {"id": 3, "cmd": "snapshot", "path": "/tmp/x.png"}           -> {"id": 3}
#   {"id": 4, "cmd": "choose", "files": ["/tmp/a.png"]}         -> {"id": 4}
#   {"id": 5, "cmd": "quit"}
# ("choose" names the files the next file chooser the page opens is answered with, as a student
# picking them from the album would; without it a chooser is cancelled.)
# An exception in the page comes back as {"id": …, "error": "…"}. Runs under Debian's
# /usr/bin/python3 (python3-gi, gir1.2-webkit2-4.1) with DISPLAY set (Xvfb).
import json
import os
import sys

import gi

gi.require_version('Gtk', '3.0')
gi.require_version('WebKit2', '4.1')
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

WIDTH, HEIGHT = 390, 844


def reply(message):
    sys.stdout.write(json.dumps(message) + '\n')
    sys.stdout.flush()


window = Gtk.Window()
window.set_default_size(WIDTH, HEIGHT)
view = WebKit2.WebView()
settings = view.get_settings()
settings.set_enable_media_stream(True)
settings.set_enable_mock_capture_devices(True)
settings.set_media_playback_requires_user_gesture(False)
settings.set_enable_write_console_messages_to_stdout(False)


DENY = os.environ.get('GRADCAP_DENY_CAMERA') == '1'


def on_permission(_view, request):
    # The camera granted, or with GRADCAP_DENY_CAMERA=1 refused as a student refusing the prompt.
    if DENY and isinstance(request, WebKit2.UserMediaPermissionRequest):
        request.deny()
    else:
        request.allow()
    return True


view.connect('permission-request', on_permission)

CHOSEN = []


def on_file_chooser(_view, request):
    # The files of the last "choose" command, once; otherwise the chooser is cancelled.
    if CHOSEN:
        request.select_files(CHOSEN[:])
        CHOSEN.clear()
    else:
        request.cancel()
    return True


view.connect('run-file-chooser', on_file_chooser)
view.connect('web-process-terminated', lambda _v, reason: reply({'event': 'terminated', 'reason': int(reason)}))
init = os.environ.get('INIT_JS')
if init:
    with open(init, encoding='utf-8') as f:
        view.get_user_content_manager().add_script(WebKit2.UserScript.new(
            f.read(), WebKit2.UserContentInjectedFrames.ALL_FRAMES,
            WebKit2.UserScriptInjectionTime.START, None, None))
window.add(view)
window.show_all()


def run(command):
    ident, cmd = command.get('id'), command.get('cmd')
    if cmd == 'load':
        view.load_uri(command['url'])
        reply({'id': ident})
    elif cmd == 'eval':
        def done(v, result):
            try:
                value = v.evaluate_javascript_finish(result)
                text = value.to_json(0) if not value.is_undefined() else 'null'
                reply({'id': ident, 'value': json.loads(text) if text else None})
            except Exception as e:  # a JS exception or an unserialisable value
                reply({'id': ident, 'error': str(e)})
        view.evaluate_javascript(command['js'], -1, None, None, None, done)
    elif cmd == 'snapshot':
        def shot(v, result):
            try:
                v.get_snapshot_finish(result).write_to_png(command['path'])
                reply({'id': ident})
            except Exception as e:
                reply({'id': ident, 'error': str(e)})
        view.get_snapshot(WebKit2.SnapshotRegion.VISIBLE, WebKit2.SnapshotOptions.NONE, None, shot)
    elif cmd == 'choose':
        CHOSEN[:] = command['files']
        reply({'id': ident})
    elif cmd == 'quit':
        Gtk.main_quit()
    else:
        reply({'id': ident, 'error': f'unknown command {cmd!r}'})


def on_stdin(channel, condition):
    if condition & (GLib.IO_HUP | GLib.IO_ERR):
        Gtk.main_quit()
        return False
    line = channel.readline()
    if not line:
        Gtk.main_quit()
        return False
    try:
        run(json.loads(line))
    except Exception as e:
        reply({'error': str(e)})
    return True


GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
reply({'event': 'ready'})
Gtk.main()
