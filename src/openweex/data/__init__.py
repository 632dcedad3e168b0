"""Package data: the sample replay file (``btcusdt-1m-sample.csv``, see ``docs/sandbox.md``)."""
