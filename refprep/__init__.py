"""refprep: character sheets and photos -> validated reference packages for AI video generators.

The Python API mirrors the CLI::

    import refprep
    result = refprep.build(["sheet.png"], out_dir="refprep-out")   # BuildResult
    print(result.status, result.package)
    report = refprep.check(["photo.jpg", pil_image, numpy_array])   # CheckReport
    print(report.images[0].status, report.as_dict())                # as_dict(): the --json document

Heavy libraries (onnxruntime, LiteRT, OpenCV) load only when a stage needs them.
"""

__version__ = "0.1.0"

_API = ("build", "check", "split", "clean", "pose", "validate", "request",
        "BuildResult", "CheckReport", "PoseReport", "SplitReport", "CleanReport", "ValidationReport",
        "VendorRequest",
        "ImageCheck", "ViewCheck", "ImagePose", "ViewPose", "SplitImage", "SplitView", "CleanImage", "CleanView")

_BATCH = ("build_batch", "BatchResult", "InputOutcome")


def __getattr__(name):
    if name in _BATCH:
        from . import batch

        return getattr(batch, name)
    if name == "ValidationReport":
        from .stages.validation import ValidationReport

        return ValidationReport
    if name == "VendorRequest":
        from .targets.requests import VendorRequest

        return VendorRequest
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'refprep' has no attribute {name!r}")


__all__ = [*_API, *_BATCH, "__version__"]
