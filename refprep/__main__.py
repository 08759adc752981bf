"""``python -m refprep`` and the ``refprep`` command run the CLI."""

import os
import signal
import sys

# Exit codes of a run that was interrupted (130, Ctrl-C) or terminated (128 + SIGTERM/SIGHUP).
INTERRUPTED = {128 + signal.SIGINT, 128 + signal.SIGTERM, *([128 + signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])}


def run() -> None:
    """The CLI, with Ctrl-C handled from the first instant: while the command line's modules
    load it exits 130 quietly (Python would print a traceback), and once the command has
    finished and the process is only exiting, another Ctrl-C is ignored.

    An interrupted run ends with os._exit once its own cleanup has run: the interpreter's
    finalisation would wait for the model libraries' threads and, where an interrupt passed
    through one of them (pybind11 runs Python code), turn the exit code 130 into death by
    SIGINT."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted_while_starting)
    from .cli import main

    if previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, previous)
    # A file name that is not valid UTF-8 (Latin-1 bytes from an old archive) is printed with
    # backslash escapes rather than stopping the command with a UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    try:
        main()
    except SystemExit as exc:
        if exc.code in INTERRUPTED:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(exc.code)
        raise
    finally:
        if previous is signal.default_int_handler:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupted_while_starting(signum, frame):
    sys.stderr.write("refprep: interrupted\n")
    sys.exit(130)


if __name__ == "__main__":
    run()
