"""Install a staged report folder in place of the previous one, all at once.

``symconv report`` writes every file into a hidden staging folder next to ``--out``
(``.OUT.tmp-PID-XXXXXXXX``) and installs it only when everything succeeded.  The install is one
directory swap: the staging folder receives hard links to the files of ``--out`` that the report
does not own (``README.md``, other surveys, ...), then the two folders are exchanged atomically
(Linux ``renameat2(RENAME_EXCHANGE)``), so a reader, or a kill at any moment, sees either the
whole previous report or the whole new one, never a mix.

Where that is not possible the install falls back to moving the files one by one (each move
atomic, the set not): when the platform or file system has no exchange, when ``--out`` is the
working directory or contains it (swapping it would leave the shell in a deleted folder), when it
holds anything but plain files besides the report's own (sub-folders, links, more than
:data:`MAX_FOREIGN` files) or when hard links fail.  A run killed between the two renames of the
portable swap leaves the previous report as ``.OUT.old-PID-...``: the next run puts it back.

Folders left behind by killed runs (``.OUT.tmp-PID-*``, ``.OUT.old-PID-*`` whose process is
gone, and the older ``.OUT.tmp-XXXXXXXX`` names) are removed by :func:`clean_stale` at the start
of the next run.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["MAX_FOREIGN", "clean_stale", "install", "staging_folder"]

#: Most foreign files carried over by hard links in a directory swap.
MAX_FOREIGN = 1000

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # somebody else's process (or not a pid we can ask about): leave it
    return True


def _leftovers(out: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(out.name)}\.(tmp|old)-(?:(\d+)-)?[A-Za-z0-9_]+")


def clean_stale(out: Path) -> list[str]:
    """Remove the staging and old folders of killed runs next to ``out`` (their process is
    gone); if ``out`` itself is missing and a killed swap left the previous report aside, put it
    back.  Returns the names removed or restored."""
    parent = out.parent
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    pattern = _leftovers(out)
    done: list[str] = []
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or not entry.is_dir() or entry.is_symlink():
            continue
        kind, pid = m.group(1), m.group(2)
        if pid is not None and _alive(int(pid)):
            continue
        if kind == "old" and not out.exists():
            try:
                os.rename(entry, out)
                done.append(entry.name)
                continue
            except OSError:
                pass
        shutil.rmtree(entry, ignore_errors=True)
        done.append(entry.name)
    return done


def staging_folder(out: Path) -> Path:
    """A new hidden folder next to ``out`` named after it and this process."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux); False when the platform or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _foreign(out: Path, owned: set[str]) -> list[Path] | None:
    """The plain files of ``out`` not in ``owned``; None if anything else is there."""
    found: list[Path] = []
    for entry in out.iterdir():
        if entry.name in owned:
            continue
        try:
            mode = entry.lstat().st_mode
        except OSError:
            return None
        if not stat.S_ISREG(mode) or len(found) >= MAX_FOREIGN:
            return None
        found.append(entry)
    return found


def _swappable(out: Path) -> bool:
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    target = out.resolve()
    return target != cwd and target not in cwd.parents and not os.path.ismount(target)


def _by_file(staged: Path, out: Path, tops: set[str], owned: set[str]) -> None:
    """The fallback: move the entries one by one (a folder such as ``figures/`` as a whole)."""
    for top in sorted(tops):
        new, old = staged / top, out / top
        if new.is_dir():
            trash = staged / f".old-{top}"
            if old.exists():
                os.replace(old, trash)
            try:
                os.replace(new, old)
            except OSError:
                if trash.exists():
                    os.replace(trash, old)
                raise
        else:
            os.replace(new, old)
    for name in sorted(owned - set(tops)):
        stale = out / name
        if stale.is_file() and not stale.is_symlink():
            stale.unlink()  # the previous report's file this one does not have (its PDF)


def install(staged: Path, out: Path, names: Iterable[str], owned: Iterable[str]) -> list[str]:
    """Install the files ``names`` (paths relative to ``staged``) as the report in ``out``.

    ``owned``: the top-level names a report owns; those of them not in ``names`` disappear
    from ``out`` (a PDF of the previous report that this one did not build), everything else in
    ``out`` is kept (replaced where ``names`` has it).  ``staged`` is consumed.  Returns the installed names, sorted.
    """
    names = sorted(names)
    owned_set = set(owned)
    tops = {n.split("/", 1)[0] for n in names}
    for entry in staged.iterdir():  # the build's by-products (LaTeX logs, aux files)
        if entry.name not in tops:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    if out.is_symlink():
        out = out.resolve()
    if not out.exists():
        os.chmod(staged, 0o777 & ~_umask())
        os.rename(staged, out)
        return names
    foreign = _foreign(out, owned_set | tops) if _swappable(out) else None
    if foreign is not None:
        try:
            for f in foreign:
                os.link(f, staged / f.name)
        except OSError:
            foreign = None
    if foreign is None:
        _by_file(staged, out, tops, owned_set)
        return names
    os.chmod(staged, stat.S_IMODE(out.stat().st_mode))
    if _exchange(staged, out):
        shutil.rmtree(staged, ignore_errors=True)  # now the previous report
        return names
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    os.rmdir(aside)
    os.rename(out, aside)
    try:
        os.rename(staged, out)
    except OSError:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return names


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
