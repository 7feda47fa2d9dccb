"""`ray`: each trial a Ray task that asks the cluster for the CPUs, memory and GPUs its manifest names.

Without an address a local cluster is started with this machine's CPUs and the GPUs nvidia-smi lists. Workers write
results straight into the runs folder (on a cluster it must be a path every node sees, with working `flock`). A
worker that dies mid-trial is retried by Ray; the retry takes over the dead worker's claim (see
`runner.trials._claims`), reaps its containers, and records the attempt, so no trial is lost or run twice.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

from runner.hardware import Gpu, detect_gpus
from runner.results import TrialResult
from runner.trials import (
    BatchReport,
    ClaimOutcome,
    RunSettings,
    TrialRequest,
    pending_requests,
    record_outcome,
    run_claimed,
)

from ._base import Executor, ExecutorError, OnDone, check_gpus, executor

# Ray retries a task whose worker died this many times before the driver gives the trial up as lost (for this run).
WORKER_RETRIES = 3
# A retry can start before the kernel has released the dead worker's lock; wait this long for it before "busy".
CLAIM_WAIT_S = 10.0
_GIB = 1024**3
_TOKEN_HINT = (
    "a cluster started with RAY_AUTH_MODE=token needs the same on the driver, with the cluster's token in "
    "RAY_AUTH_TOKEN, a file named by RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token (`ray get-auth-token` on the head "
    "prints it; see docs/scale.md)"
)


def _portable(settings: RunSettings) -> dict[str, Any]:
    """The settings a worker needs, picklable (the stop event and callbacks stay with the driver), paths absolute."""
    return {
        "runs_dir": settings.runs_dir.resolve(),
        "backend": settings.backend,
        "cache_root": settings.cache_root.resolve() if settings.cache_root else None,
        "validation": settings.validation,
        "medal_round_to": settings.medal_round_to,
        "retries": settings.retries,
        "run_config": settings.run_config,
    }


def _trial_task(
    request: TrialRequest, settings_fields: dict[str, Any], wants_gpu: bool
) -> tuple[TrialResult | None, ClaimOutcome]:
    """Runs on a Ray worker: claim and run one trial with the GPUs Ray assigned to this task."""
    import ray

    settings = RunSettings(**settings_fields)
    gpu_ids = tuple(str(index) for index in ray.get_gpu_ids()) if wants_gpu else ()
    return run_claimed(request, settings, gpu_ids=gpu_ids, wait_s=CLAIM_WAIT_S)


def _unreachable(address: str) -> str | None:
    """Why a `host:port` address does not answer (Ray itself would retry for minutes); None when it does, or when the
    address is another form (`auto`, `ray://...`) Ray resolves itself."""
    host, _, port = address.rpartition(":")
    if not host or "/" in host or not port.isdigit():
        return None
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        return f"{error.strerror or error}"
    return None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ExecutorError("--executor ray needs Ray: pip install 'ray>=2.9'") from None
    return ray


@executor("ray")
class RayExecutor(Executor):
    """A Ray cluster: `address` of a running one, else a local cluster started (and stopped) here."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self._started = False

    def _connect(self) -> Any:
        ray = _import_ray()
        if ray.is_initialized():
            return ray
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        try:
            if self.address:
                reason = _unreachable(self.address)
                if reason is not None:
                    raise ConnectionError(f"{reason}; start one there with `ray start --head --port PORT`")
                ray.init(address=self.address, **options)
            else:
                cpus = self.num_cpus or os.cpu_count() or 1
                # "local": a new cluster of our own, never one a `ray start` left running (or its stale address file).
                ray.init(address="local", num_cpus=cpus, num_gpus=len(detect_gpus()), **options)
                self._started = True
        except getattr(ray.exceptions, "AuthenticationError", ()) as error:  # Ray < 2.52 has no token auth
            # Token authentication (Ray >= 2.52): the driver needs the cluster's token, as Ray's docs say.
            raise ExecutorError(
                f"the Ray cluster at {self.address} refused this driver: {str(error.message).split('. ')[0]}; "
                f"{_TOKEN_HINT}"
            ) from None
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray cluster"
            raise ExecutorError(f"cannot start or reach {where}: {error}") from None
        return ray

    def _largest_node(self, ray: Any) -> dict[str, float]:
        nodes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
        if not nodes:
            raise ExecutorError("the Ray cluster has no live node")
        return {name: max(node.get(name, 0.0) for node in nodes) for name in ("CPU", "memory", "GPU")}

    def _node_gpus(self, ray: Any) -> list[Gpu]:
        count = int(self._largest_node(ray)["GPU"])
        if self._started:
            return detect_gpus()[:count]
        # A remote node's GPU memory is not known here: the memory floor is checked on the node by its sandbox.
        return [Gpu(index=str(index), name="Ray GPU", memory_gb=float("inf")) for index in range(count)]

    def check(self, requests: Sequence[TrialRequest], backend: str) -> None:
        if not self.address and not self._started:
            # The local cluster will get exactly the GPUs found here; no need to start it just to ask.
            check_gpus(requests, detect_gpus(), backend=backend, where="this machine")
            return
        ray = self._connect()
        check_gpus(requests, self._node_gpus(ray), backend=backend, where="the largest node of the Ray cluster")

    def _options(self, request: TrialRequest, largest: dict[str, float]) -> dict[str, Any]:
        resources = request.manifest.resources
        # A request bigger than every node would wait forever: cap it at the largest node, so it runs alone there
        # (the sandbox still enforces the manifest's own limits).
        options: dict[str, Any] = {
            "num_cpus": min(resources.cpus, largest["CPU"]),
            "memory": int(min(resources.memory_gb * _GIB, largest["memory"] or resources.memory_gb * _GIB)),
            "max_retries": WORKER_RETRIES,
            "retry_exceptions": False,
            "name": f"trial {request.key.trial_id}",
        }
        if resources.gpus and largest["GPU"] >= 1:
            options["num_gpus"] = resources.gpu_fraction or resources.gpus
        return options

    def run(
        self, requests: Sequence[TrialRequest], settings: RunSettings, *, jobs: int | None, on_done: OnDone | None
    ) -> BatchReport:
        self.check(requests, settings.backend)
        report = BatchReport()
        pending = pending_requests(requests, settings, report, on_done)
        if not pending:
            return report  # all finished earlier: no cluster to start
        ray = self._connect()
        try:
            return self._run(ray, pending, settings, jobs, on_done, report)
        finally:
            if self._started:
                ray.shutdown()
                self._started = False

    def _run(
        self,
        ray: Any,
        requests: Sequence[TrialRequest],
        settings: RunSettings,
        jobs: int | None,
        on_done: OnDone | None,
        report: BatchReport,
    ) -> BatchReport:
        waiting = list(reversed(requests))
        largest = self._largest_node(ray)
        task = ray.remote(_trial_task)
        in_flight: dict[Any, TrialRequest] = {}
        try:
            while waiting or in_flight:
                while waiting and (jobs is None or len(in_flight) < jobs):
                    request = waiting.pop()
                    options = self._options(request, largest)
                    ref = task.options(**options).remote(request, _portable(settings), "num_gpus" in options)
                    in_flight[ref] = request
                done, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.5)
                for ref in done:
                    request = in_flight.pop(ref)
                    try:
                        result, how = ray.get(ref)
                    except ray.exceptions.RayError:
                        result, how = None, "lost"
                    record_outcome(report, request, result, how, on_done)
        except KeyboardInterrupt:
            report.interrupted = True
            settings.stop.set()
            for ref in in_flight:
                ray.cancel(ref, force=True)
        return report
