"""The Dask executor of ``refprep batch`` (``pip install "refprep[dask]"``; imported only with
``--executor dask``).

The client reads each sheet and sends its bytes with the task; a worker writes them into a
temporary folder under their own names, runs ``batch.package_character`` with models a
``WorkerPlugin`` loaded once for that worker, and returns the package's files as bytes. The
client writes every package into the output folder (all or nothing), so workers need refprep
and its models, not the client's file system.
"""

from __future__ import annotations

import tempfile
import threading
from itertools import count
from pathlib import Path
from typing import Iterator

from distributed import WorkerPlugin

from .api import BuildSettings, Pipeline, available_cores
from .batch import FAILED, BatchInput, BatchSettings, Packaged, package_character
from .errors import RefprepError, printable
from .thresholds import DASK_MEMORY_MONITOR_S, DASK_SHEETS_PER_WORKER_THREAD, DASK_SYSTEM_MONITOR_S, DASK_TICK_S

PLUGIN_NAME = "refprep-models"


class ModelsPerWorker(WorkerPlugin):
    """The model sessions of a Dask worker, opened on its first sheet and kept for the rest
    (one ``Pipeline`` per worker thread: the runtimes are not shared between threads).
    ``threads`` caps each runtime's threads (None: their default, every core)."""

    name = PLUGIN_NAME

    def __init__(self, settings: BuildSettings, threads: int | None = None):
        self.settings = settings
        self.threads = threads
        self._local = threading.local()
        self._pipelines: list[Pipeline] = []

    def __getstate__(self):
        return {"settings": self.settings, "threads": self.threads}

    def __setstate__(self, state):
        self.__init__(state["settings"], state["threads"])

    def setup(self, worker) -> None:
        if self.threads:
            import cv2

            cv2.setNumThreads(self.threads)

    def pipeline(self) -> Pipeline:
        if getattr(self._local, "pipeline", None) is None:
            self._local.pipeline = Pipeline(self.settings.model, device=self.settings.device, threads=self.threads)
            self._pipelines.append(self._local.pipeline)
        return self._local.pipeline

    def teardown(self, worker) -> None:
        for pipeline in self._pipelines:
            pipeline.close()
        self._pipelines.clear()


def package_on_worker(item: BatchInput, files: list[tuple[str, bytes]], settings: BatchSettings) -> Packaged:
    """A Dask task: ``item``'s images (``files``, name and bytes) packaged on this worker."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN_NAME]
    with tempfile.TemporaryDirectory(prefix="refprep-batch-") as folder:
        paths = []
        for name, data in files:
            paths.append(Path(folder) / name)
            paths[-1].write_bytes(data)
        return package_character(plugin.pipeline(), item, tuple(paths), settings)


def run_on_dask(items: list[BatchInput], settings: BatchSettings, jobs: int,
                scheduler: str | None) -> Iterator[Packaged]:
    """``items`` packaged on the cluster at ``scheduler`` (or on a LocalCluster of ``jobs``
    single-threaded workers), yielded as each finishes. A sheet that makes its task fail (its
    worker died on it more than Dask's allowed failures) fails that sheet only."""
    from distributed import Client, LocalCluster, as_completed

    if not items:
        return
    cluster = None
    if scheduler is None:
        import dask

        # Dask sets MALLOC_TRIM_THRESHOLD_ for its workers; any fixed value turns off glibc's
        # adaptive mmap threshold, so every large array the stages allocate becomes a fresh
        # mmap with its pages faulted in again: more CPU than the local pool for the same work.
        # Its statistical profiler (for a dashboard that is not started) samples every 10 ms;
        # its monitors and work stealing wake every 20-500 ms. A worker is given one sheet at a
        # time, the next when it is free (as the local pool's workers take them), so none waits
        # behind a long sheet while another is idle and nothing needs stealing.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                              "distributed.worker.profile.enabled": False,
                              "distributed.admin.tick.interval": f"{DASK_TICK_S}s",
                              "distributed.admin.system-monitor.interval": f"{DASK_SYSTEM_MONITOR_S}s",
                              "distributed.worker.memory.monitor-interval": f"{DASK_MEMORY_MONITOR_S}s",
                              "distributed.scheduler.worker-saturation": 1.0,
                              "distributed.scheduler.work-stealing": False}):
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        threads = max(1, available_cores() // jobs)
    else:
        threads = None
    try:
        client = Client(cluster or scheduler)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise RefprepError(f"{scheduler}: cannot reach the Dask scheduler ({printable(exc)})") from None
    try:
        client.register_plugin(ModelsPerWorker(settings.build, threads))
        worker_threads = sum(worker["nthreads"] for worker in client.scheduler_info()["workers"].values())
        queue, numbers = iter(items), count()
        sent: dict[str, BatchInput] = {}
        unsent: list[Packaged] = []

        def send(wanted: int) -> list:
            """Up to ``wanted`` more sheets sent, with their bytes; one that cannot be read
            fails here."""
            futures = []
            for item in queue:
                try:
                    files = [(path.name, path.read_bytes()) for path in item.paths]
                except OSError as exc:
                    unsent.append(Packaged(item.file, FAILED, 0.0, error=f"cannot read ({exc.strerror or exc})"))
                    continue
                futures.append(client.submit(package_on_worker, item, files, settings, pure=False,
                                             key=f"refprep-batch-{next(numbers)}-{item.sha256[:16]}"))
                sent[futures[-1].key] = item
                if len(futures) == wanted:
                    break
            return futures

        running = as_completed(send(DASK_SHEETS_PER_WORKER_THREAD * max(1, worker_threads)))
        yield from _drain(unsent)
        for future in running:
            item = sent.pop(future.key)
            try:
                packaged = future.result()
            except Exception as exc:  # noqa: BLE001  the task failed on the cluster: this sheet only
                packaged = Packaged(item.file, FAILED, 0.0,
                                    error=f"failed on the Dask cluster ({type(exc).__name__}: {printable(exc)[:200]})")
            future.release()
            for following in send(1):
                running.add(following)
            yield packaged
            yield from _drain(unsent)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _drain(found: list[Packaged]) -> Iterator[Packaged]:
    while found:
        yield found.pop(0)
