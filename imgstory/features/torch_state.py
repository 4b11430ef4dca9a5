"""Read a PyTorch state dict file (legacy or zip format) into numpy arrays, without torch.

Only the globals a state dict of tensors needs are resolved; any other global is refused unread.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from imgstory.errors import UserInputError

#: ``torch.<Name>Storage`` -> the numpy dtype of its elements (bfloat16 is widened to float32).
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_MAX_ELEMENTS = 1 << 34  # no real state dict has a 16-Gi-element storage: a corrupt size


class TorchStateError(UserInputError):
    """A file that is not a readable tensor state dict; the message names the file and why."""


class _StorageType:
    """What ``torch.FloatStorage`` & co. unpickle to: only the element type (read-only)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __setattr__(self, attribute: str, value: Any) -> None:
        raise AttributeError("read-only")  # a pickle's BUILD cannot rename it

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StorageType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(STORAGE_DTYPES[self.name])


class _Storage:
    """A placeholder for one storage: filled with its bytes once they have been read."""

    __slots__ = ("data", "key", "numel", "storage_type")

    def __init__(self, key: str, storage_type: _StorageType, numel: int) -> None:
        self.key = key
        self.storage_type = storage_type
        self.numel = numel
        self.data: np.ndarray | None = None  # (numel,) of storage_type.dtype once read


@dataclass(slots=True)
class _PendingTensor:
    """A tensor whose storage bytes come later in the file (legacy format)."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: Any,
    storage_offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> _PendingTensor:
    """Stand-in for ``torch._utils._rebuild_tensor_v2``: records where the tensor's numbers are."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor whose storage is not a storage reference")
    try:
        offset = int(storage_offset)
        shape = tuple(int(n) for n in size)
        strides = tuple(int(n) for n in stride)
    except (TypeError, ValueError):
        raise pickle.UnpicklingError("a tensor with a non-integer offset, size or stride") from None
    if len(shape) != len(strides) or offset < 0 or min(shape + strides, default=0) < 0:
        raise pickle.UnpicklingError(f"a tensor with an invalid layout {shape} / {strides}")
    return _PendingTensor(storage, offset, shape, strides)


def _rebuild_parameter(data: Any, requires_grad: Any = False, backward_hooks: Any = None) -> Any:
    """Stand-in for ``torch._utils._rebuild_parameter``: a parameter is just its tensor."""
    if not isinstance(data, _PendingTensor):
        raise pickle.UnpicklingError("a parameter that does not wrap a tensor")
    return data


class _Rebuild:
    """A callable with no attributes to set, so a pickle's BUILD cannot alter module state."""

    __slots__ = ("_function",)

    def __init__(self, function: Any) -> None:
        object.__setattr__(self, "_function", function)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("read-only")

    def __call__(self, *args: Any) -> Any:
        return self._function(*args)


def _allowed_global(module: str, name: str) -> Any:
    """A fresh object for each allowed global (nothing shared between files), else KeyError."""
    if module == "collections" and name == "OrderedDict":
        return collections.OrderedDict
    if module == "torch._utils" and name == "_rebuild_tensor_v2":
        return _Rebuild(_rebuild_tensor_v2)
    if module == "torch._utils" and name == "_rebuild_parameter":
        return _Rebuild(_rebuild_parameter)
    if module == "torch" and name in STORAGE_DTYPES:
        return _StorageType(name)
    raise KeyError(name)


