"""The image pipeline: pure functions and small dataclasses.

Nothing here imports Flask, SQLAlchemy or RQ. Inputs are images, bytes and specs;
outputs are images, bytes and reports. Seams: decode -> analyze -> reframe -> text ->
compose -> encode, each in its own module; pipeline.py strings them together.
"""
