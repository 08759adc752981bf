"""Interrupting a real `refprep build` at random moments (Ctrl-C and SIGKILL): afterwards the
package is the old one, intact, or a complete new one that validates -- never a mix, never a
half-written visible folder; Ctrl-C exits 130 with one short line and no traceback; what a killed
run leaves behind (hidden) is removed by the next run into the same folder.

Half the interrupts land at a uniformly random moment of the run; half at a random moment of the
window where the package is written and swapped in, which lasts a few milliseconds on a local
disk: those runs simulate a slow disk (a ``sitecustomize`` on the child's path makes each file
write and folder sync 30 ms slower; nothing else changes) and the signal goes 0-200 ms after the
package's hidden temporary folder appears. The default test
does a few; ``-m slow`` runs 20 (the issue's target: 0 half-written packages).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import refprep
from refprep.stages import package as pk

from conftest import FIXTURES

SHEET = FIXTURES / "single_front_white.png"  # one view, the whole pipeline (u2netp, face models)
OLD_INPUT = FIXTURES / "formats" / "figure_rgba.png"
# Python is still starting (before refprep's own handler is in place) for the first few tens of
# milliseconds; a Ctrl-C then is the interpreter's. Interrupts start after this.
STARTED_S = 0.3
# With the slow disk, writing the package's files and swapping it in takes ~200 ms from the
# moment its temporary folder appears; "write" interrupts land at a random moment of it.
WRITE_WINDOW_S = 0.2
SLOW_DISK = """
import time
import refprep.stages.package as _package

def _slowly(real):
    def slow(*args, **kwargs):
        time.sleep(0.03)
        return real(*args, **kwargs)
    return slow