class _RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global that a tensor state dict never needs."""


class _StateDictUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals :func:`_allowed_global` lists.

    Storages are persistent ids; each becomes a :class:`_Storage` placeholder, one per key.
    """

    def __init__(self, stream: BinaryIO, storages: dict[str, _Storage], zip_format: bool) -> None:
        super().__init__(stream)
        self.storages = storages
        self.zip_format = zip_format

    def find_class(self, module: str, name: str) -> Any:
        """Only the allowed globals; anything else raises before it is imported."""
        try:
            return _allowed_global(module, name)
        except KeyError:
            raise _RefusedGlobal(
                f"it references the global {module}.{name}, which a tensor state dict never "
                "needs (refused, nothing was imported or run)"
            ) from None

    def persistent_load(self, pid: Any) -> _Storage:
        """``('storage', type, key, location, numel[, view])`` -> the storage's placeholder."""
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"an unknown persistent reference {str(pid)[:60]!r}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError("a storage whose type is not a torch storage type")
        if not isinstance(numel, int) or not 0 <= numel <= _MAX_ELEMENTS:
            raise pickle.UnpicklingError(f"a storage with an invalid size {numel!r}")
        key = str(key)
        view = pid[5] if len(pid) > 5 else None
        if view is not None:
            raise pickle.UnpicklingError("storage views (torch < 0.4 files) are not supported")
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = _Storage(key, storage_type, numel)
        elif known.storage_type != storage_type or known.numel != numel:
            raise pickle.UnpicklingError(f"storage {key} is declared twice, differently")
        return known


def _materialise(tensor: _PendingTensor, name: str) -> np.ndarray:
    """The tensor as an owned C-contiguous array (as_strided over its storage, then copied)."""
    data = tensor.storage.data
    if data is None:
        raise pickle.UnpicklingError(f"the bytes of storage {tensor.storage.key} are missing")
    count = int(np.prod(tensor.size, dtype=np.int64))
    if count:
        last = tensor.offset + sum(
            (n - 1) * s for n, s in zip(tensor.size, tensor.stride, strict=True)
        )
        if last >= data.shape[0]:
            raise pickle.UnpicklingError(
                f"tensor {name} reaches element {last} of storage {tensor.storage.key}, which "
                f"has only {data.shape[0]}"
            )
    itemsize = data.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        data[tensor.offset :] if count else data[:0],
        shape=tensor.size,
        strides=tuple(s * itemsize for s in tensor.stride),
        writeable=False,
    )
    array = np.array(view, copy=True, order="C")
    if tensor.storage.storage_type.name == "BFloat16Storage":  # the top half of a float32
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _flatten(obj: Any, prefix: str = "") -> dict[str, _PendingTensor]:
    """The tensors of a (possibly nested) dict, with dotted names; anything else is refused."""
    if not isinstance(obj, dict):
        raise pickle.UnpicklingError(
            f"it holds a {type(obj).__name__}, not a dict of tensors (a state dict)"
        )
    flat: dict[str, _PendingTensor] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, _PendingTensor):
            flat[name] = value
        elif isinstance(value, dict) and str(key) in {"state_dict", "model"} and not prefix:
            flat.update(_flatten(value, ""))  # a checkpoint {"state_dict": {...}}
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            raise pickle.UnpicklingError(
                f"entry {name!r} is a {type(value).__name__}, not a tensor"
            )
    return flat


