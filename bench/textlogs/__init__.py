"""One module per generated text log of `bench/parse_text.py`: ``FORMAT`` (the lossboard format
that reads it), ``GREP`` (the word ``grep -c`` counts), ``write(path, size)`` and
``single_pass(path) -> int`` (a user's regex script; the number of values it read)."""
