"""Production server: gunicorn (threaded workers) serving the WSGI app, static files by WhiteNoise."""

import os
import sys

from gunicorn.app.base import BaseApplication


class _App(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from baton.wsgi import application

        return application


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 2, with_worker: bool = True) -> None:
    def post_fork(server, worker):
        # A capture makes ~25 short database calls; a thread coming back from one waits for the GIL until
        # the running thread's switch interval ends (5 ms by default), so a neighbour busy in Python adds
        # up to that much per call. 1 ms: `baton bench capture` on PostgreSQL, p50 38 → 32 ms.
        sys.setswitchinterval(0.001)
        # Only the first worker runs the in-process sweeps (embedded mode: one command runs everything).
        if with_worker and worker.age == 1:
            from baton.worker import start_in_thread

            start_in_thread()

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": int(os.environ.get("BATON_THREADS", "4")),
        "worker_class": "gthread",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "timeout": 60,
        "post_fork": post_fork,
        "preload_app": False,
    }
    _App(options).run()
