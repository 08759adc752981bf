"""The pipeline stages, one module each, plain dataclasses (``refprep.data``) in and out:
load -> split -> clean -> pose -> quality -> package (report, validation)."""
