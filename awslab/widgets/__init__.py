"""ipywidgets for the notebooks: one module per topic, each a factory returning the widget and its model.

Factories are tested in plain pytest by setting ``.value`` on their controls.
"""
