#!/usr/bin/env python3
"""Trains ONNX Studio's sample model: a small ResNet-style CNN worth compressing.

The first sample (the 16 KB digits classifier in electron/engine/testing/fixtures/digits) runs in 0.03 ms, so
every compressed variant of it was slower than the original: at that scale the per-call cost of quantize and
dequantize outweighs the arithmetic. This one has about 2.7 MB of float32 weights and some 100 million
multiply-adds per image, which is the scale where int8 and fp16 pay off, and it still trains in a few minutes
on two CPU cores.

Data: scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes; it ships with the package), upsampled
to 32x32 (bilinear), trained with random shifts so the network must learn shapes rather than pixels.

Made with Debian's python3-torch, python3-sklearn and python3-numpy; the product never runs Python. Re-run
from this folder with `python3 train_sample.py` (deterministic on one machine; another machine or library
version may train slightly different weights, which is fine: commit the new files together so sample.json
always describes model.onnx).

Files written here:
  digits-resnet.onnx    input `image` float32 [batch, 1, 32, 32] -> output `logits` float32 [batch, 10]
  test-inputs.npy       the held-out images, each shifted by up to 3 pixels, float32 [360, 1, 32, 32] in [0, 1]
  test-labels.npy       their digits, int64 [360]
  calib-inputs.npy      128 shifted training images (no labels) for int8-static calibration, float32 [128, 1, 32, 32]
  sample.json           what this script measured on the held-out split and how the model was made
"""
import json
import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
OPSET = 13
SIZE = 32
# Channels of the first stage (then 2x and 4x): about 2.7 MB of float32 weights and 100 million multiply-adds.
WIDTH = 48
EPOCHS = 24
CALIB_SAMPLES = 128
HERE = os.path.dirname(os.path.abspath(__file__))

torch.manual_seed(SEED)
torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (a 1x1 convolution when the width or the stride changes)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class DigitsResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        w = WIDTH
        self.stem = nn.Sequential(nn.Conv2d(1, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.stages = nn.Sequential(BasicBlock(w, w, 1), BasicBlock(w, 2 * w, 2), BasicBlock(2 * w, 4 * w, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * w, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def upsample(images: np.ndarray) -> np.ndarray:
    """8x8 digits (values 0..16) -> float32 [n, 1, 32, 32] in [0, 1]."""
    x = torch.from_numpy((images.astype(np.float32) / np.float32(16)).reshape(-1, 1, 8, 8))
    return F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False).clamp(0, 1).numpy()


def shifted(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image moved by up to 3 pixels in each direction (zero fill), a cheap augmentation."""
    padded = F.pad(batch, (3, 3, 3, 3))
    out = torch.empty_like(batch)
    offsets = torch.randint(0, 7, (len(batch), 2), generator=generator)
    for i, (dy, dx) in enumerate(offsets.tolist()):
        out[i] = padded[i, :, dy:dy + SIZE, dx:dx + SIZE]
    return out


def main() -> None:
    digits = load_digits()
    x = upsample(digits.images)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=SEED, stratify=y)
    # The held-out and calibration images are shifted like the training ones (with their own seed), so the
    # test is not the centred images alone: accuracy stays below 100% and a compression's loss can show.
    x_test = shifted(torch.from_numpy(x_test), torch.Generator().manual_seed(SEED + 1)).numpy()

    model = DigitsResNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps_per_epoch = (len(x_train) + 31) // 32
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=EPOCHS * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(xt), generator=generator)
        total = 0.0
        for start in range(0, len(xt), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(shifted(xt[batch], generator)), yt[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(batch)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / len(xt):.4f}", flush=True)

    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x_test)).numpy().astype(np.float64)
    predicted = logits.argmax(axis=1)
    top2 = np.sort(logits, axis=1)[:, -2:]
    margin = float((top2[:, 1] - top2[:, 0]).min())
    # onnxruntime's float32 results differ from torch's in the last bits; a near-tie could flip a prediction.
    assert margin > 1e-3, f"a held-out sample has a near-tie between its top two logits ({margin}); retrain"
    correct = int((predicted == y_test).sum())

    torch.onnx.export(
        model,
        torch.zeros(1, 1, SIZE, SIZE),
        os.path.join(HERE, "digits-resnet.onnx"),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
    )
    np.save(os.path.join(HERE, "test-inputs.npy"), np.ascontiguousarray(x_test))
    np.save(os.path.join(HERE, "test-labels.npy"), y_test)
    calib = np.sort(np.random.default_rng(SEED).choice(len(x_train), CALIB_SAMPLES, replace=False))
    calib_images = shifted(torch.from_numpy(x_train[calib]), torch.Generator().manual_seed(SEED + 2)).numpy()
    np.save(os.path.join(HERE, "calib-inputs.npy"), np.ascontiguousarray(calib_images))
    report = {
        "samples": len(y_test),
        "correct": correct,
        "accuracy": correct / len(y_test),
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "minTop2Margin": margin,
        "made": {
            "torch": torch.__version__, "sklearn": __import__("sklearn").__version__, "numpy": np.__version__,
            "opset": OPSET, "seed": SEED, "epochs": EPOCHS, "size": SIZE,
            "split": "train_test_split(test_size=0.2, stratify=y, random_state=0) of sklearn's load_digits()",
            "calibration": f"{CALIB_SAMPLES} training images, numpy default_rng({SEED}).choice, shifted with seed {SEED + 2}",
            "test": f"held-out images shifted by up to 3 pixels with seed {SEED + 1}", "width": WIDTH,
        },
    }
    with open(os.path.join(HERE, "sample.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"held-out accuracy {report['accuracy']:.4f} ({correct}/{len(y_test)}), {report['parameters']} parameters")


if __name__ == "__main__":
    main()