_package._write_synced = _slowly(_package._write_synced)
_package._fsync_dir = _slowly(_package._fsync_dir)
"""


@pytest.fixture(scope="module")
def slow_disk(tmp_path_factory) -> dict:
    """The environment for a child whose package writes are slow (see the module's doc)."""
    folder = tmp_path_factory.mktemp("slow_disk")
    (folder / "sitecustomize.py").write_text(SLOW_DISK)
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


@pytest.fixture(scope="module")
def old_package(tmp_path_factory) -> Path:
    """A package named hero built from another input: what --force replaces."""
    out = tmp_path_factory.mktemp("old")
    refprep.build([OLD_INPUT], out_dir=out, name="hero")
    return out / "hero"


@pytest.fixture(scope="module")
def run_seconds(tmp_path_factory) -> float:
    out = tmp_path_factory.mktemp("timing")
    start = time.perf_counter()
    subprocess.run(build_command(out, force=False), capture_output=True, timeout=300, check=False)
    return time.perf_counter() - start


def _sigint_as_from_a_terminal() -> None:
    """A terminal's shell starts a command with Ctrl-C at its default. A background job of a
    script (how CI may start pytest) passes SIGINT on ignored, and refprep then rightly keeps
    ignoring it, so each build here starts as from a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def build_command(out: Path, force: bool) -> list[str]:
    return [sys.executable, "-m", "refprep", "build", str(SHEET), "-o", str(out), "--name", "hero",
            *(["--force"] if force else [])]


def interrupt(out: Path, sig: int, moment: str, delay: float, force: bool, env: dict | None = None) -> dict:
    """Start a build, send ``sig`` at ``delay`` seconds ("uniform") or ``delay`` seconds after
    the package's temporary folder appears ("write"), and return what happened."""
    proc = subprocess.Popen(build_command(out, force), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            preexec_fn=_sigint_as_from_a_terminal)
    lines: list[str] = []

    def read_stderr():
        for raw in proc.stderr:
            lines.append(raw.decode("utf-8", "replace"))
        proc.stderr.close()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    started = time.perf_counter()
    if moment == "write":
        # The package's hidden temporary folder appearing starts the write window.
        deadline = time.perf_counter() + 300
        while proc.poll() is None and time.perf_counter() < deadline and not _staging(out):
            time.sleep(0.0005)
    time.sleep(delay)
    sent_at = time.perf_counter() - started
    writing = _staging(out)
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = "hang"
    reader.join(timeout=10)
    return {"signal": signal.Signals(sig).name, "moment": moment, "at_s": round(sent_at, 3), "exit": code,
            "while_writing": writing, "stderr": "".join(lines)}


def _staging(out: Path) -> bool:
    return any(name.endswith(".refprep-new") for name in os.listdir(out))


def package_state(target: Path, old_manifest: bytes | None) -> str:
    """'absent', 'old' (byte-identical manifest, every file as listed) or 'new' (validates
    against its own manifest); anything else fails the test."""
    if not os.path.lexists(target):
        return "absent"
    manifest_bytes = (target / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    report = refprep.validate(target)
    assert report.problems == manifest["problems"], f"the package at {target} does not validate: {report.problems}"
    if old_manifest is not None and manifest_bytes == old_manifest:
        return "old"
    assert manifest["sources"][0]["file"] == SHEET.name, manifest["sources"]
    return "new"


def plan(count: int, seed: int) -> list[tuple[int, str, bool, float]]:
    """(signal, moment, replace an existing package, delay) for each trial: every combination
    of Ctrl-C / SIGKILL, uniform / write moment, new / replaced package in turn."""
    rng = random.Random(seed)
    trials = []
    for trial in range(count):
        sig = (signal.SIGINT, signal.SIGKILL)[trial % 2]
        moment = ("write", "uniform")[(trial // 2) % 2]
        replace = (trial // 4) % 2 == 0
        trials.append((sig, moment, replace, rng.uniform(0, WRITE_WINDOW_S) if moment == "write" else None))
    return trials


def run_interrupts(count: int, tmp_path: Path, old_package: Path, run_seconds: float, seed: int,
                   slow_disk: dict) -> list[dict]:
    rng = random.Random(seed + 1)
    results = []
    for trial, (sig, moment, replace, delay) in enumerate(plan(count, seed)):
        if delay is None:
            delay = rng.uniform(STARTED_S, run_seconds)
        out = tmp_path / f"trial{trial:02d}"
        out.mkdir()
        old_manifest = None
        if replace:
            shutil.copytree(old_package, out / "hero")
            old_manifest = (out / "hero" / "manifest.json").read_bytes()
        outcome = interrupt(out, sig, moment, delay, force=replace, env=slow_disk if moment == "write" else None)
        outcome["trial"], outcome["replace"] = trial, replace
        target = out / "hero"
        outcome["state"] = package_state(target, old_manifest)
        hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
        outcome["left_hidden"] = hidden
        # What a killed run left is cleaned up (and nothing else changed) by the next run there.
        pk.write_files(out / "next", [("x.txt", b"x")])
        outcome["after_next_run"] = package_state(target, old_manifest)
        outcome["hidden_after_next_run"] = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
        results.append(outcome)
    return results


def check_results(results: list[dict]) -> None:
    for r in results:
        label = f"trial {r['trial']} ({r['signal']} {r['moment']} at {r['at_s']} s, replace={r['replace']})"
        assert r["exit"] != "hang", f"{label}: the build did not end after the signal"
        assert "Traceback" not in r["stderr"], f"{label}: {r['stderr']}"
        if r["signal"] == "SIGINT":
            assert r["exit"] in (0, 1, 130), f"{label}: exit {r['exit']}: {r['stderr']}"
            if r["exit"] == 130:
                assert r["stderr"].strip().splitlines()[-1] == "refprep: interrupted", f"{label}: {r['stderr']}"
            assert r["left_hidden"] == [], f"{label}: Ctrl-C left {r['left_hidden']}"
        else:
            assert r["exit"] in (0, 1, -signal.SIGKILL), f"{label}: exit {r['exit']}"
        allowed = ("old", "new") if r["replace"] else ("absent", "new")
        assert r["state"] in allowed, f"{label}: {r['state']}"
        if r["exit"] in (0, 1):
            assert r["state"] == "new", f"{label}: exit {r['exit']} but the package is {r['state']}"
        assert r["after_next_run"] == r["state"], f"{label}: the next run changed {r['state']} to {r['after_next_run']}"
        assert r["hidden_after_next_run"] == [], f"{label}: still left {r['hidden_after_next_run']}"


def test_a_few_interrupts_leave_old_or_new(tmp_path, old_package, run_seconds, slow_disk):
    results = run_interrupts(4, tmp_path, old_package, run_seconds, seed=1, slow_disk=slow_disk)
    check_results(results)


@pytest.mark.slow
def test_twenty_random_interrupts(tmp_path, old_package, run_seconds, slow_disk):
    results = run_interrupts(20, tmp_path, old_package, run_seconds, seed=20, slow_disk=slow_disk)
    summary = [{k: r[k] for k in ("trial", "signal", "moment", "at_s", "while_writing", "replace", "exit", "state",
                                  "left_hidden")} for r in results]
    print(json.dumps(summary, indent=1))
    check_results(results)


def test_ctrl_c_exits_130_with_one_line(tmp_path, run_seconds):
    proc = subprocess.Popen(build_command(tmp_path, force=False), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_sigint_as_from_a_terminal)
    time.sleep(run_seconds / 2)  # halfway through a real run, whatever this machine's speed
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "refprep: interrupted" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_sigterm_cleans_up_and_exits_143(tmp_path, run_seconds):
    proc = subprocess.Popen(build_command(tmp_path, force=False), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(run_seconds / 2)  # halfway through a real run, whatever this machine's speed
    proc.terminate()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == "refprep: terminated" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_signal_while_model_sessions_are_dropped_waits_for_them():
    """Ctrl-C landing in a finalizer would be swallowed by Python ("Exception ignored");
    dropping the sessions holds it and delivers it right after."""
    from refprep.errors import deliver, signals_deferred

    seen = []

    def handler(signum, frame):
        def stop():
            seen.append("delivered")
            raise KeyboardInterrupt

        deliver(stop)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                seen.append("block ended")
        assert seen == ["block ended", "delivered"]
    finally:
        signal.signal(signal.SIGINT, previous)
