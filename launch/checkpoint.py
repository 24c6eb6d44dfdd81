"""Training checkpoints: safetensors for arrays, JSON for everything else, never pickle.

Layout of a checkpoint directory::

    ckpt/
      latest                     -> "step_00000120" (written last, atomically)
      step_00000120/
        manifest.json            format version, step, world size, size + sha256 per file
        replicated.safetensors   model / optimizer / scheduler tensors (written by rank 0)
        replicated.json          their non-tensor parts (tagged JSON, types preserved)
        rank0.safetensors        per-rank tensors (random generator states)
        rank0.json               per-rank values (``per_rank=``, NumPy/Python RNG, …)
        rank1.…

Writing is atomic: every rank writes into ``step_N.tmp-<id>`` and fsyncs; only when all
ranks succeeded does rank 0 write the manifest, fsync, rename the directory to
``step_N`` and then replace ``latest`` (temp file + rename). A crash, a killed rank or a
full disk mid-write leaves the previous checkpoint as the newest valid one; leftover
``*.tmp-*`` directories are ignored and removed by the next successful save.

Loading validates before touching anything: the manifest's schema, that every file is
present with the recorded size and sha256, that safetensors headers agree with the
files, that all ranks see the same checkpoint, and that the saved model/optimizer
shapes fit the objects being restored. Only then is state loaded, on every rank or on
none. ``fallback=True`` walks back to the newest valid checkpoint (rank 0 decides, all
ranks follow). Decoding builds only tensors, arrays and plain values: a hostile file
cannot run code.

Example:
    >>> import tempfile
    >>> from autograd import nn
    >>> from launch.checkpoint import Checkpointer
    >>> model = nn.Linear(2, 1)
    >>> ck = Checkpointer(tempfile.mkdtemp(), keep=2)
    >>> ck.save(10, model=model, metadata={"loss": 0.5}).name
    'step_00000010'
    >>> fresh = nn.Linear(2, 1)
    >>> state = ck.load(model=fresh)
    >>> state.step, state.metadata
    (10, {'loss': 0.5})
    >>> bool((fresh.weight == model.weight).all())
    True
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._codec import (
    CheckpointError,
    decode,
    encode,
    fsync_dir,
    load_safetensors,
    restore_snapshot,
    safetensors_bytes,
    sha256_file,
    snapshot,
    write_file,
)
from ._state import precheck, restorable, restore_into, rng_state, set_rng_state, state_of

__all__ = ["Checkpointer", "CheckpointError", "LoadedCheckpoint", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_STEP_PREFIX = "step_"
_STEP_DIR = re.compile(r"step_(\d{8,})")
_FILE = re.compile(r"(replicated|rank(\d+))\.(json|safetensors)")


@dataclass
class LoadedCheckpoint:
    """What :meth:`Checkpointer.load` restored.

    ``values``: saved entries that were not restored into an object you passed (plain
    values such as ``epoch=3``, or entries you did not ask for), decoded. ``per_rank``:
    this rank's ``per_rank=`` values ({} when the checkpoint was saved by fewer ranks).
    """

    step: int
    path: Path
    world_size: int
    metadata: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    per_rank: dict[str, Any] = field(default_factory=dict)


class _Group:
    """The collectives checkpointing needs, over ``group`` / the default process group
    when one is initialised, else a world of one."""

    def __init__(self, group: Any = None) -> None:
        pg = group
        if pg is None:
            try:
                import parallel

                pg = parallel.default_group() if parallel.is_initialized() else None
            except ImportError:
                pg = None
        self.pg = pg
        self.rank = pg.rank() if pg else 0
        self.size = pg.size() if pg else 1
        # virtual ranks share NumPy's and Python's global random state: rank 0 owns it
        self.owns_process_rng = self.rank == 0 or getattr(pg, "backend", "") != "threads"

    def bcast(self, obj: Any) -> Any:
        return self.pg.comm.bcast_object(obj, 0) if self.pg else obj

    def allgather(self, obj: Any) -> list:
        return self.pg.comm.allgather_object(obj) if self.pg else [obj]

    def agree(self, error: str | None) -> None:
        """Raise the same CheckpointError on every rank if any rank reports an error."""
        errors = [(r, e) for r, e in enumerate(self.allgather(error)) if e]
        if errors:
            rank, first = errors[0]
            more = f" (and {len(errors) - 1} more rank(s))" if len(errors) > 1 else ""
            raise CheckpointError(first if self.size == 1 else f"rank {rank}: {first}{more}")


def _step_name(step: int) -> str:
    return f"{_STEP_PREFIX}{int(step):08d}"


class Checkpointer:
    """Save and restore training state in ``directory``, keeping the newest ``keep``.

    ``save(step, **objects)``: objects with ``state_dict()`` (model, optimizer, lr
    scheduler, sampler, …), random generators (``np.random.Generator``,
    ``random.Random``, ``autograd.Generator``) and plain values (tensors, numbers, dicts)
    are *replicated* state, written once by rank 0. ``per_rank=`` holds rank-local values;
    the global random streams (autograd's default generators, NumPy's and Python's global
    state) are saved per rank automatically. ``metadata=`` (JSON values) goes into the
    manifest. Every rank of ``group`` must call ``save`` and ``load`` (they synchronise).

    Resuming at a different world size works for replicated state; a rank beyond the
    saved world size gets no per-rank values and keeps its random streams.
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 3, group: Any = None) -> None:
        if keep < 1:
            raise ValueError(f"Checkpointer: keep must be >= 1, got {keep}")
        self.dir = Path(directory)
        self.keep = keep
        self.group = group

    # -------------------------------------------------------------- save
    def save(self, step: int, *, per_rank: dict[str, Any] | None = None,
             metadata: dict[str, Any] | None = None, **objects: Any) -> Path:
        """Write checkpoint ``step`` (all ranks call it); returns its directory."""
        group = _Group(self.group)
        seen = group.allgather((repr(step), self.dir.name))
        if len(set(seen)) > 1:
            detail = ", ".join(f"rank {r}: step {s} in {d!r}" for r, (s, d) in enumerate(seen))
            raise CheckpointError(
                f"checkpoint: ranks disagree on what to save ({detail}); every rank must call "
                "save() with the same step and directory"
            )
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise CheckpointError(f"checkpoint: step must be a non-negative int, got {step!r}")
        step = int(step)
        token = group.bcast(uuid.uuid4().hex[:12] if group.rank == 0 else None)
        final = self.dir / _step_name(step)
        tmp = self.dir / f"{final.name}.tmp-{token}"
        # Encode everything first: a value that cannot be stored fails before any write,
        # on every rank (a rank raising alone would leave the others waiting).
        error = None
        blobs: dict[str, bytes] = {}
        try:
            meta_tree = encode(metadata or {}, arrays := {}, "metadata")
            if arrays:
                raise CheckpointError(
                    "checkpoint: metadata must hold JSON values (numbers, strings, lists, "
                    f"dicts); got arrays or tensors at {sorted(arrays)}: save them as objects "
                    "instead")
            if group.rank == 0:
                arrays = {}
                tree = {name: encode(state_of(obj), arrays, name) for name, obj in objects.items()}
                blobs["replicated.safetensors"] = safetensors_bytes(arrays)
                blobs["replicated.json"] = json.dumps(tree).encode()
            arrays = {}
            mine = {"rng": encode(rng_state(group.owns_process_rng), arrays, "rng"),
                    "values": encode(per_rank or {}, arrays, "per_rank")}
            blobs[f"rank{group.rank}.safetensors"] = safetensors_bytes(arrays)
            blobs[f"rank{group.rank}.json"] = json.dumps(mine).encode()
        except CheckpointError as e:
            error = str(e)
        group.agree(error)
        if group.rank == 0:
            try:
                tmp.mkdir(parents=True, exist_ok=False)
            except OSError as e:
                error = f"checkpoint: cannot create {tmp}: {e}"
        group.agree(error)
        files: dict[str, Any] = {}
        try:
            for name, blob in blobs.items():
                files[name] = write_file(tmp / name, blob)
        except Exception as e:  # every rank must learn about any failure
            error = f"{type(e).__name__}: {e}"
        del blobs
        reports = group.allgather((error, files))
        errors = [(r, e) for r, (e, _) in enumerate(reports) if e]
        if errors:
            if group.rank == 0:
                shutil.rmtree(tmp, ignore_errors=True)
            raise CheckpointError(f"checkpoint step {step} not committed: " + "; ".join(
                f"rank {r}: {e}" for r, e in errors))
        verdict = None
        if group.rank == 0:
            all_files: dict[str, Any] = {}
            for _, f in reports:
                all_files.update(f)
            manifest = {"format_version": FORMAT_VERSION, "step": step, "world_size": group.size,
                        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                        "objects": sorted(objects), "files": all_files, "metadata": meta_tree}
            try:
                self._commit(tmp, final, manifest, token)
            except Exception as e:
                shutil.rmtree(tmp, ignore_errors=True)
                verdict = f"checkpoint step {step} not committed: {type(e).__name__}: {e}"
        verdict = group.bcast(verdict)
        if verdict:
            raise CheckpointError(verdict)
        return final

    def _commit(self, tmp: Path, final: Path, manifest: dict, token: str) -> None:
        write_file(tmp / "manifest.json", json.dumps(manifest, indent=1).encode())
        fsync_dir(tmp)
        old = None
        if final.exists():  # the same step again (e.g. after a restart): swap it out
            old = self.dir / f"{final.name}.old-{token}"
            os.replace(final, old)
        os.replace(tmp, final)
        fsync_dir(self.dir)
        latest_tmp = self.dir / f"latest.tmp-{token}"
        write_file(latest_tmp, final.name.encode())
        os.replace(latest_tmp, self.dir / "latest")
        fsync_dir(self.dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._prune(final)

    def _prune(self, current: Path) -> None:
        steps = [s for s in self.steps() if _step_name(s) != current.name]
        for old in steps[: max(len(steps) + 1 - self.keep, 0)]:
            shutil.rmtree(self.dir / _step_name(old), ignore_errors=True)
        for stale in self.dir.iterdir():
            if ".tmp-" in stale.name or ".old-" in stale.name:
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)

    def steps(self) -> list[int]:
        """Steps of the committed checkpoint directories, oldest first (not validated)."""
        if not self.dir.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.dir.iterdir()
                      if (m := _STEP_DIR.fullmatch(p.name)) and p.is_dir())

    def latest_step(self) -> int | None:
        """The step ``latest`` points to (None without one); not validated."""
        name = self._latest_name()
        return int(name[len(_STEP_PREFIX):]) if name else None

    def _latest_name(self) -> str | None:
        latest = self.dir / "latest"
        if not latest.exists():
            return None
        if latest.is_symlink() or not latest.is_file():
            raise CheckpointError(f"checkpoint: {latest} is not a regular file; refusing it")
        name = latest.read_bytes()[:64].decode("ascii", errors="replace").strip()
        if not _STEP_DIR.fullmatch(name):
            raise CheckpointError(
                f"checkpoint: {latest} names {name!r}, not a checkpoint directory "
                "(step_NNNNNNNN); refusing it"
            )
        return name

    # -------------------------------------------------------------- validation
    def validate(self, step: int | None = None) -> dict[str, Any]:
        """Check checkpoint ``step`` (default: the one ``latest`` names) completely
        and return its manifest; raises ``CheckpointError`` saying what is wrong."""
        name = _step_name(step) if step is not None else self._latest_name()
        if name is None:
            raise CheckpointError(f"checkpoint: no 'latest' in {self.dir}")
        return self._validate(self.dir / name)

    def _validate(self, path: Path) -> dict[str, Any]:
        where = f"checkpoint {path.name}"
        if not path.is_dir():
            raise CheckpointError(f"{where}: directory not found in {self.dir}")
        manifest = self._read_manifest(path)
        for name, expect in manifest["files"].items():
            file = path / name
            if file.is_symlink():
                raise CheckpointError(f"{where}: {name} is a symbolic link; refusing it")
            if not file.is_file():
                raise CheckpointError(f"{where}: missing file {name}")
            size, digest = sha256_file(file)
            if size != expect["size"]:
                raise CheckpointError(f"{where}: {name} truncated or resized "
                                      f"({size} of {expect['size']} bytes)")
            if digest != expect["sha256"]:
                raise CheckpointError(f"{where}: sha256 mismatch for {name} (the file is "
                                      "corrupted or was modified)")
        return manifest

    def _read_manifest(self, path: Path) -> dict[str, Any]:
        where = f"checkpoint {path.name}"
        file = path / "manifest.json"
        if file.is_symlink() or not file.is_file():
            raise CheckpointError(f"{where}: missing manifest.json (not a complete checkpoint)")
        raw = file.read_bytes()
        try:
            m = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise CheckpointError(f"{where}: manifest.json is not valid JSON: {e}") from None
        if not isinstance(m, dict) or m.get("format_version") != FORMAT_VERSION:
            found = m.get("format_version") if isinstance(m, dict) else "?"
            raise CheckpointError(f"{where}: unsupported format version {found!r} "
                                  f"(this version reads {FORMAT_VERSION})")
        step, world, files = m.get("step"), m.get("world_size"), m.get("files")
        if not (isinstance(step, int) and isinstance(world, int) and world >= 1
                and isinstance(files, dict)):
            raise CheckpointError(f"{where}: manifest.json lacks a valid step, world_size or files")
        if _step_name(step) != path.name:
            raise CheckpointError(f"{where}: its manifest says step {step}")
        for name, expect in files.items():
            match = _FILE.fullmatch(name) if isinstance(name, str) else None
            if match is None or (match.group(2) is not None and int(match.group(2)) >= world):
                raise CheckpointError(f"{where}: refusing file name {name!r} in the manifest "
                                      "(not a checkpoint file of this world size)")
            if not (isinstance(expect, dict) and isinstance(expect.get("size"), int)
                    and isinstance(expect.get("sha256"), str)):
                raise CheckpointError(f"{where}: bad manifest entry for {name}")
        needed = ["replicated.json", "replicated.safetensors"]
        needed += [f"rank{r}.{ext}" for r in range(world) for ext in ("json", "safetensors")]
        for name in needed:
            if name not in files:
                shard = re.match(r"rank(\d+)", name)
                what = f"shard for rank {shard.group(1)} of {world} ({name})" if shard else name
                raise CheckpointError(f"{where}: missing {what} in the manifest")
        m["_sha256"] = hashlib.sha256(raw).hexdigest()
        return m

    # -------------------------------------------------------------- load
    def _candidates(self, step: int | None) -> list[str]:
        if step is not None:
            return [_step_name(step)]
        chosen = []
        latest = self._latest_name()
        if latest:
            chosen.append(latest)
        chosen += [n for s in reversed(self.steps()) if (n := _step_name(s)) not in chosen]
        return chosen

    def _choose(self, step: int | None, fallback: bool) -> tuple[str, str] | None:
        """Rank 0 picks the checkpoint (validating it): ("ok", name, manifest sha256),
        ("error", message) or None when there is none."""
        try:
            candidates = self._candidates(step)
        except CheckpointError as e:
            if not fallback:
                return ("error", str(e))
            candidates = [_step_name(s) for s in reversed(self.steps())]
        if not candidates:
            return None
        problems = []
        for name in candidates:
            try:
                manifest = self._validate(self.dir / name)
                return ("ok", name, manifest["_sha256"])  # type: ignore[return-value]
            except (CheckpointError, OSError) as e:
                problems.append(str(e))
                if not fallback:
                    return ("error", f"{e} (pass fallback=True to load the newest valid "
                                     "checkpoint instead)")
        return ("error", "no valid checkpoint: " + "; ".join(problems))

    def _read(self, path: Path, name: str, manifest: dict[str, Any]) -> bytes:
        data = (path / name).read_bytes()
        expect = manifest["files"][name]
        if len(data) != expect["size"] or hashlib.sha256(data).hexdigest() != expect["sha256"]:
            raise CheckpointError(f"checkpoint {path.name}: {name} changed while loading")
        return data

    def _read_state(self, path: Path, prefix: str, manifest: dict[str, Any]) -> Any:
        arrays = load_safetensors(self._read(path, f"{prefix}.safetensors", manifest),
                                  f"{path.name}/{prefix}.safetensors")
        raw = self._read(path, f"{prefix}.json", manifest)
        try:
            tree = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise CheckpointError(f"checkpoint {path.name}: {prefix}.json is not valid JSON: {e}") from None
        return decode(tree, arrays, f"{path.name}/{prefix}.json")

    def load(self, step: int | None = None, *, fallback: bool = False, strict: bool = True,
             **objects: Any) -> LoadedCheckpoint | None:
        """Restore ``objects`` (by the names used in ``save``) from the checkpoint that
        ``latest`` names (or ``step``). Returns None when the directory holds no
        checkpoint. Everything is validated on every rank before any object changes;
        an error leaves every object as it was, on every rank."""
        group = _Group(self.group)
        verdict = self._choose(step, fallback) if group.rank == 0 else None
        verdict = group.bcast(verdict)
        if verdict is None:
            return None
        if verdict[0] == "error":
            raise CheckpointError(verdict[1])
        path = self.dir / verdict[1]
        states: dict[str, Any] = {}
        mine: Any = None
        manifest: dict[str, Any] = {}
        error = None
        try:
            manifest = self._read_manifest(path)
            if manifest["_sha256"] != verdict[2]:
                raise CheckpointError(
                    f"ranks disagree on checkpoint {path.name}: this rank reads a different "
                    "manifest than rank 0 (is the directory the same on every rank?)")
            tree = self._read_state(path, "replicated", manifest)
            if not isinstance(tree, dict):
                raise CheckpointError(f"checkpoint {path.name}: replicated.json is not an object")
            missing = [n for n in objects if n not in tree]
            if missing and strict:
                raise CheckpointError(f"checkpoint {path.name}: no state saved for {missing} "
                                      f"(saved: {sorted(tree)}); pass strict=False to skip them")
            states = tree
            if group.rank < manifest["world_size"]:
                mine = self._read_state(path, f"rank{group.rank}", manifest)
                if not (isinstance(mine, dict) and isinstance(mine.get("values"), dict)):
                    raise CheckpointError(f"checkpoint {path.name}: rank{group.rank}.json is malformed")
            problems = [p for n, obj in objects.items() if n in states
                        for p in precheck(n, obj, states[n])]
            if problems:
                raise CheckpointError(f"checkpoint {path.name} does not fit: " + "; ".join(problems))
        except (CheckpointError, OSError) as e:
            error = str(e)
        group.agree(error)
        self._apply(group, objects, states)
        if mine is not None:
            set_rng_state(mine["rng"], group.owns_process_rng)
        values = {n: v for n, v in states.items() if n not in objects or not restorable(objects[n])}
        meta = decode(manifest.get("metadata", {}), {}, f"{path.name}/manifest.json")
        return LoadedCheckpoint(int(manifest["step"]), path, int(manifest["world_size"]),
                                meta if isinstance(meta, dict) else {}, values,
                                (mine or {}).get("values", {}))

    def _apply(self, group: _Group, objects: dict[str, Any], states: dict[str, Any]) -> None:
        """Load every object, or (if any rank fails) roll every rank back."""
        backups: list[tuple[Any, Any]] = []
        error = None
        try:
            for name, obj in objects.items():
                if name in states and restorable(obj):
                    backups.append((obj, snapshot(state_of(obj))))
                    restore_into(obj, states[name])
        except Exception as e:  # all ranks must agree before anyone raises
            error = f"loading {name!r} failed: {type(e).__name__}: {e}"
        try:
            group.agree(error)
        except CheckpointError:
            for obj, snap in reversed(backups):
                try:
                    restore_into(obj, restore_snapshot(snap))
                except Exception:  # the object that failed may refuse its old state too
                    pass
            raise

