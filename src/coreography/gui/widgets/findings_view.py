"""Findings: what stood out in the last run, in plain language."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from coreography.gui import theme

if TYPE_CHECKING:
    from coreography.model.diagnosis import Finding


class FindingsView(QWidget):
    """Shows :func:`diagnose`'s findings about the run that just ended."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.findings: list[Finding] = []
        self.text = QTextBrowser()
        self.text.setPlaceholderText("After a run, what stands out in it is said here.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.text)

    def set_findings(self, title: str, findings: list[Finding]) -> None:
        self.findings = list(findings)
        if not findings:
            body = "<p>Nothing stands out: no GIL contention, oversubscription, imbalance, "
            body += "costly dispatch or start-up was found.</p>"
        else:
            items = []
            for finding in findings:
                color = theme.FAILED_COLOR if finding.severity == "warning" else theme.BLUE
                mark = "⚠" if finding.severity == "warning" else "ℹ"
                items.append(
                    f"<p><span style='color:{color}'>{mark}</span> {html.escape(finding.text)}</p>"
                )
            body = "".join(items)
        self.text.setHtml(f"<p><b>{html.escape(title)}</b></p>{body}")

    def plain_text(self) -> str:
        return self.text.toPlainText()
