"""gunicorn settings for the receiver, as production runs it (docs/webhook.md#running-it-in-production):

    gunicorn -c python:pipeline.webhook.gunicorn_conf --bind 0.0.0.0:8080 'pipeline.webhook:wsgi_app()'

gevent workers serve each connection on a greenlet, so a thousand slow or idle clients hold no thread and
/healthz still answers; sync or gthread workers give each connection a worker or thread until its request is read.
"""

# gevent's worker with a cap of open connections per client address (pipeline/webhook/worker.py).
worker_class = "pipeline.webhook.worker.ReceiverWorker"
# One process by default. With DATABASE_URL the ids of handled events and the coalescing windows are rows in
# PostgreSQL, and --workers N (or several instances) behave as one (docs/webhook.md#shared-state).
workers = 1
# Open connections the worker serves at once; past this, new ones wait in the listen backlog. The process needs
# this many file descriptors (`ulimit -n`), plus a few.
worker_connections = 4096
backlog = 2048
# Seconds the arbiter waits for a silent worker before restarting it, and for a graceful stop (trailing dispatches).
timeout = 30
graceful_timeout = 30
# Also the time a connection has to send its request line and headers (gunicorn's gevent worker reads them under
# it); the body then has PIPELINE_WEBHOOK_BODY_SECONDS.
keepalive = 5
accesslog = "-"
# No control socket (gunicorn 25.1+ opens one under $HOME by default): nothing here needs runtime management,
# and two receivers on one host would share its path.
control_socket_disable = True
