"""Python syntax highlighting for the code view and the task editor."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from coreography.gui import theme


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


_KEYWORDS = r"\b(?:" + "|".join(keyword.kwlist) + r")\b"
_BUILTINS = r"\b(?:print|range|len|sum|min|max|list|dict|int|float|str|enumerate|zip|open)\b"
#: (pattern, format, group): later rules win where they overlap.
_RULES = (
    (re.compile(_KEYWORDS), _format(theme.BLUE, bold=True), 0),
    (re.compile(_BUILTINS), _format(theme.REDDISH_PURPLE), 0),
    (re.compile(r"\b\d[\d_]*(?:\.\d+)?\b"), _format("#8A6D00"), 0),
    (re.compile(r"\b(?:def|class)\s+(\w+)"), _format("#00664A", bold=True), 1),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), _format("#A04000"), 0),
    (re.compile(r"#[^\n]*"), _format("#6A6A6A", italic=True), 0),
)
_TRIPLE = re.compile(r'"""')
_IN_DOCSTRING = 1


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, names being defined, numbers, strings, comments and docstrings."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._docstring = _format("#A04000", italic=True)

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt, group in _RULES:
            for match in pattern.finditer(text):
                start, end = match.span(group)
                self.setFormat(start, end - start, fmt)
        self._highlight_docstrings(text)

    def _highlight_docstrings(self, text: str) -> None:
        """Triple-quoted strings may span lines: the block state carries "inside one"."""
        inside = self.previousBlockState() == _IN_DOCSTRING
        start = 0 if inside else -1
        for match in _TRIPLE.finditer(text):
            if inside:
                self.setFormat(start, match.end() - start, self._docstring)
                inside, start = False, -1
            else:
                inside, start = True, match.start()
        if inside:
            self.setFormat(max(start, 0), len(text) - max(start, 0), self._docstring)
        self.setCurrentBlockState(_IN_DOCSTRING if inside else 0)
