"""Notebook support: the exercises each notebook checks, built on awslab's own engines.

Kept in the package (not the notebooks) so they are tested and the notebooks stay short.
"""
