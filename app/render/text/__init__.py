"""Text that reads right in every language.

scripts (runs by Unicode script) -> fontchain (kit fonts + Noto fallback, cmap coverage) ->
shaping (ICU bidi + raqm per run) -> linebreak (ICU, per locale) -> fit (largest size, balanced
lines) -> placement (zones scored on faces, busyness, saliency) -> legibility (WCAG contrast on
real pixels) -> layout (title, tagline, badge) -> render (treatment, draw, measure). vertical: tategaki.
"""
from .layout import TextInputs, TextLayout, layout_text
from .render import render_text
from .linebreak import break_opportunities, break_positions

__all__ = ["TextInputs", "TextLayout", "layout_text", "render_text", "break_opportunities", "break_positions"]
