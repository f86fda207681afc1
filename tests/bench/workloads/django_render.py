# An ordinary web workload: a Django page served the way `manage.py runserver` serves
# it (Debian's python3-django, Django's own threaded WSGI server, a thread per
# connection), rendering a template of a 100-row table with filters, a cycle and an
# if per row, for CLIENTS client processes that each make their requests one after the
# other on fresh connections.  The clients are this script too (--client), children of
# the server process, so their CPU and context switches are counted with its own.  They
# start before the wait and begin at a line on their stdin: a server's clients are no
# new processes, and pyprofd's young-process time (a wakeup and code snapshots per
# sample, a cost of starting) would otherwise be half of the timed part for them.
# argv: requests per client, seconds to wait before the timed part (for pyprofd to
# profile the processes and to be past their young-process time).
# Prints "wall-seconds switches".
import http.client
import os
import resource
import subprocess
import sys
import threading
import time

CLIENTS = 4
TEMPLATE = """<html><head><title>{{ title }}</title></head><body>
<h1>{{ title|title }}</h1>
<table>{% for r in rows %}
<tr class="{% cycle 'odd' 'even' %}"><td>{{ forloop.counter }}</td><td>{{ r.name|upper }}</td>
<td>{{ r.price|floatformat:2 }}</td><td>{{ r.when|date:"Y-m-d H:i" }}</td>
<td>{% if r.stock > 10 %}in stock{% elif r.stock %}{{ r.stock }} left{% else %}sold out{% endif %}</td>
<td>{{ r.tags|join:", "|truncatechars:24 }}</td></tr>{% endfor %}
</table></body></html>"""


def client(port, n):
    for _ in range(n):
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read()
        assert r.status == 200 and b"</table>" in body, (r.status, body[:200])
        c.close()


def serve():
    import datetime
    from django.conf import settings
    settings.configure(
        DEBUG=False, ALLOWED_HOSTS=["127.0.0.1"], ROOT_URLCONF=__name__, INSTALLED_APPS=[],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader",
                                             {"page.html": TEMPLATE})]}}])
    import django
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.shortcuts import render
    from django.urls import path

    now = datetime.datetime(2026, 12, 1, 9, 30)
    rows = [{"name": "item-%d" % i, "price": i * 1.25, "when": now, "stock": i % 13,
             "tags": ["tag%d" % j for j in range(i % 5)]} for i in range(100)]

    def page(request):
        return render(request, "page.html", {"title": "inventory", "rows": rows})

    global urlpatterns
    urlpatterns = [path("", page)]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    srv = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    srv.set_app(WSGIHandler())
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def switches(who):
    ru = resource.getrusage(who)
    return ru.ru_nvcsw + ru.ru_nivcsw


def main():
    n = int(sys.argv[1])
    warm = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    srv = serve()
    port = srv.server_address[1]
    client(port, 20)  # warm up: templates compiled, code paths taken
    kids = [subprocess.Popen([sys.executable, __file__, "--client", str(port), str(n)],
                             stdin=subprocess.PIPE) for _ in range(CLIENTS)]
    time.sleep(warm)  # not timed
    s0 = switches(resource.RUSAGE_SELF) + switches(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    for k in kids:
        k.stdin.write(b"go\n")
        k.stdin.close()
    for k in kids:
        if k.wait() != 0:
            sys.exit("client failed: %d" % k.returncode)
    t1 = time.monotonic()
    s1 = switches(resource.RUSAGE_SELF) + switches(resource.RUSAGE_CHILDREN)
    srv.shutdown()
    print("%.6f %d" % (t1 - t0, s1 - s0), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--client":
        sys.stdin.readline()
        client(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
