# A web-like process: a threaded HTTP server on localhost rendering a small page
# (~1 ms of string work per request) for 4 keep-alive clients in the same process.
# argv: requests, seconds to wait before the timed part (default 1: for pyprofd to
# profile the process).  Prints "wall-seconds switches".
import http.client
import http.server
import os
import resource
import sys
import threading
import time

N = int(sys.argv[1])
WARM = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
CLIENTS = 4


def render(n):
    rows = ["<tr><td>%d</td><td>%s</td></tr>" % (i, ("item-%d" % i).upper()) for i in range(n)]
    return ("<html><body><table>%s</table></body></html>" % "".join(rows)).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        body = render(400)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def client(port, n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("GET", "/")
        c.getresponse().read()
    c.close()
    count_switches()


SWITCHES = []


def count_switches():
    """Adds the calling thread's context switches (it ends right after)."""
    ru = resource.getrusage(resource.RUSAGE_THREAD)
    SWITCHES.append(ru.ru_nvcsw + ru.ru_nivcsw)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
client(srv.server_address[1], 20)  # warm up
time.sleep(WARM)  # not timed
t0 = time.monotonic()
cs = [threading.Thread(target=client, args=(srv.server_address[1], N // CLIENTS))
      for _ in range(CLIENTS)]
for c in cs:
    c.start()
for c in cs:
    c.join()
print("%.6f %d" % (time.monotonic() - t0, sum(SWITCHES)))
