"""Waiting on a local server: each call asks a socket server on 127.0.0.1
(another process, started by the items function) for a record that takes
it 15 ms to answer, then decodes it.

    gilsim record fetch:fetch --items fetch:requests --path examples/record
"""
import atexit
import json
import os
import socket
import subprocess
import sys

SERVER = r'''
import socket, sys, threading, time, json
def serve(conn):
    with conn:
        key = conn.recv(64).decode()
        time.sleep(0.015)
        conn.sendall(json.dumps({"key": key, "values": list(range(200))}).encode() + b"\n")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'''

_server = None


def _port():
    global _server
    if _server is None:
        _server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE)
        atexit.register(_server.kill)
        _server.port = int(_server.stdout.readline())
    return _server.port


def requests(count=48):
    """(port, key) of each request; starts the server."""
    port = _port()
    return [(port, "item-%d" % i) for i in range(count)]


def fetch(request):
    """Sends the key, reads the answer, sums its values."""
    port, key = request
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(key.encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    record = json.loads(data)
    return record["key"], sum(record["values"])