def _read_exact(stream: BinaryIO, count: int, what: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise EOFError(f"the file ends inside {what} ({len(data)} of {count} bytes)")
    return data


def _load_legacy(stream: BinaryIO) -> dict[str, np.ndarray]:
    """The pre-1.6 format: magic, protocol, sys_info, the state dict, storage keys, raw bytes."""
    storages: dict[str, _Storage] = {}

    def small_pickle() -> Any:
        return _StateDictUnpickler(stream, storages, zip_format=False).load()

    if small_pickle() != _LEGACY_MAGIC:
        raise pickle.UnpicklingError("it is not a torch file (wrong magic number)")
    protocol = small_pickle()
    if protocol != _LEGACY_PROTOCOL:
        raise pickle.UnpicklingError(f"unsupported torch file protocol {protocol!r}")
    sys_info = small_pickle()
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", True):
        raise pickle.UnpicklingError("it was written on a big-endian machine (not supported)")
    tensors = _flatten(small_pickle())
    keys = small_pickle()
    if not isinstance(keys, list) or set(map(str, keys)) != set(storages):
        raise pickle.UnpicklingError("its list of storages does not match the tensors")
    for key in map(str, keys):
        storage = storages[key]
        (numel,) = struct.unpack("<q", _read_exact(stream, 8, f"the size of storage {key}"))
        if numel != storage.numel:
            raise pickle.UnpicklingError(
                f"storage {key} holds {numel} elements where {storage.numel} were declared"
            )
        dtype = storage.storage_type.dtype
        raw = _read_exact(stream, numel * dtype.itemsize, f"storage {key}")
        storage.data = np.frombuffer(raw, dtype=dtype)
    return {name: _materialise(tensor, name) for name, tensor in tensors.items()}


def _load_zip(path: Path) -> dict[str, np.ndarray]:
    """The zip format (torch >= 1.6): ``<root>/data.pkl`` plus one ``<root>/data/<key>`` each."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise pickle.UnpicklingError("the zip archive has no single <root>/data.pkl")
        root = pickles[0][: -len("data.pkl")]
        order_name = f"{root}byteorder"
        if order_name in names and archive.read(order_name).strip() != b"little":
            raise pickle.UnpicklingError("it was written big-endian (not supported)")
        storages: dict[str, _Storage] = {}
        with archive.open(pickles[0]) as stream:
            state = _StateDictUnpickler(io.BytesIO(stream.read()), storages, True).load()
        tensors = _flatten(state)
        for key, storage in storages.items():
            member = f"{root}data/{key}"
            if member not in names:
                raise pickle.UnpicklingError(f"storage {key} is missing from the archive")
            raw = archive.read(member)
            dtype = storage.storage_type.dtype
            if len(raw) != storage.numel * dtype.itemsize:
                raise pickle.UnpicklingError(
                    f"storage {key} has {len(raw)} bytes where "
                    f"{storage.numel * dtype.itemsize} were declared"
                )
            storage.data = np.frombuffer(raw, dtype=dtype)
    return {name: _materialise(tensor, name) for name, tensor in tensors.items()}


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Read a PyTorch state dict file as ``{name: array}``, never importing torch.

    Both ``torch.save`` formats are read: the legacy one (``_use_new_zipfile_serialization=False``
    and everything before torch 1.6) and the zip one. The pickle inside may reference only
    ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` /
    ``_rebuild_parameter`` and the ``torch.*Storage`` types; each tensor is rebuilt from its
    storage offset, size and strides as an owned C-contiguous array (bfloat16 becomes float32).

    Args:
        path: the ``.pth``/``.pt`` file.

    Returns:
        The tensors in file order; a nested dict's entries get dotted names.

    Raises:
        UserInputError: the file is missing, is not a torch state dict, is truncated or corrupt,
            or references any other global (the message names the file and the problem).
    """
    path = Path(path)
    if not path.is_file():
        raise TorchStateError(f"{path}: torch state dict file not found")
    try:
        if zipfile.is_zipfile(path):
            return _load_zip(path)
        with open(path, "rb") as stream:
            state = _load_legacy(stream)
            if stream.read(1):
                raise pickle.UnpicklingError("it has unexpected bytes after the last storage")
            return state
    except _RefusedGlobal as error:
        raise TorchStateError(f"{path}: refused to read this torch file: {error}") from None
    except (EOFError, struct.error) as error:
        detail = str(error) or "the file ends too early"
        raise TorchStateError(f"{path}: truncated torch state dict: {detail}") from None
    except (pickle.UnpicklingError, zipfile.BadZipFile) as error:
        if "truncated" in str(error):  # pickle's own "pickle data was truncated"
            raise TorchStateError(f"{path}: truncated torch state dict: {error}") from None
        raise TorchStateError(f"{path}: not a readable torch state dict: {error}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, MemoryError) as error:
        # Pickle internals on corrupt bytes ("unpickling stack underflow", bad opcodes...).
        reason = f"{type(error).__name__}: {error}"[:200]
        raise TorchStateError(f"{path}: corrupt torch state dict ({reason})") from None
