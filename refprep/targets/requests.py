"""Requests: a package's images as the JSON body a generator's API takes.

One ``Vendor`` per preset with an API: where the body goes, how it carries an image inline
(a ``data:`` URI, bare base64, or not at all: URLs only) and how the images sit in the body
(Kling's element_image_list, Runway's referenceImages, Vidu's subjects, ...). Each body is
checked against the JSON Schema shipped beside this module (``schemas/PRESET.json``, written
from the vendor's documentation, which it names) and against the preset's request limits.
Nothing is sent: no network, no upload, no key. The body holds the images only; the prompt,
the model and the other settings are the caller's to add.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from ..errors import RequestRefused, UsageError
from ..targets.presets import MB, PRESETS, Preset, get_preset

MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class RequestImage:
    """One package image as the request refers to it: ``ref`` is its URL or its inline form."""

    file: str
    view: str
    slot: str
    format: str
    ref: str

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


@dataclass
class VendorRequest:
    """What ``refprep request`` makes of a package: the body to send (``body``), where to send
    it, the schema it was checked against and how each image went in."""

    package: str
    preset: str
    endpoint: str
    schema: str
    images: list[dict]
    body: dict

    def as_dict(self) -> dict:
        return {"package": self.package, "preset": self.preset, "endpoint": self.endpoint, "schema": self.schema,
                "images": self.images, "body": self.body}


@dataclass(frozen=True)
class Vendor:
    endpoint: str
    # How an image goes inline: "data_uri" (data:image/png;base64,...), "base64" (bare), or
    # None where the API takes URLs only.
    inline: str | None
    # URL schemes the API fetches images from.
    url_schemes: tuple[str, ...]
    body: Callable[[list[RequestImage], str], dict]


# Runway's tag: 3-16 letters, digits or underscores, starting with a letter.
_RUNWAY_TAGS = {"front": "front", "three_quarter_left": "quarter_left", "three_quarter_right": "quarter_right",
                "side_left": "side_left", "side_right": "side_right", "back": "back"}


def _runway_tags(images: list[RequestImage]) -> list[str]:
    tags: list[str] = []
    for position, image in enumerate(images, 1):
        tag = _RUNWAY_TAGS.get(image.view, f"view{position}")
        tags.append(tag if tag not in tags else f"{tag[:12]}_{position}")
    return tags


def _prompt_name(name: str) -> str:
    """The package's name as a name the prompt can refer to (@hero): letters, digits, '_'."""
    cleaned = re.sub(r"\W+", "_", name, flags=re.ASCII).strip("_")
    return cleaned if cleaned[:1].isalpha() else f"subject_{cleaned}".rstrip("_")


def _kling_element(images, name):
    return {"element_image_list": {"frontal_image": images[0].ref,
                                   "refer_images": [{"image_url": image.ref} for image in images[1:]]}}


def _vidu(images, name):
    return {"subjects": [{"id": _prompt_name(name), "images": [image.ref for image in images]}]}


def _hailuo(images, name):
    return {"subject_reference": [{"type": "character", "image": [image.ref for image in images]}]}


def _veo(images, name):
    def image_part(image):
        key = "gcsUri" if image.ref.startswith("gs://") else "bytesBase64Encoded"
        return {key: image.ref, "mimeType": image.mime_type}

    return {"instances": [{"referenceImages": [{"image": image_part(image), "referenceType": "asset"}
                                               for image in images]}]}


_HTTP = ("https", "http")
VENDORS: dict[str, Vendor] = {
    "kling-element": Vendor("POST https://api-singapore.klingai.com/v1/general/advanced-custom-elements",
                            "base64", _HTTP, _kling_element),
    "kling-omni": Vendor("POST https://api-singapore.klingai.com/v1/videos/omni-video", "base64", _HTTP,
                         lambda images, name: {"image_list": [{"image_url": image.ref} for image in images]}),
    "kling-4": Vendor("POST https://api-singapore.klingai.com (Kling 4.0 contents[])", "base64", _HTTP,
                      lambda images, name: {"contents": [{"type": "image", "image_url": image.ref} for image in images]}),
    "runway-gen4": Vendor("POST https://api.dev.runwayml.com/v1/text_to_image", "data_uri", ("https",),
                          lambda images, name: {"referenceImages": [{"uri": image.ref, "tag": tag} for image, tag
                                                                    in zip(images, _runway_tags(images))]}),
    "vidu-q2": Vendor("POST https://api.vidu.com/ent/v2/reference2video", "data_uri", _HTTP, _vidu),
    "vidu-q4": Vendor("POST https://api.vidu.com/ent/v2/reference2video", "data_uri", _HTTP, _vidu),
    "hailuo-s2v": Vendor("POST https://api.minimax.io/v1/video_generation", "data_uri", _HTTP, _hailuo),
    "hailuo-h3": Vendor("POST https://api.minimax.io/v1/video_generation", "data_uri", _HTTP, _hailuo),
    "veo-3.1": Vendor("POST https://generativelanguage.googleapis.com/v1beta/models/"
                      "veo-3.1-generate-preview:predictLongRunning", "base64", ("gs",), _veo),
    "seedance-2": Vendor("POST https://ark.ap-southeast.bytepluses.com/api/v3/contents/generations/tasks",
                         "data_uri", _HTTP,
                         lambda images, name: {"content": [{"type": "image_url", "image_url": {"url": image.ref},
                                                            "role": "reference_image"} for image in images]}),
    "wan-2.7": Vendor("POST https://dashscope-intl.aliyuncs.com/api/v1/services/aigc/video-generation/"
                      "video-synthesis", None, _HTTP,
                      lambda images, name: {"input": {"media": [{"type": "reference_image", "url": image.ref}
                                                                for image in images]}}),
    "pixverse-v6": Vendor("POST https://app-api.pixverse.ai/openapi/v2/video/fusion/generate", None, _HTTP,
                          lambda images, name: {"image_references": [
                              {"type": "subject", "image": image.ref, "ref_name": f"{_prompt_name(name)}_{position}"}
                              for position, image in enumerate(images, 1)]}),
}


