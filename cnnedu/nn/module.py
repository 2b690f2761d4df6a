r"""The building blocks every layer shares: :class:`Parameter`, :class:`Module`, :class:`Sequential`.

The lecture's point is that a CNN is trained exactly like an MLP; only its
structure differs.  So every layer here has the same three duties:

* ``forward(x)`` computes its output and **caches** what the backward pass will
  need (the input, a mask, the normalised values, ...);
* ``backward(dy)`` takes :math:`\partial L/\partial y` (same shape as the output),
  **adds** :math:`\partial L/\partial \theta` into every parameter's ``.grad``
  (gradients accumulate, as in PyTorch, so call :meth:`Module.zero_grad` before
  each batch) and returns :math:`\partial L/\partial x`;
* it lists its parameters, so an optimiser can update them.

Backpropagation through a network is then the chain rule written as a loop:
``Sequential.backward`` calls its layers' ``backward`` in reverse order.

Names and behaviour follow ``torch.nn`` (``parameters()``, ``named_parameters()``,
``train()``/``eval()``, ``state_dict()``, the ``repr``), so what is learnt here
carries over to PyTorch.  Unlike PyTorch there is no autograd: each layer's
backward rule is written out beside its forward, with the lecture's names.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

import numpy as np

__all__ = ["Parameter", "Module", "Sequential", "Identity"]


class Parameter:
    """A learnable array and the gradient of the loss with respect to it.

    Parameters
    ----------
    data : array_like
        The values.  Kept as given if it is a float array (no copy), otherwise
        converted to float64.
    name : str, optional
        A short name (``"weight"``, ``"bias"``).  When a parameter without a name
        is assigned to a :class:`Module` attribute, it takes the attribute's name.

    Attributes
    ----------
    data : ndarray
    grad : ndarray
        Same shape and dtype as ``data``, initially zeros.  Layers *add* to it in
        ``backward``; :meth:`zero_grad` resets it.

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.ones((2, 3)), name="weight")
    >>> p
    Parameter(name='weight', shape=(2, 3), dtype=float64)
    >>> p.grad.sum()
    np.float64(0.0)
    """

    def __init__(self, data, name: str | None = None):
        a = np.asarray(data)
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        if not a.flags.writeable:
            a = a.copy()
        self.data = a
        self.grad = np.zeros_like(a)
        self.name = name

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of scalars (PyTorch's ``numel()``)."""
        return self.data.size

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def zero_grad(self) -> None:
        """Set ``grad`` to zeros (re-allocated if ``data`` changed shape or dtype)."""
        if self.grad.shape != self.data.shape or self.grad.dtype != self.data.dtype:
            self.grad = np.zeros_like(self.data)
        else:
            self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(name={self.name!r}, shape={self.data.shape}, dtype={self.data.dtype})"


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * spaces + line for line in lines[1:])


