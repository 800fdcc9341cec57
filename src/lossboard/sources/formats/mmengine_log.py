"""mmengine text logs: the LoggerHook lines of OpenMMLab 2.x (mmdet 3, mmpretrain, mmpose 1...).

What they look like, after 40-80 KB of environment report and config::

    2023/06/04 16:59:34 - mmengine - INFO - Epoch(train)   [1][1/6]  lr: 4.000000e-08  eta: 2 days, 2:47:25  time: 101.637383  data_time: 98.825409  memory: 1496  loss: 0.421713  loss_kpt: 0.421713  acc_pose: 0.010417
    2023/06/04 17:14:58 - mmengine - INFO - Epoch(val)  [10][6/6]    eta: 0:00:00  time: 4.042028  data_time: 3.815428  memory: 128
    2023/06/07 22:27:18 - mmengine - INFO - bbox_mAP_copypaste: 0.056 0.189 0.014 -1.000 -1.000 0.056
    2023/06/04 17:14:58 - mmengine - INFO - Epoch(val) [10][6/6]    coco/AP: 0.000000  coco/AP .5: 0.000000  coco/AP (M): -1.000000  PCK: 0.230159  data_time: 3.815428  time: 4.042028

Iteration-based runs print ``Iter(train) [  50/90000]``. Steps are global iterations,
``(epoch - 1) * 6 + iter``; a validation summary sits at the end of its epoch with the epoch
number; validation progress lines and the ``bbox_mAP_copypaste`` line (the same numbers as
the summary) give nothing. ``-1`` is COCO's "not applicable" and is kept as the value -1.
The logging prefix's time is the wall time (local time). Parsed by `_mmdet_text.TextParser`.
"""

from __future__ import annotations

from lossboard.sources.formats import _mmdet_text
from lossboard.sources.formats.sniffers.mmengine_log import sniff as sniff

NAME = "mmengine-log"


Parser = _mmdet_text.TextParser
