"""Tiny random models built in code, for tests and the benchmark's smoke run.

Nothing can be downloaded, so the CLIP tokenizer is built from a byte-level vocabulary
written here (every byte as a token, plus `</w>` word-final forms and a few merges). The
models are saved with `save_pretrained` and then loaded by the production code path, so a
test exercises exactly what a real model directory would.
"""
from __future__ import annotations

import json
from pathlib import Path

_MERGES = ["t h", "th e</w>", "a n", "i n", "e r", "o n", "r e", "a t", "s t", "e n"]


def _bytes_to_unicode() -> list[str]:
    """The GPT-2/CLIP byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_tokenizer_files(folder: Path) -> tuple[Path, Path]:
    """vocab.json + merges.txt of a tiny CLIP BPE tokenizer (about 530 tokens)."""
    folder.mkdir(parents=True, exist_ok=True)
    chars = _bytes_to_unicode()
    tokens = chars + [c + "</w>" for c in chars]
    for m in _MERGES:
        merged = m.replace(" ", "")
        if merged not in tokens:
            tokens.append(merged)
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(_MERGES) + "\n", encoding="utf-8")
    return folder / "vocab.json", folder / "merges.txt"


def tiny_tokenizer(work: Path):
    from transformers import CLIPTokenizer  # heavy optional dependency: kept out of start-up

    vocab_path, merges_path = write_tokenizer_files(work / "_tok")
    vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    merges = [tuple(line.split()) for line in merges_path.read_text(encoding="utf-8").splitlines()[1:] if line]
    try:  # transformers >= 5: the tokenizers-backed class takes the tables themselves
        return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    except TypeError:
        return CLIPTokenizer(vocab_file=str(vocab_path), merges_file=str(merges_path), model_max_length=77)


def build_tiny_inpaint_pipeline(out_dir: str | Path, seed: int = 0) -> Path:
    """A random Stable Diffusion inpainting pipeline (9-channel UNet) saved to `out_dir`."""
    import torch  # heavy optional dependency: kept out of start-up
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel  # heavy optional dependency: kept out of start-up
    from transformers import CLIPTextConfig, CLIPTextModel  # heavy optional dependency: kept out of start-up

    out = Path(out_dir)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=9, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32, norm_num_groups=16)
    vae = AutoencoderKL(block_out_channels=[16, 32], in_channels=3, out_channels=3,
                        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
                        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4,
                        sample_size=64, norm_num_groups=16)
    tokenizer = tiny_tokenizer(out.parent / f".{out.name}-work")
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1, pad_token_id=len(tokenizer) - 1,
        hidden_size=32, intermediate_size=37, layer_norm_eps=1e-05, num_attention_heads=4,
        num_hidden_layers=2, vocab_size=len(tokenizer) + 8, max_position_embeddings=77))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    return save_inpaint_pipeline(out, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                 scheduler=scheduler)


def save_inpaint_pipeline(out: Path, **modules: object) -> Path:
    """An inpainting pipeline of these modules (no safety checker) saved with save_pretrained."""
    from diffusers import StableDiffusionInpaintPipeline  # heavy optional dependency: kept out of start-up

    pipe = StableDiffusionInpaintPipeline(**modules, safety_checker=None, feature_extractor=None,
                                          requires_safety_checker=False)
    pipe.save_pretrained(out, safe_serialization=True)
    return out


def build_tiny_clip(out_dir: str | Path, seed: int = 0) -> Path:
    """A random CLIP model and its processor (tokenizer + image processor) saved to `out_dir`."""
    import torch  # heavy optional dependency: kept out of start-up
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor  # heavy optional dependency: kept out of start-up

    try:
        from transformers import CLIPImageProcessorPil as ImageProcessor  # heavy optional dependency: kept out of start-up
    except ImportError:  # older transformers
        from transformers import CLIPImageProcessor as ImageProcessor  # heavy optional dependency: kept out of start-up

    out = Path(out_dir)
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer(out.parent / f".{out.name}-work")
    config = CLIPConfig(
        text_config=dict(vocab_size=len(tokenizer) + 8, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77, bos_token_id=len(tokenizer) - 2,
                         eos_token_id=len(tokenizer) - 1, pad_token_id=len(tokenizer) - 1),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8),
        projection_dim=16)
    model = CLIPModel(config)
    processor = CLIPProcessor(image_processor=ImageProcessor(size={"shortest_edge": 32},
                                                             crop_size={"height": 32, "width": 32}),
                              tokenizer=tokenizer)
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    return out
