#!/usr/bin/python3
"""A stand-in desktop notification server for the GUI tests.

Owns org.freedesktop.Notifications on the session bus (run it under
dbus-run-session) and appends one JSON line per Notify call to the file
given: {"id", "app_name", "summary", "body", "icon", "urgency", "actions"}.
It shows nothing; libnotify (which wxNotificationMessage uses on GTK) talks
to it exactly as to a real one (GetServerInfo, GetCapabilities, Notify,
CloseNotification).

    notification_server.py RECORD_FILE [READY_FILE] [--click-first]

READY_FILE is created once the name is owned. --click-first: a second after
the first notification that offers an action, its first action is invoked
(the ActionInvoked signal, as when the user clicks it); recorded as a line
{"invoked": id, "action": key}.
"""
import json
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="Notify">
      <arg type="s" name="app_name" direction="in"/>
      <arg type="u" name="replaces_id" direction="in"/>
      <arg type="s" name="app_icon" direction="in"/>
      <arg type="s" name="summary" direction="in"/>
      <arg type="s" name="body" direction="in"/>
      <arg type="as" name="actions" direction="in"/>
      <arg type="a{sv}" name="hints" direction="in"/>
      <arg type="i" name="expire_timeout" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" name="id" direction="in"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""

args = [a for a in sys.argv[1:] if not a.startswith("--")]
click_first = "--click-first" in sys.argv
record_path = args[0]
ready_path = args[1] if len(args) > 1 else None
next_id = [0]
clicked = [False]


def record(entry):
    with open(record_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def click(conn, nid, action):
    conn.emit_signal(None, "/org/freedesktop/Notifications", "org.freedesktop.Notifications", "ActionInvoked",
                     GLib.Variant("(us)", (nid, action)))
    record({"invoked": nid, "action": action})
    return False


def on_call(conn, sender, path, iface, method, params, invocation):
    if method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body", "actions", "icon-static"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("mailporter-test", "MailPorter", "1", "1.2")))
    elif method == "CloseNotification":
        invocation.return_value(None)
    elif method == "Notify":
        app_name, replaces, icon, summary, body, actions, hints, timeout = params.unpack()
        next_id[0] += 1
        nid = replaces or next_id[0]
        urgency = hints.get("urgency")
        record({"id": nid, "app_name": app_name, "summary": summary, "body": body, "icon": icon,
                "urgency": urgency, "actions": list(actions)})
        invocation.return_value(GLib.Variant("(u)", (nid,)))
        if click_first and actions and not clicked[0]:
            clicked[0] = True
            GLib.timeout_add(1000, click, conn, nid, actions[0])
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


def on_bus(conn, name):
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], on_call, None, None)


def on_name(conn, name):
    if ready_path:
        open(ready_path, "w").close()


def on_lost(conn, name):
    sys.stderr.write("notification_server: could not own %s\n" % name)
    sys.exit(1)


Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE,
                 on_bus, on_name, on_lost)
GLib.MainLoop().run()
