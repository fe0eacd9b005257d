"""The Celery app. Configuration comes from Django settings (``CELERY_`` namespace)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("kefu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_broker_folders(sender, **kwargs):
    """The filesystem transport needs its folders to exist before anyone publishes."""
    options = sender.conf.broker_transport_options or {}
    for key in (
        "data_folder_in",
        "data_folder_out",
        "processed_folder",
        "control_folder",
    ):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = str(sender.conf.result_backend or "")
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    beat_file = sender.conf.beat_schedule_filename
    if beat_file:
        Path(beat_file).parent.mkdir(parents=True, exist_ok=True)


@app.task(name="kefu.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Proves the worker and beat are alive; returns a fixed word."""
    return "pong"
