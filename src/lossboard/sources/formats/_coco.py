"""The summary pycocotools prints after a COCO evaluation, which detection trainers
(detectron2, mmdetection) let through to their output::

     Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.402

Its numbers are the ones the trainer reports as metrics in its own lines (``copypaste``,
``coco/bbox_mAP``), and its ``name=value`` settings are no metrics, so such a line gives
nothing rather than reaching the mixed-output grammars.
"""

from __future__ import annotations

import re

SUMMARY = re.compile(r"^ ?Average (?:Precision|Recall) +\(A[PR]\) @\[")
