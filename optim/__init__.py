"""optim: optimizers, learning-rate schedulers and gradient clipping (mirrors
``torch.optim``). Being built: see the project's open issues; this package currently
has no public API."""