@lru_cache(maxsize=None)
def request_schema(preset_name: str) -> dict:
    """The JSON Schema of ``preset_name``'s request body (shipped in refprep/targets/schemas/)."""
    text = resources.files("refprep.targets").joinpath("schemas", f"{preset_name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def vendor_for(preset: Preset) -> Vendor:
    try:
        return VENDORS[preset.name]
    except KeyError:
        with_api = ", ".join(name for name in PRESETS if name in VENDORS)
        raise UsageError(f"preset {preset.name} is no generator's API, so it has no request body: choose one of "
                         f"{with_api}") from None


def image_ref(file: str, data: bytes, fmt: str, vendor: Vendor, url_prefix: str | None) -> str:
    """How the request carries one image: its URL under ``url_prefix``, or inline."""
    if url_prefix is not None:
        return f"{url_prefix.rstrip('/')}/{quote(file)}"
    encoded = base64.b64encode(data).decode("ascii")
    if vendor.inline == "base64":
        return encoded
    return f"data:{MIME_TYPES[fmt]};base64,{encoded}"


def check_url_prefix(url_prefix: str, vendor: Vendor, preset: Preset) -> None:
    scheme = url_prefix.split("://", 1)[0].lower() if "://" in url_prefix else ""
    if scheme not in vendor.url_schemes or not url_prefix.split("://", 1)[1].strip("/"):
        wanted = " or ".join(f"{s}://" for s in vendor.url_schemes)
        raise UsageError(f"--image-url-prefix {url_prefix!r}: preset {preset.name}'s API fetches images from "
                         f"{wanted} URLs")


def limit_problems(images: list[RequestImage], body: dict, preset: Preset, inline: bool) -> list[str]:
    """The preset's request limits the body breaks, one sentence each."""
    problems = []
    if inline and preset.max_data_uri_bytes is not None:
        for image in images:
            if len(image.ref) > preset.max_data_uri_bytes:
                problems.append(f"{image.file} is {len(image.ref) / MB:.2f} MB as a data URI, over preset "
                                f"{preset.name}'s {preset.max_data_uri_bytes / MB:.2f} MB limit (rule data_uri); "
                                "send it by URL with --image-url-prefix")
    size = len(json.dumps(body).encode("utf-8"))
    if preset.max_request_bytes is not None and size > preset.max_request_bytes:
        how = "; send the images by URL with --image-url-prefix" if inline else ""
        problems.append(f"the request body is {size / MB:.2f} MB, over preset {preset.name}'s "
                        f"{preset.max_request_bytes / MB:.2f} MB limit (rule request_bytes){how}")
    return problems


def schema_problems(body: dict, preset: Preset) -> list[str]:
    """Where the body breaks the vendor's schema (each image string shortened in the message)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(request_schema(preset.name))
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        value = error.instance if not isinstance(error.instance, str) else error.instance[:60]
        problems.append(f"{where or 'body'}: {error.validator} {error.validator_value!r} not met by "
                        f"{json.dumps(value)[:120]} (schema {preset.name}.json)")
    return problems


def vendor_request(package: Path, preset_name: str, image_url_prefix: str | None = None) -> VendorRequest:
    """The request for the images of ``package``: endpoint, schema, images and body.

    The package must pass ``preset_name``'s rules (``refprep validate --preset``); otherwise,
    or when the body breaks the preset's request limits or the vendor's schema, RequestRefused.
    """
    from ..stages.validation import read_package, validate_package

    preset = get_preset(preset_name)
    vendor = vendor_for(preset)
    if image_url_prefix is not None:
        check_url_prefix(image_url_prefix, vendor, preset)
    elif vendor.inline is None:
        raise UsageError(f"preset {preset.name}'s API fetches images by URL only: upload the package's images and "
                         "give their folder's address with --image-url-prefix")
    verdict = validate_package(package, preset.name)
    if verdict.status != "valid":
        more = f" (and {len(verdict.problems) - 1} more)" if len(verdict.problems) > 1 else ""
        raise RequestRefused(f"{package}: does not pass preset {preset.name}: {verdict.problems[0]}{more}; "
                             f"build it with --preset {preset.name}")
    files = read_package(package)
    manifest = json.loads(files["manifest.json"])
    images = [RequestImage(entry["file"], entry["view"], entry["slot"], entry["format"],
                           image_ref(entry["file"], files[entry["file"]], entry["format"], vendor, image_url_prefix))
              for entry in manifest["views"]]
    body = vendor.body(images, manifest["name"])
    problems = limit_problems(images, body, preset, inline=image_url_prefix is None) + schema_problems(body, preset)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RequestRefused(f"{package}: {problems[0]}{more}")
    return VendorRequest(str(package), preset.name, vendor.endpoint, f"refprep/targets/schemas/{preset.name}.json",
                         [{"file": image.file, "view": image.view, "slot": image.slot,
                           "sent_as": "url" if image_url_prefix is not None else vendor.inline} for image in images],
                         body)
