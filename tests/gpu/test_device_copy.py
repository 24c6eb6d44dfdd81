"""Copies across devices and the same-device check of the other ops (on the fake CuPy,
two "GPUs", and on a real GPU where there is one)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd


def test_copy_into_a_host_tensor_from_a_device_tensor(cuda_device: str) -> None:
    src = autograd.tensor([1.0, 2.0], device=cuda_device)
    dst = autograd.zeros(2)
    assert dst.copy_(src) is dst
    assert dst.device.type == "cpu" and dst.tolist() == [1.0, 2.0]
    back = autograd.zeros(2, 2, device=cuda_device)
    back.copy_(autograd.tensor([3.0, 4.0]))  # broadcast from the host
    assert back.is_cuda and back.tolist() == [[3.0, 4.0], [3.0, 4.0]]


def test_copy_across_devices_is_differentiable(cuda_device: str) -> None:
    src = autograd.tensor([1.0, 2.0], device=cuda_device, requires_grad=True)
    x = autograd.zeros(3, 2, requires_grad=True)
    y = x * 1
    y[1].copy_(src * 3)
    (y * autograd.tensor([[1.0, 2.0]])).sum().backward()
    assert src.grad.device == src.device
    np.testing.assert_allclose(src.grad.cpu().numpy(), [3.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 2.0], [0.0, 0.0], [1.0, 2.0]])


def test_copy_between_two_gpus(fake_cuda: str) -> None:
    a = autograd.arange(3.0, device="cuda:1")
    b = autograd.zeros(3, device="cuda:0")
    b.copy_(a)
    assert b.device == autograd.device("cuda:0") and b.tolist() == [0.0, 1.0, 2.0]


def test_other_ops_name_both_devices(cuda_device: str) -> None:
    a = autograd.ones(2, device=cuda_device)
    with pytest.raises(RuntimeError, match=r"^Expected all tensors to be on the same device, but "
                       r"found at least two devices, cuda:0 and cpu!"):
        a * autograd.ones(2)
    with pytest.raises(RuntimeError, match=r"found at least two devices, cpu and cuda:0!"):
        autograd.ones(2).add_(a)


def test_data_ptr_on_host_and_device(cuda_device: str) -> None:
    from autograd import backend

    for dev in ("cpu", cuda_device):
        x = autograd.zeros(2, 3, device=dev)
        assert x.data_ptr() == backend.data_ptr(x._data)
        assert x[:, 1].data_ptr() - x.data_ptr() == x.element_size()
        assert x[1].data_ptr() - x.data_ptr() == 3 * x.element_size()
