"""Widgets for the CloudTrail notebooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from ..cloudtrail import validate_logs
from ..lessons.cloudtrail import TAMPERINGS, tamper


@dataclass
class IntegrityModel:
    """What the integrity playground has done: the keys tampered with and the latest report."""

    lab: Any
    trail: str
    bucket: str
    tampered: list[tuple[str, str]] = field(default_factory=list)
    report: Any = None

    def apply(self, action: str) -> None:
        self.tampered.append((action, tamper(self.lab, self.bucket, action)))
        self.validate()

    def validate(self) -> Any:
        self.report = validate_logs(self.lab, self.trail)
        return self.report


def integrity_playground(lab: Any, trail: str, bucket: str) -> tuple[widgets.Widget, IntegrityModel]:
    """A tampering menu, an Apply button and the validation report it produces."""
    model = IntegrityModel(lab, trail, bucket)
    action = widgets.Dropdown(options=TAMPERINGS, description="Tamper:")
    apply = widgets.Button(description="Apply and validate", button_style="warning")
    output = widgets.Output(layout={"border": "1px solid #ccc"})

    def show() -> None:
        output.clear_output()
        with output:
            print(model.report.text())

    def on_click(_: Any) -> None:
        model.apply(action.value)
        show()

    apply.on_click(on_click)
    model.validate()
    show()
    box = widgets.VBox([widgets.HBox([action, apply]), output])
    box.action, box.apply = action, apply  # handles for tests and notebooks
    return box, model