class Module:
    """Base class of every layer, block and network.

    A subclass calls ``super().__init__()`` first, then assigns its
    :class:`Parameter` s and sub-``Module`` s as attributes: they are registered
    in the order assigned, which is the order of :meth:`parameters` and of
    :meth:`state_dict`.  Arrays that are state but not learnt (BatchNorm's
    running statistics) are registered with :meth:`register_buffer`.

    A subclass implements :meth:`forward` and :meth:`backward`; layers that are
    not containers cache in ``forward`` what ``backward`` needs and raise a
    ``RuntimeError`` if ``backward`` is called first.  A module holds the cache
    of its *last* forward call only, so use a module once per forward pass (to
    share weights, share the :class:`Parameter` objects between two modules).

    Attributes
    ----------
    training : bool
        ``True`` after :meth:`train` (the default), ``False`` after :meth:`eval`.
        Only :class:`~cnnedu.nn.Dropout` and the BatchNorm layers behave differently.
    """

    def __init__(self):
        object.__setattr__(self, "_param_names", [])
        object.__setattr__(self, "_module_names", [])
        object.__setattr__(self, "_buffer_names", [])
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_cache", None)

    # -- registration -------------------------------------------------------

    def __setattr__(self, name: str, value) -> None:
        if "_param_names" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() in __init__ before assigning "
                f"attributes such as {name!r}"
            )
        params, modules, buffers = self._param_names, self._module_names, self._buffer_names
        if isinstance(value, Parameter):
            _discard(modules, name)
            _discard(buffers, name)
            if name not in params:
                params.append(name)
            if value.name is None:
                value.name = name
        elif isinstance(value, Module):
            _discard(params, name)
            _discard(buffers, name)
            if name not in modules:
                modules.append(name)
        elif name in buffers:
            if value is None:
                buffers.remove(name)
            else:
                value = np.asarray(value)
        else:
            # e.g. ``self.bias = None``: no longer a parameter or a sub-module
            _discard(params, name)
            _discard(modules, name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for names in (self._param_names, self._module_names, self._buffer_names):
            _discard(names, name)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array) -> None:
        """Register a non-learnt array (e.g. a running mean) that belongs in :meth:`state_dict`."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_buffer: name must be an identifier, got {name!r}")
        if name in self._param_names or name in self._module_names:
            raise ValueError(f"register_buffer: {name!r} is already a parameter or a sub-module")
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        object.__setattr__(self, name, np.asarray(array))

    # -- the two passes -----------------------------------------------------

    def forward(self, x):
        """Compute the output and cache what :meth:`backward` needs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, dy):
        """Given dL/dy, accumulate dL/dθ into each parameter's ``.grad`` and return dL/dx."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- helpers for subclasses ---------------------------------------------

    def describe(self) -> str:
        """A short description used in error messages, e.g. ``'Linear(400 -> 120)'``."""
        return f"{type(self).__name__}({self.extra_repr()})"

    def _saved(self):
        """The cache of the last forward call, or a clear error if there was none."""
        if self._cache is None:
            raise RuntimeError(
                f"{self.describe()}.backward() called before forward(): backward needs what the "
                f"forward pass caches, so run the layer on a batch first"
            )
        return self._cache

    def _as_input(self, x, name: str = "x", dtype=None) -> np.ndarray:
        """Convert an array-like input to a float ndarray (``dtype`` if given, else float64 for ints)."""
        try:
            a = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{self.describe()}: {name} must be a numeric array, could not convert it: "
                            f"{exc}") from None
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{self.describe()}: {name} must be a real numeric array, got dtype {a.dtype}")
        if dtype is not None:
            return a.astype(dtype, copy=False)
        return a if a.dtype.kind == "f" else a.astype(np.float64)

    def _check_ndim(self, x: np.ndarray, ndims, layout: str) -> None:
        ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
        if x.ndim in ndims:
            return
        want = " or ".join(f"{d}-D" for d in ndims)
        hint = ""
        if x.ndim == min(ndims) - 1:
            hint = ": add a batch dimension, e.g. x[None] for a single example"
        raise ValueError(f"{self.describe()} expects a {want} input {layout}, got shape {x.shape}{hint}")

    def _check_dy(self, dy, shape: tuple, dtype) -> np.ndarray:
        dy = self._as_input(dy, "dy", dtype)
        if dy.shape != tuple(shape):
            raise ValueError(
                f"{self.describe()}.backward: dy must have the shape of the forward output "
                f"{tuple(shape)}, got {dy.shape}"
            )
        return dy

    # -- traversal ----------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name in self._module_names:
            yield name, getattr(self, name)

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules, in the order they were assigned."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "", _memo=None) -> Iterator[tuple[str, "Module"]]:
        """This module and all sub-modules, depth first (pre-order), each once."""
        memo = set() if _memo is None else _memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` pairs: a module's own parameters, then its children's.

        The order is deterministic (assignment order, depth first) and a
        parameter shared by two modules is listed once, under its first name.
        """
        memo = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name in mod._param_names:
                p = getattr(mod, name)
                if id(p) in memo:
                    continue
                memo.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """All learnable parameters (see :meth:`named_parameters` for the order)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for mod_prefix, mod in self.named_modules(prefix):
            for name in mod._buffer_names:
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), getattr(mod, name)

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` to zeros (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.zero_grad()

    # -- modes --------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (recursively) and return ``self``."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Set evaluation mode (recursively): Dropout is the identity, BatchNorm uses running statistics."""
        return self.train(False)

    # -- saving and loading -------------------------------------------------

    def _state_targets(self, prefix: str = "") -> "OrderedDict[str, np.ndarray]":
        """name -> the live array (parameter data or buffer), in PyTorch's state-dict order."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for name in self._param_names:
            out[prefix + name] = getattr(self, name).data
        for name in self._buffer_names:
            out[prefix + name] = getattr(self, name)
        for name, child in self.named_children():
            out.update(child._state_targets(prefix + name + "."))
        return out

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer, keyed by dotted name as in PyTorch.

        The keys are those PyTorch uses for the same architecture (``"0.weight"``,
        ``"bn1.running_mean"``, ...), so weights move between the two with
        ``{k: v.numpy() for k, v in torch_model.state_dict().items()}``.
        """
        return OrderedDict((k, v.copy()) for k, v in self._state_targets().items())

    def load_state_dict(self, state_dict, strict: bool = True) -> None:
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        In place, so an optimiser holding these parameters keeps working.  Values
        are cast to each parameter's dtype.

        Parameters
        ----------
        state_dict : mapping of str to array_like
        strict : bool
            If true (the default), the keys must match :meth:`state_dict`'s exactly.
            Shapes must always match.

        Raises
        ------
        ValueError
            Missing or unexpected keys (when ``strict``), or a shape mismatch.
        """
        fn = f"{type(self).__name__}.load_state_dict"
        targets = self._state_targets()
        if strict:
            missing = [k for k in targets if k not in state_dict]
            unexpected = [k for k in state_dict if k not in targets]
            if missing or unexpected:
                parts = []
                if missing:
                    parts.append(f"missing keys {missing}")
                if unexpected:
                    parts.append(f"unexpected keys {unexpected}")
                raise ValueError(f"{fn}: " + "; ".join(parts))
        values = {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key])
            if value.shape != target.shape:
                raise ValueError(
                    f"{fn}: size mismatch for {key!r}: the model has shape {target.shape}, "
                    f"the state dict has {value.shape}"
                )
            values[key] = value
        for key, value in values.items():  # copy only after every check passed
            targets[key][...] = value

    # -- printing -----------------------------------------------------------

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's ``repr`` (its settings)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self.named_children():
            lines.append(f"({name}): " + _addindent(repr(child), 2))
        head = type(self).__name__ + "("
        if not self._module_names:
            return head + extra + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _discard(names: list, name: str) -> None:
    if name in names:
        names.remove(name)


class Identity(Module):
    """``y = x``; its backward returns ``dy`` unchanged."""

    def forward(self, x):
        x = self._as_input(x)
        self._cache = x.shape
        return x

    def backward(self, dy):
        return self._check_dy(dy, self._saved(), None)


class Sequential(Module):
    """Layers applied one after another; backward runs them in reverse.

    .. math::

        y = f_L(\\cdots f_2(f_1(x))), \\qquad
        \\frac{\\partial L}{\\partial x} = J_{f_1}^T \\cdots J_{f_L}^T \\frac{\\partial L}{\\partial y}

    Parameters
    ----------
    *modules : Module
        The layers, named ``"0"``, ``"1"``, ...; or a single ``OrderedDict`` of
        name -> module.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu.nn import Sequential, Linear, ReLU
    >>> net = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1))
    >>> len(net), net[1]
    (3, ReLU())
    >>> net(np.ones((5, 4))).shape
    (5, 2)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: layer {name!r} must be a Module, got {type(m).__name__}")
            setattr(self, name, m)

    def append(self, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        setattr(self, str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._module_names)

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def __getitem__(self, idx):
        mods = list(self.children())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self.named_children())[idx]))
        try:
            return mods[idx]
        except IndexError:
            raise IndexError(f"Sequential index {idx} out of range for {len(mods)} layers") from None

    def forward(self, x):
        for name, m in self.named_children():
            try:
                x = m(x)
            except (ValueError, TypeError) as exc:
                if hasattr(exc, "add_note"):
                    exc.add_note(f"(raised by layer ({name}) of the Sequential: {m.describe()})")
                raise
        return x

    def backward(self, dy):
        for m in reversed(list(self.children())):
            dy = m.backward(dy)
        return dy
