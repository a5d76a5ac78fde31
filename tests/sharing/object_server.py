"""A small object store over HTTP for the sharing tests: GET and HEAD serve files under --root, PUT
writes them (atomically, as a WebDAV-style store would), on 127.0.0.1 and a free port.

--mode good   serves what is there
--mode wrong  answers every GET with 200 and other bytes (a mirror serving the wrong object)
--mode error  answers every request with 500 (a mirror that is down)
--mode auth   as good, but a PUT without basic credentials publisher:s3cret is 401

The port goes to --port-file once the socket listens, so the test never races the start.
Run with Debian's /usr/bin/python3; only the standard library.
"""
import argparse
import base64
import http.server
import os
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--mode", choices=["good", "wrong", "error", "auth"], default="good")
    options = parser.parse_args()
    root = os.path.realpath(options.root)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _path(self):
            relative = self.path.split("?", 1)[0].lstrip("/")
            path = os.path.realpath(os.path.join(root, relative))
            if path != root and not path.startswith(root + os.sep):
                return None
            return path

        def _answer(self, code, body=b""):
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            if options.mode == "error":
                return self._answer(500, b"down\n")
            if options.mode == "wrong":
                return self._answer(200, b"this is not the object you asked for\n")
            path = self._path()
            if path is None or not os.path.isfile(path):
                return self._answer(404, b"not found\n")
            with open(path, "rb") as f:
                self._answer(200, f.read())

        do_HEAD = do_GET

        def do_PUT(self):
            if options.mode == "error":
                return self._answer(500, b"down\n")
            if options.mode == "auth" and self.headers.get("Authorization") != "Basic " + base64.b64encode(b"publisher:s3cret").decode():
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                return self._answer(401, b"who are you\n")
            path = self._path()
            if path is None:
                return self._answer(403)
            length = int(self.headers.get("Content-Length", "0"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
            with os.fdopen(descriptor, "wb") as f:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    f.write(chunk)
                    remaining -= len(chunk)
            if remaining != 0:
                os.unlink(temporary)
                return self._answer(400, b"short body\n")
            os.replace(temporary, path)
            self._answer(201)

        def log_message(self, format, *args):
            sys.stderr.write("object_server: " + (format % args) + "\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(options.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(options.port_file + ".tmp", options.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
