"""Line numbers for JSON pointers: every problem names its line."""

from pipeline.module.json_locator import locate, pointer_of


def test_pointer_lines_follow_the_text_through_nesting_and_escapes() -> None:
    text = '{\n  "a/b": 1,\n  "list": [\n    {"x~y": "q\\"uote"},\n    [2,\n     3]\n  ],\n  "z": null\n}'
    found = locate(text)
    assert found.line_of(pointer_of("a/b")) == 2
    assert found.line_of(pointer_of("list", 0, "x~y")) == 4
    assert found.line_of(pointer_of("list", 1, 1)) == 6
    assert found.line_of("/z") == 8


def test_unknown_pointer_falls_back_to_its_nearest_ancestor() -> None:
    found = locate('{\n "sections": [\n  {"a": 1}\n ]\n}')
    assert found.line_of("/sections/0/missing") == 3
