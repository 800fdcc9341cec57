"""What detection asks of each format, and nothing heavier: one module per format, named as its parser's.

Detection sniffs every file with every format, so these modules import no parser: a 1 MB log
pays for the parser of its own format only. See `lossboard.sources.formats` for what each holds.
"""
