"""dtensor: tensors sharded or replicated over a mesh of ranks (mirrors
``torch.distributed.tensor``). Being built: see the project's open issues; this package
currently has no public API."""
