"""mmcv text logs: the TextLoggerHook lines of mmdetection 2.x and other OpenMMLab 1.x trainers.

What they look like::

    2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [1][50/7330]\tlr: 1.978e-03, eta: 1 day, 2:03:04, time: 0.550, data_time: 0.050, memory: 3000, loss_cls: 1.1000, loss: 1.7000
    2021-03-04 13:10:00,456 - mmdet - INFO - Epoch(val) [1][7330]\tbbox_mAP: 0.3600, bbox_mAP_50: 0.5800, bbox_mAP_copypaste: 0.360 0.580 0.390 0.210 0.400 0.470

Iteration-based runs print ``Iter [50/90000]``. A train line's step is the global iteration
``(epoch - 1) * 7330 + 50`` with the fractional epoch ``(epoch - 1) + 50 / 7330``; a validation
line sits at the end of its epoch with the epoch number (see `_mmdet`). The same names become
the same tags as in the JSON logs. mmengine's lines (OpenMMLab 2.x) are the ``mmengine-log``
format, read by the same parser.
"""

from __future__ import annotations

from lossboard.sources.formats import _mmdet_text
from lossboard.sources.formats.sniffers.mmdet_log import sniff as sniff

NAME = "mmdet-log"


Parser = _mmdet_text.TextParser
