"""Published model architectures with random weights, for timing on a GPU host.

Speed depends on the kernels and shapes, not on what the weights learned, and no weights can
be downloaded: so the benchmark builds Stable Diffusion 1.5 inpainting exactly as its published
configuration describes (860M-parameter UNet with 9 input channels, the SD VAE, CLIP ViT-L/14
text encoder), saves it with save_pretrained and loads it through the production code path.
Its pictures are noise; its timings are real.
"""
from __future__ import annotations

from pathlib import Path

from .tiny import save_inpaint_pipeline, tiny_tokenizer

#: runwayml/stable-diffusion-inpainting unet/config.json (the values that differ from diffusers' defaults).
SD15_INPAINT_UNET = dict(in_channels=9, out_channels=4, sample_size=64, cross_attention_dim=768,
                         block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, attention_head_dim=8,
                         norm_num_groups=32)
#: The SD 1.x VAE (vae/config.json).
SD_VAE = dict(in_channels=3, out_channels=3, latent_channels=4, sample_size=512, layers_per_block=2,
              block_out_channels=(128, 256, 512, 512), norm_num_groups=32,
              down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
#: CLIP ViT-L/14's text tower (text_encoder/config.json).
CLIP_L_TEXT = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                   num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768)


def build_sd15_inpaint(out_dir: str | Path, device: str = "cuda", seed: int = 0) -> Path:
    """SD 1.5 inpainting's architecture with random weights, saved (bf16 on CUDA) to `out_dir`.

    The modules are created directly on `device`: initialising 1B parameters on the CPU would
    take longer than the benchmark itself."""
    import torch  # heavy optional dependency: kept out of start-up
    from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel  # heavy optional dependency: kept out of start-up
    from transformers import CLIPTextConfig, CLIPTextModel  # heavy optional dependency: kept out of start-up

    out = Path(out_dir)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer(out.parent / f".{out.name}-work")
    with torch.device(device):
        unet = UNet2DConditionModel(**SD15_INPAINT_UNET).to(dtype)
        vae = AutoencoderKL(**SD_VAE).to(dtype)
        text_encoder = CLIPTextModel(CLIPTextConfig(
            **CLIP_L_TEXT, bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1,
            pad_token_id=len(tokenizer) - 1)).to(dtype)
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              skip_prk_steps=True, set_alpha_to_one=False, steps_offset=1)
    return save_inpaint_pipeline(out, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                 scheduler=scheduler)
