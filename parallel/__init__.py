"""parallel: communicators, differentiable collectives, the bucketed gradient Reducer
and DistributedDataParallel (mirrors ``torch.distributed``). Being built: see the
project's open issues; this package currently has no public API."""
