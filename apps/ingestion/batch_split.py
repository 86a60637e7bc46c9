"""Fallback for batches the JSON decoder refuses as a whole because one event nests too deeply.

The scanner walks the text once, without recursion, and returns the raw text of each element of
the top-level "batch" array, so every other event can still be decoded (and stored) on its own.
"""


def split_batch(body: bytes) -> list[bytes] | None:
    """Raw elements of {"batch": [...]}; None when the text has no such top-level array."""
    depth = 0
    in_string = escaped = False
    key_start = -1
    last_key = b""
    batch_depth = -1
    element_start = -1
    elements: list[bytes] = []
    for index, byte in enumerate(body):
        char = chr(byte)
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1 and key_start >= 0:
                    last_key = body[key_start:index]
            continue
        if char == '"':
            in_string = True
            key_start = index + 1 if depth == 1 else -1
            if batch_depth >= 0 and depth == batch_depth and element_start < 0:
                element_start = index
        elif char in "[{":
            if depth == 1 and char == "[" and last_key == b"batch" and batch_depth < 0:
                batch_depth = depth + 1
            elif batch_depth >= 0 and depth == batch_depth and element_start < 0:
                element_start = index
            depth += 1
        elif char in "]}":
            depth -= 1
            if batch_depth >= 0 and depth == batch_depth and element_start >= 0:
                elements.append(body[element_start : index + 1])
                element_start = -1
            elif batch_depth >= 0 and depth == batch_depth - 1:
                if element_start >= 0:  # a scalar element ends at the closing bracket
                    elements.append(body[element_start:index].strip())
                return elements
        elif char == "," and batch_depth >= 0 and depth == batch_depth and element_start >= 0:
            elements.append(body[element_start:index].strip())
            element_start = -1
        elif batch_depth >= 0 and depth == batch_depth and element_start < 0 and not char.isspace() and char != ",":
            element_start = index  # a scalar element (number, true, null...)
    return None
