"""Zero-shot pre-screen: a CLIP model scores an image against a region's sensitivity list.

The model is a local directory (save_pretrained layout) named by MARQUEE_CLIP_DIR; without
one, a variant says "not screened". Scores become pre-flags for reviewers; nothing is
blocked automatically (CLIP is a hint, a person decides).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from PIL import Image

from .provenance import weights_fingerprint

SENSITIVITY_FILE = Path(__file__).resolve().parents[2] / "locales" / "sensitivity.yaml"


@dataclass(frozen=True)
class Sensitivity:
    neutral: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    regions: dict[str, tuple[str, ...]]

    def for_region(self, region: str | None) -> tuple[str, ...]:
        return self.regions.get((region or "").upper(), self.regions.get("default", ()))


@lru_cache(maxsize=4)
def load_sensitivity(path: str = str(SENSITIVITY_FILE)) -> Sensitivity:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cats = {k: tuple(v) for k, v in data["categories"].items()}
    regions = {k: tuple(v) for k, v in data["regions"].items()}
    unknown = sorted({c for v in regions.values() for c in v} - set(cats))
    if unknown:
        raise ValueError(f"{path}: regions name unknown categories {unknown}")
    return Sensitivity(tuple(data["neutral"]), cats, regions)


class ClipScreen:
    """A CLIP model and processor kept resident; `score` is one forward pass per image."""

    def __init__(self, model_dir: str, device: str = "cpu") -> None:
        from transformers import CLIPModel, CLIPProcessor  # heavy optional dependency: kept out of start-up

        self.model_dir, self.device = str(model_dir), device
        self.model = CLIPModel.from_pretrained(self.model_dir, local_files_only=True).to(device).eval()
        self.processor = CLIPProcessor.from_pretrained(self.model_dir, local_files_only=True)
        self.fingerprint = weights_fingerprint(self.model_dir)

    def logits(self, image: Image.Image, prompts: list[str]) -> list[float]:
        import torch  # heavy optional dependency: kept out of start-up

        inputs = self.processor(text=prompts, images=[image.convert("RGB")], return_tensors="pt", padding=True)
        with torch.inference_mode():
            out = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).logits_per_image[0]
        return out.float().tolist()

    def score(self, image: Image.Image, region: str | None, sens: Sensitivity, threshold: float) -> dict:
        """Per category: the softmax mass of its prompts against itself plus the neutral prompts,
        from one forward pass over every prompt the region needs."""
        t0 = time.perf_counter()
        cats = sens.for_region(region)
        prompts = list(dict.fromkeys([p for c in cats for p in sens.categories[c]] + list(sens.neutral)))
        logit = dict(zip(prompts, self.logits(image, prompts))) if cats else {}
        scores = {}
        for cat in cats:
            mine = [logit[p] for p in sens.categories[cat]]
            rest = [logit[p] for p in sens.neutral]
            top = max(mine + rest)
            num = sum(math.exp(v - top) for v in mine)
            scores[cat] = round(num / (num + sum(math.exp(v - top) for v in rest)), 4)
        flags = sorted(c for c, s in scores.items() if s >= threshold)
        return {"status": "screened", "model_dir": self.model_dir, "weights_sha256": self.fingerprint,
                "region": region, "threshold": threshold, "scores": scores,
                "pre_flags": [f"sensitive:{c}" for c in flags], "ms": round((time.perf_counter() - t0) * 1000, 1)}


@lru_cache(maxsize=2)
def get_screen(model_dir: str) -> ClipScreen:
    return ClipScreen(model_dir)


def screen_image(image: Image.Image, region: str | None, model_dir: str | None, threshold: float = 0.5,
                 sensitivity_path: str | None = None) -> dict:
    """Scores and pre-flags for one image, or {"status": "not screened"} without a model."""
    if not model_dir:
        return {"status": "not screened", "reason": "no CLIP model configured (MARQUEE_CLIP_DIR)",
                "region": region, "scores": {}, "pre_flags": []}
    sens = load_sensitivity(sensitivity_path or str(SENSITIVITY_FILE))
    return get_screen(str(model_dir)).score(image, region, sens, threshold)
