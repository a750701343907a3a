"""gunicorn settings for production: gunicorn -c config/gunicorn.conf.py 'fundpool:create_app()'"""

import multiprocessing

from fundpool.serving import WORKER_TIMEOUT

bind = "127.0.0.1:8000"  # behind a reverse proxy that terminates TLS
workers = 2 * multiprocessing.cpu_count() + 1
timeout = WORKER_TIMEOUT  # an on-demand matching run at city scale took up to 69 s, busy
accesslog = None  # fundpool writes its own JSON access log with request ids
errorlog = "-"
control_socket_disable = True
preload_app = False  # each worker opens its own database connections after the fork
