"""The report layer: the HTML page, its figures, and the tables of ``compare`` and ``export``."""
