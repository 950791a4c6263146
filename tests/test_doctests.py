"""The examples in the docstrings of the pure helpers are run, so they stay true."""

import doctest

import pytest

from audio_builder import durations, errors, text
from audio_builder.publishing import captions, platforms
from audio_builder.speech import takes


@pytest.mark.parametrize("module", [durations, errors, text, captions, platforms, takes],
                         ids=lambda m: m.__name__)
def test_docstring_examples_hold(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} docstring examples in {module.__name__} failed (above)"
