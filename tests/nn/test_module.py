"""Module semantics: registration, naming, traversal, state_dict, train/eval, conversion,
forward and backward hooks, containers and repr (mirrors ``torch.nn.Module``)."""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import autograd
from autograd import nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.register_buffer("count", autograd.zeros(1))
        self.register_buffer("scratch", autograd.zeros(2), persistent=False)

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2)
        self.scale = nn.Parameter(autograd.ones(1))

    def forward(self, x):
        return self.head(self.block(x)) * self.scale


# ----------------------------------------------------------------------------- registration


def test_attribute_assignment_registers_members() -> None:
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["block", "head"]
    assert isinstance(net.head, nn.Linear)
    assert net.block.count.shape == (1,)
    assert "scale" not in net.__dict__  # looked up through __getattr__


def test_named_parameters_nested_order_and_prefix() -> None:
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["scale", "block.fc.weight", "block.fc.bias", "head.weight", "head.bias"]
    names = [n for n, _ in Net().named_parameters(prefix="model")]
    assert names[0] == "model.scale" and names[-1] == "model.head.bias"
    assert [n for n, _ in Net().named_parameters(recurse=False)] == ["scale"]


def test_buffers_and_named_modules() -> None:
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.scratch"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.act", "head"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert len(list(net.modules())) == 5
    assert list(net.children())[1] is net.head


def test_shared_parameters_and_modules_are_deduplicated() -> None:
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    tied = nn.Module()
    tied.a = nn.Linear(2, 2)
    tied.b = nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias", "b.bias"]


def test_reassignment_and_deletion() -> None:
    m = nn.Module()
    m.x = nn.Parameter(autograd.ones(2))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'x'"):
        m.x = autograd.ones(2)
    m.x = None
    assert m.x is None and list(m.parameters()) == []
    m.sub = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    del m.sub
    assert not hasattr(m, "sub")
    m.register_buffer("b", autograd.zeros(1))
    m.b = autograd.ones(1)  # buffers can be replaced by tensors
    assert m.b.tolist() == [1.0]
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 3.0
    # moving a name from buffers to parameters
    m.b = nn.Parameter(autograd.zeros(1))
    assert "b" in m._parameters and "b" not in m._buffers
    m.plain = 5
    assert m.plain == 5 and "plain" in dir(m) and "b" in dir(m)


