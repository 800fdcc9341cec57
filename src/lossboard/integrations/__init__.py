"""Callbacks that log a framework's training through lossboard, one module per framework.

``keras.py``, ``lightning.py``, ``transformers.py`` and ``mxnet.py`` each import their
framework lazily (``mxnet.py`` not at all: it only reads what ``Module.fit`` hands it), and
nothing else in lossboard imports a framework::

    from lossboard.integrations.mxnet import LossboardCallback
"""
