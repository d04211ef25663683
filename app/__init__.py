"""Marquee: regional marketing assets from key art and a brand kit.

The package imports nothing, so the pure core (app.render, app.generate) loads without Flask or
a database; the web app is built by app.factory.create_app.
"""