def test_registration_errors() -> None:
    m = nn.Module()
    with pytest.raises(KeyError, match="name can.*t contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match="should be a string"):
        m.register_parameter(1, None)
    m.attr = 1
    with pytest.raises(KeyError, match="attribute 'attr' already exists"):
        m.register_buffer("attr", autograd.zeros(1))
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter("p", autograd.zeros(1))
    x = autograd.ones(2, requires_grad=True)
    non_leaf = nn.Parameter(autograd.ones(2), requires_grad=False)
    non_leaf.mul_(x)  # an in-place op with a tensor that requires grad gives it a grad_fn
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", non_leaf)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        _ = m.nope

    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(autograd.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_buffer_marker_and_persistence() -> None:
    m = nn.Module()
    m.stats = nn.Buffer(autograd.zeros(3))
    m.tmp = nn.Buffer(autograd.ones(1), persistent=False)
    assert type(m.stats) is autograd.Tensor
    assert list(m.state_dict()) == ["stats"]
    assert [n for n, _ in m.named_buffers()] == ["stats", "tmp"]


def test_get_submodule_and_get_parameter() -> None:
    net = Net()
    assert net.get_submodule("block.fc") is net.block.fc
    assert net.get_submodule("") is net
    assert net.get_parameter("block.fc.weight") is net.block.fc.weight
    assert net.get_buffer("block.count") is net.block.count
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        net.get_submodule("scale")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        net.get_parameter("block.act")


def test_forward_missing_raises() -> None:
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# ----------------------------------------------------------------------------- modes, grads


def test_train_eval_propagate_and_control_dropout() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    x = autograd.ones(50, 50)
    drop = net[1][0]
    assert np.array_equal(drop(x).numpy(), x.numpy())
    net.train()
    y = drop(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")  # type: ignore[arg-type]


def test_zero_grad_and_requires_grad() -> None:
    lin = nn.Linear(2, 2)
    lin(autograd.ones(1, 2)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    lin.requires_grad_(False)
    assert not any(p.requires_grad for p in lin.parameters())


def test_apply_visits_children_first() -> None:
    seen = []
    nn.Sequential(nn.Linear(1, 1), nn.ReLU()).apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]


def test_to_dtype_keeps_parameter_identity() -> None:
    net = Net()
    params = list(net.parameters())
    net(autograd.ones(1, 3)).sum().backward()
    assert net.double() is net
    assert [p is q for p, q in zip(params, net.parameters())] == [True] * len(params)
    assert all(p.dtype == autograd.float64 for p in net.parameters())
    assert all(p.grad.dtype == autograd.float64 for p in net.parameters())
    assert net.block.count.dtype == autograd.float64
    net.to(autograd.float32)
    assert net.head.weight.dtype == autograd.float32
    net.to(autograd.zeros(1, dtype=autograd.float64))
    assert net.head.weight.dtype == autograd.float64
    net.to("cpu").float().cpu()
    assert net.head.weight.dtype == autograd.float32
    idx = nn.Module()
    idx.register_buffer("steps", autograd.zeros(1, dtype=autograd.int64))
    idx.to(autograd.float64)
    assert idx.steps.dtype == autograd.int64  # only floating tensors change dtype
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes"):
        net.to(autograd.int32)


def test_copy_deepcopy_of_a_module() -> None:
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.head.weight is not net.head.weight
    assert np.array_equal(clone.head.weight.detach().numpy(), net.head.weight.detach().numpy())
    assert isinstance(clone.head.weight, nn.Parameter)


# ----------------------------------------------------------------------------- state dict


def test_state_dict_is_ordered_detached_and_round_trips() -> None:
    src, dst = Net(), Net()
    sd = src.state_dict()
    # own parameters, then own buffers, then each child (as PyTorch)
    assert list(sd) == ["scale", "block.count", "block.fc.weight", "block.fc.bias", "head.weight",
                        "head.bias"]
    assert isinstance(sd, OrderedDict)
    assert not any(v.requires_grad for v in sd.values())
    assert sd["head.weight"].numpy() is not None
    kept = src.state_dict(keep_vars=True)
    assert kept["head.weight"] is src.head.weight
    w_before = dst.head.weight
    result = dst.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert dst.head.weight is w_before  # copied in place
    for k, v in dst.state_dict().items():
        assert np.array_equal(v.numpy(), sd[k].numpy()), k
    # the state dict shares memory with the parameters (detached views)
    with autograd.no_grad():
        src.scale.fill_(3.0)
    assert sd["scale"].tolist() == [3.0]


def test_load_state_dict_strict_reports_every_problem() -> None:
    lin = nn.Linear(3, 3)
    bad = {"weight": autograd.ones(2, 3), "foo": autograd.ones(1)}
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict(bad)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
        '\n\tUnexpected key(s) in state_dict: "foo". \n\tsize mismatch for weight: copying a '
        "param with shape [2, 3] from checkpoint, the shape in current model is [3, 3]."
    )
    res = lin.load_state_dict({"weight": autograd.ones(3, 3), "foo": autograd.ones(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["foo"]
    assert lin.weight.tolist() == [[1.0] * 3] * 3
    # size mismatches are errors even when not strict
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        lin.load_state_dict({"bias": autograd.ones(4)}, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        lin.load_state_dict([1, 2])  # type: ignore[arg-type]


def test_load_state_dict_nested_unexpected_and_assign() -> None:
    net = Net()
    sd = dict(net.state_dict())
    sd["block.extra"] = autograd.zeros(1)
    sd["nosuch.weight"] = autograd.zeros(1)
    res = net.load_state_dict(sd, strict=False)
    assert sorted(res.unexpected_keys) == ["block.extra", "nosuch.weight"]
    lin = nn.Linear(2, 2)
    new_w = autograd.full((2, 2), 7.0)
    lin.load_state_dict({"weight": new_w, "bias": autograd.zeros(2)}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    assert lin.weight.tolist() == [[7.0, 7.0], [7.0, 7.0]]


def test_load_state_dict_casts_dtype() -> None:
    lin = nn.Linear(2, 1)
    lin.load_state_dict({"weight": autograd.ones(1, 2, dtype=autograd.float64),
                         "bias": autograd.zeros(1, dtype=autograd.float64)})
    assert lin.weight.dtype == autograd.float32 and lin.weight.tolist() == [[1.0, 1.0]]


# ----------------------------------------------------------------------------- forward hooks


def test_forward_pre_hook_and_forward_hook_replace_values() -> None:
    lin = nn.Linear(2, 2)
    calls = []

    def pre(mod, args):
        calls.append(("pre", args[0].tolist()))
        return (args[0] * 0,)

    def post(mod, args, out):
        calls.append(("post", args[0].tolist()))
        return out + 1.0

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    out = lin(autograd.ones(1, 2))
    assert calls == [("pre", [[1.0, 1.0]]), ("post", [[0.0, 0.0]])]
    assert np.allclose(out.detach().numpy(), lin.bias.detach().numpy() + 1.0)
    h1.remove()
    h2.remove()
    assert np.allclose(lin(autograd.zeros(1, 2)).detach().numpy(), lin.bias.detach().numpy())


def test_hooks_with_kwargs_prepend_and_always_call() -> None:
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    order = []
    m.register_forward_pre_hook(lambda mod, args, kw: (args, {"factor": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, out: order.append(("kw", kw["factor"])),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, a, out: order.append("first"), prepend=True)
    assert m(autograd.ones(1), factor=2.0).tolist() == [3.0]
    assert order == ["first", ("kw", 3.0)]

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    b = Boom()
    b.register_forward_hook(lambda mod, a, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        b(1)
    assert seen == [None]
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, a, kw: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        bad(autograd.ones(1))


# ----------------------------------------------------------------------------- backward hooks


def _linear64(i: int, o: int) -> nn.Linear:
    autograd.manual_seed(0)
    return nn.Linear(i, o).double()


def test_full_backward_hook_sees_input_and_output_grads() -> None:
    lin = _linear64(3, 2)
    rec = {}

    def hook(mod, grad_input, grad_output):
        rec["mod"] = mod
        rec["gi"] = grad_input
        rec["go"] = grad_output

    lin.register_full_backward_hook(hook)
    x = autograd.randn(4, 3, dtype=autograd.float64, requires_grad=True)
    g = autograd.randn(4, 2, dtype=autograd.float64)
    lin(x).backward(g)
    assert rec["mod"] is lin
    assert len(rec["gi"]) == 1 and len(rec["go"]) == 1
    assert rec["go"][0].shape == (4, 2) and np.allclose(rec["go"][0].numpy(), g.numpy())
    w = lin.weight.detach().numpy()
    assert rec["gi"][0].shape == (4, 3)
    assert np.allclose(rec["gi"][0].numpy(), g.numpy() @ w)
    assert np.allclose(x.grad.numpy(), g.numpy() @ w)


def test_full_backward_hook_replacement_changes_input_grad() -> None:
    lin = _linear64(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
    x = autograd.randn(2, 3, dtype=autograd.float64, requires_grad=True)
    lin(x).sum().backward()
    w = lin.weight.detach().numpy()
    assert np.allclose(x.grad.numpy(), 10 * np.ones((2, 2)) @ w)
    # parameter gradients are not affected by grad_input replacement
    assert np.allclose(lin.bias.grad.numpy(), [2.0, 2.0])


def test_full_backward_pre_hook_replaces_grad_output() -> None:
    lin = _linear64(3, 2)
    seen = {}

    def pre(mod, grad_output):
        seen["go"] = grad_output[0].clone()
        return (grad_output[0] * 2,)

    def post(mod, gi, go):
        seen["post_go"] = go[0].clone()

    lin.register_full_backward_pre_hook(pre)
    lin.register_full_backward_hook(post)
    x = autograd.randn(2, 3, dtype=autograd.float64, requires_grad=True)
    lin(x).sum().backward()
    assert np.allclose(seen["go"].numpy(), 1.0)
    assert np.allclose(seen["post_go"].numpy(), 2.0)  # the hook sees the replaced grad_output
    assert np.allclose(lin.bias.grad.numpy(), [4.0, 4.0])
    assert np.allclose(x.grad.numpy(), 2 * np.ones((2, 2)) @ lin.weight.detach().numpy())


def test_full_backward_hook_multiple_inputs_and_outputs() -> None:
    class Pair(nn.Module):
        def forward(self, a, b, k=3):
            return a * b, a + b

    m = Pair()
    rec = {}
    m.register_full_backward_hook(lambda mod, gi, go: rec.update(gi=gi, go=go))
    a = autograd.ones(2, requires_grad=True)
    b = autograd.full((2,), 3.0, requires_grad=True)
    o1, _ = m(a, b)
    o1.sum().backward()
    assert [g.tolist() for g in rec["gi"]] == [[3.0, 3.0], [1.0, 1.0]]
    assert rec["go"][0].tolist() == [1.0, 1.0] and rec["go"][1] is None


def test_full_backward_hook_when_no_input_requires_grad() -> None:
    lin = _linear64(3, 2)
    rec = {}
    lin.register_full_backward_hook(lambda m, gi, go: rec.update(gi=gi, go=go))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin(autograd.ones(1, 3, dtype=autograd.float64)).sum().backward()
    assert rec["gi"] == (None,)
    assert rec["go"][0].tolist() == [[1.0, 1.0]]
    assert lin.weight.grad is not None


def test_backward_hooks_leave_forward_mode_ad_working() -> None:
    import autograd.forward_ad as fwAD

    lin = _linear64(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    x = autograd.randn(2, 3, dtype=autograd.float64)
    v = autograd.randn(2, 3, dtype=autograd.float64)
    with fwAD.dual_level():
        out = lin(fwAD.make_dual(x, v))
        tangent = fwAD.unpack_dual(out).tangent
    assert np.allclose(tangent.detach().numpy(), v.numpy() @ lin.weight.detach().numpy().T)


def test_pre_hook_single_value_and_double_backward_through_hooks() -> None:
    lin = _linear64(2, 1)
    lin.register_forward_pre_hook(lambda m, args: args[0] * 2)  # a bare value becomes (value,)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    x = autograd.ones(1, 2, dtype=autograd.float64, requires_grad=True)
    y = (lin(x) ** 2).sum()
    (gx,) = autograd.grad(y, x, create_graph=True)
    gx.sum().backward()
    w = lin.weight.detach().numpy()
    assert np.allclose(x.grad.numpy(), 8 * w.sum() * w)


def test_backward_hook_bad_return_count() -> None:
    lin = _linear64(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    x = autograd.ones(1, 2, dtype=autograd.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        lin(x).sum().backward()


def test_backward_hook_handle_remove_and_no_grad_mode() -> None:
    lin = _linear64(2, 2)
    calls = []
    h = lin.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    x = autograd.ones(1, 2, dtype=autograd.float64, requires_grad=True)
    with autograd.no_grad():
        lin(x)  # no graph: nothing set up, nothing fires
    h.remove()
    lin(x).sum().backward()
    assert calls == []


def test_seed_gradient_monitor_with_register_backward_hook() -> None:
    """The seed's GradientMonitor (module hooks on the leaf layers)."""

    class GradientMonitor:
        def __init__(self):
            self.gradients = {}

        def create_hook(self, name):
            def hook(module, grad_input, grad_output):
                self.gradients[name] = {
                    "grad_input": [g.clone() if g is not None else None for g in grad_input],
                    "grad_output": [g.clone() if g is not None else None for g in grad_output],
                }
            return hook

    autograd.manual_seed(0)
    monitor = GradientMonitor()
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 1))
    for name, module in model.named_modules():
        if len(list(module.children())) == 0:
            module.register_backward_hook(monitor.create_hook(name))
    x = autograd.randn(8, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model(x).sum().backward()
    assert sorted(monitor.gradients) == ["0", "1", "2"]
    g2 = monitor.gradients["2"]
    assert g2["grad_output"][0].shape == (8, 1)
    assert np.allclose(g2["grad_output"][0].numpy(), 1.0)
    # grad_input of the last Linear is grad_output @ W
    w2 = model[2].weight.detach().numpy()
    assert np.allclose(g2["grad_input"][0].numpy(), np.ones((8, 1)) @ w2, atol=1e-6)
    # the ReLU passes it through where its input was positive
    g1 = monitor.gradients["1"]
    assert np.allclose(g1["grad_output"][0].numpy(), g2["grad_input"][0].numpy())
    pre_relu = model[0](x).detach().numpy()
    assert np.allclose(g1["grad_input"][0].numpy(), g1["grad_output"][0].numpy() * (pre_relu > 0))
    # the first layer's input does not require grad
    assert monitor.gradients["0"]["grad_input"] == [None]


# ----------------------------------------------------------------------------- repr, containers


def test_repr_layout() -> None:
    seq = nn.Sequential(nn.Linear(10, 5), nn.ReLU())
    assert repr(seq) == ("Sequential(\n  (0): Linear(in_features=10, out_features=5, bias=True)\n"
                         "  (1): ReLU()\n)")
    net = nn.Sequential(OrderedDict([("enc", nn.Sequential(nn.Linear(2, 2, bias=False))),
                                     ("drop", nn.Dropout(0.1))]))
    assert repr(net) == (
        "Sequential(\n  (enc): Sequential(\n    (0): Linear(in_features=2, out_features=2, "
        "bias=False)\n  )\n  (drop): Dropout(p=0.1, inplace=False)\n)"
    )
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, "
                        "bias=True)\n  (3): ReLU()\n)")
    assert repr(nn.Module()) == "Module()"


def test_sequential_indexing_slicing_and_editing() -> None:
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and type(seq[3]).__name__ == "Sigmoid"
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(seq._modules) == ["0", "1", "2"]
    seq[2] = nn.Tanh()
    assert isinstance(seq[2], nn.Tanh)
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    both = nn.Sequential(a) + nn.Sequential(c)
    assert list(both) == [a, c]
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity)
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and named[1] is b
    x = autograd.ones(4, 2)
    assert nn.Sequential(a, b, c)(x).shape == (4, 1)


def test_module_list_and_module_dict() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers += [nn.Sigmoid()]
    assert len(layers) == 4 and isinstance(layers[-1], nn.Sigmoid)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers.insert(1, nn.Identity())
    assert isinstance(layers[1], nn.Identity) and len(layers) == 5
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="should be called with an iterable"):
        layers.extend(nn.ReLU())
    d = nn.ModuleDict({"a": nn.Linear(1, 1)})
    d["b"] = nn.ReLU()
    d.update([("c", nn.Tanh())])
    assert list(d) == ["a", "b", "c"] and "b" in d and len(d) == 3
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    assert isinstance(d.pop("b"), nn.ReLU) and list(d.keys()) == ["a", "c"]


def test_parameter_list_and_dict() -> None:
    pl = nn.ParameterList([autograd.zeros(2), nn.Parameter(autograd.ones(3))])
    pl.append(autograd.ones(1))
    assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert repr(nn.ParameterList([autograd.ones(2, 3)])) == (
        "ParameterList(  (0): Parameter containing: [float32 of size 2x3])")
    pd = nn.ParameterDict({"a": autograd.zeros(1)})
    pd["b"] = nn.Parameter(autograd.ones(2))
    assert list(pd) == ["a", "b"] and isinstance(pd["a"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    del pd["a"]
    assert list(pd.keys()) == ["b"] and len(pd) == 1


def test_parameter_semantics() -> None:
    base = autograd.ones(2)
    p = nn.Parameter(base)
    assert p.requires_grad and p.is_leaf and isinstance(p, autograd.Tensor)
    with autograd.no_grad():
        p.add_(1.0)
    assert base.tolist() == [2.0, 2.0]  # shares memory with the wrapped tensor
    assert repr(nn.Parameter(autograd.tensor([1.0]))) == (
        "Parameter containing:\ntensor([1.], requires_grad=True)")
    assert not nn.Parameter(autograd.ones(1), requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad and q is not p
    assert nn.Parameter().shape == (0,)
